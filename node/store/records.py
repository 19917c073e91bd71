"""Plain, immutable values the store hands out: callers never see sessions or live ORM objects.

Hashes (Merkle roots, credential hashes, proof nodes, transaction and block hashes, type ids) are ``0x``-hex text here,
as their columns hold them (the store writes what it is given and reads back what it wrote); where bytes are needed,
:meth:`node.credentials.hash32.Hash32.from_hex` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple


class IssuerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ApiKeyRole(StrEnum):
    ISSUER = "issuer"
    ADMIN = "admin"
    GOVERNOR = "governor"


class AnchoringState(StrEnum):
    """Where a credential stands on its way onto the chain, as this node's outbox records it (not its status on chain:
    that is ``node.chain.values.CredentialStatus``)."""

    PENDING = "pending"
    BATCHED = "batched"
    ANCHORED = "anchored"
    FAILED = "failed"


class BatchStatus(StrEnum):
    BUILDING = "building"
    BUILT = "built"
    SIGNED = "signed"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Issuer:
    id: int
    name: str
    metadata_uri: str
    signer_address: str
    keystore_path: str | None
    status: IssuerStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """An API key as listed: never the secret, only its display prefix."""

    id: int
    prefix: str
    role: ApiKeyRole
    issuer_id: int | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an authenticated API key speaks for."""

    key_id: int
    role: ApiKeyRole
    issuer_id: int | None
    label: str
    prefix: str


@dataclass(frozen=True, slots=True)
class NewCredential:
    """One credential to write to the outbox. ``document`` is a JSON object or its JSON text."""

    type_name: str
    type_version: str
    credential_hash: str
    document: Mapping[str, Any] | str
    client_ref: str | None = None
    id: str | None = None
    """The credential's id: the uuid of its document's ``urn:uuid:`` id, so issuer and holder name it alike (a
    fresh uuid when not given)."""


@dataclass(frozen=True, slots=True)
class Credential:
    id: str
    issuer_id: int
    type_name: str
    type_version: str
    credential_hash: str
    document: str
    """The full salted document as stored (JSON text); parse it with ``json.loads``."""
    status: AnchoringState
    batch_id: int | None
    merkle_proof: tuple[str, ...] | None
    """Siblings from the credential's leaf up to its batch's root, read from the batch's stored tree (``None``
    until the batch's tree is built)."""
    failure_reason: str | None
    client_ref: str | None
    created_at: datetime
    anchored_at: datetime | None


class PendingGroup(NamedTuple):
    """An issuer's pending credentials of one type and version (the batcher closes a batch per group)."""

    type_name: str
    type_version: str
    pending: int
    oldest_age_s: float
    """Seconds since the oldest of them was accepted."""


class ClaimedBatch(NamedTuple):
    """What :meth:`Store.claim_batch` hands the batcher; unpacks as ``(batch_id, credential_hashes)``."""

    batch_id: int
    credential_hashes: list[str]
    """The claimed credentials' hashes (``0x``-hex, in no particular order: the tree sorts its leaves)."""


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    issuer_id: int
    root: str | None
    leaf_count: int
    credential_type: str | None
    expires_at: datetime | None
    status: BatchStatus
    signer: str | None
    nonce: int | None
    raw_tx: str | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    root: str | None = None
    issuer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    name: str
    args: dict[str, Any]
    root: str | None
    issuer_id: int | None


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    next_cursor: str | None
    """Pass back as ``cursor`` for the next page; ``None`` when this page was the last."""


@dataclass(frozen=True, slots=True)
class IndexerCursor:
    name: str
    block_number: int
    block_hash: str
