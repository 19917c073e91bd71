"""The batch state machine: claim pending credentials into a batch, record its tree, sign, send, confirm, fail,
reset (each transition checked against the batch's state, under its row lock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from node.credentials.errors import MerkleTreeError
from node.credentials.hash32 import Hash32
from node.credentials.merkle import StoredTree, leaf_hash
from node.errors import BatchStateError, ConflictError, NotFoundError, ValidationFailedError
from node.store._base import StoreBase, record_of
from node.store.coltypes import utcnow
from node.store.models import BatchRow, CredentialRow
from node.store.records import AnchoringState, Batch, BatchStatus, ClaimedBatch

_SIGNABLE = (BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)
_SENDABLE = (BatchStatus.SIGNED, BatchStatus.SENT)
_CONFIRMABLE = (BatchStatus.SIGNED, BatchStatus.SENT)
_FAILABLE = (BatchStatus.BUILDING, BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)
_RESETTABLE = (BatchStatus.SIGNED, BatchStatus.SENT, BatchStatus.CONFIRMED, BatchStatus.FAILED)


def _batch(row: BatchRow) -> Batch:
    return record_of(Batch, row, status=BatchStatus(row.status))


class BatchRepository(StoreBase):
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
            # The oldest pending, locked (others' locked rows skipped), chosen ONCE: as a materialized CTE. Inline
            # (``id IN (SELECT ... LIMIT n FOR UPDATE)``) PostgreSQL may rescan the subquery per outer row, and a
            # rescan skips the rows this very UPDATE has just changed and takes the next ones: more than ``limit``.
            oldest = (
                select(CredentialRow.id)
                .where(*conditions)
                .order_by(CredentialRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .cte("oldest")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            session.execute(
                update(CredentialRow)
                .where(CredentialRow.id.in_(select(oldest.c.id)), CredentialRow.status == AnchoringState.PENDING.value)
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
    ) -> Batch:
        """Record the batch's Merkle tree (``MerkleTree.nodes()``: ``2n - 1`` nodes of 32 bytes, the root first) for
        its ``n`` members; the batch becomes 'built'. Every member's proof is read from it from now on."""
        try:
            tree = StoredTree(nodes)
        except MerkleTreeError:
            raise ValidationFailedError(
                f"nodes: a tree is an odd number of 32-byte nodes, not {len(nodes)} bytes; pass MerkleTree.nodes()"
            ) from None
        if tree.root.hex0x != root.lower():
            raise ValidationFailedError(f"root: {root} is not the tree's first node; pass the root of these nodes")
        leaves = len(tree)
        with self._write() as session:
            batch = self._locked_batch(session, batch_id)
            if batch.status != BatchStatus.BUILDING.value:
                raise BatchStateError(f"batch {batch_id} is '{batch.status}', not 'building'; its tree is already set")
            members = sorted(leaf_hash(Hash32.from_hex(h)) for h in self._member_hashes(session, batch_id))
            if tree.sorted_leaves() != members:
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
