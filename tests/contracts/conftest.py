"""Contracts under test, deployed from the committed artifacts in contracts/build on eth-tester (in-process py-evm)
or on a real anvil; helpers to accredit a body / issuer / key in one line and to name a refusal's custom error."""

from __future__ import annotations

import ast
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

BUILD = Path(__file__).resolve().parents[2] / "contracts" / "build"
TX_GAS = 8_000_000
HOUR = 3600
DAY = 86_400


def credential_type(name: str) -> bytes:
    """The Python side's type id: keccak256("credreg:type:<name>")."""
    return keccak(text=f"credreg:type:{name}")


FORMAL = credential_type("formal-qualification")
MICRO = credential_type("micro-credential")
RPL = credential_type("recognition-of-prior-learning")


def artifact(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BUILD / f"{name}.json").read_text())
    return data


def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {}
    for path in BUILD.glob("*.json"):
        if path.name == "index.json":
            continue
        for entry in json.loads(path.read_text())["abi"]:
            if entry["type"] != "error":
                continue
            types = [i["type"] for i in entry["inputs"]]
            selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
            table[selector] = (entry["name"], types)
    return table


ERRORS = _error_table()


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data of a refused call: web3's ContractCustomError (anvil) or eth-tester's TransactionFailed."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    message = str(exc.args[0]) if exc.args else str(exc)
    marker = "execution reverted: "
    if marker in message:
        tail = message.split(marker, 1)[1]
        if tail.startswith(("b'", 'b"')):
            return bytes(ast.literal_eval(tail))
        if tail.startswith("0x"):
            return bytes.fromhex(tail[2:])
    raise AssertionError(f"no revert data in {exc!r}")


def decode_revert(exc: BaseException) -> tuple[str, tuple[Any, ...]]:
    """(custom error name, decoded args) of a refused call, from either backend."""
    data = revert_data(exc)
    if data[:4] not in ERRORS:
        raise AssertionError(f"revert data {data.hex()} matches no custom error in contracts/build")
    name, types = ERRORS[data[:4]]
    values = decode(types, data[4:])
    return name, tuple(Web3.to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True))


