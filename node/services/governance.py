"""Governance and accreditation: bodies, issuers, signing keys and k-of-n proposals, with the keys the node holds.

Who signs what
    - Governance acts (accredit / suspend / reinstate / withdraw a body, anything an issuer's body admin cannot do):
      the node's governor key (CREDREG_DEPLOYER_KEY, or anvil dev account 0 on the devnet) *proposes* through the
      governance contract. When the proposer's approval already reaches k (k == 1), the node executes at once;
      otherwise the proposal waits for other governors (``approve`` on their nodes) and the act says so.
    - Issuer acts (accredit an issuer, suspend / reinstate / withdraw it, add / rotate / cut off its keys): the body's
      admin key when this node holds it (a keystore given in the request, or a devnet dev key), else governance.

Every governance act is first simulated as the governance contract (``eth_call`` from its address), so a refusal
(wrong status, scope, window) is reported before anything is proposed: a refused request writes nothing on chain.
Contract custom errors become the node's error classes with a sentence that says what to do (:func:`explain`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from eth_abi.exceptions import EncodingError
from eth_account.signers.local import LocalAccount
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import is_address, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import MismatchedABI, Web3ValidationError
from web3.types import TxReceipt

from node.chain.keystore import passphrase_from
from node.chain.registry import (
    OPEN_END,
    AccreditationStatus,
    BodyRecord,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
    ProposalRecord,
    RegistryClient,
    type_id,
)
from node.chain.txmanager import TxManager
from node.credentials.hashing import issuer_metadata_hash
from node.credentials.types import known_types
from node.errors import (
    AccreditationStateError,
    ConfigurationError,
    ContractForbiddenError,
    ContractInputError,
    ContractNotFoundError,
    ContractRevertError,
    InvalidTransitionError,
    KeystoreError,
    NotFoundError,
    ProposalStateError,
    TransactionRevertedError,
    ValidationFailedError,
)
from node.runtime import Node
from node.store.records import ApiKeyRole, Issuer, IssuerStatus

DEFAULT_TTL_S = 7 * 24 * 3600
"""How long a proposal stays open for approvals and execution (its deadline)."""

ZERO32 = b"\0" * 32


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# --- contract errors -> the node's errors --------------------------------------------------------------------------

_STATUS_WORDS = {
    CredentialStatus.ACTIVE: "active",
    CredentialStatus.SUSPENDED: "suspended",
    CredentialStatus.SUPERSEDED: "superseded",
    CredentialStatus.REVOKED: "revoked",
}
_ACCREDITATION_WORDS = {
    AccreditationStatus.NONE: "not accredited",
    AccreditationStatus.ACTIVE: "active",
    AccreditationStatus.SUSPENDED: "suspended",
    AccreditationStatus.WITHDRAWN: "withdrawn",
}


def _transition_sentence(subject: str, args: tuple[object, ...]) -> str:
    frm, to = CredentialStatus(int(str(args[2]))), CredentialStatus(int(str(args[3])))
    now = f"{subject} is {_STATUS_WORDS[frm]}"
    if frm in (CredentialStatus.REVOKED, CredentialStatus.SUPERSEDED):
        return f"{now}, and that is final: nothing can change it any more (issue a new credential instead)."
    if to is CredentialStatus.ACTIVE:
        return f"{now}: only a suspended credential can be reinstated."
    return f"{now} already: reinstate it first, or revoke / supersede it."


def explain(exc: ContractRevertError, subject: str = "the credential") -> ContractRevertError:
    """The node's error class and a what-to-do sentence for a contract custom error (unknown ones pass through)."""
    name, a = exc.error_name, exc.error_args
    if name is None or type(exc) not in (ContractRevertError, TransactionRevertedError):
        return exc

    def made(cls: type[ContractRevertError], sentence: str) -> ContractRevertError:
        return cls(sentence, name, a)

    def g(i: int) -> str:
        return str(a[i]) if len(a) > i else "?"

    def w(i: int) -> str:  # the table below is built for every error: never fail on another error's arguments
        try:
            return _when(a[i])
        except (IndexError, ValueError):
            return "?"

    def h(i: int) -> str:
        return _hex(a[i]) if len(a) > i else "?"

    table: dict[str, tuple[type[ContractRevertError], str]] = {
        "CredentialRegistryUnknownRoot": (
            ContractNotFoundError,
            f"{subject}'s root is not anchored on this chain: check the batch was confirmed on this network.",
        ),
        "CredentialRegistryZeroCredentialHash": (ContractInputError, "a credential hash of zero names no credential."),
        "CredentialRegistryInvalidReplacement": (
            ContractInputError,
            "the replacement must be another credential (or batch) that is already anchored: anchor the "
            "replacement first and wait until it shows as anchored.",
        ),
        "CredentialRegistryNotRootIssuer": (
            ContractForbiddenError,
            f"the key {g(0)} may not change {subject}: it is not a currently valid key of the "
            "issuer (suspended issuer, retired or cut-off key). Add a valid key, or ask governance to act.",
        ),
        "CredentialRegistryNotGovernance": (
            ContractForbiddenError,
            "only governance may do this (e.g. lift a suspension governance imposed): act with a governor key.",
        ),
        "CredentialRegistryNotBodyAdmin": (
            ContractForbiddenError,
            f"the key {g(0)} is neither governance nor the admin of body {g(1)}: "
            "act through governance or with the body admin's key.",
        ),
        "CredentialRegistryUnknownBody": (
            ContractNotFoundError,
            f"there is no accreditation body {g(0)}: list bodies with GET /v1/bodies.",
        ),
        "CredentialRegistryUnknownIssuer": (
            ContractNotFoundError,
            f"there is no issuer {g(0)} on chain: list issuers with GET /v1/issuers.",
        ),
        "CredentialRegistryBodyNotActive": (
            AccreditationStateError,
            f"body {g(0)} is not active now: reinstate it (governance) before acting under it.",
        ),
        "CredentialRegistryIssuerNotActive": (
            AccreditationStateError,
            f"issuer {g(0)} is not active now: reinstate it before changing its keys.",
        ),
        "CredentialRegistryTypeOutOfScope": (
            ContractInputError,
            f"credential type {h(1)} is outside the scope of {g(0)}: grant only types the body (or issuer) holds.",
        ),
        "CredentialRegistryLevelOutOfScope": (
            ContractInputError,
            f"level {g(0)} is above the {g(1)} the grantor holds: lower maxLevel.",
        ),
        "CredentialRegistryWindowOutOfScope": (
            ContractInputError,
            f"the validity window reaches outside the grantor's window [{w(2)}, {w(3)}): narrow validFrom/validUntil.",
        ),
        "CredentialRegistryInvalidWindow": (ContractInputError, "validFrom must be before validUntil."),
        "CredentialRegistryInvalidScope": (
            ContractInputError,
            "a scope needs at least one credential type (and not too many) and a maxLevel of at least 1.",
        ),
        "CredentialRegistryDuplicateType": (ContractInputError, "a credential type is listed twice: list each once."),
        "CredentialRegistryZeroAddress": (ContractInputError, "the zero address cannot be an admin or a key."),
        "CredentialRegistryKeyAlreadyRegistered": (
            AccreditationStateError,
            f"key {g(0)} is already registered (a key belongs to one issuer, once): use a fresh key.",
        ),
        "CredentialRegistryUnknownKey": (
            ContractNotFoundError,
            f"key {g(0)} is not registered: list the issuer's keys with GET /v1/issuers/{{id}}.",
        ),
        "CredentialRegistryKeyNotOfIssuer": (
            ContractInputError,
            f"key {g(0)} does not belong to issuer {g(1)}.",
        ),
        "CredentialRegistryKeyEndNotEarlier": (
            AccreditationStateError,
            f"key {g(0)} already ends at {w(1)}: a retirement or cut-off may only move earlier; pick an earlier time.",
        ),
        "CredentialRegistryKeyNotValidNow": (
            ContractForbiddenError,
            f"key {g(0)} is not valid now: use another key of the issuer, or add one.",
        ),
        "RegistryGovernanceNotGovernor": (
            ContractForbiddenError,
            f"the node's governor key {g(0)} is not a governor of this registry: set "
            "CREDREG_DEPLOYER_KEY to a governor's key.",
        ),
        "RegistryGovernanceUnknownProposal": (
            ContractNotFoundError,
            f"there is no proposal {g(0)}: list them with GET /v1/governance/proposals.",
        ),
        "RegistryGovernanceProposalExpired": (
            ProposalStateError,
            f"proposal {g(0)} expired at {w(1)}: propose it again.",
        ),
        "RegistryGovernanceAlreadyApproved": (
            ProposalStateError,
            f"governor {g(1)} already approved proposal {g(0)}: another governor must approve it.",
        ),
        "RegistryGovernanceAlreadyExecuted": (
            ProposalStateError,
            f"proposal {g(0)} was already executed: nothing left to do.",
        ),
        "RegistryGovernanceNotEnoughApprovals": (
            ProposalStateError,
            f"proposal {g(0)} has {g(1)} of the {g(2)} approvals it needs: ask other governors to approve it first.",
        ),
        "RegistryGovernanceInvalidThreshold": (
            ContractInputError,
            f"a threshold of {g(0)} is impossible with {g(1)} governors: choose 1..number of governors.",
        ),
        "RegistryGovernanceAlreadyGovernor": (
            AccreditationStateError,
            f"{g(0)} is already a governor.",
        ),
        "RegistryGovernanceZeroAddress": (ContractInputError, "the zero address cannot be a governor."),
        "RegistryGovernanceDeadlineInPast": (ContractInputError, "the proposal's deadline is in the past."),
        "RegistryGovernanceNotSelf": (
            ContractForbiddenError,
            "governance settings change only through a proposal: use POST /v1/governance/proposals.",
        ),
    }
    if name == "CredentialRegistryInvalidTransition":
        return made(InvalidTransitionError, _transition_sentence(subject, a))
    if name == "CredentialRegistryInvalidAccreditationChange":
        frm, to = AccreditationStatus(int(str(a[1]))), AccreditationStatus(int(str(a[2])))
        return made(
            AccreditationStateError,
            f"{subject} is {_ACCREDITATION_WORDS[frm]} and cannot become {_ACCREDITATION_WORDS[to]}: suspend only "
            "what is active, reinstate only what is suspended; a withdrawal is final. (A suspension imposed by "
            "governance is lifted by governance only.)",
        )
    entry = table.get(name)
    if entry is None:
        return exc
    return made(*entry)


