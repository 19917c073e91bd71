"""The credential outbox: what issuers submitted, each credential's anchoring state, and its Merkle proof read from
its batch's stored tree (:class:`node.credentials.merkle.StoredTree`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from node.credentials.hash32 import Hash32
from node.credentials.merkle import StoredTree
from node.errors import ConflictError, NotFoundError
from node.store._base import StoreBase, check_lengths, chunks, record_of
from node.store.coltypes import utcnow
from node.store.models import BatchRow, CredentialDocumentRow, CredentialRow, IssuerRow
from node.store.records import AnchoringState, Credential, NewCredential, PendingGroup

_CREDENTIALS: Table = CredentialRow.__table__  # type: ignore[assignment]
_DOCUMENTS: Table = CredentialDocumentRow.__table__  # type: ignore[assignment]


def _credential(row: CredentialRow, document: str, trees: Mapping[int, StoredTree]) -> Credential:
    return record_of(
        Credential, row, status=AnchoringState(row.status), document=document, merkle_proof=_proof(row, trees)
    )


def _proof(row: CredentialRow, trees: Mapping[int, StoredTree]) -> tuple[str, ...] | None:
    tree = trees.get(row.batch_id) if row.batch_id is not None else None
    if tree is None:
        return None
    return tuple(p.hex0x for p in tree.proof(Hash32.from_hex(row.credential_hash)))


def _trees(session: Session, rows: Iterable[CredentialRow]) -> dict[int, StoredTree]:
    """The stored trees of the batches ``rows`` belong to (batches without a tree yet are left out)."""
    batch_ids = sorted({row.batch_id for row in rows if row.batch_id is not None})
    trees: dict[int, StoredTree] = {}
    for chunk in chunks(batch_ids):
        found = session.execute(select(BatchRow.id, BatchRow.tree).where(BatchRow.id.in_(chunk)))
        trees.update({batch_id: StoredTree(nodes) for batch_id, nodes in found if nodes is not None})
    return trees


def _document_text(document: Any) -> str:
    if isinstance(document, str):
        return document
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


class CredentialRepository(StoreBase):
    def add_credentials(self, issuer_id: int, items: Sequence[NewCredential]) -> list[str]:
        """Write credentials to the outbox in one transaction; returns their ids in the order given.

        An item whose ``client_ref`` this issuer already used (earlier, or earlier in ``items``) is not written
        again: its existing id is returned, so a retried request never duplicates a credential.
        """
        if not items:
            return []
        now = utcnow()
        for attempt in range(2):
            try:
                with self._write() as session:
                    return self._write_outbox(session, issuer_id, items, now)
            except IntegrityError as exc:
                # A concurrent request wrote one of these client_refs after the look-up (PostgreSQL: SQLite
                # serialises writers): once more, and the look-up finds it and returns its id, as for a retry.
                if attempt:
                    raise ConflictError(
                        "a credential with the same id was written concurrently; retry the request"
                    ) from exc
        raise AssertionError("unreachable")

    def add_credential_groups(self, groups: Sequence[tuple[int, Sequence[NewCredential]]]) -> list[list[str]]:
        """Several submissions (issuer id, its items) in one transaction, one commit: each submission's ids as
        :meth:`add_credentials` would return them (``client_ref`` reuse included, also across the submissions).

        All or nothing: if any submission cannot be written, nothing is and the error is raised (the group
        committer, :mod:`node.services.intake`, then writes them one by one to give each its own outcome).
        """
        if not groups:
            return []
        now = utcnow()
        for attempt in range(2):
            try:
                with self._write() as session:
                    return [self._write_outbox(session, issuer_id, items, now) for issuer_id, items in groups]
            except IntegrityError as exc:
                # as in add_credentials: a concurrent writer of the same client_ref (PostgreSQL); once more
                if attempt:
                    raise ConflictError(
                        "a credential with the same id was written concurrently; retry the request"
                    ) from exc
        raise AssertionError("unreachable")

    def _write_outbox(
        self, session: Session, issuer_id: int, items: Sequence[NewCredential], now: datetime
    ) -> list[str]:
        if session.get(IssuerRow, issuer_id) is None:
            raise NotFoundError(f"issuer {issuer_id} is not registered on this node; register it first")
        refs = sorted({item.client_ref for item in items if item.client_ref is not None})
        known = self._ids_by_client_ref(session, issuer_id, refs)
        ids: list[str] = []
        rows: list[dict[str, Any]] = []
        documents: list[dict[str, Any]] = []
        for item in items:
            if item.client_ref is not None and item.client_ref in known:
                ids.append(known[item.client_ref])
                continue
            credential_id = item.id or str(uuid.uuid4())
            if item.client_ref is not None:
                known[item.client_ref] = credential_id
            ids.append(credential_id)
            rows.append(
                {
                    "id": credential_id,
                    "issuer_id": issuer_id,
                    "type_name": item.type_name,
                    "type_version": item.type_version,
                    "credential_hash": item.credential_hash,
                    "status": AnchoringState.PENDING.value,
                    "client_ref": item.client_ref,
                    "created_at": now,
                }
            )
            documents.append({"credential_id": credential_id, "document": _document_text(item.document)})
        if rows:
            check_lengths(_CREDENTIALS, rows)
            session.execute(insert(_CREDENTIALS), rows)
            session.execute(insert(_DOCUMENTS), documents)
        return ids

    @staticmethod
    def _ids_by_client_ref(session: Session, issuer_id: int, refs: Sequence[str]) -> dict[str, str]:
        known: dict[str, str] = {}
        for chunk in chunks(refs):
            found = session.execute(
                select(CredentialRow.client_ref, CredentialRow.id).where(
                    CredentialRow.issuer_id == issuer_id, CredentialRow.client_ref.in_(chunk)
                )
            )
            known.update({ref: cid for ref, cid in found if ref is not None})
        return known

    def get_credential(self, credential_id: str, issuer_id: int | None = None) -> Credential:
        """One credential, by its id or its document's ``urn:uuid:`` id; with ``issuer_id``, another issuer's
        credential is reported as not found."""
        credential_id = credential_id.removeprefix("urn:uuid:")
        with self._read() as session:
            row = session.get(CredentialRow, credential_id)
            if row is None or (issuer_id is not None and row.issuer_id != issuer_id):
                raise NotFoundError(f"credential {credential_id} not found; check the id the node returned")
            document = session.get_one(CredentialDocumentRow, credential_id).document
            return _credential(row, document, _trees(session, [row]))

    def list_credentials(
        self,
        issuer_id: int | None = None,
        *,
        status: AnchoringState | str | None = None,
        batch_id: int | None = None,
        credential_hash: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Credential]:
        """Credentials, oldest first, filtered by any of the arguments."""
        conditions: list[ColumnElement[bool]] = []
        if issuer_id is not None:
            conditions.append(CredentialRow.issuer_id == issuer_id)
        if status is not None:
            conditions.append(CredentialRow.status == AnchoringState(status).value)
        if batch_id is not None:
            conditions.append(CredentialRow.batch_id == batch_id)
        if credential_hash is not None:
            conditions.append(CredentialRow.credential_hash == credential_hash)
        query = (
            select(CredentialRow, CredentialDocumentRow.document)
            .join(CredentialDocumentRow, CredentialDocumentRow.credential_id == CredentialRow.id)
            .where(*conditions)
            .order_by(CredentialRow.created_at, CredentialRow.id)
            .limit(limit)
            .offset(offset)
        )
        with self._read() as session:
            rows = [(row, document) for row, document in session.execute(query)]
            trees = _trees(session, [row for row, _ in rows])
            return [_credential(row, document, trees) for row, document in rows]

    def pending_issuers(self) -> list[int]:
        """Issuers with at least one pending credential (one index probe per issuer, however many are pending)."""
        pending = exists().where(
            CredentialRow.issuer_id == IssuerRow.id, CredentialRow.status == AnchoringState.PENDING.value
        )
        query = select(IssuerRow.id).where(pending).order_by(IssuerRow.id)
        with self._read() as session:
            return list(session.scalars(query))

    def pending_groups(self, issuer_id: int, now: datetime | None = None) -> list[PendingGroup]:
        """The issuer's pending credentials per (type, version): how many, and how long the oldest has waited."""
        query = (
            select(
                CredentialRow.type_name,
                CredentialRow.type_version,
                func.count(),
                func.min(CredentialRow.created_at),
            )
            .where(CredentialRow.issuer_id == issuer_id, CredentialRow.status == AnchoringState.PENDING.value)
            .group_by(CredentialRow.type_name, CredentialRow.type_version)
            .order_by(CredentialRow.type_name, CredentialRow.type_version)
        )
        at = now or utcnow()
        with self._read() as session:
            return [
                PendingGroup(name, version, count, max(0.0, (at - oldest).total_seconds()))
                for name, version, count, oldest in session.execute(query)
            ]

    def pending_count(self, issuer_id: int) -> int:
        with self._read() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        CredentialRow.issuer_id == issuer_id, CredentialRow.status == AnchoringState.PENDING.value
                    )
                )
                or 0
            )

    def credential_counts(self, issuer_id: int | None = None) -> dict[AnchoringState, int]:
        """How many credentials are in each status (every status present, zero when none)."""
        query = select(CredentialRow.status, func.count()).group_by(CredentialRow.status)
        if issuer_id is not None:
            query = query.where(CredentialRow.issuer_id == issuer_id)
        counts = dict.fromkeys(AnchoringState, 0)
        with self._read() as session:
            for status, count in session.execute(query):
                counts[AnchoringState(status)] = count
        return counts
