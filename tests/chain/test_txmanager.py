"""The transaction manager on a real anvil (and eth-tester): nonces under concurrency, crash drills, outages,
confirmations, reverts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from node.chain.client import connect
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.chain.txfaults import is_transient as _is_transient
from node.chain.txmanager import (
    Call,
    MemoryNonceStore,
    RetryPolicy,
    SignedTx,
    TxManager,
    TxState,
)
from node.config import DEVNET_CHAIN_ID
from node.errors import (
    ChainUnavailableError,
    ContractRevertError,
    NonceConsumedError,
    TransactionRejectedError,
    TransactionRevertedError,
)
from tests.conftest import NODE_MODULES, start_devnet

# contracts/Probe.sol (OpenZeppelin AccessControl + set/get) as built in commit 39f1374, embedded because the probe
# has left contracts/build now that the real registry is there. Only the ABI entries these tests use are kept.
PROBE_ABI: list[dict[str, Any]] = json.loads(
    '[{"inputs":[],"stateMutability":"nonpayable","type":"constructor"},{"inputs":[{"internalType":"addre'
    'ss","name":"account","type":"address"},{"internalType":"bytes32","name":"neededRole","type":"bytes32'
    '"}],"name":"AccessControlUnauthorizedAccount","type":"error"},{"anonymous":false,"inputs":[{"indexed'
    '":false,"internalType":"uint256","name":"x","type":"uint256"}],"name":"Set","type":"event"},{"inputs'
    '":[],"name":"DEFAULT_ADMIN_ROLE","outputs":[{"internalType":"bytes32","name":"","type":"bytes32"}],"'
    'stateMutability":"view","type":"function"},{"inputs":[],"name":"get","outputs":[{"internalType":"uin'
    't256","name":"","type":"uint256"}],"stateMutability":"view","type":"function"},{"inputs":[{"internal'
    'Type":"bytes32","name":"role","type":"bytes32"},{"internalType":"address","name":"account","type":"a'
    'ddress"}],"name":"grantRole","outputs":[],"stateMutability":"nonpayable","type":"function"},{"inputs'
    '":[{"internalType":"uint256","name":"x","type":"uint256"}],"name":"set","outputs":[],"stateMutabilit'
    'y":"nonpayable","type":"function"}]'
)
PROBE_BYTECODE = (
    "0x6080604052348015600e575f5ffd5b5060175f33601c565b5060c2565b5f828152602081815260408083206001600160a01b03"
    "8516845290915281205460ff1660b9575f838152602081815260408083206001600160a01b03861684529091529020805460ff19"
    "16600117905560723390565b6001600160a01b0316826001600160a01b0316847f2f8788117e7eff1d82e926ec794901d17c7802"
    "4a50270940304540a733656f0d60405160405180910390a450600160bc565b505f5b92915050565b61063f806100cf5f395ff3fe"
    "608060405234801561000f575f5ffd5b506004361061009f575f3560e01c806360fe47b11161007257806391d148541161005857"
    "806391d148541461013e578063a217fddf14610181578063d547741f14610188575f5ffd5b806360fe47b1146101235780636d4c"
    "e63c14610136575f5ffd5b806301ffc9a7146100a3578063248a9ca3146100cb5780632f2ff15d146100fb57806336568abe1461"
    "0110575b5f5ffd5b6100b66100b1366004610566565b61019b565b60405190151581526020015b60405180910390f35b6100ed61"
    "00d93660046105ac565b5f9081526020819052604090206001015490565b6040519081526020016100c2565b61010e6101093660"
    "046105c3565b610233565b005b61010e61011e3660046105c3565b61025d565b61010e6101313660046105ac565b6102bb565b60"
    "01546100ed565b6100b661014c3660046105c3565b5f9182526020828152604080842073ffffffffffffffffffffffffffffffff"
    "ffffffff93909316845291905290205460ff1690565b6100ed5f81565b61010e6101963660046105c3565b6102f6565b5f7fffff"
    "ffff0000000000000000000000000000000000000000000000000000000082167f7965db0b000000000000000000000000000000"
    "00000000000000000000000000148061022d57507f01ffc9a7000000000000000000000000000000000000000000000000000000"
    "007fffffffff000000000000000000000000000000000000000000000000000000008316145b92915050565b5f82815260208190"
    "52604090206001015461024d8161031a565b6102578383610327565b50505050565b73ffffffffffffffffffffffffffffffffff"
    "ffffff811633146102ac576040517f6697b232000000000000000000000000000000000000000000000000000000008152600401"
    "60405180910390fd5b6102b68282610420565b505050565b60018190556040518181527fdf7a95aebff315db1b7716215d602ab5"
    "37373cdb769232aae6055c06e798425b9060200160405180910390a150565b5f8281526020819052604090206001015461031081"
    "61031a565b6102578383610420565b61032481336104d9565b50565b5f8281526020818152604080832073ffffffffffffffffff"
    "ffffffffffffffffffffff8516845290915281205460ff16610419575f8381526020818152604080832073ffffffffffffffffff"
    "ffffffffffffffffffffff86168452909152902080547fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffff001660011790556103b73390565b73ffffffffffffffffffffffffffffffffffffffff168273ffffffffffffffffffffffff"
    "ffffffffffffffff16847f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d604051604051809103"
    "90a450600161022d565b505f61022d565b5f8281526020818152604080832073ffffffffffffffffffffffffffffffffffffffff"
    "8516845290915281205460ff1615610419575f8381526020818152604080832073ffffffffffffffffffffffffffffffffffffff"
    "ff8616808552925280832080547fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00169055513392"
    "86917ff6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b9190a450600161022d565b5f8281526020"
    "818152604080832073ffffffffffffffffffffffffffffffffffffffff8516845290915290205460ff16610562576040517fe251"
    "7d3f00000000000000000000000000000000000000000000000000000000815273ffffffffffffffffffffffffffffffffffffff"
    "ff821660048201526024810183905260440160405180910390fd5b5050565b5f60208284031215610576575f5ffd5b81357fffff"
    "ffff00000000000000000000000000000000000000000000000000000000811681146105a5575f5ffd5b9392505050565b5f6020"
    "82840312156105bc575f5ffd5b5035919050565b5f5f604083850312156105d4575f5ffd5b82359150602083013573ffffffffff"
    "ffffffffffffffffffffffffffffff811681146105fe575f5ffd5b80915050925092905056fea26469706673582212202077d523"
    "1eb931e101ea26ac4cbee5ad537c0f803112c856f29b570c63202c3764736f6c63430008250033"
)
DEPLOYER = Account.from_key(DEV_PRIVATE_KEYS[3])
FAST = RetryPolicy(total_s=20.0, initial_s=0.05, max_s=1.0)

pytestmark = pytest.mark.anvil


def deploy_probe(w3: Web3, account: LocalAccount) -> Contract:
    """Deploy Probe with a locally signed transaction (no eth_sendTransaction)."""
    factory = w3.eth.contract(abi=PROBE_ABI, bytecode=PROBE_BYTECODE)
    tx = factory.constructor().build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    assert receipt["status"] == 1
    probe = w3.eth.contract(address=receipt["contractAddress"], abi=PROBE_ABI)
    assert isinstance(probe, Contract)
    return probe


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Devnet, Web3, Contract]]:
    """One anvil (0.2 s blocks) and one Probe for the module; tests use separate keys to stay independent."""
    devnet = start_devnet(tmp_path_factory.mktemp("anvil"), block_time_s=0.2, snapshot_interval_s=None)
    try:
        w3 = connect(devnet.url)
        yield devnet, w3, deploy_probe(w3, DEPLOYER)
    finally:
        devnet.stop()


def manager(w3: Web3, key_index: int, **kwargs: Any) -> TxManager:
    options: dict[str, Any] = {
        "poll_interval_s": 0.05,
        "retry": FAST,
        "confirmations": 0,
        "rebroadcast_interval_s": 0.5,
    }
    options.update(kwargs)
    return TxManager(w3, Account.from_key(DEV_PRIVATE_KEYS[key_index]), abi=PROBE_ABI, **options)


def test_16_threads_x_50_calls_contiguous_nonces(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 0, max_in_flight=64)
    start = w3.eth.get_transaction_count(tm.address, "latest")
    signed: list[SignedTx] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        try:
            for i in range(50):
                s = tm.prepare(Call.of(probe.functions.set(t * 1000 + i + 1)))
                tm.send(s)
                receipt = tm.wait(s, timeout_s=60)
                assert receipt["status"] == 1
                with lock:
                    signed.append(s)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    nonces = sorted(s.nonce for s in signed)
    assert nonces == list(range(start, start + 800))  # no gap, no duplicate
    assert len({s.tx_hash for s in signed}) == 800
    assert w3.eth.get_transaction_count(tm.address, "latest") == start + 800  # nothing else was sent


def test_in_flight_window_caps_a_single_threaded_burst(chain: tuple[Devnet, Web3, Contract]) -> None:
    """Preparing and sending 12 before waiting on any never holds more than 4 unmined nonces, and never deadlocks."""
    _, w3, probe = chain
    tm = manager(w3, 1, max_in_flight=4, wait_timeout_s=30)
    burst = []
    for i in range(12):
        s = tm.prepare(Call.of(probe.functions.set(i + 1)))
        assert s.nonce - w3.eth.get_transaction_count(tm.address, "latest") < 4
        tm.send(s)
        burst.append(s)
    assert all(tm.wait(s)["status"] == 1 for s in burst)


def test_crash_before_send_then_resend_from_a_new_manager(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    crashed = manager(w3, 2)
    signed = crashed.prepare(Call.of(probe.functions.set(4242)))
    persisted = SignedTx.from_dict(signed.as_dict())  # what the caller's durable store hands back after a restart
    del crashed
    assert manager(w3, 2).find_receipt(persisted.tx_hash).state is TxState.UNKNOWN
    before = w3.eth.get_transaction_count(to_checksum_address(persisted.sender), "latest")

    fresh = manager(w3, 2)
    report = fresh.resync([persisted])
    assert report.resent == (persisted,)
    assert report.filled == ()
    receipt = fresh.wait(persisted, timeout_s=30)
    assert receipt["status"] == 1
    assert probe.functions.get().call() == 4242

    fresh.send(persisted)  # resending a mined transaction: recognised, no second transaction
    assert fresh.find_receipt(persisted.tx_hash).state is TxState.MINED
    assert fresh.wait(persisted)["blockNumber"] == receipt["blockNumber"]
    time.sleep(0.5)
    assert w3.eth.get_transaction_count(to_checksum_address(persisted.sender), "latest") == before + 1


def test_wait_resends_a_transaction_the_node_never_got(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 2)
    signed = tm.prepare(Call.of(probe.functions.set(7)))
    assert tm.wait(signed, timeout_s=30)["status"] == 1  # never sent: wait finds it unknown, re-sends it as is
    assert probe.functions.get().call() == 7


def test_nonce_consumed_by_another_transaction(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    crashed = manager(w3, 2)
    orphan = crashed.prepare(Call.of(probe.functions.set(1)))
    other = manager(w3, 2)  # lost its nonce state (memory store) and did not resync with the orphan
    winner = other.prepare(Call.of(probe.functions.set(2)))
    assert winner.nonce == orphan.nonce
    other.send(winner)
    other.wait(winner, timeout_s=30)
    with pytest.raises(NonceConsumedError) as info:
        other.send(orphan)
    assert info.value.tx_hash == orphan.tx_hash
    assert "prepare the call again" in info.value.detail
    with pytest.raises(NonceConsumedError):
        other.wait(orphan, timeout_s=10)


def test_resync_fills_a_gap_left_by_a_lost_transaction(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    crashed = manager(w3, 2)
    lost = crashed.prepare(Call.of(probe.functions.set(10)))  # never persisted
    kept = crashed.prepare(Call.of(probe.functions.set(11)))
    assert kept.nonce == lost.nonce + 1
    fresh = manager(w3, 2)
    report = fresh.resync([kept])
    assert report.filled == (lost.nonce,)
    assert report.next_nonce == kept.nonce + 1
    assert fresh.wait(kept, timeout_s=30)["status"] == 1
    assert probe.functions.get().call() == 11
    assert fresh.prepare(Call.of(probe.functions.set(12))).nonce == kept.nonce + 1


def test_resync_hands_out_unused_nonces_again(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    store = MemoryNonceStore()
    crashed = manager(w3, 2, nonce_store=store)
    lost = crashed.prepare(Call.of(probe.functions.set(20)))
    crashed.prepare(Call.of(probe.functions.set(21)))
    assert store.get_nonce(crashed.address) == lost.nonce + 2
    fresh = manager(w3, 2, nonce_store=store)  # a durable store survives the crash
    report = fresh.resync([])
    assert report.filled == ()
    assert report.next_nonce == lost.nonce
    assert fresh.prepare(Call.of(probe.functions.set(22))).nonce == lost.nonce


def test_refused_transaction_frees_its_nonce(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    broke = TxManager(w3, Account.create(), poll_interval_s=0.05, retry=FAST, confirmations=0)
    signed = broke.prepare(Call.of(probe.functions.set(1)))
    with pytest.raises(TransactionRejectedError, match="fund the account") as info:
        broke.send(signed)
    assert info.value.nonce == signed.nonce
    assert broke.prepare(Call.of(probe.functions.set(1))).nonce == signed.nonce  # reused, no gap


def _refuse_next_send(tm: TxManager, monkeypatch: pytest.MonkeyPatch) -> None:
    """The node refuses ``tm``'s next raw transaction (as it would one priced below the pool's minimum)."""
    real = tm.w3.eth.send_raw_transaction

    def refuse(raw: Any) -> Any:
        monkeypatch.setattr(tm.w3.eth, "send_raw_transaction", real)
        raise Web3RPCError("refused", rpc_response={"error": {"code": -32000, "message": "transaction underpriced"}})

    monkeypatch.setattr(tm.w3.eth, "send_raw_transaction", refuse)


def test_a_refused_nonce_leaves_no_gap_for_another_manager_of_the_key(
    chain: tuple[Devnet, Web3, Contract], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two managers of one key on one nonce store (the API process and its batcher process on the node's database):
    a nonce refused by the node goes back to the store while it is the last one out, else it is filled at once, so
    the other manager's transactions above it are mined rather than stuck behind a hole."""
    devnet, w3, probe = chain
    shared = MemoryNonceStore()
    api = manager(connect(devnet.url), 2, nonce_store=shared)  # its own connection, so only its sends are refused
    batcher = manager(w3, 2, nonce_store=shared)

    first = api.prepare(Call.of(probe.functions.set(1)))
    _refuse_next_send(api, monkeypatch)
    with pytest.raises(TransactionRejectedError):
        api.send(first)
    reused = batcher.prepare(Call.of(probe.functions.set(2)))
    assert reused.nonce == first.nonce  # given back: the other manager uses it, no filler needed
    batcher.send(reused)
    batcher.wait(reused)

    lower = api.prepare(Call.of(probe.functions.set(3)))
    higher = batcher.prepare(Call.of(probe.functions.set(4)))
    assert higher.nonce == lower.nonce + 1
    _refuse_next_send(api, monkeypatch)
    with pytest.raises(TransactionRejectedError):
        api.send(lower)
    batcher.send(higher)
    assert batcher.wait(higher, timeout_s=15)["status"] == 1  # not stuck: the refused nonce was filled
    address = to_checksum_address(batcher.address)
    assert w3.eth.get_transaction_count(address, "pending") == w3.eth.get_transaction_count(address) == higher.nonce + 1


