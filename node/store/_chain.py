"""Chain-side bookkeeping: transaction nonces, indexed contract events, the indexer cursor and block hashes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from node.errors import ValidationFailedError
from node.store._base import StoreBase, chunks, record_of, upsert
from node.store.models import BlockRow, EventRow, IndexerCursorRow, NonceRow
from node.store.records import Event, EventPage, IndexerCursor, NewEvent

_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
_NONCES: Table = NonceRow.__table__  # type: ignore[assignment]
_CURSORS: Table = IndexerCursorRow.__table__  # type: ignore[assignment]
_BLOCKS: Table = BlockRow.__table__  # type: ignore[assignment]

MAX_PAGE = 1000


def _event(row: EventRow) -> Event:
    return record_of(Event, row, args=dict(row.args))


def _encode_cursor(event: Event) -> str:
    return f"{event.block_number}:{event.log_index}"


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        block, log = cursor.split(":")
        return int(block), int(log)
    except ValueError as exc:
        raise ValidationFailedError(
            "cursor: not a cursor this node issued; pass next_cursor from the previous page"
        ) from exc


class ChainRepository(StoreBase):
    # ---- nonces --------------------------------------------------------------------------------------------

    def next_nonce(self, address: str, chain_pending_nonce: int) -> int:
        """Reserve the next nonce for ``address``: max(stored, chain's pending count), and store it plus one.

        Atomic across threads and processes; addresses are compared case-insensitively.
        """
        key = address.lower()
        for attempt in range(2):
            try:
                with self._write() as session:
                    row = session.scalars(
                        select(NonceRow).where(NonceRow.address == key).with_for_update()
                    ).one_or_none()
                    if row is None:
                        session.add(NonceRow(address=key, next_nonce=chain_pending_nonce + 1))
                        session.flush()
                        return chain_pending_nonce
                    reserved = max(row.next_nonce, chain_pending_nonce)
                    row.next_nonce = reserved + 1
                    return reserved
            except IntegrityError:  # another process inserted the first row for this address at the same time
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def set_nonce(self, address: str, next_nonce: int) -> None:
        """Force the next nonce for ``address`` (e.g. after a chain reset)."""
        with self._write() as session:
            row = {"address": address.lower(), "next_nonce": next_nonce}
            upsert(session, _NONCES, [row], ["address"], ["next_nonce"])

    def release_nonce(self, address: str, nonce: int) -> bool:
        """Take ``nonce`` back if it is the last one handed out for ``address`` (by any process); True if it was."""
        key = address.lower()
        with self._write() as session:
            row = session.get(NonceRow, key, with_for_update=True)
            if row is None or row.next_nonce != nonce + 1:
                return False
            row.next_nonce = nonce
            return True

    def get_nonce(self, address: str) -> int | None:
        """The next nonce that would be handed out from the store alone (``None``: never used)."""
        with self._read() as session:
            row = session.get(NonceRow, address.lower())
            return None if row is None else row.next_nonce

    # ---- events --------------------------------------------------------------------------------------------

    def add_events(self, events: Sequence[NewEvent]) -> int:
        """Store events; an event already stored (same tx hash and log index) is skipped. Returns how many
        were new."""
        if not events:
            return 0
        with self._write() as session:
            hashes = sorted({event.tx_hash for event in events})
            seen: set[tuple[str, int]] = set()
            for chunk in chunks(hashes):
                found = session.execute(select(EventRow.tx_hash, EventRow.log_index).where(EventRow.tx_hash.in_(chunk)))
                seen.update(found)
            rows: list[dict[str, Any]] = []
            for event in events:
                if (event.tx_hash, event.log_index) in seen:
                    continue
                seen.add((event.tx_hash, event.log_index))
                rows.append(
                    {
                        "block_number": event.block_number,
                        "block_hash": event.block_hash,
                        "tx_hash": event.tx_hash,
                        "log_index": event.log_index,
                        "name": event.name,
                        "args": dict(event.args),
                        "root": event.root,
                        "issuer_id": event.issuer_id,
                    }
                )
            # a concurrent indexer (another API process on the same database) may store the same events meanwhile
            return len(upsert(session, _EVENTS, rows, ["tx_hash", "log_index"]))

    def query_events(
        self,
        *,
        name: str | None = None,
        issuer_id: int | None = None,
        root: str | None = None,
        from_block: int | None = None,
        to_block: int | None = None,
        cursor: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> EventPage:
        """Events in chain order (block, log index), filtered; page on with ``cursor=page.next_cursor``."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailedError(f"limit: must be between 1 and {MAX_PAGE}")
        conditions: list[ColumnElement[bool]] = []
        if name is not None:
            conditions.append(EventRow.name == name)
        if issuer_id is not None:
            conditions.append(EventRow.issuer_id == issuer_id)
        if root is not None:
            conditions.append(EventRow.root == root)
        if from_block is not None:
            conditions.append(EventRow.block_number >= from_block)
        if to_block is not None:
            conditions.append(EventRow.block_number <= to_block)
        if cursor is not None:
            block, log = _decode_cursor(cursor)
            conditions.append(
                or_(EventRow.block_number > block, and_(EventRow.block_number == block, EventRow.log_index > log))
            )
        query = (
            select(EventRow)
            .where(*conditions)
            .order_by(EventRow.block_number, EventRow.log_index, EventRow.id)
            .offset(offset)
            .limit(limit + 1)
        )
        with self._read() as session:
            items = [_event(row) for row in session.scalars(query)]
        more = len(items) > limit
        items = items[:limit]
        return EventPage(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)

    def delete_events_from(self, block_number: int) -> int:
        """Forget every event at ``block_number`` or later (a reorg replaced those blocks). Returns how many."""
        with self._write() as session:
            result = cast(
                "CursorResult[Any]", session.execute(delete(_EVENTS).where(_EVENTS.c.block_number >= block_number))
            )
            return int(result.rowcount)

    # ---- indexer cursor and block hashes -------------------------------------------------------------------

    def get_cursor(self, name: str) -> IndexerCursor | None:
        with self._read() as session:
            row = session.get(IndexerCursorRow, name)
            return None if row is None else record_of(IndexerCursor, row)

    def set_cursor(self, name: str, block_number: int, block_hash: str) -> None:
        row = {"name": name, "block_number": block_number, "block_hash": block_hash}
        with self._write() as session:
            upsert(session, _CURSORS, [row], ["name"], ["block_number", "block_hash"])

    def record_blocks(self, blocks: Sequence[tuple[int, str]]) -> None:
        """Remember (number, hash) of seen blocks, replacing any hash stored for the same number."""
        if not blocks:
            return
        latest = dict(blocks)  # one row per number (the last hash given), as one statement requires
        with self._write() as session:
            rows = [{"number": number, "hash": block_hash} for number, block_hash in sorted(latest.items())]
            upsert(session, _BLOCKS, rows, ["number"], ["hash"])

    def record_block(self, number: int, block_hash: str) -> None:
        self.record_blocks([(number, block_hash)])

    def get_block_hash(self, number: int) -> str | None:
        with self._read() as session:
            row = session.get(BlockRow, number)
            return None if row is None else row.hash

    def latest_block(self) -> tuple[int, str] | None:
        """The highest recorded (number, hash), or ``None``."""
        with self._read() as session:
            row = session.scalars(select(BlockRow).order_by(BlockRow.number.desc()).limit(1)).one_or_none()
            return None if row is None else (row.number, row.hash)

    def delete_blocks_from(self, block_number: int) -> int:
        """Forget recorded block hashes at ``block_number`` or later. Returns how many."""
        with self._write() as session:
            result = cast("CursorResult[Any]", session.execute(delete(BlockRow).where(BlockRow.number >= block_number)))
            return int(result.rowcount)
