"""The credential outbox and the batch state machine."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from node.credentials.keccak import to_hex
from node.credentials.merkle import leaf_hash, proof_from_nodes
from node.errors import BatchStateError, ConflictError, NotFoundError, ValidationFailedError
from node.store._base import IN_CHUNK, StoreBase
from node.store.coltypes import utcnow
from node.store.models import BatchRow, CredentialDocumentRow, CredentialRow, IssuerRow
from node.store.records import (
    AnchoringState,
    Batch,
    BatchStatus,
    ClaimedBatch,
    Credential,
    NewCredential,
    PendingGroup,
)

_CREDENTIALS: Table = CredentialRow.__table__  # type: ignore[assignment]
_DOCUMENTS: Table = CredentialDocumentRow.__table__  # type: ignore[assignment]
_T = TypeVar("_T")

_SIGNABLE = (BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)
_SENDABLE = (BatchStatus.SIGNED, BatchStatus.SENT)
_CONFIRMABLE = (BatchStatus.SIGNED, BatchStatus.SENT)
_FAILABLE = (BatchStatus.BUILDING, BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)
_RESETTABLE = (BatchStatus.SIGNED, BatchStatus.SENT, BatchStatus.CONFIRMED, BatchStatus.FAILED)


def _credential(row: CredentialRow, document: str, trees: Mapping[int, bytes]) -> Credential:
    return Credential(
        id=row.id,
        issuer_id=row.issuer_id,
        type_name=row.type_name,
        type_version=row.type_version,
        credential_hash=row.credential_hash,
        document=document,
        status=AnchoringState(row.status),
        batch_id=row.batch_id,
        merkle_proof=_proof(row, trees),
        failure_reason=row.failure_reason,
        client_ref=row.client_ref,
        created_at=row.created_at,
        anchored_at=row.anchored_at,
    )


def _proof(row: CredentialRow, trees: Mapping[int, bytes]) -> tuple[str, ...] | None:
    nodes = trees.get(row.batch_id) if row.batch_id is not None else None
    if nodes is None:
        return None
    return tuple(to_hex(p) for p in proof_from_nodes(nodes, bytes.fromhex(row.credential_hash.removeprefix("0x"))))


def _trees(session: Session, rows: Iterable[CredentialRow]) -> dict[int, bytes]:
    """The stored trees of the batches ``rows`` belong to (batches without a tree yet are left out)."""
    batch_ids = sorted({row.batch_id for row in rows if row.batch_id is not None})
    trees: dict[int, bytes] = {}
    for chunk in _chunks(batch_ids):
        found = session.execute(select(BatchRow.id, BatchRow.tree).where(BatchRow.id.in_(chunk)))
        trees.update({batch_id: nodes for batch_id, nodes in found if nodes is not None})
    return trees


def _batch(row: BatchRow) -> Batch:
    return Batch(
        id=row.id,
        issuer_id=row.issuer_id,
        root=row.root,
        leaf_count=row.leaf_count,
        credential_type=row.credential_type,
        expires_at=row.expires_at,
        status=BatchStatus(row.status),
        signer=row.signer,
        nonce=row.nonce,
        raw_tx=row.raw_tx,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        block_hash=row.block_hash,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        confirmed_at=row.confirmed_at,
    )


def _document_text(document: Any) -> str:
    if isinstance(document, str):
        return document
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _chunks(items: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


class OutboxRepository(StoreBase):
    # ---- credentials ---------------------------------------------------------------------------------------

    def add_credentials(self, issuer_id: int, items: Sequence[NewCredential]) -> list[str]:
        """Write credentials to the outbox in one transaction; returns their ids in the order given.

        An item whose ``client_ref`` this issuer already used (earlier, or earlier in ``items``) is not written
        again: its existing id is returned, so a retried request never duplicates a credential.
        """
        if not items:
            return []
        now = utcnow()
        with self._write() as session:
            if session.get(IssuerRow, issuer_id) is None:
                raise NotFoundError(f"issuer {issuer_id} is not registered on this node; register it first")
            refs = sorted({item.client_ref for item in items if item.client_ref is not None})
            known: dict[str, str] = {}
            for chunk in _chunks(refs):
                found = session.execute(
                    select(CredentialRow.client_ref, CredentialRow.id).where(
                        CredentialRow.issuer_id == issuer_id, CredentialRow.client_ref.in_(chunk)
                    )
                )
                known.update({ref: cid for ref, cid in found if ref is not None})
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
                try:
                    session.execute(insert(_CREDENTIALS), rows)
                    session.execute(insert(_DOCUMENTS), documents)
                except IntegrityError as exc:  # a concurrent request with the same client_ref won the race
                    raise ConflictError(
                        "a credential with the same client_ref (or id) was written concurrently; retry the request"
                    ) from exc
            return ids

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

    # ---- batches -------------------------------------------------------------------------------------------

    def claim_batch(
        self,
        issuer_id: int,
        limit: int,
        *,
        type_name: str | None = None,
        type_version: str | None = None,
        credential_type: str | None = None,
    ) -> ClaimedBatch | None:
        """Atomically open a batch ('building') and move up to ``limit`` of the issuer's oldest pending
        credentials into it ('batched'). Returns ``None`` (and opens nothing) when none are pending.

        ``type_name``/``type_version`` restrict the claim to one credential type (see :meth:`pending_groups`), so a
        batch can be anchored under one on-chain ``credential_type`` (stored on the batch when given).
        Safe against concurrent claimers: a credential is only taken while still pending, in the same statement.
        Three statements whatever the batch size (the members' hashes come back as one aggregated value), so a
        busy API process sharing the interpreter does not slow the claim row by row.
        """
        if limit < 1:
            raise ValidationFailedError("limit: must be at least 1")
        with self._write() as session:
            batch = BatchRow(
                issuer_id=issuer_id,
                leaf_count=0,
                credential_type=credential_type,
                status=BatchStatus.BUILDING.value,
                attempts=0,
                created_at=utcnow(),
            )
            session.add(batch)
            session.flush()
            conditions = [
                CredentialRow.issuer_id == issuer_id,
                CredentialRow.status == AnchoringState.PENDING.value,
            ]
            if type_name is not None:
                conditions.append(CredentialRow.type_name == type_name)
            if type_version is not None:
                conditions.append(CredentialRow.type_version == type_version)
            oldest = (
                select(CredentialRow.id)
                .where(*conditions)
                .order_by(CredentialRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            session.execute(
                update(CredentialRow)
                .where(CredentialRow.id.in_(oldest), CredentialRow.status == AnchoringState.PENDING.value)
                .values(status=AnchoringState.BATCHED.value, batch_id=batch.id)
                .execution_options(synchronize_session=False)
            )
            hashes = self._member_hashes(session, batch.id)
            if not hashes:
                session.delete(batch)
                return None
            batch.leaf_count = len(hashes)
            return ClaimedBatch(batch.id, hashes)

    def batch_credential_hashes(self, batch_id: int) -> list[str]:
        """The credential hashes of a batch's members (in no particular order)."""
        with self._read() as session:
            return self._member_hashes(session, batch_id)

    def set_batch_tree(
        self,
        batch_id: int,
        root: str,
        nodes: bytes,
        *,
        credential_type: str | None = None,
        expires_at: datetime | None = None,
    ) -> Batch:
        """Record the batch's Merkle tree (``MerkleTree.nodes()``: ``2n - 1`` nodes of 32 bytes, the root first) for
        its ``n`` members; the batch becomes 'built'. Every member's proof is read from it from now on."""
        if len(nodes) % 32 or (len(nodes) // 32) % 2 == 0:
            raise ValidationFailedError(
                f"nodes: a tree is an odd number of 32-byte nodes, not {len(nodes)} bytes; pass MerkleTree.nodes()"
            )
        if to_hex(nodes[:32]) != root.lower():
            raise ValidationFailedError(f"root: {root} is not the tree's first node; pass the root of these nodes")
        leaves = (len(nodes) // 32 + 1) // 2
        with self._write() as session:
            batch = self._locked_batch(session, batch_id)
            if batch.status != BatchStatus.BUILDING.value:
                raise BatchStateError(f"batch {batch_id} is '{batch.status}', not 'building'; its tree is already set")
            members = sorted(
                leaf_hash(bytes.fromhex(h.removeprefix("0x"))) for h in self._member_hashes(session, batch_id)
            )
            size = len(nodes) // 32
            given = [nodes[i * 32 : i * 32 + 32] for i in range(size - 1, size - 1 - leaves, -1)]  # ascending
            if given != members:
                raise ValidationFailedError(
                    f"nodes: batch {batch_id} holds {len(members)} credentials but the tree's {leaves} leaves are "
                    "not theirs; build the tree from exactly the hashes claim_batch returned"
                )
            batch.root = root
            batch.tree = nodes
            batch.leaf_count = leaves
            batch.status = BatchStatus.BUILT.value
            if credential_type is not None:
                batch.credential_type = credential_type
            batch.expires_at = expires_at
            try:
                session.flush()
            except IntegrityError as exc:
                raise ConflictError(f"root {root} is already recorded for another batch") from exc
            return _batch(batch)

    def get_batch(self, batch_id: int) -> Batch:
        with self._read() as session:
            row = session.get(BatchRow, batch_id)
            if row is None:
                raise NotFoundError(f"batch {batch_id} not found")
            return _batch(row)

    def get_batch_by_root(self, root: str) -> Batch | None:
        with self._read() as session:
            row = session.scalars(select(BatchRow).where(BatchRow.root == root)).one_or_none()
            return None if row is None else _batch(row)

    def batches_with_status(self, *statuses: BatchStatus | str) -> list[Batch]:
        """Batches in any of ``statuses`` (all batches when none given), oldest first."""
        query = select(BatchRow).order_by(BatchRow.id)
        if statuses:
            query = query.where(BatchRow.status.in_([BatchStatus(s).value for s in statuses]))
        with self._read() as session:
            return [_batch(row) for row in session.scalars(query)]

    def confirmed_batches_since(self, block_number: int) -> list[Batch]:
        """Confirmed batches anchored at ``block_number`` or later (what a reorg back to it would undo)."""
        query = (
            select(BatchRow)
            .where(BatchRow.status == BatchStatus.CONFIRMED.value, BatchRow.block_number >= block_number)
            .order_by(BatchRow.block_number, BatchRow.id)
        )
        with self._read() as session:
            return [_batch(row) for row in session.scalars(query)]

    def batch_counts(self) -> dict[BatchStatus, int]:
        counts = dict.fromkeys(BatchStatus, 0)
        with self._read() as session:
            for status, count in session.execute(select(BatchRow.status, func.count()).group_by(BatchRow.status)):
                counts[BatchStatus(status)] = count
        return counts

    def mark_signed(self, batch_id: int, signer: str, nonce: int, raw_tx: str, tx_hash: str) -> Batch:
        """Record the signed transaction BEFORE sending it, so a crash after signing resends the same bytes.

        Allowed from 'built', and again from 'signed'/'sent' for a replacement (e.g. a gas bump).
        """
        with self._write() as session:
            batch = self._transition(session, batch_id, _SIGNABLE, "sign")
            batch.signer, batch.nonce, batch.raw_tx, batch.tx_hash = signer, nonce, raw_tx, tx_hash
            batch.status = BatchStatus.SIGNED.value
            return _batch(batch)

    def mark_sent(self, batch_id: int) -> Batch:
        """The signed transaction was handed to the node (counts an attempt)."""
        with self._write() as session:
            batch = self._transition(session, batch_id, _SENDABLE, "send")
            batch.status = BatchStatus.SENT.value
            batch.sent_at = utcnow()
            batch.attempts += 1
            return _batch(batch)

    def note_batch_error(self, batch_id: int, error: str) -> Batch:
        """Remember why the last attempt did not work, without changing the state."""
        with self._write() as session:
            batch = self._locked_batch(session, batch_id)
            batch.last_error = error
            return _batch(batch)

    def mark_confirmed(self, batch_id: int, tx_hash: str, block_number: int, block_hash: str) -> Batch:
        """The anchor is mined (with enough confirmations): the batch and all its credentials are anchored."""
        now = utcnow()
        with self._write() as session:
            batch = self._transition(session, batch_id, _CONFIRMABLE, "confirm")
            batch.status = BatchStatus.CONFIRMED.value
            batch.tx_hash, batch.block_number, batch.block_hash = tx_hash, block_number, block_hash
            batch.confirmed_at = now
            batch.last_error = None
            self._move_credentials(session, batch_id, AnchoringState.ANCHORED, anchored_at=now)
            return _batch(batch)

    def mark_failed(self, batch_id: int, reason: str) -> Batch:
        """Give up on the batch: it and its credentials become 'failed' with ``reason``."""
        with self._write() as session:
            batch = self._transition(session, batch_id, _FAILABLE, "fail")
            batch.status = BatchStatus.FAILED.value
            batch.last_error = reason
            self._move_credentials(session, batch_id, AnchoringState.FAILED, failure_reason=reason)
            return _batch(batch)

    def reset_for_reanchor(self, batch_id: int) -> Batch:
        """The anchor is gone (chain reset, reorg, or a retried failure): back to 'built' with no transaction,
        its credentials back to 'batched' (tree and proofs kept: the root is anchored again as is)."""
        with self._write() as session:
            batch = self._transition(session, batch_id, _RESETTABLE, "reset")
            batch.status = BatchStatus.BUILT.value
            batch.nonce = batch.raw_tx = batch.tx_hash = None
            batch.block_number = batch.block_hash = None
            batch.sent_at = batch.confirmed_at = None
            self._move_credentials(session, batch_id, AnchoringState.BATCHED)
            return _batch(batch)

    # ---- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _member_hashes(session: Session, batch_id: int) -> list[str]:
        joined = session.scalar(
            select(func.aggregate_strings(CredentialRow.credential_hash, ",")).where(CredentialRow.batch_id == batch_id)
        )
        return joined.split(",") if joined else []

    @staticmethod
    def _locked_batch(session: Session, batch_id: int) -> BatchRow:
        row = session.scalars(select(BatchRow).where(BatchRow.id == batch_id).with_for_update()).one_or_none()
        if row is None:
            raise NotFoundError(f"batch {batch_id} not found")
        return row

    @classmethod
    def _transition(cls, session: Session, batch_id: int, allowed: Sequence[BatchStatus], action: str) -> BatchRow:
        row = cls._locked_batch(session, batch_id)
        if row.status not in {status.value for status in allowed}:
            expected = ", ".join(f"'{status.value}'" for status in allowed)
            raise BatchStateError(f"cannot {action} batch {batch_id}: it is '{row.status}', expected {expected}")
        return row

    @staticmethod
    def _move_credentials(
        session: Session,
        batch_id: int,
        status: AnchoringState,
        *,
        anchored_at: datetime | None = None,
        failure_reason: str | None = None,
    ) -> None:
        session.execute(
            update(CredentialRow)
            .where(CredentialRow.batch_id == batch_id)
            .values(status=status.value, anchored_at=anchored_at, failure_reason=failure_reason)
            .execution_options(synchronize_session=False)
        )
