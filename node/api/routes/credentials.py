"""Credentials: issue one, many (JSON) or a CSV file of them; read their status and, once anchored, their bundles.

Every write is accepted (202) only after it is in the outbox; the batcher anchors it later. All routes but the type
catalogue need an issuer API key, and an issuer only ever sees its own credentials.

Request validation failures are rendered by the node's one error handler as ``{"error": "ValidationFailedError",
"detail": ...}`` naming the JSON pointer and rule of every problem, and never quoting a submitted value
(see ``node.api.errors.request_validation_handler``, which covers every route).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.api.deps import CredentialId, IssuanceDep, IssuerDep, IssuerReaderDep
from node.api.errors import ErrorBody
from node.api.jsonbody import StrictJsonRoute
from node.credentials.csvfile import LIST_SEPARATOR, MAX_CSV_BYTES, parse_csv
from node.credentials.introspect import TypeInfo
from node.credentials.items import MAX_BULK, IssueItem, ItemProblem, date_time_problem, parse_date_time
from node.services.issuance import CLIENT_REF_MAX, AnchorView, CredentialView
from node.store import AnchoringState

router = APIRouter(prefix="/v1", tags=["credentials"], route_class=StrictJsonRoute)

# --- documented errors ------------------------------------------------------------------------------------------


def _error(description: str, error: str, detail: str) -> dict[str, Any]:
    return {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": {"error": error, "detail": detail}}},
    }


E401 = _error(
    "No API key, or an unknown or revoked one.",
    "UnauthorizedError",
    "No API key was sent: send your API key as 'Authorization: Bearer crk_…' or 'X-API-Key: crk_…' (the operator "
    "creates keys with `credreg apikeys create`).",
)
E403 = _error(
    "Not an issuer key, or (to issue) the issuer is suspended on this node.",
    "ForbiddenError",
    "issuer 12 is suspended on this node, so it cannot issue credentials: ask its accreditation body to reinstate "
    "it. Credentials it issued before stay readable.",
)
E404 = _error(
    "No such credential among this issuer's credentials.",
    "NotFoundError",
    "credential 6f1c2b1e-2d3a-4c5b-9e8f-0a1b2c3d4e5f not found; check the id the node returned",
)
E409 = _error(
    "A credential with the same clientRef was written by a concurrent request; retry.",
    "ConflictError",
    "a credential with the same client_ref was written concurrently; retry the request",
)
E413 = _error(
    f"More than {MAX_BULK:,} credentials, or a CSV file over {MAX_CSV_BYTES // 2**20} MiB.",
    "PayloadTooLargeError",
    f"10,001 credentials in one request; at most {MAX_BULK:,} are accepted at once: split it (`credreg issue` does "
    "this for you).",
)
E422_ONE = _error(
    "The credential breaks its type's rules: every problem with its JSON pointer and rule (values are never quoted).",
    "SubmissionInvalidError",
    "The credential is not valid, so it was not accepted (2 problems): /credentialSubject/learner/name: is required "
    "(rule: required); /credentialSubject/qualification/nqfLevel: must be at most 10 (rule: maximum). Correct these "
    "fields and submit it again.",
)
E422_BULK = _error(
    "Some credentials break their type's rules; nothing was accepted. Every bad item is listed with its index, "
    "JSON pointer and rule (values are never quoted).",
    "SubmissionInvalidError",
    "2 of 500 credentials are not valid, so none was accepted (2 problems): item 3 /credentialSubject/awardDate: "
    "is not a real calendar date (YYYY-MM-DD) (rule: date); item 41 /type: is not a known credential type; use one "
    "of: formal-qualification, micro-credential, recognition-of-prior-learning (rule: enum). Correct them and submit "
    "the whole request again.",
)
E422_CSV = _error(
    "The file is not a readable CSV, or some rows break their type's rules; nothing was accepted. Every bad row is "
    "listed with its row number, column and rule (values are never quoted).",
    "SubmissionInvalidError",
    "1 of 120 rows are not valid, so none was accepted (1 problem): row 7, column qualification.nqfLevel "
    "(/credentialSubject/qualification/nqfLevel): must be a whole number (rule: type). Correct them and upload the "
    "file again.",
)
E422_QUERY = _error(
    "A query parameter is out of range.",
    "ValidationFailedError",
    "The request is not valid (1 problem): query parameter limit: Input should be less than or equal to 1000 "
    "(rule: less_than_equal). Correct it and send it again.",
)

# --- models -----------------------------------------------------------------------------------------------------

IssuanceStatus = Literal["pending", "batched", "anchored", "failed"]

EXAMPLE_SUBJECT: dict[str, Any] = {
    "learner": {"name": "Thandi Nkosi", "identity": {"type": "passport", "number": "A12345678", "country": "ZA"}},
    "qualification": {
        "id": "SAQA-94025",
        "title": "Bachelor of Science in Computer Science",
        "nqfLevel": 7,
        "credits": 360,
    },
    "institution": "University of Example",
    "awardDate": "2026-11-20",
}
EXAMPLE_ID = "6f1c2b1e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"
EXAMPLE_HASH = "0x5a3f0c9d7e21b4a8c6d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4"


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class CredentialIn(ApiModel):
    """One credential to issue: its type and the subject's fields; the node adds the issuer, ids, salts and hashes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "formal-qualification",
                    "version": 1,
                    "credentialSubject": EXAMPLE_SUBJECT,
                    "validUntil": "2036-11-20T00:00:00Z",
                    "clientRef": "2026-graduation/BSC-CS/0001",
                }
            ]
        },
    )

    type: str = Field(
        min_length=1,
        max_length=100,
        description="The credential type's name (see GET /v1/credential-types).",
        examples=["formal-qualification"],
    )
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The type's version; omit for the newest.", examples=[1]
    )
    credential_subject: dict[str, Any] = Field(
        description="The subject's fields, as the type's JSON Schema describes them (GET /v1/credential-types).",
        examples=[EXAMPLE_SUBJECT],
    )
    valid_from: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "When the credential starts to be valid: an ISO 8601 date and time with a time zone (`Z` or `±hh:mm`). "
            "Default: now."
        ),
        examples=["2026-11-22T08:00:00Z"],
        json_schema_extra={"format": "date-time"},
    )
    valid_until: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "When it expires: an ISO 8601 date and time with a time zone, later than validFrom and than now. "
            "Default: never."
        ),
        examples=["2036-11-20T00:00:00Z"],
        json_schema_extra={"format": "date-time"},
    )
    client_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=CLIENT_REF_MAX,
        description=(
            "Your own reference for this credential (e.g. your student record id). Submitting the same clientRef "
            "again returns the credential first issued under it, unchanged, even if the content differs: retrying "
            "is safe. To correct a credential, revoke or supersede it and issue it with a new clientRef."
        ),
        examples=["2026-graduation/BSC-CS/0001"],
    )

    def to_item(self) -> IssueItem:
        """The item to issue; a date that is not an ISO 8601 date-time with a time zone becomes a problem of the
        item (named with its field, reported with the item's other problems), never a guess."""
        problems: list[ItemProblem] = []
        moments: dict[str, datetime | None] = {}
        for name, text in (("validFrom", self.valid_from), ("validUntil", self.valid_until)):
            moments[name] = parse_date_time(text) if text is not None else None
            if text is not None and moments[name] is None:
                problems.append(date_time_problem(name))
        return IssueItem(
            type_name=self.type,
            subject=self.credential_subject,
            version=self.version,
            valid_from=moments["validFrom"],
            valid_until=moments["validUntil"],
            client_ref=self.client_ref,
            problems=tuple(problems),
        )


