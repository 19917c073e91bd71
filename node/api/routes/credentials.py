"""Credentials: issue one, many (JSON) or a CSV file of them; read their status and, once anchored, their bundles.

Every write is accepted (202) only after it is in the outbox; the batcher anchors it later. All routes but the type
catalogue need an issuer API key, and an issuer only ever sees its own credentials.

Request validation failures are rendered by the node's one error handler as ``{"error": "ValidationFailedError",
"detail": ...}`` naming the JSON pointer and rule of every problem, and never quoting a submitted value
(see ``node.api.errors.request_validation_handler``, which covers every route).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from node.api.deps import CredentialId, IssuanceDep, IssuerDep, IssuerReaderDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import E401, E403, E404, E409, E413, E422_BULK, E422_CSV, E422_ONE, E422_QUERY
from node.api.schemas.credentials import (
    AcceptedOut,
    BulkAcceptedOut,
    BulkIn,
    CredentialIn,
    CredentialOut,
    CredentialPageOut,
    CredentialSummaryOut,
    CredentialTypeOut,
    CredentialTypesOut,
    IssuanceStatus,
)
from node.credentials.csvfile import LIST_SEPARATOR, MAX_CSV_BYTES, parse_csv
from node.credentials.items import MAX_BULK
from node.store import AnchoringState

router = APIRouter(prefix="/v1", tags=["credentials"], route_class=StrictJsonRoute)

# --- routes -----------------------------------------------------------------------------------------------------


def _location(credential_id: str) -> str:
    return f"{router.prefix}/credentials/{credential_id}"


ACCEPTED_HEADERS = {
    "Location": {"description": "The credential's URL (GET it for its status).", "schema": {"type": "string"}}
}


@router.post(
    "/credentials",
    status_code=202,
    summary="Issue one credential",
    responses={
        202: {"description": "Accepted: in the outbox, to be anchored.", "headers": ACCEPTED_HEADERS},
        401: E401,
        403: E403,
        409: E409,
        422: E422_ONE,
    },
)
def issue_credential(body: CredentialIn, principal: IssuerDep, service: IssuanceDep, response: Response) -> AcceptedOut:
    """Validate the credential against its type, build and seal its document, and write it to the outbox before
    answering. Resubmitting with the same `clientRef` returns the same credential."""
    view = service.submit_one(principal, body.to_item())
    response.headers["Location"] = _location(view.id)
    return AcceptedOut.model_validate(view)


@router.post(
    "/credentials/bulk",
    status_code=202,
    summary="Issue up to 10,000 credentials at once",
    responses={401: E401, 403: E403, 409: E409, 413: E413, 422: E422_BULK},
)
def issue_bulk(body: BulkIn, principal: IssuerDep, service: IssuanceDep) -> BulkAcceptedOut:
    """All or nothing: one bad item refuses the request and the 422 lists every bad item (index, JSON pointer,
    rule). Accepted credentials are in the outbox before the reply; ids come back in input order."""
    accepted = service.submit(principal, [c.to_item() for c in body.credentials])
    return BulkAcceptedOut(accepted=len(accepted), ids=[a.id for a in accepted])


CSV_HELP = (
    "A UTF-8 CSV file (comma-separated, header row first). Columns: `type` (required), `version`, `clientRef`, "
    "`validFrom`, `validUntil`, and one column per credentialSubject field as a dotted path (`learner.name`, "
    "`learner.identity.type`, `learner.identity.number`, `qualification.id`, `qualification.nqfLevel`, ...). "
    "Empty cells are left out; numbers are read as the type's schema says; list fields take entries separated by "
    f"'{LIST_SEPARATOR}'. GET /v1/credential-types gives each type's header template. At most {MAX_BULK:,} rows."
)


@router.post(
    "/credentials/bulk/csv",
    status_code=202,
    summary="Issue the credentials of a CSV file",
    description=CSV_HELP,
    responses={401: E401, 403: E403, 409: E409, 413: E413, 422: E422_CSV},
)
def issue_csv(
    file: Annotated[UploadFile, File(description=CSV_HELP)], principal: IssuerDep, service: IssuanceDep
) -> BulkAcceptedOut:
    data = file.file.read(MAX_CSV_BYTES + 1)
    accepted = service.submit(principal, parse_csv(data))
    return BulkAcceptedOut(accepted=len(accepted), ids=[a.id for a in accepted])


@router.get(
    "/credentials/{credential_id}",
    summary="A credential's status, and its bundle once anchored",
    responses={401: E401, 403: E403, 404: E404},
)
def get_credential(credential_id: CredentialId, principal: IssuerReaderDep, service: IssuanceDep) -> CredentialOut:
    """pending → batched → anchored (with the holder's bundle), or failed with the reason. Only the issuer's own
    credentials are visible; another issuer's id answers 404."""
    return CredentialOut.of_view(service.get(principal, credential_id))


@router.get(
    "/credentials",
    summary="The issuer's own credentials",
    responses={401: E401, 403: E403, 422: E422_QUERY},
)
def list_credentials(
    principal: IssuerReaderDep,
    service: IssuanceDep,
    status: Annotated[IssuanceStatus | None, Query(description="Only credentials in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="How many to skip.")] = 0,
) -> CredentialPageOut:
    """Oldest first; page with `limit` and `offset` (`nextOffset` says where the next page starts)."""
    page = service.list_credentials(
        principal, status=AnchoringState(status) if status else None, limit=limit, offset=offset
    )
    following = page.offset + len(page.items)
    return CredentialPageOut(
        items=[CredentialSummaryOut.of(v) for v in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_offset=following if following < page.total and page.items else None,
    )


@router.get("/credential-types", summary="The credential types, their schemas and CSV templates")
def credential_types(service: IssuanceDep) -> CredentialTypesOut:
    """Public: the types this node issues, each version's JSON Schema for credentialSubject, and the CSV columns
    (header template) for bulk upload."""
    return CredentialTypesOut(types=[CredentialTypeOut.model_validate(info) for info in service.credential_types()])
