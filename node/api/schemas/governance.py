"""The wire models of governance and issuers: requests (validated, camelCase, no stray fields) and responses.

The governance service returns plain frozen values (``node.services.governance.models``); the routes (and the CLI's
JSON output) turn them into these response models with ``Model.model_validate(value)``: the descriptions and examples
of the OpenAPI document live here, beside the requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from eth_utils.address import is_address, to_checksum_address
from pydantic import AfterValidator, ConfigDict, Field

from node.api.schemas.base import ApiRequest, ApiSchema
from node.chain.registry import OPEN_END
from node.credentials.types import known_types
from node.services.governance import DEFAULT_TTL_S, KeyState, ProposalState, Via

# --- responses ----------------------------------------------------------------------------------------------------


class ProposalView(ApiSchema):
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


class ChainAct(ApiSchema):
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


class TypeView(ApiSchema):
    id: str = Field(description="bytes32 type id on chain (keccak256('credreg:type:<name>')).")
    name: str | None = Field(description="The type's name when this node knows it.")


class KeyView(ApiSchema):
    address: str
    key_id: int
    valid_from: datetime
    valid_until: datetime | None = Field(description="null: open-ended.")
    compromised_at: datetime | None = Field(description="Compromise cut-off: anchors at or after it are invalid.")
    effective_from: datetime | None
    effective_until: datetime | None = Field(description="null: open-ended (or not acting while inactive).")
    state: KeyState
    node_signs_with_it: bool = Field(description="True for the key this node signs the issuer's anchors with.")


class BodyView(ApiSchema):
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


class PathStep(ApiSchema):
    level: str = Field(description="governance, body or issuer.")
    id: int | None = None
    address: str | None = None
    status: str
    detail: str = Field(description="One line: who they are and what they hold.")


class IssuerView(ApiSchema):
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


class AccreditedIssuer(ApiSchema):
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


class AccreditedBody(ApiSchema):
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


# --- request pieces --------------------------------------------------------------------------------------------------


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError("not an Ethereum address (0x + 40 hex digits)")
    return str(to_checksum_address(value))


def _moment(value: datetime) -> datetime:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not 0 <= value.timestamp() < OPEN_END:
        raise ValueError("out of range (1970 .. year 36812)")
    return value


def _type_name(value: str) -> str:
    names = {t.name for t in known_types()}
    if value in names or (value.startswith("0x") and len(value) == 66 and _is_hex(value[2:])):
        return value
    raise ValueError(f"unknown credential type; use one of {', '.join(sorted(names))} or a 0x bytes32 id")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


Address = Annotated[str, AfterValidator(_address)]
Moment = Annotated[datetime, AfterValidator(_moment)]
TypeName = Annotated[str, AfterValidator(_type_name)]


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


# --- requests ------------------------------------------------------------------------------------------------------


class AccreditIssuerRequest(ApiRequest):
    """Accredit an issuer under a body, give it its signing key, and register it on this node."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "bodyId": 1,
                "name": "Cape Peninsula TVET College",
                "metadataUri": "did:web:cptvet.example",
                "signerAddress": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                "keystorePath": "/var/lib/credreg/keys/cptvet.json",
                "credentialTypes": ["formal-qualification", "micro-credential"],
                "maxLevel": 6,
                "mintApiKey": True,
            }
        }
    )

    body_id: int = Field(ge=1, le=2**32 - 1, description="The accreditation body it is accredited under.")
    name: str = Field(min_length=1, max_length=200, description="Display name (kept on this node only).")
    metadata_uri: str = Field(min_length=1, max_length=500, description="A DID or https profile (on chain).")
    signer_address: Address = Field(description="The key this node anchors the issuer's credentials with.")
    keystore_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Encrypted keystore of the signing key (unneeded on the devnet).",
    )
    credential_types: list[TypeName] = Field(min_length=1, max_length=64, description="Types it may issue.")
    max_level: int = Field(ge=1, le=255, description="Highest level (e.g. NQF) it may issue.")
    valid_from: Moment | None = Field(default=None, description="Start of the accreditation (default: now).")
    valid_until: Moment | None = Field(default=None, description="End (default: open-ended).")
    body_admin_keystore_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="The body admin's keystore, if this node should act as the body.",
    )
    mint_api_key: bool = Field(default=True, description="Mint the issuer's first API key (shown once).")


