"""The batcher on a real anvil: closing by size and by wait, one transaction per batch, recovery of every batch
state, refusals that fail with a sentence, 16 threads x 1,000 credentials, and no personal data on chain."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.registry import Validity, type_id
from node.chain.txmanager import Call, TxManager, TxState
from node.credentials.keccak import to_hex
from node.credentials.merkle import leaf_hash
from node.errors import BatchStateError
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.services.issuance import IssuanceService, IssueItem
from node.store import AnchoringState, Batch, BatchStatus, NewCredential
from node.workers.batcher import Batcher, BatcherStats, record_tree, retry_failed
from node.workers.batcher.process import BatcherProcess
from tests.drills.chaincheck import (
    SUBJECTS,
    all_anchored,
    assert_exactly_once,
    assert_no_nonce_gap,
    issue,
    new_credentials,
    transactions_from,
    wait_for,
)

pytestmark = pytest.mark.anvil


NOT_YET = BatcherStats(False, False, False, 0, 0, 0, 0, 0, 0, 0, None, None, True)
"""What a batcher process reports before its first line."""


def started(node: Node, **options: Any) -> Batcher:
    batcher = Batcher(node, poll_interval_s=0.02, **options)
    node.workers.batcher = batcher  # stopped by node.close() even when the test fails
    batcher.start()
    return batcher


def selector(signature: str) -> str:
    from eth_utils.crypto import keccak

    return "0x" + keccak(text=signature)[:4].hex()


ANCHOR = selector("anchor(bytes32,uint32,bytes32,uint40)")
ANCHOR_SINGLE = selector("anchorSingle(bytes32,uint16)")


def test_full_batches_close_at_max_size_and_the_rest_after_the_wait(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 2000
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 20)
    wait_for(batcher.idle, 30, "all 20 credentials anchored")

    batches = node.store.batches_with_status()
    assert sorted(b.leaf_count for b in batches) == [4, 8, 8]
    for batch in batches:
        members = node.store.list_credentials(batch_id=batch.id, limit=100)
        waited = (batch.created_at - min(c.created_at for c in members)).total_seconds()
        if batch.leaf_count == 8:
            assert waited < 2.0, "a full batch is closed as soon as it is full"
        else:
            assert waited >= 2.0, "a partial batch waits batch_max_wait_ms for more credentials"
        tx = node.w3.eth.get_transaction(batch.tx_hash)  # type: ignore[arg-type]
        assert "0x" + bytes(tx["input"]).hex()[:8] == ANCHOR
    assert assert_exactly_once(node, ids).batches == 3
    assert assert_no_nonce_gap(node, demo.signer) == 3
    stats = batcher.stats()
    assert (stats.batches_anchored, stats.credentials_anchored, stats.batches_failed) == (3, 20, 0)
    assert stats.in_flight == 0 and stats.last_error is None

    # a credential verifies on chain against its batch's root with its stored proof
    credential = node.store.get_credential(ids[5])
    batch = node.store.get_batch(int(credential.batch_id or 0))
    proof = [bytes.fromhex(p[2:]) for p in credential.merkle_proof or ()]
    now = node.registry.latest_timestamp()
    valid, code = node.registry.is_valid_at(_b(batch.root), _b(credential.credential_hash), proof, now)
    assert (valid, code) == (True, Validity.VALID)


def test_types_are_batched_apart_and_a_batch_of_one_uses_anchor_single(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 300
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 3) + issue(node.store, demo.issuer_id, 1, "micro-credential")
    wait_for(batcher.idle, 30, "both batches anchored")

    by_type = {}
    for batch in node.store.batches_with_status():
        record = node.registry.anchor_of(_b(batch.root))
        assert record.credential_type == type_id(_type_of(node, batch)) == _b(batch.credential_type)
        by_type[_type_of(node, batch)] = batch
    assert by_type["formal-qualification"].leaf_count == 3
    single = by_type["micro-credential"]
    assert single.leaf_count == 1
    credential = node.store.list_credentials(batch_id=single.id)[0]
    assert single.root == to_hex(leaf_hash(_b(credential.credential_hash)))
    assert credential.merkle_proof == ()
    tx = node.w3.eth.get_transaction(single.tx_hash)  # type: ignore[arg-type]
    assert "0x" + bytes(tx["input"]).hex()[:8] == ANCHOR_SINGLE
    now = node.registry.latest_timestamp()
    assert node.registry.is_valid_at(_b(single.root), _b(credential.credential_hash), [], now)[0]
    assert_exactly_once(node, ids)
    assert_no_nonce_gap(node, demo.signer)


def test_a_busy_type_does_not_close_a_quiet_types_batch_early(devnode: tuple[Node, DemoIssuer]) -> None:
    """The size trigger counts per type: 16 formal qualifications fill two batches at once, while the one
    micro-credential beside them waits its window for company instead of going out alone at once."""
    node, demo = devnode
    node.settings.batch_max_wait_ms = 1500
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 1, "micro-credential") + issue(node.store, demo.issuer_id, 16)
    wait_for(batcher.idle, 30, "all anchored")
    waited = {}
    for batch in node.store.batches_with_status():
        members = node.store.list_credentials(batch_id=batch.id, limit=100)
        waited[batch.id] = (_type_of(node, batch), batch.leaf_count, (batch.created_at - members[0].created_at))
    formal = [w for t, n, w in waited.values() if t == "formal-qualification"]
    [(micro_size, micro_wait)] = [(n, w) for t, n, w in waited.values() if t == "micro-credential"]
    assert len(formal) == 2 and all(w.total_seconds() < 1.5 for w in formal), "full batches close at once"
    assert micro_size == 1 and micro_wait.total_seconds() >= 1.5, "the lone micro-credential waits its window"
    assert_exactly_once(node, ids)


def _b(value: str | None) -> bytes:
    assert value is not None
    return bytes.fromhex(value.removeprefix("0x"))


def _type_of(node: Node, batch: Batch) -> str:
    return node.store.list_credentials(batch_id=batch.id, limit=1)[0].type_name


def _claim_and_build(node: Node, issuer_id: int, n: int) -> Batch:
    """What the batcher does up to 'built', done by hand to leave a batch in a chosen state."""
    issue(node.store, issuer_id, n)
    claimed = node.store.claim_batch(issuer_id, n, credential_type=to_hex(type_id("formal-qualification")))
    assert claimed is not None and len(claimed.credential_hashes) == n
    return record_tree(node.store, claimed.batch_id, claimed.credential_hashes)


def _anchor_fn(node: Node, batch: Batch) -> Any:
    return node.registry.anchor_fn(_b(batch.root), batch.leaf_count, type_id("formal-qualification"), 0)


def _mined(tm: TxManager, tx_hash: str) -> None:
    wait_for(lambda: tm.find_receipt(tx_hash).state is TxState.MINED, 20, f"{tx_hash} mined")


def test_recover_brings_every_batch_state_forward_exactly_once(devnode: tuple[Node, DemoIssuer]) -> None:
    """A crashed node's leftovers, one of each: sent and mined; signed but its root anchored by another transaction;
    sent and reverted because the root was anchored meanwhile; signed, never sent; signed with its nonce taken by
    another transaction; claimed without a tree; built, never signed. One recover() settles them all, anchoring
    each root exactly once and leaving no nonce gap."""
    node, demo = devnode
    store = node.store
    tm = node.signers.manager(node.signers.account_for(demo.signer))

    sent = _claim_and_build(node, demo.issuer_id, 3)  # nonce 0: sent and mined, never marked confirmed
    signed = tm.prepare(Call.of(_anchor_fn(node, sent)))
    store.mark_signed(sent.id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)
    tm.send(signed)
    store.mark_sent(sent.id)
    _mined(tm, signed.tx_hash)

    adopted = _claim_and_build(node, demo.issuer_id, 2)  # nonce 1 anchors its root; its own tx (nonce 4) unsent
    tm.transact(Call.of(_anchor_fn(node, adopted)))
    reverted = _claim_and_build(node, demo.issuer_id, 2)  # nonce 2 anchors its root; its own tx (nonce 3) reverts
    tm.transact(Call.of(_anchor_fn(node, reverted)))
    again = tm.prepare(Call.of(_anchor_fn(node, reverted), gas=200_000))
    store.mark_signed(reverted.id, again.sender, again.nonce, again.raw_tx, again.tx_hash)
    tm.send(again)
    store.mark_sent(reverted.id)
    _mined(tm, again.tx_hash)
    assert tm.find_receipt(again.tx_hash).receipt["status"] == 0  # type: ignore[index]
    own = tm.prepare(Call.of(_anchor_fn(node, adopted), gas=200_000))
    store.mark_signed(adopted.id, own.sender, own.nonce, own.raw_tx, own.tx_hash)

    unsent = _claim_and_build(node, demo.issuer_id, 2)  # nonce 5: signed, never sent
    tx5 = tm.prepare(Call.of(_anchor_fn(node, unsent)))
    store.mark_signed(unsent.id, tx5.sender, tx5.nonce, tx5.raw_tx, tx5.tx_hash)

    consumed = _claim_and_build(node, demo.issuer_id, 2)  # nonce 6: signed, then nonce 6 taken by a transfer
    tx6 = tm.prepare(Call.of(_anchor_fn(node, consumed)))
    store.mark_signed(consumed.id, tx6.sender, tx6.nonce, tx6.raw_tx, tx6.tx_hash)
    intruder = Account.sign_transaction(
        {"to": demo.signer, "value": 0, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**10,
         "nonce": tx6.nonce, "chainId": node.chain_id, "type": 2},
        DEV_PRIVATE_KEYS[2],
    )  # fmt: skip
    node.w3.eth.send_raw_transaction(intruder.raw_transaction)

    issue(store, demo.issuer_id, 2)
    building = store.claim_batch(demo.issuer_id, 2)  # claimed, no tree
    built = _claim_and_build(node, demo.issuer_id, 3)  # built, never signed
    assert building is not None
    assert store.get_batch(built.id).status is BatchStatus.BUILT

    batcher = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = batcher
    report = batcher.recover()
    assert report.rebuilt == 1
    assert report.adopted == 1  # `adopted`: its root was anchored by another tx, nothing sent for it
    assert report.awaited == 3  # sent-and-mined, reverted, unsent (re-sent as is)
    assert report.reprepared == 1  # its nonce was taken
    assert report.gaps_filled == 1  # the nonce of `adopted`'s unsent tx, below a re-sent one
    batcher.start()
    wait_for(batcher.idle, 30, "every recovered batch confirmed")

    assert store.get_batch(sent.id).tx_hash == signed.tx_hash
    assert store.get_batch(unsent.id).tx_hash == tx5.tx_hash  # the same bytes, re-sent
    assert store.get_batch(consumed.id).tx_hash != tx6.tx_hash  # prepared again under a new nonce
    assert store.get_batch(reverted.id).tx_hash != again.tx_hash  # confirmed by the tx that did anchor it
    assert assert_exactly_once(node).batches == 7
    count = assert_no_nonce_gap(node, demo.signer)
    failed_txs = [t for t in transactions_from(node.w3, demo.signer)
                  if node.w3.eth.get_transaction_receipt(t["hash"])["status"] == 0]  # fmt: skip
    assert len(failed_txs) == 1  # only the one this test made revert on purpose
    assert count == 10  # 7 anchors, 1 reverted on purpose, 1 gap filled, 1 intruding transfer
    assert batcher.stats().nonce_replays == 1


def test_refusals_fail_the_batch_with_a_sentence_and_do_not_block_others(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 200
    store = node.store
    stranger = Account.from_key(DEV_PRIVATE_KEYS[3])  # a key no accreditation body registered
    store.upsert_issuer(99, name="Unregistered College", metadata_uri="did:web:x.test", signer_address=stranger.address)
    store.add_credentials(99, new_credentials(2))
    out_of_scope = NewCredential("unaccredited-type", "1", "0x" + "ab" * 32, {"credentialSubject": {}})
    store.add_credentials(demo.issuer_id, [out_of_scope])
    batcher = started(node)
    good = issue(store, demo.issuer_id, 3)
    wait_for(batcher.idle, 30, "every batch settled")

    failed = store.batches_with_status(BatchStatus.FAILED)
    assert len(failed) == 2 and batcher.stats().batches_failed == 2
    reasons = {b.issuer_id: str(b.last_error) for b in failed}
    assert "is not registered on chain" in reasons[99] and "addIssuerKey" in reasons[99]
    assert "not accredited for this credential type" in reasons[demo.issuer_id]
    for batch in failed:
        assert f"python -m node.workers.batcher --retry-failed {batch.id}" in str(batch.last_error)
    for credential in store.list_credentials(issuer_id=99):
        assert credential.status is AnchoringState.FAILED and credential.failure_reason == reasons[99]
    assert all(store.get_credential(i).status is AnchoringState.ANCHORED for i in good)

    batcher.stop()
    with pytest.raises(BatchStateError, match="not failed"):
        retry_failed(store, [store.get_credential(good[0]).batch_id or 0])
    assert sorted(retry_failed(store)) == sorted(b.id for b in failed)
    assert {store.get_batch(b.id).status for b in failed} == {BatchStatus.BUILT}


@pytest.mark.parametrize("as_process", [True, False], ids=["child-process", "thread"])
def test_one_batcher_per_data_dir_and_the_app_runs_it(devnode: tuple[Node, DemoIssuer], as_process: bool) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 100
    node.settings.batcher_process = as_process
    with TestClient(create_app(node.settings, node=node)) as client:
        batcher = node.workers.batcher
        assert isinstance(batcher, BatcherProcess if as_process else Batcher)
        wait_for(lambda: (batcher.stats() or NOT_YET).recovered, 20, "the app's batcher to recover")
        second = started(Node.open(node.settings, rpc_url=node.rpc_url))
        ids = issue(node.store, demo.issuer_id, 5)
        wait_for(lambda: all_anchored(node.store), 20, "the app's batcher to anchor")
        assert second.stats().standby and not second.stats().recovered
        wait_for(lambda: batcher.credentials_anchored == 5, 5, "the counters to reach the app")
        assert "credreg_batcher_credentials_anchored 5.0" in client.get("/metrics").text
        second.stop()
        second.node.close()
    assert not batcher.running and node.workers.batcher is None
    assert_exactly_once(node, ids)


def test_16_threads_x_1000_credentials_all_anchored_once_no_nonce_errors(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_size = 1024
    node.settings.batch_max_wait_ms = 500
    batcher = started(node)
    threads, per_thread = 16, 1000
    barrier = threading.Barrier(threads)
    accepted: list[list[str]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    issuance = IssuanceService(node)  # the API's own path: validate, build and seal, write the outbox
    principal = node.store.authenticate(demo.api_key)
    assert principal is not None
    subject = SUBJECTS["formal-qualification"]

    def add(n: int) -> None:
        try:
            barrier.wait()
            for start in range(0, per_thread, 250):
                items = [IssueItem("formal-qualification", subject, client_ref=f"t{n}-{start + i}") for i in range(250)]
                accepted[n] += [a.id for a in issuance.submit(principal, items)]
        except BaseException as exc:
            errors.append(exc)

    started_at = time.monotonic()
    workers = [threading.Thread(target=add, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    wait_for(batcher.idle, 90, "16,000 credentials anchored")
    elapsed = time.monotonic() - started_at

    ids = [i for chunk in accepted for i in chunk]
    assert len(set(ids)) == threads * per_thread
    once = assert_exactly_once(node, ids)
    assert once.credentials == 16_000 and once.batches == once.roots_logged
    assert once.batches >= 16  # 16,000 / 1,024
    assert assert_no_nonce_gap(node, demo.signer) == once.batches
    stats = batcher.stats()
    assert stats.nonce_replays == 0 and stats.batches_failed == 0 and stats.last_error is None
    print(f"\n16 x 1000 credentials: {once.batches} batches anchored in {elapsed:.1f} s")


def test_no_personal_data_in_any_transaction_or_event(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 200
    batcher = started(node)
    issue(node.store, demo.issuer_id, 11)
    issue(node.store, demo.issuer_id, 1, "micro-credential")
    wait_for(batcher.idle, 30, "anchored")
    assert len(node.store.batches_with_status(BatchStatus.CONFIRMED)) >= 3

    values = _leaf_values(SUBJECTS)
    assert {"Thandiwe Nkosi", "9002145123086", "Bachelor of Commerce", "M12345678"} <= set(values)
    needles = [v.encode() for v in values] + [v.encode().hex().encode() for v in values]
    needles += [c.credential_hash[2:].encode() for c in node.store.list_credentials(limit=100)]  # hashes, unlinkable
    w3 = node.w3
    haystacks: list[bytes] = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            data = bytes(tx["input"])  # type: ignore[index]
            haystacks += [data, data.hex().encode()]
    for entry in w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"}):
        blob = b"".join(bytes(t) for t in entry["topics"]) + bytes(entry["data"])
        haystacks += [blob, blob.hex().encode()]
    assert len(haystacks) > 20
    for haystack in haystacks:
        lowered = haystack.lower()
        for needle in needles:
            assert needle.lower() not in lowered, f"{needle!r} found on chain"


def _leaf_values(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for item in node.values() for v in _leaf_values(item)]
    if isinstance(node, list):
        return [v for item in node for v in _leaf_values(item)]
    text = str(node)
    return [text] if len(text) >= 5 else []  # short numbers (levels, credits) could match by chance


@pytest.mark.parametrize("fees", [{"gasPrice": 7}, {"maxFeePerGas": 9, "maxPriorityFeePerGas": 1, "type": 2}])
def test_a_persisted_raw_transaction_decodes_back_to_what_was_signed(fees: dict[str, int]) -> None:
    from datetime import UTC, datetime

    from node.workers.batcher import signed_tx_of

    key = Account.from_key(DEV_PRIVATE_KEYS[2])
    tx = {"to": "0x" + "11" * 20, "data": "0x1234", "value": 5, "nonce": 42, "gas": 90_000, "chainId": 472_019, **fees}
    raw = Account.sign_transaction(tx, key.key)
    now = datetime.now(UTC)
    batch = Batch(1, 1, "0x" + "22" * 32, 2, None, None, BatchStatus.SIGNED, key.address, 42,
                  "0x" + bytes(raw.raw_transaction).hex(), "0x" + bytes(raw.hash).hex(), None, None, 0, None, now,
                  None, None)  # fmt: skip
    signed = signed_tx_of(batch)
    assert signed is not None
    assert (signed.nonce, signed.gas, signed.chain_id, signed.value) == (42, 90_000, 472_019, 5)
    assert (signed.to, signed.data, signed.raw_tx, signed.sender) == (tx["to"], "0x1234", batch.raw_tx, key.address)
    assert signed_tx_of(replace(batch, raw_tx="")) is None  # confirmed from a log: no transaction of its own
