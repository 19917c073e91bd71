"""Issuance: validate an issuer's credentials, build and seal their documents, write them to the outbox; read back
their status and, once anchored, their bundles.

Flow of :meth:`IssuanceService.submit`:

1. the principal must be an issuer key of an issuer that is *active* in the store;
2. every item is checked against its credential type (``node.credentials.types``), its dates, and the issuer's
   accreditation on chain, read once per submission (``node/services/issuance_rules.py``: type and level in scope,
   issuer, body and signing key active and in their windows); a submission is all-or-nothing: one bad item fails
   the whole submission with a :class:`SubmissionInvalidError` (422) that lists *every* problem of *every* bad item
   (item index or CSV row, JSON pointer, rule) without ever quoting a submitted value; a problem of the issuer
   itself is listed once, for every item; a chain that cannot be read is a 503 (nothing accepted blindly);
3. each document is built with the issuer's ``metadata_uri`` as the VC issuer id and its store name as issuer name;
4. all documents go to the outbox in one transaction *before* the caller replies (nothing accepted is lost), with
   the optional ``client_ref`` making a resubmission return the ids of the first one.

The batcher (``node/services/batcher.py``) turns pending outbox rows into anchored batches; :meth:`IssuanceService.get`
reads the outcome and attaches the anchor (root, Merkle proof, chain id, registry, transaction, block) to make the
holder's bundle.

CSV uploads are turned into items by :func:`parse_csv` (one header row of dotted ``credentialSubject`` paths plus the
columns of :data:`SPECIAL_COLUMNS`; numbers coerced per the type's schema). The CLI uses the same parser and
:func:`check_items` to refuse a bad file before it sends anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from node.credentials.bundle import AnchorInfo, attach_anchor
from node.credentials.document import build_document
from node.credentials.errors import CredentialValidationError, FieldError, InvalidFieldError
from node.credentials.hashing import unescape_token
from node.credentials.types import SCHEMA_DIR, CredentialType, known_types
from node.errors import (
    BatchStateError,
    ConfigurationError,
    ForbiddenError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from node.faults import AFTER_ACCEPT, crash_point
from node.runtime import Node
from node.services.issuance_rules import (
    IssuerScope,
    ItemProblem,
    award_date_problems,
    date_time_problem,
    parse_date_time,
    read_scope,
)
from node.store import ApiKeyRole, Credential, CredentialStatus, Issuer, IssuerStatus, NewCredential, Principal, Store

log = logging.getLogger(__name__)

_document_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""A document as the outbox stores it: compact JSON, non-ASCII characters as they are (the store's own form)."""

MAX_BULK = 10_000
"""Most credentials one submission (JSON bulk or CSV file) may carry."""

MAX_CSV_BYTES = 32 * 1024 * 1024
"""Largest CSV upload read (10,000 rows of a few hundred bytes fit many times over)."""

CLIENT_REF_MAX = 200
"""Longest ``clientRef`` (the store's column width)."""

SUBJECT = "/credentialSubject"

SPECIAL_COLUMNS = ("type", "version", "validFrom", "validUntil", "clientRef")
"""CSV columns that are not ``credentialSubject`` fields; every other column is a dotted subject path."""

EVERY_ITEM = -1
"""The index of a problem of the submission's issuer rather than of one item (it refuses every item)."""

LIST_SEPARATOR = ";"
"""Separates the entries of a list field (e.g. ``competencies``) in one CSV cell; a cell may also hold a JSON list."""


# --- values -----------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Accepted:
    """A credential written to the outbox (or found there by its ``client_ref``), in submission order."""

    id: str
    client_ref: str | None


@dataclass(frozen=True)
class AnchorView:
    merkle_root: str
    transaction_hash: str
    block_number: int
    chain_id: int
    registry: str


@dataclass(frozen=True)
class CredentialView:
    """What an issuer may see of one of its credentials; ``bundle`` only once anchored."""

    id: str
    status: CredentialStatus
    type_name: str
    type_version: str
    credential_hash: str
    client_ref: str | None
    created_at: dt.datetime
    anchored_at: dt.datetime | None
    batch_id: int | None
    failure_reason: str | None
    anchor: AnchorView | None = None
    bundle: dict[str, Any] | None = None


@dataclass(frozen=True)
class CredentialPage:
    items: list[CredentialView]
    total: int
    """How many credentials match the filter in all (not only on this page)."""
    limit: int
    offset: int


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