def _hex(value: object) -> str:
    return "0x" + value.hex() if isinstance(value, bytes | bytearray) else str(value)


def _when(value: object) -> str:
    seconds = int(str(value))
    if seconds >= OPEN_END:
        return "open end"
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@contextmanager
def explained(subject: str = "the credential") -> Iterator[None]:
    """Re-raise contract refusals inside the block as the node's errors (see :func:`explain`)."""
    try:
        yield
    except ContractRevertError as exc:
        raised = explain(exc, subject)
        if raised is exc:
            raise
        raise raised from exc


# --- values --------------------------------------------------------------------------------------------------------


class Via(StrEnum):
    GOVERNANCE = "governance"
    BODY_ADMIN = "body-admin"
    ISSUER_KEY = "issuer-key"


class ProposalState(StrEnum):
    PENDING = "pending"
    """Fewer than k current governors approved it."""
    READY = "ready"
    """k approvals: any governor may execute it."""
    EXECUTED = "executed"
    EXPIRED = "expired"


class ProposalView(ApiModel):
    """A governance proposal: a call to the registry or to governance itself, approved by k of n governors."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 4,
                "proposer": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "target": "registry",
                "targetAddress": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                "function": "suspendIssuer",
                "args": {"issuerId": 3, "reasonCode": 5},
                "deadline": "2026-11-29T10:00:00Z",
                "state": "pending",
                "approvals": 1,
                "threshold": 2,
                "approvedBy": ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
            }
        }
    )

    id: int = Field(description="Proposal id (from 1).")
    proposer: str = Field(description="The governor who proposed it (and approved it by proposing).")
    target: str = Field(description="'registry', 'governance', or the address called.")
    target_address: str
    function: str | None = Field(description="The function called, when the target is known; null otherwise.")
    args: dict[str, Any] = Field(description="The call's decoded arguments (bytes as 0x hex).")
    deadline: datetime = Field(description="Last moment it may be approved or executed.")
    state: ProposalState
    approvals: int = Field(description="Approvals by current governors.")
    threshold: int = Field(description="k: approvals needed to execute.")
    approved_by: list[str] = Field(description="Current governors who approved it.")


class ChainAct(ApiModel):
    """What a write did on chain: executed (tx hash and block), or proposed and waiting for approvals."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "via": "governance",
                "executed": True,
                "txHash": "0x7d1e0c…",
                "blockNumber": 4821,
                "proposal": None,
            }
        }
    )

    via: Via = Field(description="Which key acted: governance (a proposal), the body admin's key, or the issuer's key.")
    executed: bool = Field(description="True when the change is on chain; false while a proposal awaits approvals.")
    tx_hash: str | None = Field(description="The transaction that made the change (or the last one sent).")
    block_number: int | None = Field(description="Its block: verification sees the change from this block on.")
    proposal: ProposalView | None = Field(default=None, description="The governance proposal, when one was used.")


