"""The registry's and the governance contract's events, as the indexer stored them (public, paged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from node.api.deps import EventsDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import Responses, documented
from node.api.schemas.events import EventPageOut
from node.api.schemas.examples import EXAMPLE_ROOT
from node.services.events import EventName

router = APIRouter(prefix="/v1", tags=["events"], route_class=StrictJsonRoute)

MAX_LIMIT = 1000


ERRORS: Responses = {
    422: documented(
        "A filter is malformed (root not 0x + 64 hex digits, an unknown event name) or the cursor was "
        "not issued by this node; the detail names the parameter."
    ),
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