# --- errors -----------------------------------------------------------------------------------------------------


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


# --- checking ---------------------------------------------------------------------------------------------------


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """Datetimes without a time zone are read as UTC."""
    if moment is None or (moment.tzinfo is not None and moment.utcoffset() is not None):
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """In UTC (naive read as UTC); OverflowError when that leaves the datetime range."""
    aware = _aware(moment)
    return aware.astimezone(dt.UTC) if aware is not None else None


def _known_type_names() -> list[str]:
    return sorted(_types_by_name())


@cache
def _types_by_name() -> dict[str, dict[int, CredentialType]]:
    """Every known type by name, then by version (newest last)."""
    by_name: dict[str, dict[int, CredentialType]] = {}
    for credential_type in known_types():
        by_name.setdefault(credential_type.name, {})[credential_type.version] = credential_type
    return by_name


def _resolve_type(item: IssueItem, index: int) -> tuple[CredentialType | None, list[Problem]]:
    """The item's credential type, or the problem naming why there is none (never quoting an unknown name)."""
    if not item.type_name:
        names = _known_type_names()
        return None, [
            Problem(index, "/type", "required", f"is required: name the credential type ({', '.join(names)})")
        ]
    by_version = _types_by_name().get(item.type_name)
    if not by_version:
        names = _known_type_names()
        return None, [
            Problem(index, "/type", "enum", f"is not a known credential type; use one of: {', '.join(names)}")
        ]
    versions = sorted(by_version)
    version = item.version if item.version is not None else versions[-1]
    found = by_version.get(version)
    if found is None:
        return None, [
            Problem(
                index,
                "/version",
                "enum",
                f"is not a version of {item.type_name}; known versions: {', '.join(map(str, versions))} "
                "(leave it out for the newest)",
            )
        ]
    return found, []


def _item_problems(
    item: IssueItem, index: int, now: dt.datetime, credential_type: CredentialType | None
) -> list[Problem]:
    """Problems of the item outside its subject's schema: reading problems, the client ref, the validity window,
    an award date in the future."""
    problems = [Problem(index, p.path, p.rule, p.message) for p in item.problems]
    if credential_type is not None:
        problems += [
            Problem(index, p.path, p.rule, p.message)
            for p in award_date_problems(credential_type.name, item.subject, now)
        ]
    if item.client_ref is not None and not (1 <= len(item.client_ref) <= CLIENT_REF_MAX):
        problems.append(
            Problem(index, "/clientRef", "maxLength", f"must be 1 to {CLIENT_REF_MAX} characters; shorten it")
        )
    moments: dict[str, dt.datetime | None] = {}
    for name, value in (("validFrom", item.valid_from), ("validUntil", item.valid_until)):
        try:
            moments[name] = _utc(value)
        except OverflowError:
            problems.append(Problem(index, f"/{name}", "format", "is out of range once converted to UTC"))
            return problems
    start = moments["validFrom"] or now
    until = moments["validUntil"]
    if until is not None and until.replace(microsecond=0) <= start.replace(microsecond=0):
        when = "validFrom" if item.valid_from is not None else "now (validFrom defaults to the time of issue)"
        problems.append(Problem(index, "/validUntil", "exclusiveMinimum", f"must be later than {when}"))
    elif until is not None and until <= now:
        problems.append(
            Problem(
                index,
                "/validUntil",
                "exclusiveMinimum",
                "must be in the future: a credential that has expired before it is issued can never verify",
            )
        )
    return problems


def _field_problems(index: int, errors: Sequence[FieldError]) -> list[Problem]:
    return [Problem(index, e.path, e.rule, e.message) for e in errors]


def check_items(items: Sequence[IssueItem], now: dt.datetime | None = None) -> list[Problem]:
    """Every problem of every item, without building anything (what :meth:`IssuanceService.submit` would refuse).

    Pure: the CLI runs it on a whole file before sending the first chunk.
    """
    moment = now or dt.datetime.now(dt.UTC)
    problems: list[Problem] = []
    for index, item in enumerate(items):
        credential_type, found = _resolve_type(item, index)
        problems += found
        problems += _item_problems(item, index, moment, credential_type)
        if credential_type is not None:
            problems += _field_problems(index, credential_type.check(item.subject))
    return problems


# --- authorisation ----------------------------------------------------------------------------------------------


