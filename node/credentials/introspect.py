"""Schema introspection: every credential type as offered to issuers, with its fields and its CSV columns.

Walks each type's JSON Schema (``node/credentials/schemas``) into leaf fields (path, JSON type, required,
description); :func:`credential_types` is what ``GET /v1/credential-types`` lists and the CSV upload template.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from node.credentials.hashing import unescape_token
from node.credentials.types import known_types, schema_documents

SPECIAL_COLUMNS = ("type", "version", "validFrom", "validUntil", "clientRef")
"""CSV columns that are not ``credentialSubject`` fields; every other column is a dotted subject path."""


@dataclass(frozen=True)
class CsvColumn:
    name: str
    required: bool
    kind: str
    description: str | None = None


@dataclass(frozen=True)
class TypeInfo:
    """A credential type and version as offered to issuers, with the CSV columns of its upload template."""

    name: str
    version: int
    vc_type: str
    title: str
    description: str
    schema_id: str
    type_id: str
    subject_schema: Mapping[str, Any] = field(repr=False)
    csv_columns: tuple[CsvColumn, ...] = ()

    @property
    def csv_header(self) -> list[str]:
        return [c.name for c in self.csv_columns]

    @property
    def csv_template(self) -> str:
        return ",".join(self.csv_header) + "\n"


def _deref(node: Mapping[str, Any], base: str) -> tuple[Mapping[str, Any], str]:
    """Follow ``$ref`` (to another schema file or a ``#/$defs/...`` pointer) until a concrete schema."""
    while isinstance(node.get("$ref"), str):
        url, _, fragment = str(node["$ref"]).partition("#")
        base = url or base
        target: Any = schema_documents()[base]
        for token in fragment.split("/")[1:]:
            target = target[unescape_token(token)]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, base


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, str):
        return kind
    return "string"


def _leaves(
    node: Mapping[str, Any], base: str, prefix: tuple[str, ...], required: bool
) -> Iterator[tuple[tuple[str, ...], str, bool, str | None]]:
    """(path, kind, required, description) of every leaf field under ``node``, in schema order."""
    node, base = _deref(node, base)
    properties = node.get("properties")
    if _kind(node) == "object" and isinstance(properties, Mapping):
        needed = set(node.get("required", ()))
        for name, child in properties.items():
            yield from _leaves(child, base, (*prefix, name), required and name in needed)
        return
    description = node.get("description")
    yield prefix, _kind(node), required, description if isinstance(description, str) else None


@cache
def subject_fields(name: str, version: int) -> tuple[tuple[tuple[str, ...], str, bool, str | None], ...]:
    """Every leaf field of a type's ``credentialSubject``: (path tokens, JSON type, required, description)."""
    credential_type = next(t for t in known_types() if (t.name, t.version) == (name, version))
    schema = credential_type.schema
    return tuple(_leaves(schema, str(schema["$id"]), (), True))


def _special_columns() -> list[CsvColumn]:
    return [
        CsvColumn("type", True, "string", "The credential type's name."),
        CsvColumn("version", False, "integer", "The type's version; empty for the newest."),
        CsvColumn("clientRef", False, "string", "Your reference for the row; resubmitting it returns the same id."),
        CsvColumn("validFrom", False, "string", "An ISO 8601 date and time with a time zone; empty: now."),
        CsvColumn(
            "validUntil",
            False,
            "string",
            "An ISO 8601 date and time with a time zone; empty: no expiry.",
        ),
    ]


def credential_types() -> list[TypeInfo]:
    """Every credential type and version this node issues, with its schema and CSV columns."""
    infos = []
    for credential_type in known_types():
        columns = _special_columns() + [
            CsvColumn(".".join(path), required, kind, description)
            for path, kind, required, description in subject_fields(credential_type.name, credential_type.version)
        ]
        description = credential_type.schema.get("description")
        infos.append(
            TypeInfo(
                name=credential_type.name,
                version=credential_type.version,
                vc_type=credential_type.vc_type,
                title=credential_type.title,
                description=description if isinstance(description, str) else credential_type.title,
                schema_id=credential_type.schema_id,
                type_id="0x" + credential_type.type_id.hex(),
                subject_schema=credential_type.schema,
                csv_columns=tuple(columns),
            )
        )
    return infos