@dataclass
class Chain:
    """One deployment: governance (1-of-1 unless told) + registry, and helpers over them."""

    w3: Web3
    backend: str
    funder: str
    governors: list[LocalAccount]
    governance: Contract
    registry: Contract
    threshold: int = 1
    _accounts: list[LocalAccount] = field(default_factory=list)

    # ----------------------------------------------------------------- accounts, time, transactions

    def account(self) -> LocalAccount:
        """A fresh funded account that can send transactions (unlocked on the backend)."""
        acct: LocalAccount = Account.create()
        if self.backend == "eth_tester":
            self.w3.provider.ethereum_tester.add_account(acct.key.hex())  # type: ignore[attr-defined]
            tx = self.w3.eth.send_transaction({"from": self.funder, "to": acct.address, "value": 10**20})
            self.w3.eth.wait_for_transaction_receipt(tx)
        else:
            self.w3.provider.make_request("anvil_setBalance", [acct.address, hex(10**20)])  # type: ignore[arg-type]
            self.w3.provider.make_request("anvil_impersonateAccount", [acct.address])  # type: ignore[arg-type]
        self._accounts.append(acct)
        return acct

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> int:
        """Move chain time forward (the next block is at least `seconds` later). Returns the new latest time."""
        if self.backend == "eth_tester":  # the pending block may already be ahead (e.g. after a snapshot revert)
            target = max(self.now(), int(self.w3.eth.get_block("pending")["timestamp"])) + seconds
        else:
            target = self.now() + seconds
        if self.backend == "eth_tester":
            self.w3.provider.ethereum_tester.time_travel(target)  # type: ignore[attr-defined]
        else:
            self.w3.provider.make_request("evm_setNextBlockTimestamp", [target])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        return self.now()

    def send(self, fn: Any, sender: LocalAccount | str) -> Any:
        """Send a contract call as `sender`; return the receipt (asserting success)."""
        address = sender if isinstance(sender, str) else sender.address
        tx = fn.transact({"from": address, "gas": TX_GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"transaction failed: {receipt}"
        return receipt

    def refused(self, fn: Any, sender: LocalAccount | str) -> tuple[str, tuple[Any, ...]]:
        """Send a call that must be refused; return its (custom error name, args)."""
        address = sender if isinstance(sender, str) else sender.address
        try:
            tx = fn.transact({"from": address})
            receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        except Exception as exc:
            return decode_revert(exc)
        raise AssertionError(f"expected a refusal, the call succeeded: {receipt}")

    def call_refused(self, fn: Any) -> tuple[str, tuple[Any, ...]]:
        """A view call that must revert; return its (custom error name, args)."""
        try:
            result = fn.call()
        except Exception as exc:
            return decode_revert(exc)
        raise AssertionError(f"expected a refusal, the call returned {result!r}")

    def events(self, receipt: Any, contract: Contract | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(name, args) of every event of ours in a receipt, in order."""
        contracts = [contract] if contract is not None else [self.registry, self.governance]
        out: list[tuple[str, dict[str, Any]]] = []
        for log in receipt["logs"]:
            for c in contracts:
                if log["address"] != c.address:
                    continue
                for ev in c.events:
                    try:
                        decoded = ev.process_log(log)
                    except Exception:  # noqa: S112 - not this event
                        continue
                    out.append((decoded["event"], dict(decoded["args"])))
                    break
        return out

    # ----------------------------------------------------------------- governance

    def propose(self, call: Any, target: str | None = None, deadline: int | None = None) -> int:
        data = call._encode_transaction_data()
        deadline = deadline if deadline is not None else self.now() + DAY
        receipt = self.send(
            self.governance.functions.propose(target or self.registry.address, data, deadline), self.governors[0]
        )
        created = self.governance.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        proposal_id: int = created[0]["args"]["proposalId"]
        return proposal_id

    def govern(self, call: Any, target: str | None = None) -> Any:
        """Run a registry (or governance) call through a proposal approved by k governors, then executed."""
        proposal_id = self.propose(call, target)
        for g in self.governors[1 : self.threshold]:
            self.send(self.governance.functions.approve(proposal_id), g)
        return self.send(self.governance.functions.execute(proposal_id), self.governors[0])

    def govern_refused(self, call: Any) -> tuple[str, tuple[Any, ...]]:
        proposal_id = self.propose(call)
        for g in self.governors[1 : self.threshold]:
            self.send(self.governance.functions.approve(proposal_id), g)
        return self.refused(self.governance.functions.execute(proposal_id), self.governors[0])

    # ----------------------------------------------------------------- accreditation in one line

    def body(
        self, types: tuple[bytes, ...] = (FORMAL, MICRO), level: int = 8, valid_from: int = 0, valid_until: int = 0
    ) -> tuple[int, LocalAccount]:
        admin = self.account()
        fn = self.registry.functions.accreditBody(
            admin.address, list(types), level, valid_from, valid_until, "https://body.example"
        )
        receipt = self.govern(fn)
        body_id = self.registry.events.BodyAccredited().process_receipt(receipt, errors=DISCARD)[0]["args"]["bodyId"]
        return body_id, admin

    def issuer(
        self,
        body: tuple[int, LocalAccount] | None = None,
        types: tuple[bytes, ...] = (FORMAL,),
        level: int = 7,
        valid_from: int = 0,
        valid_until: int = 0,
    ) -> Issuer:
        body_id, admin = body or self.body()
        fn = self.registry.functions.accreditIssuer(
            body_id, list(types), level, valid_from, valid_until, "did:web:issuer.example", b"\x11" * 32
        )
        receipt = self.send(fn, admin)
        accredited = self.registry.events.IssuerAccredited().process_receipt(receipt, errors=DISCARD)
        issuer_id = accredited[0]["args"]["issuerId"]
        issuer = Issuer(self, body_id, admin, issuer_id, [])
        issuer.add_key()
        return issuer


@dataclass
class Issuer:
    chain: Chain
    body_id: int
    admin: LocalAccount
    issuer_id: int
    keys: list[LocalAccount]

    @property
    def key(self) -> LocalAccount:
        return self.keys[-1]

    def add_key(self, valid_from: int = 0, valid_until: int = 0) -> LocalAccount:
        key = self.chain.account()
        fn = self.chain.registry.functions.addIssuerKey(self.issuer_id, key.address, valid_from, valid_until)
        self.chain.send(fn, self.admin)
        self.keys.append(key)
        return key

    def anchor(
        self,
        root: bytes | None = None,
        leaf_count: int = 1,
        ctype: bytes = FORMAL,
        expires_at: int = 0,
        key: LocalAccount | None = None,
    ) -> bytes:
        root = root if root is not None else secrets.token_bytes(32)
        fn = self.chain.registry.functions.anchor(root, leaf_count, ctype, expires_at)
        self.chain.send(fn, key or self.key)
        return root


def _eth_tester_chain(governor_count: int = 1, threshold: int = 1) -> Chain:
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    return _deploy(w3, "eth_tester", w3.eth.accounts[0], governor_count, threshold)


def _deploy(w3: Web3, backend: str, funder: str, governor_count: int, threshold: int) -> Chain:
    gov_art, reg_art = artifact("RegistryGovernance"), artifact("CredentialRegistry")
    placeholder = w3.eth.contract(abi=reg_art["abi"])
    chain = Chain(w3, backend, funder, [], placeholder, placeholder, threshold)  # type: ignore[arg-type]
    chain.governors = [chain.account() for _ in range(governor_count)]
    gov_factory = w3.eth.contract(abi=gov_art["abi"], bytecode=gov_art["bytecode"])
    tx = gov_factory.constructor([g.address for g in chain.governors], threshold).transact({"from": funder})
    gov_address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    reg_factory = w3.eth.contract(abi=reg_art["abi"], bytecode=reg_art["bytecode"])
    tx = reg_factory.constructor(gov_address).transact({"from": funder})
    reg_address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    chain.governance = w3.eth.contract(address=gov_address, abi=gov_art["abi"])
    chain.registry = w3.eth.contract(address=reg_address, abi=reg_art["abi"])
    return chain


@contextmanager
def _anvil_chain(tmp_path: Path, governor_count: int = 1, threshold: int = 1) -> Iterator[Chain]:
    from node.chain.devnet import Devnet
    from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT

    devnet = Devnet(
        state_dir=tmp_path / "anvil",
        node_modules=PROJECT_ROOT / "node_modules",
        chain_id=DEVNET_CHAIN_ID,
        port=0,
        block_time_s=None,  # automine: one block per transaction, like eth-tester
        snapshot_interval_s=None,
    )
    devnet.start()
    try:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        yield _deploy(w3, "anvil", w3.eth.accounts[0], governor_count, threshold)
    finally:
        devnet.stop()


@pytest.fixture
def chain() -> Chain:
    """A fresh eth-tester chain with a 1-of-1 governance and the registry."""
    return _eth_tester_chain()


@pytest.fixture(params=["eth_tester", pytest.param("anvil", marks=pytest.mark.anvil)])
def any_chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chain]:
    """The same deployment on eth-tester and on a real anvil (automine)."""
    if request.param == "eth_tester":
        yield _eth_tester_chain()
    else:
        with _anvil_chain(tmp_path) as c:
            yield c


@pytest.fixture
def make_chain() -> Callable[..., Chain]:
    """Build an eth-tester chain with k-of-n governance: make_chain(governors=3, threshold=2)."""
    return lambda governors=1, threshold=1: _eth_tester_chain(governors, threshold)