def test_transact_prepares_again_when_another_user_of_the_key_took_its_nonce(
    chain: tuple[Devnet, Web3, Contract], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's lifecycle act and the batcher process share a key: if the other one's transaction lands on the
    nonce first, the act was not executed and is simply prepared again (the caller sees it done, not a 409)."""
    devnet, w3, probe = chain
    shared = MemoryNonceStore()
    api = manager(connect(devnet.url), 2, nonce_store=shared)
    other = manager(w3, 2, nonce_store=shared)
    real_send = api.send
    raced: list[int] = []

    def send_after_a_race(signed: SignedTx) -> None:
        if not raced:  # first attempt: the other user is handed the same nonce again (a resync) and is mined first
            raced.append(signed.nonce)
            shared.set_nonce(api.address, signed.nonce)
            other.transact(Call.of(probe.functions.set(111)))
        real_send(signed)

    monkeypatch.setattr(api, "send", send_after_a_race)
    receipt = api.transact(Call.of(probe.functions.set(222)))
    assert receipt["status"] == 1 and raced
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert int(tx["nonce"]) == raced[0] + 1  # prepared again on the next nonce
    assert probe.functions.get().call() == 222  # executed once, after the other user's call


def test_confirmations_wait_for_blocks_on_top(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 1, confirmations=2)
    receipt = tm.transact(probe.functions.set(99), timeout_s=30)
    assert w3.eth.block_number - receipt["blockNumber"] >= 2
    one = manager(w3, 1, confirmations=0)
    fast = one.transact(probe.functions.set(98), timeout_s=30)
    assert w3.eth.block_number - fast["blockNumber"] < 2  # without confirmations it returns on the first sighting


def test_revert_at_estimation_is_decoded_and_not_retried(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 1)
    admin = probe.functions.DEFAULT_ADMIN_ROLE().call()
    started = time.monotonic()
    with pytest.raises(ContractRevertError) as info:
        tm.prepare(Call.of(probe.functions.grantRole(admin, tm.address)))
    assert time.monotonic() - started < 2
    assert info.value.error_name == "AccessControlUnauthorizedAccount"
    assert str(info.value.error_args[0]).lower() == tm.address.lower()


def test_mined_revert_carries_the_decoded_custom_error(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 1)
    admin = probe.functions.DEFAULT_ADMIN_ROLE().call()
    with pytest.raises(TransactionRevertedError) as info:
        tm.transact(Call.of(probe.functions.grantRole(admin, tm.address), gas=100_000), timeout_s=30)
    assert info.value.error_name == "AccessControlUnauthorizedAccount"
    assert info.value.tx_hash is not None
    assert info.value.block_number is not None


def test_out_of_gas_is_reported_with_what_to_do(chain: tuple[Devnet, Web3, Contract]) -> None:
    _, w3, probe = chain
    tm = manager(w3, 1)
    with pytest.raises(TransactionRevertedError, match="ran out of gas") as info:
        tm.transact(Call.of(probe.functions.set(31337), gas=22_000), timeout_s=30)
    assert info.value.error_name is None


def test_rpc_outage_is_ridden_out(tmp_path: Path) -> None:
    """anvil stops (state snapshotted) and comes back on the same port 3 s later: the call completes."""
    state = tmp_path / "anvil"
    devnet = start_devnet(state, block_time_s=0.2, snapshot_interval_s=60)
    port = int(devnet.url.rsplit(":", 1)[1])
    restarted: list[Devnet] = []
    try:
        w3 = connect(devnet.url)
        probe = deploy_probe(w3, DEPLOYER)
        tm = manager(w3, 0)
        tm.transact(probe.functions.set(1), timeout_s=30)
        devnet.stop()

        def restart() -> None:
            time.sleep(3)
            again = Devnet(state, NODE_MODULES, DEVNET_CHAIN_ID, port=port, block_time_s=0.2, snapshot_interval_s=None)
            again.start()
            restarted.append(again)

        thread = threading.Thread(target=restart)
        thread.start()
        started = time.monotonic()
        receipt = tm.transact(probe.functions.set(2), timeout_s=60)
        thread.join()
        assert receipt["status"] == 1
        assert time.monotonic() - started >= 2.5
        assert probe.functions.get().call() == 2
    finally:
        devnet.stop()
        for again in restarted:
            again.stop()


def test_unreachable_node_gives_up_after_the_retry_window() -> None:
    w3 = Web3(
        Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 1}, exception_retry_configuration=None)
    )
    tm = TxManager(w3, Account.create(), retry=RetryPolicy(total_s=0.5, initial_s=0.05))
    started = time.monotonic()
    with pytest.raises(ChainUnavailableError, match="Check it is running"):
        tm.prepare(Call(to=tm.address, data="0x"))
    assert 0.4 < time.monotonic() - started < 5


def test_only_server_side_http_errors_are_transient() -> None:
    def http_error(status: int) -> requests.HTTPError:
        response = requests.Response()
        response.status_code = status
        return requests.HTTPError(response=response)

    assert _is_transient(http_error(503))
    assert _is_transient(http_error(429))
    assert not _is_transient(http_error(400))
    assert _is_transient(requests.ConnectionError())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_on_eth_tester(tester_w3: Web3, tester_account: LocalAccount) -> None:
    """The same calls on the in-process chain: fees from its base fee, reverts decoded from TransactionFailed."""
    probe = deploy_probe(tester_w3, tester_account)
    tm = TxManager(tester_w3, tester_account, confirmations=0, poll_interval_s=0.01, abi=PROBE_ABI)
    receipt = tm.transact(probe.functions.set(5))
    assert receipt["status"] == 1
    assert probe.functions.get().call() == 5
    backend = tester_w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    outsider = TxManager(tester_w3, Account.from_key(backend.account_keys[1]), confirmations=0, abi=PROBE_ABI)
    admin = probe.functions.DEFAULT_ADMIN_ROLE().call()
    with pytest.raises(ContractRevertError) as info:
        outsider.prepare(probe.functions.grantRole(admin, outsider.address))
    assert info.value.error_name == "AccessControlUnauthorizedAccount"
