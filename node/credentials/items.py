"""The issuer's input, item by item: what one credential to issue says, and the problems found in it.

Pure values and rules (no chain, SQL or HTTP): a submission (one credential, a JSON bulk or a CSV file) becomes
:class:`IssueItem` values; every broken rule is a :class:`Problem` with the item's index, a JSON pointer, the rule and
a sentence that never quotes the submitted value (it may be personal data); :class:`SubmissionInvalidError` (422)
lists them all. The date rules (ISO 8601 with a zone; no award date in the future) live here too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.credentials.hashing import unescape_token
from node.errors import ValidationFailedError

MAX_BULK = 10_000
"""Most credentials one submission (JSON bulk or CSV file) may carry."""

CLIENT_REF_MAX = 200
"""Longest ``clientRef`` (the store's column width)."""

EVERY_ITEM = -1
"""The index of a problem of the submission's issuer rather than of one item (it refuses every item)."""


@dataclass(frozen=True)
class ItemProblem:
    """A problem of one item, or of every item (the issuer's own): a JSON pointer, the rule, a sentence."""

    path: str
    rule: str
    message: str


# --- dates --------------------------------------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.IGNORECASE,
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DATE_TIME_FORM = (
    "an ISO 8601 date and time with a time zone, like 2026-11-22T08:00:00Z or 2026-11-22T10:00:00+02:00 (a date "
    "alone, or a time without a zone, does not say which moment it is)"
)

AWARD_DATE_FIELDS: Mapping[str, str] = {
    "formal-qualification": "awardDate",
    "micro-credential": "awardDate",
    "recognition-of-prior-learning": "assessmentDate",
}
"""The date each type says the learner earned it on, which cannot lie in the future."""

EARLIEST_ZONE = dt.timedelta(hours=14)
"""UTC+14 (Kiribati): the time zone where a calendar day starts first. An award date is refused when it is later
than the date there, so an issuer anywhere may date a credential today, and nothing further ahead is accepted."""


def parse_date_time(text: str) -> dt.datetime | None:
    """An ISO 8601 date-time with a time zone (``Z`` or ``±hh:mm``; seconds and fractions optional); None for any
    other text, including a date alone or a time without a zone."""
    if not _DATE_TIME.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:  # a day or an offset out of range
        return None


def date_time_problem(name: str) -> ItemProblem:
    return ItemProblem(f"/{name}", "format", f"must be {DATE_TIME_FORM}")


def latest_award_date(now: dt.datetime) -> dt.date:
    """The latest award date accepted at ``now``: today's date in UTC+14."""
    return (now.astimezone(dt.UTC) + EARLIEST_ZONE).date()


def award_date_problems(type_name: str, subject: object, now: dt.datetime) -> list[ItemProblem]:
    """The award (or assessment) date must not be in the future. A date that is not one is left to the schema."""
    name = AWARD_DATE_FIELDS.get(type_name)
    if name is None or not isinstance(subject, Mapping):
        return []
    value = subject.get(name)
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return []
    latest = latest_award_date(now).isoformat()
    if value <= latest:  # both YYYY-MM-DD: text order is date order
        return []
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return []
    return [
        ItemProblem(
            f"/credentialSubject/{name}",
            "notInFuture",
            f"must not be in the future: at most {latest} (today in UTC+14, the earliest time zone)",
        )
    ]


# --- items and their problems -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueItem:
    """One credential to issue, as the issuer describes it (the document is built from it)."""

    type_name: str
    subject: Mapping[str, Any]
    version: int | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    client_ref: str | None = None
    row: int | None = None
    """The CSV row it came from (the header is row 1), to name it in error messages."""
    problems: tuple[ItemProblem, ...] = ()
    """Problems found while reading it (a CSV cell or a request field that is not a date and time, say); reported
    together with its validation problems."""


@dataclass(frozen=True)
class Problem:
    """One broken rule of one item: its index in the submission, a JSON pointer into the item, the rule, a sentence.

    The pointer is the same as in the credential document (``/credentialSubject/learner/name``, ``/validUntil``).
    The message never quotes the submitted value (it may be personal data).
    """

    index: int
    path: str
    rule: str
    message: str


def column_of(pointer: str) -> str:
    """The CSV column a JSON pointer of an item names: ``/credentialSubject/learner/name`` → ``learner.name``."""
    tokens = [unescape_token(t) for t in pointer.split("/")[1:]]
    if tokens[:1] == ["credentialSubject"]:
        tokens = tokens[1:]
    return ".".join(tokens)


def describe(problem: Problem, item: IssueItem | None, *, single: bool = False) -> str:
    """One problem as a phrase: where (row and column, item index, or pointer), what, and which rule."""
    rule = f" (rule: {problem.rule})"
    if problem.index == EVERY_ITEM and not single:
        where = ("every row" if item is not None and item.row is not None else "every credential") + (
            f" ({problem.path})" if problem.path else ""
        )
    elif item is not None and item.row is not None:
        where = f"row {item.row}"
        if problem.path:
            where += f", column {column_of(problem.path)} ({problem.path})"
    elif single:
        where = problem.path or "/"
    else:
        where = f"item {problem.index}" + (f" {problem.path}" if problem.path else "")
    return f"{where}: {problem.message}{rule}"


class SubmissionInvalidError(ValidationFailedError):
    """Some items of a submission broke their type's rules; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: Sequence[Problem], items: Sequence[IssueItem], *, single: bool = False) -> None:
        self.problems = list(problems)
        lines = "; ".join(
            describe(p, items[max(p.index, 0)] if items and p.index < len(items) else None, single=single)
            for p in self.problems
        )
        count = len(self.problems)
        plural = "" if count == 1 else "s"
        if single:
            detail = (
                f"The credential is not valid, so it was not accepted ({count} problem{plural}): {lines}. "
                "Correct these fields and submit it again."
            )
        else:
            indexes = {p.index for p in self.problems}
            bad = len(items) if EVERY_ITEM in indexes else len(indexes)
            from_csv = any(item.row is not None for item in items)
            unit = "rows" if from_csv else "credentials"
            again = "upload the file again" if from_csv else "submit the whole request again"
            detail = (
                f"{bad} of {len(items)} {unit} are not valid, so none was accepted ({count} problem{plural}): "
                f"{lines}. Correct them and {again}."
            )
        super().__init__(detail)
