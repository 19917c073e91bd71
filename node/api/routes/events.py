"""The registry's and the governance contract's events, as the indexer stored them (public, paged)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.api.deps import EventsDep
from node.api.errors import ErrorBody
from node.api.jsonbody import StrictJsonRoute
from node.readmodel.mirror import TIMESTAMP_ARG
from node.services.events import EventName, contract_of
from node.store import Event, EventPage

router = APIRouter(prefix="/v1", tags=["events"], route_class=StrictJsonRoute)

MAX_LIMIT = 1000
EXAMPLE_ROOT = "0x4f3c1d2e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EventOut(_Out):
    """One contract event, in chain order."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "blockNumber": 1234,
                "blockHash": "0x9a1c5e0d0b3f4e1d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d",
                "blockTimestamp": 1795309737,
                "txHash": "0x23a760f9dc58dda1cb3652d99cfbfe5b70a9262c18728dee6cb5a5a9d7223319",
                "logIndex": 0,
                "contract": "CredentialRegistry",
                "name": "CredentialRevoked",
                "args": {"root": EXAMPLE_ROOT, "credentialHash": "0x" + "00" * 32, "reasonCode": 2},
                "root": EXAMPLE_ROOT,
                "issuerId": 1,
            }
        }
    )

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
        examples=[{"root": EXAMPLE_ROOT, "credentialHash": "0x" + "00" * 32, "reasonCode": 2}],
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


class EventPageOut(_Out):
    """One page of events; pass ``nextCursor`` back as ``cursor`` (with the same filters) for the next one."""

    items: list[EventOut] = Field(description="Events in chain order (block number, then log index).")
    next_cursor: str | None = Field(
        description="Opaque; null when this page is the last (so far: new events may follow later).",
        examples=["ZXYxOjEyMzQ6MA"],
    )

    @classmethod
    def of(cls, page: EventPage) -> EventPageOut:
        return cls(items=[EventOut.of(event) for event in page.items], next_cursor=page.next_cursor)


ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "A filter is malformed (root not 0x + 64 hex digits, an unknown event name) or the cursor was "
        "not issued by this node; the detail names the parameter.",
    },
}


@router.get(
    "/events",
    summary="Indexed contract events, filtered and paged",
    response_model=EventPageOut,
    responses=ERRORS,
)
def list_events(
    service: EventsDep,
    name: Annotated[EventName | None, Query(description="Only events of this name.")] = None,
    issuer_id: Annotated[
        int | None, Query(alias="issuerId", ge=0, le=2**32 - 1, description="Only events about this issuer.")
    ] = None,
    root: Annotated[
        str | None,
        Query(
            pattern="^0x[0-9a-fA-F]{64}$",
            description="Only events about this Merkle root (0x + 64 hex digits).",
            examples=[EXAMPLE_ROOT],
        ),
    ] = None,
    from_block: Annotated[int | None, Query(alias="fromBlock", ge=0, le=2**62, description="From this block.")] = None,
    to_block: Annotated[
        int | None, Query(alias="toBlock", ge=0, le=2**62, description="Up to this block (inclusive).")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`nextCursor` of the previous page, unchanged.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events per page.")] = 100,
) -> EventPageOut:
    page = service.query(
        name=name.value if name is not None else None,
        issuer_id=issuer_id,
        root=root,
        from_block=from_block,
        to_block=to_block,
        cursor=cursor,
        limit=limit,
    )
    return EventPageOut.of(page)