def issuer_of(store: Store, principal: Principal) -> Issuer:
    """The issuer an issuer key acts for (any status); ForbiddenError for any other kind of key."""
    if principal.role is not ApiKeyRole.ISSUER or principal.issuer_id is None:
        raise ForbiddenError(
            f"this needs an issuer API key, and yours has the role {principal.role.value}: ask the operator for an "
            "issuer key (`credreg apikeys create --role issuer --issuer-id N`)."
        )
    return store.get_issuer(principal.issuer_id)


def active_issuer(store: Store, principal: Principal) -> Issuer:
    """The issuer of an issuer key, which must be active on this node to issue."""
    issuer = issuer_of(store, principal)
    if issuer.status is not IssuerStatus.ACTIVE:
        raise ForbiddenError(
            f"issuer {issuer.id} is {issuer.status.value} on this node, so it cannot issue credentials: ask its "
            "accreditation body to reinstate it. Credentials it issued before stay readable."
        )
    return issuer


# --- the service ------------------------------------------------------------------------------------------------


class IssuanceService:
    """Submit credentials to the outbox and read them back, always within the caller's own issuer."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._store = node.store

    def submit(self, principal: Principal, items: Sequence[IssueItem], *, single: bool = False) -> list[Accepted]:
        """Validate every item, build the documents and write them all to the outbox in one transaction.

        All-or-nothing: any problem raises :class:`SubmissionInvalidError` listing every problem and nothing is
        written. Returns one :class:`Accepted` per item in order (an item whose ``client_ref`` was used before gets
        the id of the credential first issued under it). ``single`` words errors for a one-credential request.
        """
        issuer = active_issuer(self._store, principal)
        if not items:
            raise ValidationFailedError("credentials: the request lists no credentials; send at least one.")
        if len(items) > MAX_BULK:
            raise PayloadTooLargeError(
                f"{len(items):,} credentials in one request; at most {MAX_BULK:,} are accepted at once: split it "
                "(`credreg issue` does this for you)."
            )
        now = dt.datetime.now(dt.UTC)
        scope = read_scope(self._node, issuer, now)  # one read of the registry for the whole submission
        try:
            return self._accept(issuer, items, now, scope, single)
        except SubmissionInvalidError as refused:
            if not scope.confirmable({p.rule for p in refused.problems}):
                raise
            # the mirror lags the chain by about a block: an issuer accredited a moment ago must not be refused
            confirmed = read_scope(self._node, issuer, now, rpc=True)
            if confirmed.facts == scope.facts:
                raise
        return self._accept(issuer, items, now, confirmed, single)

    def _accept(
        self, issuer: Issuer, items: Sequence[IssueItem], now: dt.datetime, scope: IssuerScope, single: bool
    ) -> list[Accepted]:
        problems = [Problem(EVERY_ITEM, p.path, p.rule, p.message) for p in scope.standing]
        built: list[NewCredential] = []
        for index, item in enumerate(items):
            credential_type, found = _resolve_type(item, index)
            found += _item_problems(item, index, now, credential_type)
            if credential_type is not None and (chain := scope.item_problems(credential_type, item.subject)):
                found += [Problem(index, p.path, p.rule, p.message) for p in chain]
            if credential_type is None or found or problems:
                # a submission with problems is refused whole: only check the rest, building would be wasted
                if credential_type is not None:
                    found += _field_problems(index, credential_type.check(item.subject))
                problems += found
                continue
            try:
                document = build_document(
                    credential_type.name,
                    item.subject,
                    issuer_id=issuer.metadata_uri,
                    issuer_name=issuer.name if issuer.name.strip() else None,
                    version=credential_type.version,
                    valid_from=_utc(item.valid_from) or now,
                    valid_until=_utc(item.valid_until),
                )
            except CredentialValidationError as exc:
                problems += _field_problems(index, exc.errors)
                continue
            except InvalidFieldError as exc:
                if exc.detail.startswith("/issuer/"):
                    raise ConfigurationError(
                        f"issuer {issuer.id} is registered on this node with a metadata URI that is neither a DID "
                        "nor an https URL, so its credentials cannot name their issuer: the operator must register "
                        "it again with a did:web:… or https://… URI."
                    ) from None
                path, _, message = exc.detail.partition(": ")
                problems.append(Problem(index, path, "format", message.rstrip(".")))
                continue
            built.append(
                NewCredential(
                    type_name=credential_type.name,
                    type_version=str(credential_type.version),
                    credential_hash=document["proof"]["credentialHash"],
                    # as text at once: holding a bulk's 10,000 documents as dicts until the insert cost about a
                    # sixth of the accept time (cyclic GC passes over them, a second walk over them gone cold)
                    document=_document_text(document),
                    client_ref=item.client_ref,
                    id=str(document["id"]).removeprefix("urn:uuid:"),
                )
            )
        if problems:
            raise SubmissionInvalidError(problems, items, single=single)
        ids = self._store.add_credentials(issuer.id, built)
        crash_point(AFTER_ACCEPT)  # drills: the outbox holds them, no reply sent yet
        log.info("issuer %s: %d credential(s) written to the outbox", issuer.id, len(ids))
        return [Accepted(credential_id, item.client_ref) for credential_id, item in zip(ids, items, strict=True)]

    def submit_one(self, principal: Principal, item: IssueItem) -> CredentialView:
        """Submit one credential and return its view (for a reused ``client_ref``: the credential issued first)."""
        accepted = self.submit(principal, [item], single=True)[0]
        return self.get(principal, accepted.id)

    def get(self, principal: Principal, credential_id: str) -> CredentialView:
        """One of the issuer's credentials; another issuer's is reported as not found. Anchored: with its bundle."""
        issuer = issuer_of(self._store, principal)
        credential = self._store.get_credential(credential_id, issuer.id)
        if credential.status is not CredentialStatus.ANCHORED:
            return _view(credential)
        anchor = self._anchor_of(credential)
        document = json.loads(credential.document)
        bundle = attach_anchor(
            document,
            bytes.fromhex(anchor.merkle_root.removeprefix("0x")),
            [bytes.fromhex(p.removeprefix("0x")) for p in credential.merkle_proof or ()],
            AnchorInfo(
                chain_id=anchor.chain_id,
                registry=anchor.registry,
                transaction_hash=bytes.fromhex(anchor.transaction_hash.removeprefix("0x")),
                block_number=anchor.block_number,
            ),
        )
        return _view(credential, anchor, bundle)

    def list_credentials(
        self,
        principal: Principal,
        *,
        status: CredentialStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> CredentialPage:
        """The issuer's own credentials, oldest first, optionally of one status (no bundles: GET one for that)."""
        issuer = issuer_of(self._store, principal)
        counts = self._store.credential_counts(issuer.id)
        total = counts[status] if status is not None else sum(counts.values())
        rows = self._store.list_credentials(issuer.id, status=status, limit=limit, offset=offset)
        return CredentialPage([_view(c) for c in rows], total, limit, offset)

    @staticmethod
    def credential_types() -> list[TypeInfo]:
        return credential_types()

    def _anchor_of(self, credential: Credential) -> AnchorView:
        batch = self._store.get_batch(credential.batch_id) if credential.batch_id is not None else None
        if (
            batch is None
            or batch.root is None
            or batch.tx_hash is None
            or batch.block_number is None
            or credential.merkle_proof is None
        ):
            raise BatchStateError(
                f"credential {credential.id} is marked anchored but its batch has no root, proof or transaction on "
                "record: the node's batch records are inconsistent; the operator should check the batcher's log."
            )
        manifest = self._node.manifest
        return AnchorView(batch.root, batch.tx_hash, batch.block_number, manifest.chain_id, manifest.registry)


def _view(
    credential: Credential, anchor: AnchorView | None = None, bundle: dict[str, Any] | None = None
) -> CredentialView:
    return CredentialView(
        id=credential.id,
        status=credential.status,
        type_name=credential.type_name,
        type_version=credential.type_version,
        credential_hash=credential.credential_hash,
        client_ref=credential.client_ref,
        created_at=credential.created_at,
        anchored_at=credential.anchored_at,
        batch_id=credential.batch_id,
        failure_reason=credential.failure_reason,
        anchor=anchor,
        bundle=bundle,
    )


# --- the types and their CSV columns ----------------------------------------------------------------------------


@cache
def _schema_documents() -> dict[str, Mapping[str, Any]]:
    documents: dict[str, Mapping[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        documents[contents["$id"]] = contents
    return documents


def _deref(node: Mapping[str, Any], base: str) -> tuple[Mapping[str, Any], str]:
    """Follow ``$ref`` (to another schema file or a ``#/$defs/...`` pointer) until a concrete schema."""
    while isinstance(node.get("$ref"), str):
        url, _, fragment = str(node["$ref"]).partition("#")
        base = url or base
        target: Any = _schema_documents()[base]
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


# --- CSV --------------------------------------------------------------------------------------------------------

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
