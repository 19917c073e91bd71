"""One credential to issue, as JSON: the input format the node's API and ``credreg issue`` share.

Its type, version, subject and dates in camelCase (``credentialSubject``, ``validFrom``, ``clientRef``), no stray
fields; :meth:`CredentialInput.to_item` turns it into the :class:`~node.credentials.items.IssueItem` every issuance
path checks. The API's request model (``node.api.schemas.credentials.CredentialIn``) is this model with the OpenAPI
examples added; the CLI reads a JSON file's entries with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.credentials.items import CLIENT_REF_MAX, IssueItem, ItemProblem, date_time_problem, parse_date_time


class CredentialInput(BaseModel):
    """One credential to issue: its type and the subject's fields; the node adds the issuer, ids, salts and hashes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

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
        description="The subject's fields, as the type's JSON Schema describes them (GET /v1/credential-types)."
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


__all__ = ["CredentialInput"]