class TypeView(ApiModel):
    id: str = Field(description="bytes32 type id on chain (keccak256('credreg:type:<name>')).")
    name: str | None = Field(description="The type's name when this node knows it.")


class KeyState(StrEnum):
    ACTIVE = "active"
    NOT_YET_VALID = "not-yet-valid"
    RETIRED = "retired"
    CUT_OFF = "cut-off"
    INACTIVE = "inactive"
    """The key's window is open but its issuer or body is not active."""


class KeyView(ApiModel):
    address: str
    key_id: int
    valid_from: datetime
    valid_until: datetime | None = Field(description="null: open-ended.")
    compromised_at: datetime | None = Field(description="Compromise cut-off: anchors at or after it are invalid.")
    effective_from: datetime | None
    effective_until: datetime | None = Field(description="null: open-ended (or not acting while inactive).")
    state: KeyState
    node_signs_with_it: bool = Field(description="True for the key this node signs the issuer's anchors with.")


class BodyView(ApiModel):
    """An accreditation body (e.g. a quality council), accredited by governance."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 1,
                "admin": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "status": "active",
                "maxLevel": 10,
                "validFrom": "2026-01-01T00:00:00Z",
                "validUntil": None,
                "statusChangedAt": "2026-01-01T00:00:00Z",
                "metadataUri": "did:web:quality-council.example",
                "credentialTypes": [{"id": "0x5c1b…", "name": "formal-qualification"}],
            }
        }
    )

    id: int
    admin: str = Field(description="The account that acts for the body.")
    status: str = Field(description="active, suspended, withdrawn (or 'not accredited').")
    max_level: int
    valid_from: datetime
    valid_until: datetime | None
    status_changed_at: datetime
    metadata_uri: str
    credential_types: list[TypeView]


class PathStep(ApiModel):
    level: str = Field(description="governance, body or issuer.")
    id: int | None = None
    address: str | None = None
    status: str
    detail: str = Field(description="One line: who they are and what they hold.")


class IssuerView(ApiModel):
    """An issuer as the chain and this node know it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 1,
                "name": "Demo University",
                "metadataUri": "did:web:demo-university.example",
                "bodyId": 1,
                "status": "active",
                "heldByGovernance": False,
                "maxLevel": 8,
                "validFrom": "2026-01-01T00:00:00Z",
                "validUntil": None,
                "statusChangedAt": "2026-01-01T00:00:00Z",
                "registeredOnNode": True,
                "nodeStatus": "active",
                "signerAddress": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            }
        }
    )

    id: int
    name: str | None = Field(description="The name this node registered it under (null when not registered here).")
    metadata_uri: str
    body_id: int
    status: str = Field(description="On-chain accreditation: active, suspended, withdrawn.")
    held_by_governance: bool = Field(description="A suspension by governance: only governance lifts it.")
    max_level: int
    valid_from: datetime
    valid_until: datetime | None
    status_changed_at: datetime
    registered_on_node: bool
    node_status: str | None = Field(description="This node's record: active, suspended, revoked (withdrawn).")
    signer_address: str | None = Field(description="The key this node anchors the issuer's credentials with.")


class IssuerDetail(IssuerView):
    credential_types: list[TypeView]
    keys: list[KeyView]
    accreditation_path: list[PathStep] = Field(description="governance → body → issuer, each with its status.")


class AccreditedIssuer(ApiModel):
    """The outcome of accrediting (or registering) an issuer."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "issuerId": 3,
                "act": {"via": "body-admin", "executed": True, "txHash": "0x5e…", "blockNumber": 310},
                "keyAct": {"via": "body-admin", "executed": True, "txHash": "0x9a…", "blockNumber": 311},
                "registered": True,
                "apiKey": "crk_Yq3…",
                "nextStep": None,
            }
        }
    )

    issuer_id: int | None = Field(description="null while the accreditation proposal awaits approvals.")
    act: ChainAct
    key_act: ChainAct | None = Field(description="Adding its signing key (null when it already was one).")
    registered: bool = Field(description="True when this node recorded the issuer (name, signer, keystore).")
    api_key: str | None = Field(
        default=None, description="The issuer's first API key: shown this once only, store it now."
    )
    next_step: str | None = Field(default=None, description="What to do next when something is still pending.")


class AccreditedBody(ApiModel):
    """The outcome of accrediting a body: its id once executed, or the pending proposal."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "bodyId": 2,
                "act": {"via": "governance", "executed": True, "txHash": "0x41…", "blockNumber": 120},
            }
        }
    )

    body_id: int | None = Field(description="null while the proposal awaits approvals.")
    act: ChainAct


