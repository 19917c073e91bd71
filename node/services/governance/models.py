"""The governance values: what acts and views return (camelCase on the wire through :class:`ApiModel`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DEFAULT_TTL_S = 7 * 24 * 3600
"""How long a proposal stays open for approvals and execution (its deadline)."""


ZERO32 = b"\0" * 32


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


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


class AccreditationAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    WITHDRAW = "withdraw"