class BulkIn(ApiModel):
    """Up to 10,000 credentials, accepted or refused together."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"credentials": [{"type": "formal-qualification", "credentialSubject": EXAMPLE_SUBJECT}]}]
        },
    )

    credentials: list[CredentialIn] = Field(
        min_length=1,
        description=f"The credentials, at most {MAX_BULK:,}. One bad item refuses them all (422 lists every one).",
        json_schema_extra={"maxItems": MAX_BULK},
    )


class AcceptedOut(ApiModel):
    """The credential is in the outbox: it will be anchored in the next batch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": EXAMPLE_ID, "status": "pending", "credentialHash": EXAMPLE_HASH, "clientRef": "BSC-CS/0001"}
            ]
        }
    )

    id: str = Field(description="The node's id for the credential: GET /v1/credentials/{id} for its status.")
    status: IssuanceStatus = Field(description="pending for a new credential; for a reused clientRef, its status.")
    credential_hash: str = Field(description="The credential hash (what the Merkle tree commits to).")
    client_ref: str | None = Field(default=None, description="Your reference, if you gave one.")


class BulkAcceptedOut(ApiModel):
    """All the credentials are in the outbox."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"accepted": 2, "ids": [EXAMPLE_ID, EXAMPLE_ID]}]})

    accepted: int = Field(description="How many credentials (or CSV rows) were accepted.")
    ids: list[str] = Field(
        description="Their ids, in input order (an item whose clientRef was used before gets the earlier id)."
    )


ANCHOR_EXAMPLE: dict[str, Any] = {
    "merkleRoot": EXAMPLE_HASH,
    "transactionHash": EXAMPLE_HASH,
    "blockNumber": 1204,
    "chainId": 472019,
    "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
}


class AnchorOut(ApiModel):
    """Where the credential's batch root was anchored."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANCHOR_EXAMPLE]})

    merkle_root: str = Field(description="The batch's Merkle root.")
    transaction_hash: str = Field(description="The anchoring transaction.")
    block_number: int = Field(description="The block it was mined in.")
    chain_id: int = Field(description="The chain.")
    registry: str = Field(description="The registry contract's address.")

    @classmethod
    def of(cls, view: AnchorView) -> AnchorOut:
        return cls(
            merkle_root=view.merkle_root,
            transaction_hash=view.transaction_hash,
            block_number=view.block_number,
            chain_id=view.chain_id,
            registry=view.registry,
        )


SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_ID,
    "status": "pending",
    "type": "formal-qualification",
    "version": 1,
    "credentialHash": EXAMPLE_HASH,
    "clientRef": "2026-graduation/BSC-CS/0001",
    "createdAt": "2026-11-22T08:00:00Z",
    "anchoredAt": None,
    "batchId": None,
    "failureReason": None,
}


class CredentialSummaryOut(ApiModel):
    """One credential's status."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: str = Field(description="The node's id for the credential.")
    status: IssuanceStatus = Field(
        description=(
            "pending: in the outbox; batched: in a batch being anchored; anchored: on chain with the configured "
            "confirmations (the bundle is ready); failed: anchoring was given up (see failureReason)."
        )
    )
    type: str = Field(description="The credential type's name.")
    version: int = Field(description="The type's version.")
    credential_hash: str = Field(description="The credential hash.")
    client_ref: str | None = Field(description="Your reference, if you gave one.")
    created_at: datetime = Field(description="When the node accepted it.")
    anchored_at: datetime | None = Field(description="When its anchor was confirmed.")
    batch_id: int | None = Field(description="The batch it was put in, once batched.")
    failure_reason: str | None = Field(description="Why anchoring failed, when it did.")

    @classmethod
    def of(cls, view: CredentialView) -> CredentialSummaryOut:
        return cls(**_summary_fields(view))


def _summary_fields(view: CredentialView) -> dict[str, Any]:
    return {
        "id": view.id,
        "status": view.status.value,
        "type": view.type_name,
        "version": int(view.type_version),
        "credential_hash": view.credential_hash,
        "client_ref": view.client_ref,
        "created_at": view.created_at,
        "anchored_at": view.anchored_at,
        "batch_id": view.batch_id,
        "failure_reason": view.failure_reason,
    }


class CredentialOut(CredentialSummaryOut):
    """One credential's status and, once anchored, the holder's bundle."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "status": "anchored",
                    "anchoredAt": "2026-11-22T08:00:04Z",
                    "batchId": 17,
                    "anchor": ANCHOR_EXAMPLE,
                    "bundle": {"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": {"anchor": {}}},
                }
            ]
        }
    )

    anchor: AnchorOut | None = Field(default=None, description="Where it was anchored, once anchored.")
    bundle: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Once anchored: the holder's file, the credential document with its proof and anchor (Merkle proof, "
            "chain id, registry, transaction, block). Give it to the learner; anyone can verify it."
        ),
    )

    @classmethod
    def of_view(cls, view: CredentialView) -> CredentialOut:
        return cls(
            **_summary_fields(view),
            anchor=AnchorOut.of(view.anchor) if view.anchor is not None else None,
            bundle=view.bundle,
        )


