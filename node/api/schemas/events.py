"""The wire models of the indexed contract events: one event, one page."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from node.api.schemas.base import ApiSchema
from node.api.schemas.examples import EVENT_ARGS, EVENT_EXAMPLE, EXAMPLE_ROOT
from node.readmodel.mirror import TIMESTAMP_ARG
from node.services.events import contract_of
from node.store import Event, EventPage


class EventOut(ApiSchema):
    """One contract event, in chain order."""

    model_config = ConfigDict(json_schema_extra={"example": EVENT_EXAMPLE})

    block_number: int = Field(description="The block the event was emitted in.", examples=[1234])
    block_hash: str = Field(description="That block's hash (0x hex).")
    block_timestamp: int | None = Field(description="That block's timestamp (Unix seconds).", examples=[1795309737])
    tx_hash: str = Field(description="The transaction that emitted it (0x hex).")
    log_index: int = Field(description="Its position among the block's logs.", examples=[0])
    contract: str = Field(description="`CredentialRegistry` or `RegistryGovernance`.", examples=["CredentialRegistry"])
    name: str = Field(description="The event's name in the contracts' ABI.", examples=["CredentialAnchored"])
    args: dict[str, Any] = Field(
        description="The event's arguments by their ABI names; bytes as 0x hex, addresses checksummed. "
        "`CredentialAnchored` also carries the anchor record read with `anchorOf` when it was indexed "
        "(issuerId, keyId, key, anchoredAt, leafCount, credentialType, expiresAt). A lifecycle event's "
        "credentialHash 0x00…00 means the whole root.",
        examples=[EVENT_ARGS],
    )
    root: str | None = Field(description="The Merkle root the event is about, if any.", examples=[EXAMPLE_ROOT])
    issuer_id: int | None = Field(
        description="The issuer the event is about: its own argument, or the issuer of the root it names.",
        examples=[1],
    )

    @classmethod
    def of(cls, event: Event) -> EventOut:
        args = dict(event.args)
        timestamp = args.pop(TIMESTAMP_ARG, None)
        return cls(
            block_number=event.block_number,
            block_hash=event.block_hash,
            block_timestamp=timestamp if isinstance(timestamp, int) else None,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
            contract=contract_of(event.name),
            name=event.name,
            args=args,
            root=event.root,
            issuer_id=event.issuer_id,
        )


class EventPageOut(ApiSchema):
    """One page of events; pass ``nextCursor`` back as ``cursor`` (with the same filters) for the next one."""

    items: list[EventOut] = Field(description="Events in chain order (block number, then log index).")
    next_cursor: str | None = Field(
        description="Opaque; null when this page is the last (so far: new events may follow later).",
        examples=["ZXYxOjEyMzQ6MA"],
    )

    @classmethod
    def of(cls, page: EventPage) -> EventPageOut:
        return cls(items=[EventOut.of(event) for event in page.items], next_cursor=page.next_cursor)


__all__ = ["EventOut", "EventPageOut"]