class RegisterIssuerRequest(ApiRequest):
    """Register an issuer already accredited on chain (e.g. after a k-of-n proposal executed) on this node."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "issuerId": 3,
                "name": "Cape Peninsula TVET College",
                "signerAddress": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                "mintApiKey": True,
            }
        }
    )

    issuer_id: int = Field(ge=1, le=2**32 - 1)
    name: str = Field(min_length=1, max_length=200)
    signer_address: Address
    keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    mint_api_key: bool = True


class AccreditationActRequest(ApiRequest):
    """Suspend, reinstate or withdraw, with a reason code recorded on chain."""

    model_config = ConfigDict(json_schema_extra={"example": {"reasonCode": 5, "byGovernance": False}})

    reason_code: int = Field(ge=0, le=65535, description="Recorded on chain (e.g. 1 audit failure, 5 admin hold).")
    by_governance: bool = Field(
        default=False,
        description="Act through governance even when this node holds the body admin key (a governance hold can "
        "then be lifted by governance only).",
    )
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class AddKeyRequest(ApiRequest):
    """Add a signing key to an issuer."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "address": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
                "keystorePath": "/var/lib/credreg/keys/cptvet-2027.json",
                "useForSigning": True,
            }
        }
    )

    address: Address
    valid_from: Moment | None = Field(default=None, description="Default: now.")
    valid_until: Moment | None = Field(default=None, description="Default: open-ended.")
    keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    use_for_signing: bool = Field(default=False, description="This node anchors the issuer's credentials with it.")
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class RotateKeyRequest(ApiRequest):
    """Rotate: retire the old key and add the new one, both at ``switchAt`` (default now)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "oldKey": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                "newKey": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
                "keystorePath": "/var/lib/credreg/keys/cptvet-2027.json",
            }
        }
    )

    old_key: Address
    new_key: Address
    switch_at: Moment | None = Field(default=None, description="When the new key takes over (default: now).")
    keystore_path: str | None = Field(
        default=None, min_length=1, max_length=1000, description="The new key's keystore."
    )
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class CutoffRequest(ApiRequest):
    """Declare a key compromised from a time on: its anchors at or after it become invalid (retroactive)."""

    model_config = ConfigDict(json_schema_extra={"example": {"cutoff": "2026-11-20T08:00:00Z"}})

    cutoff: Moment | None = Field(default=None, description="From when (default: now). Only ever moves earlier.")
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class RotationResult(ApiSchema):
    """A rotation on chain, and whether this node now signs with the new key."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "act": {"via": "body-admin", "executed": True, "txHash": "0x3b…", "blockNumber": 902},
                "signerSwitched": True,
            }
        },
    )

    act: ChainAct
    signer_switched: bool = Field(description="True when this node anchors with the new key from now on.")


class AccreditBodyRequest(ApiRequest):
    """Accredit an accreditation body (a quality council, a sector authority) for a scope."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "admin": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "credentialTypes": ["formal-qualification", "micro-credential", "recognition-of-prior-learning"],
                "maxLevel": 10,
                "metadataUri": "did:web:quality-council.example",
            }
        }
    )

    admin: Address = Field(description="The account that acts for the body (accredits its issuers).")
    credential_types: list[TypeName] = Field(min_length=1, max_length=64)
    max_level: int = Field(ge=1, le=255)
    metadata_uri: str = Field(min_length=1, max_length=500)
    valid_from: Moment | None = Field(default=None, description="Default: now.")
    valid_until: Moment | None = Field(default=None, description="Default: open-ended.")


class ProposeRequest(ApiRequest):
    """Propose any state-changing call of the registry or of governance itself (e.g. add a governor, change k)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "target": "governance",
                "function": "addGovernor",
                "args": ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"],
            }
        }
    )

    target: str = Field(pattern="^(registry|governance)$", description="'registry' or 'governance'.")
    function: str = Field(min_length=1, max_length=64, pattern="^[A-Za-z][A-Za-z0-9]*$")
    args: list[Any] = Field(default_factory=list, max_length=16, description="Arguments in ABI order (JSON).")
    ttl_seconds: int = Field(default=DEFAULT_TTL_S, ge=60, le=365 * 24 * 3600, description="Until the deadline.")


class ApproveRequest(ApiRequest):
    model_config = ConfigDict(json_schema_extra={"example": {"execute": True}})

    execute: bool = Field(default=True, description="Execute at once when this approval reaches k.")


DEFAULT_APPROVAL = ApproveRequest()


class ProposalList(ApiSchema):
    """Proposals, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"items": [ProposalView.model_json_schema()["example"]]}},
    )

    items: list[ProposalView]


__all__ = [
    "DEFAULT_APPROVAL",
    "AccreditBodyRequest",
    "AccreditIssuerRequest",
    "AccreditationActRequest",
    "AccreditedBody",
    "AccreditedIssuer",
    "AddKeyRequest",
    "Address",
    "ApproveRequest",
    "BodyView",
    "ChainAct",
    "CutoffRequest",
    "IssuerDetail",
    "IssuerView",
    "Moment",
    "ProposalList",
    "ProposalView",
    "ProposeRequest",
    "RegisterIssuerRequest",
    "RotateKeyRequest",
    "RotationResult",
    "TypeName",
    "epoch",
]