class CredentialPageOut(ApiModel):
    """A page of the issuer's credentials, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [SUMMARY_EXAMPLE], "total": 1, "limit": 100, "offset": 0, "nextOffset": None}]
        }
    )

    items: list[CredentialSummaryOut] = Field(description="The credentials on this page.")
    total: int = Field(description="How many match the filter in all.")
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many were skipped.")
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")


class CsvColumnOut(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "qualification.nqfLevel", "required": True, "kind": "integer", "description": None}]
        }
    )

    name: str = Field(description="The header name (dotted path under credentialSubject, or a special column).")
    required: bool = Field(description="Whether every row must fill it.")
    kind: str = Field(description="The JSON type the cell is read as (integer, number, boolean, array, string).")
    description: str | None = Field(default=None, description="What goes in it.")


TYPE_EXAMPLE: dict[str, Any] = {
    "name": "formal-qualification",
    "version": 1,
    "vcType": "FormalQualificationCredential",
    "title": "Formal qualification (v1)",
    "description": "A registered qualification awarded by an institution.",
    "schemaId": "https://w3id.org/credreg/schemas/formal-qualification/v1",
    "typeId": EXAMPLE_HASH,
    "subjectSchema": {"type": "object", "required": ["learner", "qualification"]},
    "csvColumns": [{"name": "type", "required": True, "kind": "string", "description": "The credential type's name."}],
    "csvHeader": ["type", "version", "clientRef", "validFrom", "validUntil", "learner.name"],
    "csvTemplate": "type,version,clientRef,validFrom,validUntil,learner.name\n",
}


class CredentialTypeOut(ApiModel):
    """A credential type and version: its schema and its CSV upload template."""

    model_config = ConfigDict(json_schema_extra={"examples": [TYPE_EXAMPLE]})

    name: str = Field(description="The name to put in `type`.")
    version: int = Field(description="The version to put in `version`.")
    vc_type: str = Field(description="The W3C VC type it issues.")
    title: str = Field(description="A human title.")
    description: str = Field(description="What it is for.")
    schema_id: str = Field(description="The JSON Schema id written into every credential of this type and version.")
    type_id: str = Field(description="The bytes32 id of the type on chain (keccak256 of 'credreg:type:' + name).")
    subject_schema: dict[str, Any] = Field(description="The JSON Schema (2020-12) of credentialSubject.")
    csv_columns: list[CsvColumnOut] = Field(description="The CSV columns of this type, special columns first.")
    csv_header: list[str] = Field(description="The column names, in template order.")
    csv_template: str = Field(description="A header row to start a CSV file from.")

    @classmethod
    def of(cls, info: TypeInfo) -> CredentialTypeOut:
        return cls(
            name=info.name,
            version=info.version,
            vc_type=info.vc_type,
            title=info.title,
            description=info.description,
            schema_id=info.schema_id,
            type_id=info.type_id,
            subject_schema=dict(info.subject_schema),
            csv_columns=[
                CsvColumnOut(name=c.name, required=c.required, kind=c.kind, description=c.description)
                for c in info.csv_columns
            ],
            csv_header=info.csv_header,
            csv_template=info.csv_template,
        )


class CredentialTypesOut(ApiModel):
    """Every credential type and version this node issues."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"types": [TYPE_EXAMPLE]}]})

    types: list[CredentialTypeOut] = Field(description="The types, by name then version.")


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
    return AcceptedOut(
        id=view.id, status=view.status.value, credential_hash=view.credential_hash, client_ref=view.client_ref
    )


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
    return CredentialTypesOut(types=[CredentialTypeOut.of(info) for info in service.credential_types()])
