"""The events API's use case: which indexed events a client may ask for, validated, paged by an opaque cursor.

The indexer (:mod:`node.workers.indexer`) writes the events into the store; ``GET /v1/events`` reads them through
:class:`EventsService` (validation and the cursor here, SQL in the store).
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

from node.credentials.hash32 import Hash32
from node.errors import ValidationFailedError
from node.store import EventPage, Store


class EventName(StrEnum):
    """Every event the indexer stores (the registry's and the governance contract's)."""

    BodyAccredited = "BodyAccredited"
    BodySuspended = "BodySuspended"
    BodyReinstated = "BodyReinstated"
    BodyWithdrawn = "BodyWithdrawn"
    BodyAdminChanged = "BodyAdminChanged"
    IssuerAccredited = "IssuerAccredited"
    IssuerSuspended = "IssuerSuspended"
    IssuerReinstated = "IssuerReinstated"
    IssuerWithdrawn = "IssuerWithdrawn"
    IssuerMetadataUpdated = "IssuerMetadataUpdated"
    KeyAdded = "KeyAdded"
    KeyRetired = "KeyRetired"
    KeyCompromised = "KeyCompromised"
    CredentialTypeRegistered = "CredentialTypeRegistered"
    CredentialAnchored = "CredentialAnchored"
    CredentialRevoked = "CredentialRevoked"
    CredentialSuspended = "CredentialSuspended"
    CredentialReinstated = "CredentialReinstated"
    CredentialSuperseded = "CredentialSuperseded"
    EIP712DomainChanged = "EIP712DomainChanged"
    ProposalCreated = "ProposalCreated"
    ProposalApproved = "ProposalApproved"
    ProposalExecuted = "ProposalExecuted"
    GovernorAdded = "GovernorAdded"
    GovernorRemoved = "GovernorRemoved"
    ThresholdChanged = "ThresholdChanged"


GOVERNANCE_EVENTS = frozenset(
    {"ProposalCreated", "ProposalApproved", "ProposalExecuted", "GovernorAdded", "GovernorRemoved", "ThresholdChanged"}
)


class EventsService:
    """Reads indexed events for ``GET /v1/events`` (validation and the opaque cursor live here, SQL in the store)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def query(
        self,
        *,
        name: str | None = None,
        issuer_id: int | None = None,
        root: str | None = None,
        from_block: int | None = None,
        to_block: int | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> EventPage:
        if name is not None and name not in EventName.__members__:
            raise ValidationFailedError(f"name: unknown event {name!r}; use one of {', '.join(EventName)}.")
        if root is not None:
            try:
                root = Hash32.from_hex(root.lower()).hex0x
            except ValueError:
                raise ValidationFailedError(
                    "root: must be 0x followed by 64 hex digits (a Merkle root or a leaf)."
                ) from None
        page = self._store.query_events(
            name=name,
            issuer_id=issuer_id,
            root=root,
            from_block=from_block,
            to_block=to_block,
            cursor=decode_cursor(cursor) if cursor is not None else None,
            limit=limit,
        )
        return EventPage(page.items, encode_cursor(page.next_cursor) if page.next_cursor else None)


def encode_cursor(position: str) -> str:
    """The store's page position as an opaque token (clients pass it back, never build it)."""
    return base64.urlsafe_b64encode(f"ev1:{position}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailedError(
            "cursor: not a cursor this node issued; pass nextCursor from the previous page unchanged."
        ) from exc
    prefix, _, position = text.partition(":")
    block, _, log_index = position.partition(":")
    if prefix != "ev1" or not block.isdigit() or not log_index.isdigit():
        raise ValidationFailedError(
            "cursor: not a cursor this node issued; pass nextCursor from the previous page unchanged."
        )
    return position


def contract_of(event_name: str) -> str:
    """Which contract emits an event (the names do not overlap)."""
    return "RegistryGovernance" if event_name in GOVERNANCE_EVENTS else "CredentialRegistry"
