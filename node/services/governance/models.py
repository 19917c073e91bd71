"""The governance values: what acts and views return, as plain frozen values (the wire shapes are
:mod:`node.api.schemas.governance`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

DEFAULT_TTL_S = 7 * 24 * 3600
"""How long a proposal stays open for approvals and execution (its deadline)."""


ZERO32 = b"\0" * 32


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


@dataclass(frozen=True, kw_only=True)
class ProposalView:
    """A governance proposal: a call to the registry or to governance itself, approved by k of n governors."""

    id: int
    proposer: str
    target: str
    target_address: str
    function: str | None
    args: dict[str, Any]
    deadline: datetime
    state: ProposalState
    approvals: int
    threshold: int
    approved_by: list[str]


@dataclass(frozen=True, kw_only=True)
class ChainAct:
    """What a write did on chain: executed (tx hash and block), or proposed and waiting for approvals."""

    via: Via
    executed: bool
    tx_hash: str | None
    block_number: int | None
    proposal: ProposalView | None = None


@dataclass(frozen=True, kw_only=True)
class TypeView:
    id: str
    name: str | None


class KeyState(StrEnum):
    ACTIVE = "active"
    NOT_YET_VALID = "not-yet-valid"
    RETIRED = "retired"
    CUT_OFF = "cut-off"
    INACTIVE = "inactive"
    """The key's window is open but its issuer or body is not active."""


@dataclass(frozen=True, kw_only=True)
class KeyView:
    address: str
    key_id: int
    valid_from: datetime
    valid_until: datetime | None
    compromised_at: datetime | None
    effective_from: datetime | None
    effective_until: datetime | None
    state: KeyState
    node_signs_with_it: bool


@dataclass(frozen=True, kw_only=True)
class BodyView:
    """An accreditation body (e.g. a quality council), accredited by governance."""

    id: int
    admin: str
    status: str
    max_level: int
    valid_from: datetime
    valid_until: datetime | None
    status_changed_at: datetime
    metadata_uri: str
    credential_types: list[TypeView]


@dataclass(frozen=True, kw_only=True)
class PathStep:
    level: str
    id: int | None = None
    address: str | None = None
    status: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class IssuerView:
    """An issuer as the chain and this node know it."""

    id: int
    name: str | None
    metadata_uri: str
    body_id: int
    status: str
    held_by_governance: bool
    max_level: int
    valid_from: datetime
    valid_until: datetime | None
    status_changed_at: datetime
    registered_on_node: bool
    node_status: str | None
    signer_address: str | None


@dataclass(frozen=True, kw_only=True)
class IssuerDetail(IssuerView):
    credential_types: list[TypeView]
    keys: list[KeyView]
    accreditation_path: list[PathStep]


@dataclass(frozen=True, kw_only=True)
class AccreditedIssuer:
    """The outcome of accrediting (or registering) an issuer."""

    issuer_id: int | None
    act: ChainAct
    key_act: ChainAct | None
    registered: bool
    api_key: str | None = None
    next_step: str | None = None


@dataclass(frozen=True, kw_only=True)
class AccreditedBody:
    """The outcome of accrediting a body: its id once executed, or the pending proposal."""

    body_id: int | None
    act: ChainAct


class AccreditationAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    WITHDRAW = "withdraw"
