"""Typed bindings to the deployed CredentialRegistry and RegistryGovernance (the only place that calls them).

Services use :class:`RegistryClient`; routes never see web3. Views raise ContractRevertError (decoded custom error)
on a revert; writes are built by ``client.writes`` / ``client.governance_writes`` (:mod:`node.chain.bindings`, one
typed builder per state-changing function) and go through a :class:`~node.chain.txmanager.TxManager` of the acting
key. The records it returns live in :mod:`node.chain.records` (re-exported here: most readers import them from here),
the log reading in :mod:`node.chain.logs`, the multicall reads in :mod:`node.chain.multiread`.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import BlockNotFound
from web3.logs import DISCARD
from web3.types import BlockIdentifier, TxReceipt

from node.chain.anchorsig import ANCHOR_TYPES as ANCHOR_TYPES
from node.chain.anchorsig import sign_anchor as sign_anchor
from node.chain.bindings import GovernanceWrites, RegistryWrites
from node.chain.client import REVERT_ERRORS, TRANSPORT_ERRORS, decode_revert, load_artifact
from node.chain.deploy import GOVERNANCE, REGISTRY, Manifest
from node.chain.logs import anchor_logs, issuer_identities
from node.chain.logs import chain_logs as chain_logs
from node.chain.logs import in_halves as in_halves
from node.chain.multiread import accreditation_at as accreditation_at
from node.chain.multiread import anchors_at as anchors_at
from node.chain.records import AccreditationReads as AccreditationReads
from node.chain.records import AnchorLog as AnchorLog
from node.chain.records import AnchorRecord as AnchorRecord
from node.chain.records import BodyRecord as BodyRecord
from node.chain.records import ChainBlock as ChainBlock
from node.chain.records import ChainLog as ChainLog
from node.chain.records import IssuerRecord as IssuerRecord
from node.chain.records import KeyRecord as KeyRecord
from node.chain.records import ProposalRecord as ProposalRecord
from node.chain.records import anchor_record, body_record, issuer_record
from node.chain.records import type_id as type_id
from node.chain.txmanager import Call, SignedTx, TxManager
from node.chain.values import OPEN_END as OPEN_END
from node.chain.values import AccreditationStatus as AccreditationStatus
from node.chain.values import CredentialStatus as CredentialStatus
from node.chain.values import Validity as Validity
from node.errors import ChainUnavailableError, ContractRevertError

T = TypeVar("T")


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
        self._bind_writes()

    @property
    def registry_address(self) -> str:
        """The CredentialRegistry's checksummed address."""
        return str(self.registry.address)

    @property
    def governance_address(self) -> str:
        """The RegistryGovernance's checksummed address."""
        return str(self.governance.address)

    def _bind_writes(self) -> None:
        self.writes = RegistryWrites(self.registry)
        """The registry's write calls, typed (``client.writes.add_issuer_key(...)``)."""
        self.governance_writes = GovernanceWrites(self.governance)
        """The governance contract's write calls, typed."""

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

    def wait(self, tm: TxManager, signed: SignedTx, timeout_s: float | None = None) -> TxReceipt:
        """``tm.wait(signed)``, a revert decoded by both contracts' custom errors."""
        return tm.wait(signed, timeout_s=timeout_s, abi=self.abi)

    # --- reads ---------------------------------------------------------------------------------------------------

    def anchor_of(self, root: bytes) -> AnchorRecord:
        return anchor_record(root, self.view(lambda: self.registry.functions.anchorOf(root).call()))

    def key_of(self, key: str) -> KeyRecord:
        r = self.view(lambda: self.registry.functions.keyOf(Web3.to_checksum_address(key)).call())
        return KeyRecord(*r)

    def key_by_id(self, key_id: int) -> KeyRecord:
        return KeyRecord(*self.view(lambda: self.registry.functions.keyById(key_id).call()))

    def issuer_of(self, issuer_id: int) -> IssuerRecord:
        return issuer_record(issuer_id, self.view(lambda: self.registry.functions.issuerOf(issuer_id).call()))

    def body_of(self, body_id: int) -> BodyRecord:
        return body_record(body_id, self.view(lambda: self.registry.functions.bodyOf(body_id).call()))

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

    def body_count(self) -> int:
        return int(self.view(self.registry.functions.bodyCount().call))

    def body_types(self, body_id: int) -> list[bytes]:
        return [bytes(t) for t in self.view(lambda: self.registry.functions.bodyTypes(body_id).call())]

    def status_of(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> tuple[CredentialStatus, int, int]:
        """Effective status now of (root, credential): (status, reason code, since)."""
        status, reason, since = self.view(lambda: self.registry.functions.statusOf(root, credential_hash, proof).call())
        return CredentialStatus(status), int(reason), int(since)

    def replacement_of(self, root: bytes, credential_hash: bytes) -> tuple[bytes, bytes]:
        """(replacement root, replacement credential hash) of a superseded (root, credential); zeros when none."""
        rr, rh = self.view(lambda: self.registry.functions.replacementOf(root, credential_hash).call())
        return bytes(rr), bytes(rh)

    def issuer_identities(self, issuer_id: int, to_block: int | None = None) -> tuple[str, ...]:
        """Every metadata URI the issuer was accredited with or moved to (its logs up to ``to_block``), oldest
        first."""
        return issuer_identities(self, issuer_id, to_block)

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

    # --- writes --------------------------------------------------------------------------------------------------

    def anchor_fn(self, root: bytes, leaf_count: int, credential_type: bytes, expires_at: int = 0) -> ContractFunction:
        return self.writes.anchor(root, leaf_count, credential_type, expires_at)

    def anchor_single_fn(self, root: bytes, type_index: int) -> ContractFunction:
        """``anchorSingle``: one credential (root == its leaf), no expiry, type by its compact id."""
        return self.writes.anchor_single(root, type_index)

    # --- governance ----------------------------------------------------------------------------------------------

    def governance_act(self, tm: TxManager, fn: ContractFunction, ttl_s: int = 7 * 24 * 3600) -> int:
        """Propose ``fn`` (a registry or governance call) through governance; execute it when k == 1.

        Returns the proposal id. With k > 1 the proposal waits for other governors' approvals.
        """
        proposal_id, _ = self.propose(tm, fn, int(time.time()) + ttl_s)
        if self.threshold() <= 1:
            self.execute_proposal(tm, proposal_id)
        return proposal_id

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
        calldata = bytes.fromhex(fn._encode_transaction_data().removeprefix("0x"))
        receipt = tm.transact(Call.of(self.governance_writes.propose(str(fn.address), calldata, deadline)))
        events = self.governance.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        return int(events[0]["args"]["proposalId"]), receipt

    def approve_proposal(self, tm: TxManager, proposal_id: int) -> TxReceipt:
        return tm.transact(Call.of(self.governance_writes.approve(proposal_id)))

    def execute_proposal(self, tm: TxManager, proposal_id: int) -> TxReceipt:
        return tm.transact(Call.of(self.governance_writes.execute(proposal_id)))

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

    # --- anchoring and its bookkeeping (node/workers/batcher/) --------------------------------------------------

    def read(self, what: str, fn: Callable[[], T]) -> T:
        """Run one read; a transport fault (refused, reset, timeout) becomes ChainUnavailableError (not retried)."""
        try:
            return fn()
        except TRANSPORT_ERRORS as exc:
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
            block = self.block(number)
            return block.hash if block is not None else None

        return self.read("eth_getBlockByNumber", fetch)

    def type_index(self, credential_type: bytes) -> int:
        """The compact uint16 id of a credential type (``typeIdOf``; 0 when the type was never registered)."""
        fn = self.registry.functions.typeIdOf(credential_type)
        return int(self.read("typeIdOf", lambda: self.view(fn.call)))

    def anchor_logs(self, root: bytes, anchored_at: int | None = None, max_range: int = 2000) -> list[AnchorLog]:
        """The CredentialAnchored log of ``root`` (one at most on a consistent chain; empty if none is found).

        Nodes cap eth_getLogs ranges (Besu: 5,000 blocks by default), so the search never asks for more than
        ``max_range`` blocks at once (and halves that while the node refuses). With ``anchored_at`` (the record's
        timestamp) it reads only the blocks with that timestamp, found by binary search over block headers; without
        it (or if those blocks do not hold it), it walks back from the head to the deployment block and stops at the
        first range holding the log.
        """
        return anchor_logs(self, root, anchored_at, max_range)

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
        pinned._bind_writes()
        if len(cache) >= 8:
            with contextlib.suppress(StopIteration, RuntimeError):  # another thread changed it: evict next time
                cache.pop(next(iter(cache)), None)
        cache[block_number] = pinned
        return pinned

    def block(self, block: BlockIdentifier = "latest") -> ChainBlock | None:
        """Number, hash and timestamp of a block (``latest`` by default, or by number, hash or tag); None when the
        chain has no such block."""
        try:
            b = self.w3.eth.get_block(block)
        except BlockNotFound:
            return None
        return ChainBlock(int(b["number"]), "0x" + bytes(b["hash"]).hex(), int(b["timestamp"]))


def in_process(client: RegistryClient) -> bool:
    """True for an in-process chain (eth-tester): it must not be called from two threads at once."""
    from web3 import EthereumTesterProvider

    return isinstance(client.w3.provider, EthereumTesterProvider)


def chain_block(client: RegistryClient, block: int | str = "latest") -> ChainBlock | None:
    """Number, hash and timestamp of a block (by number, hash or tag); None when the chain has no such block."""
    return client.block(block)  # type: ignore[arg-type]
