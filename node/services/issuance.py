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
   the optional ``client_ref`` making a resubmission return the ids of the first one; a single post's transaction
   is shared with the single posts arriving at the same time (group commit, :mod:`node.services.intake`), each
   still answered only once its own rows are committed.

The batcher (``node/workers/batcher/``) turns pending outbox rows into anchored batches; :meth:`IssuanceService.get`
reads the outcome and attaches the anchor (root, Merkle proof, chain id, registry, transaction, block) to make the
holder's bundle.

The issuer's input values and their problems are pure and live beside the credential types
(:mod:`node.credentials.items`, :mod:`node.credentials.csvfile` for CSV uploads, :mod:`node.credentials.introspect`
for the types' fields and CSV columns). The CLI uses the same parser and :func:`check_items` to refuse a bad file
before it sends anything.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from node.credentials.bundle import AnchorInfo, attach_anchor
from node.credentials.document import build_document
from node.credentials.errors import CredentialValidationError, FieldError, InvalidFieldError
from node.credentials.hash32 import Hash32
from node.credentials.introspect import TypeInfo, credential_types
from node.credentials.items import (
    CLIENT_REF_MAX,
    EVERY_ITEM,
    MAX_BULK,
    IssueItem,
    Problem,
    SubmissionInvalidError,
    award_date_problems,
)
from node.credentials.types import CredentialType, known_types
from node.errors import (
    BatchStateError,
    ConfigurationError,
    ForbiddenError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from node.faults import AFTER_ACCEPT, crash_point
from node.runtime import Node
from node.services.intake import committer_for
from node.services.issuance_rules import IssuerScope, read_scope
from node.store import AnchoringState, ApiKeyRole, Credential, Issuer, IssuerStatus, NewCredential, Principal, Store
from node.workers.batcher.state import stalls_of

log = logging.getLogger(__name__)

_document_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""A document as the outbox stores it: compact JSON, non-ASCII characters as they are (the store's own form)."""

SUBJECT = "/credentialSubject"


# --- values -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A credential written to the outbox (or found there by its ``client_ref``), in submission order."""

    id: str
    client_ref: str | None
    written: NewCredential | None = None
    """What was written for it by this submission (None: its ``client_ref`` named a credential issued before)."""


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
    status: AnchoringState
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


# --- errors -----------------------------------------------------------------------------------------------------


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
        if single:  # one-by-one posts share a transaction (one fsync) with those arriving at the same time
            ids = committer_for(self._store).add(issuer.id, built)
        else:
            ids = self._store.add_credentials(issuer.id, built)
        crash_point(AFTER_ACCEPT)  # drills: the outbox holds them, no reply sent yet
        log.info("issuer %s: %d credential(s) written to the outbox", issuer.id, len(ids))
        return [
            Accepted(credential_id, new.client_ref, new if credential_id == new.id else None)
            for credential_id, new in zip(ids, built, strict=True)
        ]

    def submit_one(self, principal: Principal, item: IssueItem) -> CredentialView:
        """Submit one credential and return its view (for a reused ``client_ref``: the credential issued first)."""
        accepted = self.submit(principal, [item], single=True)[0]
        new = accepted.written
        if new is None or new.id is None:
            return self.get(principal, accepted.id)
        # written just now: its view is what was written (reading it back cost about a third of a single post)
        return CredentialView(
            id=new.id,
            status=AnchoringState.PENDING,
            type_name=new.type_name,
            type_version=new.type_version,
            credential_hash=new.credential_hash,
            client_ref=new.client_ref,
            created_at=dt.datetime.now(dt.UTC),
            anchored_at=None,
            batch_id=None,
            failure_reason=None,
        )

    def get(self, principal: Principal, credential_id: str) -> CredentialView:
        """One of the issuer's credentials; another issuer's is reported as not found. Anchored: with its bundle."""
        issuer = issuer_of(self._store, principal)
        credential = self._store.get_credential(credential_id, issuer.id)
        if credential.status is not AnchoringState.ANCHORED:
            return _view(credential, stalled=self._stalled(issuer.id))
        anchor = self._anchor_of(credential)
        document = json.loads(credential.document)
        bundle = attach_anchor(
            document,
            Hash32.of(anchor.merkle_root),
            [Hash32.of(p) for p in credential.merkle_proof or ()],
            AnchorInfo(
                chain_id=anchor.chain_id,
                registry=anchor.registry,
                transaction_hash=Hash32.of(anchor.transaction_hash),
                block_number=anchor.block_number,
            ),
        )
        return _view(credential, anchor, bundle)

    def list_credentials(
        self,
        principal: Principal,
        *,
        status: AnchoringState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> CredentialPage:
        """The issuer's own credentials, oldest first, optionally of one status (no bundles: GET one for that)."""
        issuer = issuer_of(self._store, principal)
        counts = self._store.credential_counts(issuer.id)
        total = counts[status] if status is not None else sum(counts.values())
        rows = self._store.list_credentials(issuer.id, status=status, limit=limit, offset=offset)
        stalled = self._stalled(issuer.id)
        return CredentialPage([_view(c, stalled=stalled) for c in rows], total, limit, offset)

    def _stalled(self, issuer_id: int) -> str | None:
        """Why this issuer's anchoring waits on the operator, as the batcher logged it (None: it does not)."""
        for stall in stalls_of(self._node.workers.batcher):
            if stall.issuer_id == issuer_id:
                return stall.reason
        return None

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
    credential: Credential,
    anchor: AnchorView | None = None,
    bundle: dict[str, Any] | None = None,
    *,
    stalled: str | None = None,
) -> CredentialView:
    """``failure_reason``: why anchoring failed (status ``failed``, terminal until retried) or, while the credential
    is ``pending``/``batched``, why its anchoring is stalled on the operator (it goes on by itself once fixed)."""
    reason = credential.failure_reason
    if reason is None and credential.status in (AnchoringState.PENDING, AnchoringState.BATCHED):
        reason = stalled
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
        failure_reason=reason,
        anchor=anchor,
        bundle=bundle,
    )
