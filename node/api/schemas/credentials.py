"""The wire models of credentials: what an issuer sends to issue them, and what it reads back (status, bundle, page,
the type catalogue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from node.api.schemas.base import ApiRequest, ApiSchema
from node.api.schemas.examples import (
    ANCHOR_EXAMPLE,
    CREDENTIAL_EXAMPLE,
    EXAMPLE_HASH,
    EXAMPLE_ID,
    EXAMPLE_SUBJECT,
    SUMMARY_EXAMPLE,
    TYPE_EXAMPLE,
)
from node.credentials.items import MAX_BULK
from node.credentials.submission import CredentialInput
from node.services.issuance import CredentialView

IssuanceStatus = Literal["pending", "batched", "anchored", "failed"]


def _credential_in_examples(schema: JsonDict) -> None:
    properties = schema["properties"]
    assert isinstance(properties, dict)
    subject = properties["credentialSubject"]
    assert isinstance(subject, dict)
    subject["examples"] = [EXAMPLE_SUBJECT]
    schema["examples"] = [CREDENTIAL_EXAMPLE]


# The input format itself (fields, limits, ``to_item``) is node.credentials.submission.CredentialInput, which
# ``credreg issue`` reads its JSON files with; the request model adds the OpenAPI examples.
class CredentialIn(ApiRequest, CredentialInput):
    """One credential to issue: its type and the subject's fields; the node adds the issuer, ids, salts and hashes."""

    model_config = ConfigDict(json_schema_extra=_credential_in_examples)


class BulkIn(ApiRequest):
    """Up to 10,000 credentials, accepted or refused together."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"credentials": [{"type": "formal-qualification", "credentialSubject": EXAMPLE_SUBJECT}]}]
        },
    )

    credentials: list[CredentialIn] = Field(
        min_length=1,
        description=f"The credentials, at most {MAX_BULK:,}. One bad item refuses them all (422 lists every one).",
        json_schema_extra={"maxItems": MAX_BULK},
    )


class AcceptedOut(ApiSchema):
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


class BulkAcceptedOut(ApiSchema):
    """All the credentials are in the outbox."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"accepted": 2, "ids": [EXAMPLE_ID, EXAMPLE_ID]}]})

    accepted: int = Field(description="How many credentials (or CSV rows) were accepted.")
    ids: list[str] = Field(
        description="Their ids, in input order (an item whose clientRef was used before gets the earlier id)."
    )


class AnchorOut(ApiSchema):
    """Where the credential's batch root was anchored."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANCHOR_EXAMPLE]})

    merkle_root: str = Field(description="The batch's Merkle root.")
    transaction_hash: str = Field(description="The anchoring transaction.")
    block_number: int = Field(description="The block it was mined in.")
    chain_id: int = Field(description="The chain.")
    registry: str = Field(description="The registry contract's address.")


class CredentialSummaryOut(ApiSchema):
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
    failure_reason: str | None = Field(
        description="With status failed: why anchoring failed (terminal until the operator retries it). With status "
        "pending or batched: what anchoring waits on, e.g. the issuer key has no funds (it goes on by itself once "
        "fixed). Null otherwise."
    )

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
            anchor=AnchorOut.model_validate(view.anchor) if view.anchor is not None else None,
            bundle=view.bundle,
        )


class CredentialPageOut(ApiSchema):
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


class CsvColumnOut(ApiSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "qualification.nqfLevel", "required": True, "kind": "integer", "description": None}]
        }
    )

    name: str = Field(description="The header name (dotted path under credentialSubject, or a special column).")
    required: bool = Field(description="Whether every row must fill it.")
    kind: str = Field(description="The JSON type the cell is read as (integer, number, boolean, array, string).")
    description: str | None = Field(default=None, description="What goes in it.")


class CredentialTypeOut(ApiSchema):
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


class CredentialTypesOut(ApiSchema):
    """Every credential type and version this node issues."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"types": [TYPE_EXAMPLE]}]})

    types: list[CredentialTypeOut] = Field(description="The types, by name then version.")


__all__ = [
    "AcceptedOut",
    "AnchorOut",
    "BulkAcceptedOut",
    "BulkIn",
    "CredentialIn",
    "CredentialOut",
    "CredentialPageOut",
    "CredentialSummaryOut",
    "CredentialTypeOut",
    "CredentialTypesOut",
    "CsvColumnOut",
    "IssuanceStatus",
]