# --- helpers -------------------------------------------------------------------------------------------------------


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _dt_or_open(seconds: int) -> datetime | None:
    return None if seconds == 0 or seconds >= OPEN_END else _dt(seconds)


def _type_names() -> dict[bytes, str]:
    return {type_id(t.name): t.name for t in known_types()}


def type_ids(names: Sequence[str]) -> list[bytes]:
    """Credential types by name (``formal-qualification``) or as 0x bytes32 hex; 422 for an unknown name."""
    known = {t.name for t in known_types()}
    out: list[bytes] = []
    for name in names:
        if name.startswith("0x") and len(name) == 66:
            try:
                out.append(bytes.fromhex(name[2:]))
            except ValueError as exc:
                raise ValidationFailedError(f"credentialTypes: {name} is not 32 bytes of hex") from exc
        elif name in known:
            out.append(type_id(name))
        else:
            raise ValidationFailedError(
                f"credentialTypes: unknown type {name!r}; use one of {', '.join(sorted(known))} or a 0x bytes32 id"
            )
    if not out:
        raise ValidationFailedError("credentialTypes: name at least one credential type")
    return out


def address(value: str, what: str) -> str:
    if not is_address(value):
        raise ValidationFailedError(f"{what}: {value!r} is not an Ethereum address (0x + 40 hex digits)")
    return str(to_checksum_address(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _tx_of(receipt: TxReceipt) -> tuple[str, int]:
    return "0x" + bytes(receipt["transactionHash"]).hex(), int(receipt["blockNumber"])


def _status_word(status: AccreditationStatus) -> str:
    return _ACCREDITATION_WORDS[status]


def _node_status(status: AccreditationStatus) -> IssuerStatus:
    if status is AccreditationStatus.SUSPENDED:
        return IssuerStatus.SUSPENDED
    if status is AccreditationStatus.WITHDRAWN:
        return IssuerStatus.REVOKED
    return IssuerStatus.ACTIVE


class AccreditationAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    WITHDRAW = "withdraw"


# --- the service ---------------------------------------------------------------------------------------------------


class GovernanceService:
    """Accreditation and governance acts of one node (see the module docstring for who signs what)."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._registry: RegistryClient = node.registry

    # --- acting --------------------------------------------------------------------------------------------------

    def governor_tm(self) -> TxManager:
        signers = self._node.signers
        return signers.manager(signers.governor())

    def act(
        self, fn: ContractFunction, *, direct: TxManager | None = None, via: Via = Via.BODY_ADMIN, subject: str = ""
    ) -> tuple[ChainAct, TxReceipt | None]:
        """Send ``fn`` with ``direct`` (a key that may call it), or through governance. Returns the act and the
        receipt of the call that made the change (None while a proposal waits)."""
        with explained(subject or "the target"):
            if direct is not None:
                receipt = direct.transact(fn)
                tx_hash, block = _tx_of(receipt)
                return ChainAct(via=via, executed=True, tx_hash=tx_hash, block_number=block), receipt
            return self._through_governance(fn)

    def _through_governance(self, fn: ContractFunction) -> tuple[ChainAct, TxReceipt | None]:
        registry = self._registry
        tm = self.governor_tm()
        if not registry.is_governor(tm.address):
            raise ContractForbiddenError(
                f"the node's governor key {tm.address} is not a governor of this registry: set CREDREG_DEPLOYER_KEY "
                "to a governor's key, or use a governor's node.",
                "RegistryGovernanceNotGovernor",
                (tm.address,),
            )
        registry.preflight_as_governance(fn)  # a refusal surfaces here, before anything is proposed
        proposal_id, receipt = registry.propose(tm, fn, int(time.time()) + DEFAULT_TTL_S)
        return self._execute_if_ready(tm, proposal_id, receipt)

    def _execute_if_ready(self, tm: TxManager, proposal_id: int, last: TxReceipt) -> tuple[ChainAct, TxReceipt | None]:
        registry = self._registry
        record = registry.proposal_of(proposal_id)
        executed_receipt: TxReceipt | None = None
        if not record.executed and record.approvals >= registry.threshold():
            executed_receipt = last = registry.execute_proposal(tm, proposal_id)
        tx_hash, block = _tx_of(last)
        view = self.proposal(proposal_id)
        act = ChainAct(
            via=Via.GOVERNANCE,
            executed=view.state is ProposalState.EXECUTED,
            tx_hash=tx_hash,
            block_number=block,
            proposal=view,
        )
        return act, executed_receipt

    def _admin_tm(self, admin: str, keystore_path: str | None) -> TxManager | None:
        """The body admin's TxManager when this node holds its key (a keystore, or a devnet dev key), else None."""
        signers = self._node.signers
        if keystore_path is not None:
            return signers.manager(self._keystore_account(admin, keystore_path, "bodyAdminKeystorePath"))
        try:
            account: LocalAccount = signers.account_for(admin)
        except ConfigurationError:
            return None  # not a key this node holds: act through governance
        return signers.manager(account)

    def _keystore_account(self, address: str, keystore_path: str, field: str) -> LocalAccount:
        """The account in a keystore named by a request; a keystore that cannot be used is the request's fault (422),
        a node with no passphrase configured is the operator's (503)."""
        passphrase_from(self._node.settings)
        try:
            account: LocalAccount = self._node.signers.account_for(address, keystore_path)
        except KeystoreError as exc:
            raise ValidationFailedError(f"{field}: {exc.detail}") from exc
        if account.address.lower() != address.lower():
            raise ValidationFailedError(f"{field}: the keystore holds {account.address}, not {address}")
        return account

    def _issuer_actor(self, issuer_id: int, keystore_path: str | None) -> tuple[TxManager | None, IssuerRecord]:
        issuer = self._chain_issuer(issuer_id)
        body = self._registry.body_of(issuer.body_id)
        return self._admin_tm(body.admin, keystore_path), issuer

    # --- proposals -----------------------------------------------------------------------------------------------

    def proposal(self, proposal_id: int) -> ProposalView:
        registry = self._registry
        with explained("the proposal"):
            if not 1 <= proposal_id <= registry.proposal_count():
                raise NotFoundError(f"there is no proposal {proposal_id}: list them with GET /v1/governance/proposals.")
            return self._view(registry.proposal_of(proposal_id), registry.threshold(), registry.governors())

    def proposals(self, state: ProposalState | None = None, limit: int = 100) -> list[ProposalView]:
        """The newest ``limit`` proposals (in ``state`` when given), oldest first."""
        registry = self._registry
        threshold, governors, now = registry.threshold(), registry.governors(), registry.latest_timestamp()
        views: list[ProposalView] = []
        for proposal_id in range(registry.proposal_count(), 0, -1):
            if len(views) >= limit:
                break
            view = self._view(registry.proposal_of(proposal_id), threshold, governors, now)
            if state is None or view.state is state:
                views.append(view)
        return views[::-1]

    def _view(
        self, record: ProposalRecord, threshold: int, governors: list[str], now: int | None = None
    ) -> ProposalView:
        registry = self._registry
        now = registry.latest_timestamp() if now is None else now
        decoded = registry.decode_call(record.target, record.data)
        names = {
            registry.registry.address.lower(): "registry",
            registry.governance.address.lower(): "governance",
        }
        if record.executed:
            state = ProposalState.EXECUTED
        elif record.deadline < now:
            state = ProposalState.EXPIRED
        elif record.approvals >= threshold:
            state = ProposalState.READY
        else:
            state = ProposalState.PENDING
        return ProposalView(
            id=record.proposal_id,
            proposer=record.proposer,
            target=names.get(record.target.lower(), record.target),
            target_address=record.target,
            function=decoded[0] if decoded else None,
            args={k.rstrip("_"): _jsonable(v) for k, v in decoded[1].items()} if decoded else {},
            deadline=_dt(record.deadline),
            state=state,
            approvals=record.approvals,
            threshold=threshold,
            approved_by=[g for g in governors if registry.has_approved(record.proposal_id, g)],
        )

    def propose(self, target: str, function: str, args: Sequence[Any], ttl_s: int = DEFAULT_TTL_S) -> ChainAct:
        """Propose any state-changing function of the registry or of governance (executed at once when k == 1)."""
        registry = self._registry
        contract = {"registry": registry.registry, "governance": registry.governance}.get(target)
        if contract is None:
            raise ValidationFailedError("target: must be 'registry' or 'governance'")
        entries = [e for e in contract.abi if e.get("type") == "function" and e.get("name") == function]
        if not entries or all(e.get("stateMutability") in ("view", "pure") for e in entries):
            raise ValidationFailedError(f"function: {target} has no state-changing function {function!r}")
        fn = _encodable_call(contract, dict(entries[0]), args)
        if ttl_s < 60:
            raise ValidationFailedError("ttlSeconds: give a proposal at least 60 seconds")
        tm = self.governor_tm()
        with explained("the proposal"):
            if not registry.is_governor(tm.address):
                raise ContractForbiddenError(
                    f"the node's governor key {tm.address} is not a governor: set CREDREG_DEPLOYER_KEY to one.",
                    "RegistryGovernanceNotGovernor",
                    (tm.address,),
                )
            registry.preflight_as_governance(fn)
            proposal_id, receipt = registry.propose(tm, fn, int(time.time()) + ttl_s)
            act, _ = self._execute_if_ready(tm, proposal_id, receipt)
        return act

    def approve(self, proposal_id: int, *, execute: bool = True) -> ChainAct:
        """Approve with the node's governor key; execute too when that reaches k (unless ``execute`` is False)."""
        self.proposal(proposal_id)  # 404 for an unknown id
        tm = self.governor_tm()
        with explained("the proposal"):
            receipt = self._registry.approve_proposal(tm, proposal_id)
            if not execute:
                tx_hash, block = _tx_of(receipt)
                view = self.proposal(proposal_id)
                return ChainAct(via=Via.GOVERNANCE, executed=False, tx_hash=tx_hash, block_number=block, proposal=view)
            act, _ = self._execute_if_ready(tm, proposal_id, receipt)
        self._sync_after(act)
        return act

    def execute(self, proposal_id: int) -> ChainAct:
        view = self.proposal(proposal_id)
        if view.state is ProposalState.EXECUTED:
            raise ProposalStateError(
                f"proposal {proposal_id} was already executed: nothing left to do.",
                "RegistryGovernanceAlreadyExecuted",
                (proposal_id,),
            )
        tm = self.governor_tm()
        with explained("the proposal"):
            receipt = self._registry.execute_proposal(tm, proposal_id)
        tx_hash, block = _tx_of(receipt)
        act = ChainAct(
            via=Via.GOVERNANCE,
            executed=True,
            tx_hash=tx_hash,
            block_number=block,
            proposal=self.proposal(proposal_id),
        )
        self._sync_after(act)
        return act

    def _sync_after(self, act: ChainAct) -> None:
        """Keep this node's issuer records in step when an executed proposal changed an issuer's status."""
        view = act.proposal
        if not act.executed or view is None or view.target != "registry":
            return
        if view.function in ("suspendIssuer", "reinstateIssuer", "withdrawIssuer"):
            self._sync_issuer_status(int(view.args["issuerId"]))

    # --- bodies --------------------------------------------------------------------------------------------------

    def bodies(self) -> list[BodyView]:
        return [self.body(i) for i in range(1, self._registry.body_count() + 1)]

    def body(self, body_id: int) -> BodyView:
        record = self._chain_body(body_id)
        names = _type_names()
        return BodyView(
            id=body_id,
            admin=record.admin,
            status=_status_word(record.status),
            max_level=record.max_level,
            valid_from=_dt(record.valid_from),
            valid_until=_dt_or_open(record.valid_until),
            status_changed_at=_dt(record.status_changed_at),
            metadata_uri=record.metadata_uri,
            credential_types=[
                TypeView(id="0x" + t.hex(), name=names.get(t)) for t in self._registry.body_types(body_id)
            ],
        )

    def accredit_body(
        self,
        admin: str,
        credential_types: Sequence[str],
        max_level: int,
        metadata_uri: str,
        valid_from: int | None = None,
        valid_until: int | None = None,
    ) -> AccreditedBody:
        registry = self._registry
        start = valid_from if valid_from is not None else registry.latest_timestamp()
        fn = registry.registry_fn(
            "accreditBody",
            address(admin, "admin"),
            type_ids(credential_types),
            max_level,
            start,
            valid_until or 0,
            metadata_uri,
        )
        act, receipt = self.act(fn, subject="the body")
        body_id = None
        if receipt is not None:
            body_id = int(registry.registry_events(receipt, "BodyAccredited")[0]["bodyId"])
        return AccreditedBody(body_id=body_id, act=act)

    def body_act(self, body_id: int, action: AccreditationAction, reason_code: int) -> ChainAct:
        self._chain_body(body_id)
        name = {"suspend": "suspendBody", "reinstate": "reinstateBody", "withdraw": "withdrawBody"}[action.value]
        act, _ = self.act(self._registry.registry_fn(name, body_id, reason_code), subject=f"body {body_id}")
        return act

    def _chain_body(self, body_id: int) -> BodyRecord:
        if not 1 <= body_id <= self._registry.body_count():
            raise NotFoundError(f"there is no accreditation body {body_id}: list bodies with GET /v1/bodies.")
        return self._registry.body_of(body_id)

    # --- issuers -------------------------------------------------------------------------------------------------

    def _chain_issuer(self, issuer_id: int) -> IssuerRecord:
        with explained(f"issuer {issuer_id}"):
            record = self._registry.issuer_of(issuer_id)
        if record.status is AccreditationStatus.NONE:
            raise NotFoundError(f"there is no issuer {issuer_id} on chain: list issuers with GET /v1/issuers.")
        return record

    def _stored(self, issuer_id: int) -> Issuer | None:
        try:
            return self._node.store.get_issuer(issuer_id)
        except NotFoundError:
            return None

    def _issuer_view(self, record: IssuerRecord, stored: Issuer | None) -> dict[str, Any]:
        return {
            "id": record.issuer_id,
            "name": stored.name if stored else None,
            "metadata_uri": record.metadata_uri,
            "body_id": record.body_id,
            "status": _status_word(record.status),
            "held_by_governance": record.held_by_governance,
            "max_level": record.max_level,
            "valid_from": _dt(record.valid_from),
            "valid_until": _dt_or_open(record.valid_until),
            "status_changed_at": _dt(record.status_changed_at),
            "registered_on_node": stored is not None,
            "node_status": stored.status.value if stored else None,
            "signer_address": stored.signer_address if stored else None,
        }

    def issuers(self) -> list[IssuerView]:
        """The issuers this node has registered, each with its on-chain accreditation ("not accredited" for a record
        the chain does not know, e.g. after the chain was reset)."""
        return [
            IssuerView(**self._issuer_view(self._registry.issuer_of(s.id), s)) for s in self._node.store.list_issuers()
        ]

    def issuer(self, issuer_id: int) -> IssuerDetail:
        registry = self._registry
        record = self._chain_issuer(issuer_id)
        stored = self._stored(issuer_id)
        body = registry.body_of(record.body_id)
        now = registry.latest_timestamp()
        names = _type_names()
        signer = stored.signer_address.lower() if stored else None
        keys = [self._key_view(registry.key_of(k), now, signer) for k in registry.issuer_keys(issuer_id)]
        governors, threshold = registry.governors(), registry.threshold()
        path = [
            PathStep(
                level="governance",
                address=registry.governance.address,
                status="active",
                detail=f"{threshold}-of-{len(governors)} governors: {', '.join(governors)}",
            ),
            PathStep(
                level="body",
                id=body.body_id,
                address=body.admin,
                status=_status_word(body.status),
                detail=f"{body.metadata_uri} (max level {body.max_level})",
            ),
            PathStep(
                level="issuer",
                id=issuer_id,
                status=_status_word(record.status),
                detail=f"{record.metadata_uri} (max level {record.max_level})",
            ),
        ]
        return IssuerDetail(
            **self._issuer_view(record, stored),
            credential_types=[TypeView(id="0x" + t.hex(), name=names.get(t)) for t in registry.issuer_types(issuer_id)],
            keys=keys,
            accreditation_path=path,
        )

    @staticmethod
    def _key_view(key: KeyRecord, now: int, signer: str | None) -> KeyView:
        if key.compromised_at and now >= key.compromised_at:
            state = KeyState.CUT_OFF
        elif now < key.valid_from:
            state = KeyState.NOT_YET_VALID
        elif now >= key.valid_until:
            state = KeyState.RETIRED
        elif key.effective_until == 0 or not key.effective_from <= now < key.effective_until:
            state = KeyState.INACTIVE
        else:
            state = KeyState.ACTIVE
        return KeyView(
            address=key.key,
            key_id=key.key_id,
            valid_from=_dt(key.valid_from),
            valid_until=_dt_or_open(key.valid_until),
            compromised_at=_dt(key.compromised_at) if key.compromised_at else None,
            effective_from=_dt(key.effective_from) if key.effective_until else None,
            effective_until=_dt_or_open(key.effective_until),
            state=state,
            node_signs_with_it=signer is not None and key.key.lower() == signer,
        )

    def accredit_issuer(
        self,
        *,
        body_id: int,
        name: str,
        metadata_uri: str,
        signer_address: str,
        credential_types: Sequence[str],
        max_level: int,
        valid_from: int | None = None,
        valid_until: int | None = None,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
        mint_api_key: bool = True,
    ) -> AccreditedIssuer:
        """Accredit an issuer under a body, add its signing key, record it on this node, and mint its API key."""
        registry = self._registry
        signer = address(signer_address, "signerAddress")
        self._check_signer(signer, keystore_path)
        body = self._chain_body(body_id)
        existing = registry.key_of(signer)
        if existing.issuer_id != 0:
            raise AccreditationStateError(
                f"signing key {signer} already belongs to issuer {existing.issuer_id}: give each issuer a fresh key "
                "(`credreg keys new`).",
                "CredentialRegistryKeyAlreadyRegistered",
                (signer,),
            )
        start = valid_from if valid_from is not None else max(registry.latest_timestamp(), body.valid_from)
        fn = registry.registry_fn(
            "accreditIssuer",
            body_id,
            type_ids(credential_types),
            max_level,
            start,
            valid_until or 0,
            metadata_uri,
            issuer_metadata_hash(metadata_uri, name),  # binds the registered name (the chain keeps only the hash)
        )
        admin_tm = self._admin_tm(body.admin, body_admin_keystore_path)
        act, receipt = self.act(fn, direct=admin_tm, subject=f"body {body_id}")
        if receipt is None:
            return AccreditedIssuer(
                issuer_id=None,
                act=act,
                key_act=None,
                registered=False,
                next_step=(
                    "the accreditation awaits other governors' approvals (POST /v1/governance/proposals/"
                    f"{act.proposal.id if act.proposal else '?'}/approve on their nodes); once executed, register "
                    "the issuer here with POST /v1/issuers/register."
                ),
            )
        issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
        return self._register(issuer_id, name, signer, keystore_path, act, mint_api_key, body_admin_keystore_path)

    def register_issuer(
        self,
        issuer_id: int,
        *,
        name: str,
        signer_address: str,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
        mint_api_key: bool = True,
    ) -> AccreditedIssuer:
        """Record an issuer already accredited on chain on this node (adding its signing key when needed)."""
        signer = address(signer_address, "signerAddress")
        self._check_signer(signer, keystore_path)
        self._chain_issuer(issuer_id)
        return self._register(issuer_id, name, signer, keystore_path, None, mint_api_key, body_admin_keystore_path)

    def _check_signer(self, signer: str, keystore_path: str | None) -> None:
        if keystore_path is not None:
            self._keystore_account(signer, keystore_path, "keystorePath")

    def _register(
        self,
        issuer_id: int,
        name: str,
        signer: str,
        keystore_path: str | None,
        act: ChainAct | None,
        mint_api_key: bool,
        body_admin_keystore_path: str | None,
    ) -> AccreditedIssuer:
        registry = self._registry
        record = self._chain_issuer(issuer_id)
        key = registry.key_of(signer)
        key_act: ChainAct | None = None
        if key.issuer_id not in (0, issuer_id):
            raise AccreditationStateError(
                f"signing key {signer} belongs to issuer {key.issuer_id}, not {issuer_id}: use a fresh key.",
                "CredentialRegistryKeyNotOfIssuer",
                (signer, issuer_id),
            )
        if key.issuer_id == 0:
            admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
            start = max(record.valid_from, registry.latest_timestamp())
            fn = registry.registry_fn("addIssuerKey", issuer_id, signer, start, 0)
            key_act, receipt = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
            if receipt is None:
                return AccreditedIssuer(
                    issuer_id=issuer_id,
                    act=act or key_act,
                    key_act=key_act,
                    registered=False,
                    next_step=(
                        "adding the signing key awaits other governors' approvals; once executed, register the "
                        "issuer here with POST /v1/issuers/register."
                    ),
                )
        self._node.store.upsert_issuer(
            issuer_id,
            name=name,
            metadata_uri=record.metadata_uri,
            signer_address=signer,
            keystore_path=keystore_path,
            status=_node_status(record.status),
        )
        api_key = None
        if mint_api_key:
            api_key = self._node.store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label=f"{name} (first key)")
        return AccreditedIssuer(
            issuer_id=issuer_id,
            act=act or key_act or ChainAct(via=Via.GOVERNANCE, executed=True, tx_hash=None, block_number=None),
            key_act=key_act,
            registered=True,
            api_key=api_key,
        )

    def issuer_act(
        self,
        issuer_id: int,
        action: AccreditationAction,
        reason_code: int,
        *,
        by_governance: bool = False,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Suspend / reinstate / withdraw an issuer (body admin key when held, else governance); the node's record
        follows the chain."""
        admin_tm, record = self._issuer_actor(issuer_id, body_admin_keystore_path)
        if action is AccreditationAction.REINSTATE and record.held_by_governance:
            by_governance = True  # only governance lifts a suspension governance imposed
        name = {"suspend": "suspendIssuer", "reinstate": "reinstateIssuer", "withdraw": "withdrawIssuer"}[action.value]
        fn = self._registry.registry_fn(name, issuer_id, reason_code)
        act, _ = self.act(fn, direct=None if by_governance else admin_tm, subject=f"issuer {issuer_id}")
        if act.executed:
            self._sync_issuer_status(issuer_id)
        return act

    def _sync_issuer_status(self, issuer_id: int) -> None:
        stored = self._stored(issuer_id)
        if stored is None:
            return
        record = self._registry.issuer_of(issuer_id)
        self._node.store.upsert_issuer(
            issuer_id,
            name=stored.name,
            metadata_uri=stored.metadata_uri,
            signer_address=stored.signer_address,
            keystore_path=stored.keystore_path,
            status=_node_status(record.status),
        )

    # --- keys ----------------------------------------------------------------------------------------------------

    def add_key(
        self,
        issuer_id: int,
        key: str,
        *,
        valid_from: int | None = None,
        valid_until: int | None = None,
        keystore_path: str | None = None,
        use_for_signing: bool = False,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Add a signing key; with ``use_for_signing`` this node anchors the issuer's credentials with it from now."""
        new_key = address(key, "address")
        self._check_signer(new_key, keystore_path)
        if use_for_signing:
            self._require_stored(issuer_id)
        admin_tm, record = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        start = valid_from if valid_from is not None else max(record.valid_from, registry.latest_timestamp())
        fn = registry.registry_fn("addIssuerKey", issuer_id, new_key, start, valid_until or 0)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        if act.executed and use_for_signing:
            self._set_signer(issuer_id, new_key, keystore_path)
        return act

    def rotate_key(
        self,
        issuer_id: int,
        old_key: str,
        new_key: str,
        *,
        switch_at: int | None = None,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
    ) -> tuple[ChainAct, bool]:
        """Retire ``old_key`` and add ``new_key`` from ``switch_at`` (default: now). Returns (act, signer switched):
        this node signs with the new key from now when the switch is not in the future and it was signing with the
        old one."""
        old, new = address(old_key, "oldKey"), address(new_key, "newKey")
        self._check_signer(new, keystore_path)
        admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        now = registry.latest_timestamp()
        at = switch_at if switch_at is not None else now
        fn = registry.registry_fn("rotateIssuerKey", issuer_id, old, new, at)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        stored = self._stored(issuer_id)
        switched = False
        if act.executed and stored is not None and stored.signer_address.lower() == old.lower() and at <= now + 1:
            self._set_signer(issuer_id, new, keystore_path)
            switched = True
        return act, switched

    def cut_off_key(
        self,
        issuer_id: int,
        key: str,
        *,
        cutoff: int | None = None,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Declare ``key`` compromised from ``cutoff`` (default: now): its anchors at or after it become invalid."""
        target = address(key, "address")
        admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        at = cutoff if cutoff is not None else registry.latest_timestamp()
        fn = registry.registry_fn("cutOffIssuerKey", issuer_id, target, at)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        return act

    def _require_stored(self, issuer_id: int) -> Issuer:
        stored = self._stored(issuer_id)
        if stored is None:
            raise NotFoundError(
                f"issuer {issuer_id} is not registered on this node: register it first (POST /v1/issuers/register)."
            )
        return stored

    def _set_signer(self, issuer_id: int, signer: str, keystore_path: str | None) -> None:
        stored = self._require_stored(issuer_id)
        self._node.store.upsert_issuer(
            issuer_id,
            name=stored.name,
            metadata_uri=stored.metadata_uri,
            signer_address=signer,
            keystore_path=keystore_path,
            status=stored.status,
        )


def _call_args(entry: dict[str, Any], args: Sequence[Any]) -> list[Any]:
    """JSON arguments for one ABI function: addresses checksummed, 0x hex for bytes; counts checked."""
    inputs = entry.get("inputs", [])
    if len(inputs) != len(args):
        names = ", ".join(f"{i['type']} {i['name']}" for i in inputs)
        raise ValidationFailedError(f"args: {entry['name']} takes {len(inputs)} arguments ({names})")
    out: list[Any] = []
    for spec, value in zip(inputs, args, strict=True):
        kind = str(spec["type"])
        if kind == "address" and isinstance(value, str):
            out.append(address(value, str(spec["name"])))
        elif kind.startswith("bytes") and not kind.endswith("]") and isinstance(value, str) and value.startswith("0x"):
            try:
                out.append(bytes.fromhex(value[2:]))
            except ValueError as exc:
                raise ValidationFailedError(f"args: {spec['name']} is not hex") from exc
        elif kind == "bytes32[]" and isinstance(value, list):
            out.append(type_ids([str(v) for v in value]))
        else:
            out.append(value)
    return out


def _expects(kind: str) -> str:
    """What a JSON argument of ABI type ``kind`` looks like, in words."""
    if kind.endswith("]"):
        return f"a JSON array of {kind[: kind.rindex('[')]} values"
    if kind.startswith("("):
        return f"a JSON array of the fields {kind}, in order"
    bits = kind.removeprefix("u").removeprefix("int") or "256"
    if kind.startswith("uint"):
        return f"an integer from 0 to 2**{bits} - 1"
    if kind.startswith("int"):
        return f"an integer from -2**{int(bits) - 1} to 2**{int(bits) - 1} - 1"
    if kind == "address":
        return "an address (0x and 40 hex digits)"
    if kind.startswith("bytes") and kind != "bytes":
        return f"0x and {2 * int(kind[5:])} hex digits"
    return {"bool": "true or false", "string": "a string", "bytes": "0x and hex digits"}.get(kind, f"a {kind}")


def _encodable_call(contract: Contract, entry: dict[str, Any], args: Sequence[Any]) -> ContractFunction:
    """The call of ``entry`` with JSON ``args``, checked to encode; else ValidationFailedError naming the first
    argument that does not fit its ABI type (web3's own errors are not TypeError/ValueError: they were a 500)."""
    values = _call_args(entry, args)
    for i, (spec, value) in enumerate(zip(entry.get("inputs", []), values, strict=True)):
        kind = str(collapse_if_tuple(dict(spec)))
        if not contract.w3.codec.is_encodable(kind, value):
            raise ValidationFailedError(
                f"args[{i}] ({kind} {spec.get('name') or ''}) of {entry['name']}: {str(args[i])[:80]!r} does not fit; "
                f"give {_expects(kind)}."
            )
    try:
        fn: ContractFunction = contract.get_function_by_name(str(entry["name"]))(*values)
        fn._encode_transaction_data()
    except (TypeError, ValueError, OverflowError, EncodingError, MismatchedABI, Web3ValidationError) as exc:
        raise ValidationFailedError(
            f"args: {entry['name']} does not accept these arguments ({type(exc).__name__}): give each in ABI order, "
            "of its type."
        ) from exc
    return fn


def status_word(status: CredentialStatus) -> str:
    return _STATUS_WORDS[status]


__all__ = [
    "ZERO32",
    "AccreditationAction",
    "AccreditedBody",
    "AccreditedIssuer",
    "ApiModel",
    "BodyView",
    "ChainAct",
    "GovernanceService",
    "IssuerDetail",
    "IssuerView",
    "KeyView",
    "ProposalState",
    "ProposalView",
    "Via",
    "explain",
    "explained",
    "status_word",
]
