"""Typed bindings to the deployed CredentialRegistry and RegistryGovernance (the only place that calls them).

Services use :class:`RegistryClient`; routes never see web3. Views raise ContractRevertError (decoded custom error)
on a revert; writes go through a :class:`~node.chain.txmanager.TxManager` of the acting key.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    BlockNotFound,
    ProviderConnectionError,
    RequestTimedOut,
    TransactionNotFound,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.types import BlockIdentifier, TxReceipt

from node.chain.client import REVERT_ERRORS, decode_revert, load_artifact
from node.chain.deploy import GOVERNANCE, REGISTRY, Manifest
from node.chain.txmanager import Call, TxManager
from node.chain.values import OPEN_END as OPEN_END
from node.chain.values import AccreditationStatus as AccreditationStatus
from node.chain.values import CredentialStatus as CredentialStatus
from node.chain.values import Validity as Validity
from node.errors import ChainUnavailableError, ContractRevertError

T = TypeVar("T")


@dataclass(frozen=True)
class AnchorRecord:
    root: bytes
    issuer_id: int
    key_id: int
    key: str
    anchored_at: int
    leaf_count: int
    credential_type: bytes
    expires_at: int
    status: CredentialStatus
    reason_code: int
    status_since: int

    @property
    def exists(self) -> bool:
        return self.issuer_id != 0


@dataclass(frozen=True)
class AnchorLog:
    """Where a root was anchored: the transaction and block of its CredentialAnchored log, and who sent it."""

    root: bytes
    tx_hash: str
    block_number: int
    block_hash: str
    sender: str
    nonce: int


@dataclass(frozen=True)
class KeyRecord:
    key: str
    issuer_id: int
    key_id: int
    valid_from: int
    valid_until: int
    compromised_at: int
    effective_from: int
    effective_until: int


@dataclass(frozen=True)
class IssuerRecord:
    issuer_id: int
    body_id: int
    max_level: int
    status: AccreditationStatus
    held_by_governance: bool
    valid_from: int
    valid_until: int
    status_changed_at: int
    metadata_hash: bytes
    metadata_uri: str


@dataclass(frozen=True)
class BodyRecord:
    body_id: int
    admin: str
    max_level: int
    status: AccreditationStatus
    valid_from: int
    valid_until: int
    status_changed_at: int
    metadata_uri: str


@dataclass(frozen=True)
class ProposalRecord:
    proposal_id: int
    proposer: str
    target: str
    deadline: int
    executed: bool
    data: bytes
    approvals: int
    """Approvals by current governors."""


def type_id(name: str) -> bytes:
    """The bytes32 id of a credential type on chain: keccak256("credreg:type:<name>")."""
    return keccak(text=f"credreg:type:{name}")


ANCHOR_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Anchor": [
        {"name": "root", "type": "bytes32"},
        {"name": "leafCount", "type": "uint32"},
        {"name": "credentialType", "type": "bytes32"},
        {"name": "expiresAt", "type": "uint40"},
        {"name": "deadline", "type": "uint40"},
    ],
}
"""The EIP-712 types of a delegated anchor (`anchorBySig`); the domain is {name "CredentialRegistry", version "1",
chain id, registry address}, so a signature is bound to one chain and one contract."""


def sign_anchor(
    key: LocalAccount,
    registry_address: str,
    chain_id: int,
    root: bytes,
    leaf_count: int,
    credential_type: bytes,
    expires_at: int,
    deadline: int,
) -> tuple[int, bytes, bytes]:
    """An issuer key's EIP-712 `Anchor` signature as (v, r, s), for anyone to submit with `anchorBySig` (the key can
    stay offline; a relayer pays). Single-use: a root is anchored once only."""
    message = {
        "types": ANCHOR_TYPES,
        "primaryType": "Anchor",
        "domain": {
            "name": "CredentialRegistry",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": registry_address,
        },
        "message": {
            "root": root,
            "leafCount": leaf_count,
            "credentialType": credential_type,
            "expiresAt": expires_at,
            "deadline": deadline,
        },
    }
    signed = key.sign_message(encode_typed_data(full_message=message))
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


class RegistryClient:
    """The registry and governance contracts of one deployment, on one web3 connection."""

    def __init__(self, w3: Web3, manifest: Manifest, artifacts_dir: Path) -> None:
        self.w3 = w3
        self.manifest = manifest
        registry_abi = load_artifact(artifacts_dir, REGISTRY).abi
        governance_abi = load_artifact(artifacts_dir, GOVERNANCE).abi
        self.registry: Contract = w3.eth.contract(address=Web3.to_checksum_address(manifest.registry), abi=registry_abi)
        self.governance: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(manifest.address(GOVERNANCE)), abi=governance_abi
        )
        self.abi: list[dict[str, Any]] = [*registry_abi, *governance_abi]

    # --- calls and reverts -------------------------------------------------------------------------------------

    def view(self, fn: Callable[[], T]) -> T:
        """Run a view call; a custom-error revert becomes ContractRevertError."""
        try:
            return fn()
        except REVERT_ERRORS as exc:
            raise self.revert_error(exc) from exc

    def revert_error(self, exc: BaseException) -> ContractRevertError:
        decoded = decode_revert(exc, self.abi)
        return decoded or ContractRevertError(f"the contract refused the call: {exc}")

    def transact(self, tm: TxManager, fn: ContractFunction) -> TxReceipt:
        return tm.transact(Call.of(fn))

    # --- reads ---------------------------------------------------------------------------------------------------

    def anchor_of(self, root: bytes) -> AnchorRecord:
        r = self.view(lambda: self.registry.functions.anchorOf(root).call())
        return AnchorRecord(root, r[0], r[1], r[2], r[3], r[4], bytes(r[5]), r[6], CredentialStatus(r[7]), r[8], r[9])

    def key_of(self, key: str) -> KeyRecord:
        r = self.view(lambda: self.registry.functions.keyOf(Web3.to_checksum_address(key)).call())
        return KeyRecord(*r)

    def key_by_id(self, key_id: int) -> KeyRecord:
        return KeyRecord(*self.view(lambda: self.registry.functions.keyById(key_id).call()))

    def issuer_of(self, issuer_id: int) -> IssuerRecord:
        r = self.view(lambda: self.registry.functions.issuerOf(issuer_id).call())
        return IssuerRecord(issuer_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6], bytes(r[7]), r[8])

    def body_of(self, body_id: int) -> BodyRecord:
        r = self.view(lambda: self.registry.functions.bodyOf(body_id).call())
        return BodyRecord(body_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6])

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return [bytes(t) for t in self.view(lambda: self.registry.functions.issuerTypes(issuer_id).call())]

    def issuer_keys(self, issuer_id: int) -> list[str]:
        return list(self.view(lambda: self.registry.functions.issuerKeys(issuer_id).call()))

    def can_anchor(self, key: str, credential_type: bytes) -> bool:
        fn = self.registry.functions.canAnchor(Web3.to_checksum_address(key), credential_type)
        return bool(self.view(fn.call))

    def is_valid_at(self, root: bytes, credential_hash: bytes, proof: list[bytes], t: int) -> tuple[bool, Validity]:
        valid, code = self.view(lambda: self.registry.functions.isValidAt(root, credential_hash, proof, t).call())
        return bool(valid), Validity(code)

    # --- writes --------------------------------------------------------------------------------------------------

    def anchor_fn(self, root: bytes, leaf_count: int, credential_type: bytes, expires_at: int = 0) -> ContractFunction:
        fn: ContractFunction = self.registry.functions.anchor(root, leaf_count, credential_type, expires_at)
        return fn

    def governance_act(self, tm: TxManager, fn: ContractFunction, ttl_s: int = 7 * 24 * 3600) -> int:
        """Propose ``fn`` (a registry or governance call) through governance; execute it when k == 1.

        Returns the proposal id. With k > 1 the proposal waits for other governors' approvals.
        """
        proposal_id, _ = self.propose(tm, fn, int(time.time()) + ttl_s)
        if int(self.view(self.governance.functions.threshold().call)) <= 1:
            self.execute_proposal(tm, proposal_id)
        return proposal_id

    # --- governance and accreditation (node/services/governance.py, node/services/lifecycle.py) -------------------

    def registry_fn(self, name: str, *args: Any) -> ContractFunction:
        """A bound registry function ``name(*args)`` (encoded locally; nothing is sent)."""
        fn: ContractFunction = self.registry.get_function_by_name(name)(*args)
        return fn

    def governance_fn(self, name: str, *args: Any) -> ContractFunction:
        """A bound governance function ``name(*args)`` (encoded locally; nothing is sent)."""
        fn: ContractFunction = self.governance.get_function_by_name(name)(*args)
        return fn

    def preflight_as_governance(self, fn: ContractFunction) -> bool:
        """Simulate ``fn`` as the governance contract would execute it: a refusal raises before anything is proposed.

        Returns False when the backend cannot simulate a call from an unfunded contract (eth-tester charges gas in
        eth_call); JSON-RPC nodes (anvil, geth, Besu) can, so the check runs wherever the node really serves.
        """
        from eth_utils.exceptions import ValidationError as BackendValidationError

        try:
            self.view(lambda: fn.call({"from": self.governance.address}))
        except BackendValidationError:
            return False
        return True

    def propose(self, tm: TxManager, fn: ContractFunction, deadline: int) -> tuple[int, TxReceipt]:
        """Propose ``fn`` (approved by the proposer); returns (proposal id, receipt)."""
        target = Web3.to_checksum_address(fn.address)
        receipt = tm.transact(
            Call.of(self.governance.functions.propose(target, fn._encode_transaction_data(), deadline))
        )
        events = self.governance.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        return int(events[0]["args"]["proposalId"]), receipt

    def approve_proposal(self, tm: TxManager, proposal_id: int) -> TxReceipt:
        return tm.transact(Call.of(self.governance.functions.approve(proposal_id)))

    def execute_proposal(self, tm: TxManager, proposal_id: int) -> TxReceipt:
        return tm.transact(Call.of(self.governance.functions.execute(proposal_id)))

    def proposal_count(self) -> int:
        return int(self.view(self.governance.functions.proposalCount().call))

    def proposal_of(self, proposal_id: int) -> ProposalRecord:
        r = self.view(lambda: self.governance.functions.proposalOf(proposal_id).call())
        approvals = int(self.view(lambda: self.governance.functions.approvalCount(proposal_id).call()))
        return ProposalRecord(proposal_id, r[0], r[1], int(r[2]), bool(r[3]), bytes(r[4]), approvals)

    def has_approved(self, proposal_id: int, governor: str) -> bool:
        fn = self.governance.functions.hasApproved(proposal_id, Web3.to_checksum_address(governor))
        return bool(self.view(fn.call))

    def governors(self) -> list[str]:
        return [str(a) for a in self.view(self.governance.functions.governors().call)]

    def threshold(self) -> int:
        return int(self.view(self.governance.functions.threshold().call))

    def is_governor(self, account: str) -> bool:
        return bool(self.view(self.governance.functions.isGovernor(Web3.to_checksum_address(account)).call))

    def decode_call(self, target: str, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """(function name, arguments) of calldata for the registry or governance; None for another target/data."""
        contract = {self.registry.address.lower(): self.registry, self.governance.address.lower(): self.governance}.get(
            target.lower()
        )
        if contract is None:
            return None
        try:
            fn, params = contract.decode_function_input(data)
        except ValueError:
            return None
        return str(fn.abi_element_identifier).partition("(")[0], dict(params)

    def body_count(self) -> int:
        return int(self.view(self.registry.functions.bodyCount().call))

    def body_types(self, body_id: int) -> list[bytes]:
        return [bytes(t) for t in self.view(lambda: self.registry.functions.bodyTypes(body_id).call())]

    def status_of(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> tuple[CredentialStatus, int, int]:
        """Effective status now of (root, credential): (status, reason code, since)."""
        status, reason, since = self.view(lambda: self.registry.functions.statusOf(root, credential_hash, proof).call())
        return CredentialStatus(status), int(reason), int(since)

    def registry_events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """The arguments of every registry event ``name`` in ``receipt`` (e.g. a governance execute's receipt)."""
        event = self.registry.events[name]()
        return [
            dict(e["args"])
            for e in event.process_receipt(receipt, errors=DISCARD)
            if e["address"] == self.registry.address
        ]

    def latest_timestamp(self) -> int:
        """The latest block's timestamp: the chain's "now" (windows and cut-offs are compared with it)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    # --- anchoring and its bookkeeping (node/workers/batcher/) --------------------------------------------------

    def read(self, what: str, fn: Callable[[], T]) -> T:
        """Run one read; a transport fault (refused, reset, timeout) becomes ChainUnavailableError (not retried)."""
        try:
            return fn()
        except _TRANSPORT_ERRORS as exc:
            raise ChainUnavailableError(
                f"{what} failed ({type(exc).__name__}): the JSON-RPC node is unreachable. Check it is running; "
                "the work is kept and retried."
            ) from exc

    def head(self) -> int:
        """The latest block number."""
        return int(self.read("eth_blockNumber", lambda: self.w3.eth.block_number))

    def block_hash(self, number: int) -> str | None:
        """The hash (0x hex) of block ``number`` on the chain as it is now; None when there is no such block."""

        def fetch() -> str | None:
            try:
                block = self.w3.eth.get_block(number)
            except BlockNotFound:
                return None
            return "0x" + bytes(block["hash"]).hex()

        return self.read("eth_getBlockByNumber", fetch)

    def type_index(self, credential_type: bytes) -> int:
        """The compact uint16 id of a credential type (``typeIdOf``; 0 when the type was never registered)."""
        fn = self.registry.functions.typeIdOf(credential_type)
        return int(self.read("typeIdOf", lambda: self.view(fn.call)))

    def anchor_single_fn(self, root: bytes, type_index: int) -> ContractFunction:
        """``anchorSingle``: one credential (root == its leaf), no expiry, type by its compact id."""
        fn: ContractFunction = self.registry.functions.anchorSingle(root, type_index)
        return fn

    def anchor_logs(self, root: bytes, anchored_at: int | None = None, max_range: int = 2000) -> list[AnchorLog]:
        """The CredentialAnchored log of ``root`` (one at most on a consistent chain; empty if none is found).

        Nodes cap eth_getLogs ranges (Besu: 5,000 blocks by default), so the search never asks for more than
        ``max_range`` blocks at once (and halves that while the node refuses). With ``anchored_at`` (the record's
        timestamp) it reads only the blocks with that timestamp, found by binary search over block headers; without
        it (or if those blocks do not hold it), it walks back from the head to the deployment block and stops at the
        first range holding the log.
        """
        event = self.registry.events.CredentialAnchored

        def logs_in(first: int, last: int) -> list[Any]:
            return list(event.get_logs(from_block=first, to_block=last, argument_filters={"root": root}))

        def fetch() -> list[AnchorLog]:
            head = int(self.w3.eth.block_number)
            floor = self.manifest.deploy_block
            windows = _windows(floor, head, max_range, backwards=True)
            if anchored_at is not None:  # its blocks first; the whole walk only if they do not hold it
                first = self._first_block_at(anchored_at, floor, head)
                last = self._first_block_at(anchored_at + 1, first, head) - 1
                windows = _windows(first, last, max_range, backwards=False) + windows
            for first, last in windows:
                found = in_halves(logs_in, first, last)
                if found:
                    return self._anchor_logs_of(found)
            return []

        return self.read("eth_getLogs(CredentialAnchored)", fetch)

    def _first_block_at(self, timestamp: int, low: int, high: int) -> int:
        """The first block in [low, high] whose timestamp is >= ``timestamp`` (high + 1 when there is none)."""
        lo, hi = low, high + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if int(self.w3.eth.get_block(mid)["timestamp"]) < timestamp:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _anchor_logs_of(self, logs: list[Any]) -> list[AnchorLog]:
        found: list[AnchorLog] = []
        for entry in logs:
            tx_hash = "0x" + bytes(entry["transactionHash"]).hex()
            try:
                tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                continue  # reorganised away between the two calls
            found.append(
                AnchorLog(
                    root=bytes(entry["args"]["root"]),
                    tx_hash=tx_hash,
                    block_number=int(entry["blockNumber"]),
                    block_hash="0x" + bytes(entry["blockHash"]).hex(),
                    sender=str(tx["from"]),
                    nonce=int(tx["nonce"]),
                )
            )
        return found

    # --- verification (node/readmodel/chainview.py, node/services/verification/) ----------------------------------

    @classmethod
    def for_registry(cls, w3: Web3, registry_address: str, artifacts_dir: Path) -> RegistryClient:
        """Bind a registry found at ``registry_address`` on ``w3`` without a deployment manifest (the offline and
        third-party verifier's case): the governance address is read from the registry itself."""
        from node.chain.deploy import DeployedContract
        from node.errors import ChainMismatchError

        address = Web3.to_checksum_address(registry_address)
        chain_id = int(w3.eth.chain_id)
        if len(w3.eth.get_code(address)) == 0:
            raise ChainMismatchError(
                f"there is no contract at {address} on chain {chain_id}: check the registry address (--registry) "
                "and that the RPC URL points at the network the credential was anchored on."
            )
        abi = load_artifact(artifacts_dir, REGISTRY).abi
        probe = w3.eth.contract(address=address, abi=abi)
        try:
            governance = str(probe.functions.governance().call())
        except REVERT_ERRORS as exc:
            raise ChainMismatchError(
                f"the contract at {address} on chain {chain_id} is not a credreg CredentialRegistry: "
                "check the registry address (--registry)."
            ) from exc
        contracts = {
            REGISTRY: DeployedContract(address, "", ""),
            GOVERNANCE: DeployedContract(Web3.to_checksum_address(governance), "", ""),
        }
        manifest = Manifest(chain_id=chain_id, deploy_block=0, deployer="", sources_hash="", contracts=contracts)
        return cls(w3, manifest, artifacts_dir)

    def at_block(self, block_number: int) -> RegistryClient:
        """A copy of this client whose reads all answer as of ``block_number`` (one consistent snapshot).

        It shares the connection (provider); only the default block of its calls differs. Writes are not meant for it.
        The last few pinned clients are kept: binding the contracts costs more than a read, and a busy verifier asks
        many questions at each block.
        """
        cache: dict[int, RegistryClient] = self.__dict__.setdefault("_pinned_clients", {})
        pinned = cache.get(block_number)
        if pinned is not None:
            return pinned
        w3 = Web3(self.w3.provider)
        w3.eth.default_block = block_number
        pinned = copy.copy(self)
        pinned.__dict__["_pinned_clients"] = {}
        pinned.w3 = w3
        pinned.registry = w3.eth.contract(address=self.registry.address, abi=self.registry.abi)
        pinned.governance = w3.eth.contract(address=self.governance.address, abi=self.governance.abi)
        if len(cache) >= 8:
            with contextlib.suppress(StopIteration, RuntimeError):  # another thread changed it: evict next time
                cache.pop(next(iter(cache)), None)
        cache[block_number] = pinned
        return pinned

    def block_header(self, block: BlockIdentifier = "latest") -> tuple[int, str, int] | None:
        """(number, hash, timestamp) of a block (``latest`` by default); None when the chain has no such block."""
        try:
            b = self.w3.eth.get_block(block)
        except BlockNotFound:
            return None
        return int(b["number"]), "0x" + bytes(b["hash"]).hex(), int(b["timestamp"])


_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    ProviderConnectionError,
    RequestTimedOut,
    ConnectionError,
    TimeoutError,
)


# --- the indexer's reads (node/workers/indexer.py) ------------------------------------------------------------------

import weakref  # noqa: E402 - this section's own import, kept with it

MULTICALL_CHUNK = 200
"""Views per ``multicall`` eth_call (an anchorOf costs ~10k gas: far below any node's eth_call gas cap)."""


@dataclass(frozen=True)
class ChainBlock:
    number: int
    hash: str
    """0x-prefixed lowercase hex."""
    timestamp: int


@dataclass(frozen=True)
class ChainLog:
    """One decoded event of the registry or the governance contract, as eth_getLogs returned it."""

    contract: str
    """REGISTRY or GOVERNANCE."""
    name: str
    args: dict[str, Any]
    """Decoded by the ABI (bytes, ints, checksummed addresses, lists)."""
    block_number: int
    block_hash: str
    block_timestamp: int | None
    """From the log when the node includes it (anvil, geth >= 1.16); else None and the caller reads the header."""
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class AccreditationReads:
    """Body, issuer and key records read together at one block (records as the views return them)."""

    bodies: dict[int, BodyRecord]
    body_types: dict[int, list[bytes]]
    issuers: dict[int, IssuerRecord]
    issuer_types: dict[int, list[bytes]]
    keys: dict[str, KeyRecord]


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def in_process(client: RegistryClient) -> bool:
    """True for an in-process chain (eth-tester): it must not be called from two threads at once."""
    from web3 import EthereumTesterProvider

    return isinstance(client.w3.provider, EthereumTesterProvider)


def chain_block(client: RegistryClient, block: int | str = "latest") -> ChainBlock | None:
    """Number, hash and timestamp of a block (by number, hash or tag); None when the chain has no such block."""
    try:
        b = client.w3.eth.get_block(block)  # type: ignore[arg-type]
    except BlockNotFound:
        return None
    return ChainBlock(int(b["number"]), _hex(b["hash"]), int(b["timestamp"]))


_EVENT_MAPS: weakref.WeakKeyDictionary[RegistryClient, dict[tuple[str, bytes], tuple[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _event_map(client: RegistryClient) -> dict[tuple[str, bytes], tuple[str, Any]]:
    """(contract address, topic0) -> (contract name, web3 event) for both contracts, built once per client."""
    cached = _EVENT_MAPS.get(client)
    if cached is None:
        cached = {}
        for name, contract in ((REGISTRY, client.registry), (GOVERNANCE, client.governance)):
            for event in contract.all_events():
                cached[(contract.address.lower(), bytes.fromhex(event.topic.removeprefix("0x")))] = (name, event)
        _EVENT_MAPS[client] = cached
    return cached


def chain_logs(client: RegistryClient, from_block: int, to_block: int) -> list[ChainLog]:
    """Every registry and governance event in blocks [from_block, to_block], decoded, in chain order (one
    eth_getLogs; a node that limits ranges or results answers with a Web3RPCError: ask for a smaller range)."""
    events = _event_map(client)
    raw = client.w3.eth.get_logs(
        {
            "fromBlock": from_block,
            "toBlock": to_block,
            "address": [client.registry.address, client.governance.address],
        }
    )
    out: list[ChainLog] = []
    for log in raw:
        if log.get("removed") or not log["topics"]:
            continue
        found = events.get((str(log["address"]).lower(), bytes(log["topics"][0])))
        if found is None:
            continue
        contract, event = found
        data = event.process_log(log)
        stamp: Any = log.get("blockTimestamp")
        timestamp = int(stamp, 16) if isinstance(stamp, str) else (int(stamp) if stamp is not None else None)
        out.append(
            ChainLog(
                contract=contract,
                name=str(data["event"]),
                args=dict(data["args"]),
                block_number=int(log["blockNumber"]),
                block_hash=_hex(log["blockHash"]),
                block_timestamp=timestamp,
                tx_hash=_hex(log["transactionHash"]),
                log_index=int(log["logIndex"]),
            )
        )
    out.sort(key=lambda entry: (entry.block_number, entry.log_index))
    return out


def views_at(client: RegistryClient, fns: list[ContractFunction], block: int | str) -> list[Any]:
    """Run many registry views as of one block with the registry's ``multicall`` (one eth_call per
    MULTICALL_CHUNK views); each result decoded as ``fn.call()`` would return it."""
    from eth_utils.abi import get_abi_output_types
    from web3._utils.abi import map_abi_data
    from web3._utils.normalizers import BASE_RETURN_NORMALIZERS

    out: list[Any] = []
    for start in range(0, len(fns), MULTICALL_CHUNK):
        chunk = fns[start : start + MULTICALL_CHUNK]
        payload = [fn._encode_transaction_data() for fn in chunk]
        multicall = client.registry.functions.multicall(payload)
        results = client.view(lambda m=multicall: m.call(block_identifier=block))  # type: ignore[misc]
        for fn, raw in zip(chunk, results, strict=True):
            types = get_abi_output_types(fn.abi)
            decoded = map_abi_data(BASE_RETURN_NORMALIZERS, types, client.w3.codec.decode(types, bytes(raw)))
            out.append(decoded[0] if len(decoded) == 1 else tuple(decoded))
    return out


def anchors_at(client: RegistryClient, roots: list[bytes], block: int | str) -> list[AnchorRecord]:
    """``anchorOf`` for many roots as of one block (issuerId 0: not anchored then)."""
    fns = [client.registry.functions.anchorOf(root) for root in roots]
    return [
        AnchorRecord(root, r[0], r[1], r[2], r[3], r[4], bytes(r[5]), r[6], CredentialStatus(r[7]), r[8], r[9])
        for root, r in zip(roots, views_at(client, fns, block), strict=True)
    ]


def accreditation_at(
    client: RegistryClient, body_ids: list[int], issuer_ids: list[int], keys: list[str], block: int | str
) -> AccreditationReads:
    """Body, issuer (with types) and key records as of one block, in as few eth_calls as the chunking allows."""
    fns = client.registry.functions
    calls: list[ContractFunction] = []
    for body_id in body_ids:
        calls += [fns.bodyOf(body_id), fns.bodyTypes(body_id)]
    for issuer_id in issuer_ids:
        calls += [fns.issuerOf(issuer_id), fns.issuerTypes(issuer_id)]
    calls += [fns.keyOf(Web3.to_checksum_address(key)) for key in keys]
    results = iter(views_at(client, calls, block))
    reads = AccreditationReads({}, {}, {}, {}, {})
    for body_id in body_ids:
        r = next(results)
        reads.bodies[body_id] = BodyRecord(body_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6])
        reads.body_types[body_id] = [bytes(t) for t in next(results)]
    for issuer_id in issuer_ids:
        r = next(results)
        reads.issuers[issuer_id] = IssuerRecord(
            issuer_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6], bytes(r[7]), r[8]
        )
        reads.issuer_types[issuer_id] = [bytes(t) for t in next(results)]
    for key in keys:
        reads.keys[key] = KeyRecord(*next(results))
    return reads


def _windows(first: int, last: int, size: int, *, backwards: bool) -> list[tuple[int, int]]:
    """[first, last] cut into ranges of at most ``size`` blocks, newest first when ``backwards``."""
    ranges = [(start, min(last, start + size - 1)) for start in range(first, last + 1, max(1, size))]
    return ranges[::-1] if backwards else ranges


def in_halves(fetch: Callable[[int, int], list[T]], first: int, last: int) -> list[T]:
    """``fetch(first, last)`` (an eth_getLogs over a block range); while the node refuses the range (a cap on blocks
    or results, e.g. Besu's 5,000 blocks), the halves in turn. An empty range (first > last) fetches nothing."""
    if first > last:
        return []
    try:
        return fetch(first, last)
    except _TRANSPORT_ERRORS:
        raise
    except (Web3RPCError, ValueError):
        if first == last:
            raise
        middle = (first + last) // 2
        return in_halves(fetch, first, middle) + in_halves(fetch, middle + 1, last)
