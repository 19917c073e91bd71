"""CSV uploads: one header row of dotted ``credentialSubject`` paths (plus the special columns), one credential
per row, cells coerced to the JSON type the row's schema expects. Pure: bytes in, :class:`IssueItem` values out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from node.credentials.introspect import SPECIAL_COLUMNS, subject_fields
from node.credentials.items import MAX_BULK, IssueItem, ItemProblem, date_time_problem, parse_date_time
from node.credentials.types import known_types
from node.errors import PayloadTooLargeError, ValidationFailedError

MAX_CSV_BYTES = 32 * 1024 * 1024
"""Largest CSV upload read (10,000 rows of a few hundred bytes fit many times over)."""

LIST_SEPARATOR = ";"
"""Separates the entries of a list field (e.g. ``competencies``) in one CSV cell; a cell may also hold a JSON list."""


_INTEGER = re.compile(r"[+-]?[0-9]+")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _coerce(cell: str, kind: str) -> Any:
    """The cell as the schema's JSON type; left as text when it does not fit (the schema then names the rule)."""
    if kind == "integer" and _INTEGER.fullmatch(cell):
        return int(cell)
    if kind == "number":
        try:
            number = float(cell)
        except ValueError:
            return cell
        return number if math.isfinite(number) else cell
    if kind == "boolean" and cell.lower() in _TRUE | _FALSE:
        return cell.lower() in _TRUE
    if kind == "array":
        if cell.startswith("["):
            try:
                parsed = json.loads(cell)
            except json.JSONDecodeError:
                return cell
            return parsed if isinstance(parsed, list) else cell
        return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]
    return cell


@dataclass(frozen=True)
class _Header:
    special: dict[str, int]
    """Special column name → column index."""
    subject: list[tuple[int, tuple[str, ...]]]
    """(column index, subject path tokens) of every subject column."""
    unnamed: list[int]


def _read_header(cells: list[str]) -> _Header:
    special: dict[str, int] = {}
    subject: list[tuple[int, tuple[str, ...]]] = []
    unnamed: list[int] = []
    seen: dict[str, int] = {}
    by_lower = {name.lower(): name for name in SPECIAL_COLUMNS}
    for index, raw in enumerate(cells):
        name = raw.strip()
        if not name:
            unnamed.append(index)
            continue
        canonical = by_lower.get(name.lower())
        key = canonical or name.removeprefix("credentialSubject.")
        if key in seen:
            raise ValidationFailedError(
                f"The CSV header names the column {key} twice (columns {seen[key] + 1} and {index + 1}); keep one."
            )
        seen[key] = index
        if canonical is not None:
            special[canonical] = index
            continue
        tokens = tuple(key.split("."))
        if any(not t.strip() for t in tokens):
            raise ValidationFailedError(
                f"The CSV header column {index + 1} is not a dotted field path (like learner.identity.number); "
                "fix its name."
            )
        subject.append((index, tokens))
    if "type" not in special:
        raise ValidationFailedError(
            "The CSV header has no 'type' column: every row must name its credential type. Start from the header "
            "template of GET /v1/credential-types."
        )
    paths = {tokens for _, tokens in subject}
    for tokens in sorted(paths):
        for cut in range(1, len(tokens)):
            if tokens[:cut] in paths:
                raise ValidationFailedError(
                    f"The CSV header has both {'.'.join(tokens[:cut])} and {'.'.join(tokens)}: a field is either a "
                    "value or holds other fields; remove one of the columns."
                )
    return _Header(special, subject, unnamed)


def _set(subject: dict[str, Any], tokens: tuple[str, ...], value: Any) -> None:
    node = subject
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = value


def _row_item(row_number: int, cells: list[str], header: _Header, width: int) -> IssueItem:
    problems: list[ItemProblem] = []

    def cell(index: int) -> str:
        return cells[index].strip() if index < len(cells) else ""

    if len(cells) > width:
        problems.append(
            ItemProblem(
                "",
                "columns",
                f"has {len(cells)} cells but the header names {width} columns; quote cells that contain commas",
            )
        )
    for index in header.unnamed:
        if cell(index):
            problems.append(
                ItemProblem("", "columns", f"has a value in column {index + 1}, which has no name in the header")
            )
    values = {name: cell(index) for name, index in header.special.items()}
    type_name = values.get("type", "")
    version: int | None = None
    version_text = values.get("version", "")
    if version_text:
        if _INTEGER.fullmatch(version_text):
            version = int(version_text)
        else:
            problems.append(ItemProblem("/version", "type", "must be a whole number (or empty for the newest)"))
    moments: dict[str, dt.datetime | None] = {}
    for name in ("validFrom", "validUntil"):
        text = values.get(name, "")
        moments[name] = parse_date_time(text) if text else None
        if text and moments[name] is None:
            problems.append(date_time_problem(name))
    kinds: dict[tuple[str, ...], str] = {}
    known = {(t.name, t.version) for t in known_types()}
    newest = max((v for n, v in known if n == type_name), default=None)
    wanted = (type_name, version if version is not None else newest)
    if wanted in known and wanted[1] is not None:
        kinds = {path: kind for path, kind, _, _ in subject_fields(type_name, wanted[1])}
    subject: dict[str, Any] = {}
    for index, tokens in header.subject:
        text = cell(index)
        if text:
            _set(subject, tokens, _coerce(text, kinds.get(tokens, "string")))
    return IssueItem(
        type_name=type_name,
        subject=subject,
        version=version,
        valid_from=moments["validFrom"],
        valid_until=moments["validUntil"],
        client_ref=values.get("clientRef") or None,
        row=row_number,
        problems=tuple(problems),
    )


def parse_csv(data: bytes) -> list[IssueItem]:
    """The items of a CSV upload: a header row, then one credential per non-empty row (UTF-8, comma-separated).

    Header: :data:`SPECIAL_COLUMNS` (``type`` required) and dotted ``credentialSubject`` paths (``learner.name``,
    ``qualification.nqfLevel``; a ``credentialSubject.`` prefix is allowed). Empty cells are left out, so one file can
    mix types. Cells are coerced to the JSON type the row's schema expects (whole numbers, numbers, true/false,
    lists separated by ``;``); a cell that does not fit stays text and its rule is reported with the row and column.
    """
    if len(data) > MAX_CSV_BYTES:
        raise PayloadTooLargeError(
            f"The CSV file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MiB; split it into files of at most "
            f"{MAX_BULK:,} rows."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailedError(
            "The file is not UTF-8 text: save it as 'CSV UTF-8 (comma delimited)' and upload it again."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    items: list[IssueItem] = []
    try:
        header_cells = next(reader, None)
        if header_cells is None or not any(c.strip() for c in header_cells):
            raise ValidationFailedError(
                "The CSV file is empty or its first row is blank: the first row must be the header "
                "(see GET /v1/credential-types for a template)."
            )
        header = _read_header(header_cells)
        for row_index, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(items) >= MAX_BULK:
                raise PayloadTooLargeError(
                    f"The CSV file has more than {MAX_BULK:,} rows; at most {MAX_BULK:,} are accepted at once: split "
                    "it (`credreg issue` does this for you)."
                )
            items.append(_row_item(row_index, cells, header, len(header_cells)))
    except csv.Error as exc:
        raise ValidationFailedError(
            f"The CSV file is malformed near line {reader.line_num} ({exc}); check its quotes and save it again."
        ) from None
    if not items:
        raise ValidationFailedError("The CSV file has a header but no rows: add one row per credential.")
    return items
