"""The indexer: follows the registry's and the governance contract's events into the store and the mirror.

One background thread (started by the app's lifespan; :meth:`Indexer.poll_once` for tests and tools) polls the chain
about once a block. Each poll:

1. **checks for a reorganisation** by block hash: the stored hash of the cursor block must still be the chain's. If it
   is not, it walks back through the block hashes it recorded until one matches (the fork block), deletes the stored
   events and block hashes above it, rolls the mirror back to it, and re-indexes from there;
2. **indexes** from the block after the cursor to the head, in ranges of at most ``indexer_max_block_range`` blocks
   (halved while the node refuses a range): one eth_getLogs for both contracts, ``anchorOf`` for every new root and
   the records behind every accreditation event in a few ``multicall`` eth_calls, all as of the range's last block
   (by its hash, so a range read across a reorganisation fails and is read again);
3. **stores** the events (arguments as JSON, hex for bytes; ``root`` and ``issuer_id`` filled when the event has
   them or its root's anchor does: :mod:`node.workers.indexer_events`), the hashes of the blocks it indexed and the
   cursor (resuming there after a restart; stored events are de-duplicated by (tx hash, log index)), then applies
   the range to the mirror and publishes its last block as the mirror's ``as_of()``.

The stored arguments carry what the mirror needs to be rebuilt without the chain: ``blockTimestamp`` on every event,
and the anchor record (issuer, key, time, leaf count, type, expiry) on ``CredentialAnchored``, whose log holds only
the root. At start the mirror is rebuilt from the stored events plus one read of the accreditation records.

**Several API processes on one database**: one indexer writes (it holds the indexer's :class:`WorkerLock`: an
advisory lock on PostgreSQL, ``DATA_DIR/indexer.lock`` on SQLite). The others *follow*: each poll they read the
store's cursor, apply the stored events up to it to their own mirror (the accreditation records they touch read
from the chain at the cursor's block, as the writer does) and publish it; a cursor that went back, or a block they
followed that the store no longer records, is a reorganisation the writer undid: they rebuild their mirror from the
store. So every process's verify answers from a mirror at most one poll behind the writer's. A follower that gets
the lock (the writer stopped or died) initialises as the writer from what the store holds and indexes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import requests
from web3.exceptions import Web3Exception, Web3RPCError

from node.chain.registry import (
    AnchorRecord,
    ChainBlock,
    ChainLog,
    accreditation_at,
    anchors_at,
    chain_block,
    chain_logs,
    in_process,
)
from node.credentials.keccak import to_hex
from node.errors import ChainReorganisedError, RegistryError
from node.readmodel.mirror import (
    ANCHOR_EVENT,
    ZERO_HASH,
    Accreditation,
    IndexedEvent,
    MirrorChainView,
)
from node.runtime import Node
from node.store import Store
from node.store._base import record_of
from node.workers.indexer_events import Touched, new_event
from node.workers.leader import WorkerLock

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCK_FILE = "indexer.lock"
"""On SQLite, the data dir's file whose lock the writing indexer holds (on PostgreSQL: an advisory lock)."""

STATE_GONE = ("blockoutofrange", "block height", "missing trie node", "header not found", "pruned", "historical state")
"""How nodes say they no longer hold a block's state (anvil after a restart from a snapshot, a pruning node)."""

RECENT_STATE_BLOCKS = 64
"""Views are read as of the range's last block when it is this close to the head (any node keeps that state);
further back (catching up) they are read at ``latest``: a non-archive node has pruned older state."""
MAX_REORG_WALK = 1024
"""Recorded blocks compared on the way back to a fork; beyond that the chain was reset: index again from scratch."""
STALE_AFTER_POLLS = 20
"""The background indexer counts as stalled (no lag reported) after this many poll intervals without a good poll."""
RECOVERABLE: tuple[type[BaseException], ...] = (RegistryError, Web3Exception, requests.RequestException, OSError)
"""What a poll may fail with and the thread survives (unreachable node, refused range, reorganisation mid-read)."""


@dataclass(frozen=True)
class IndexerStatus:
    running: bool
    """The background thread is alive (False in manual mode: an in-process chain, or before start)."""
    cursor: int | None
    """The last block indexed."""
    head: int | None
    """The chain head at the last poll."""
    lag: int | None
    last_poll_at: float | None
    """Unix time of the last poll that completed."""
    last_error: str | None


def _ref(block: ChainBlock) -> ChainBlock:
    return ChainBlock(block.number, block.hash, block.timestamp)


class Indexer:
    """Follows the chain into the store and the mirror; see the module docstring."""

    def __init__(
        self,
        node: Node,
        mirror: MirrorChainView,
        poll_interval_s: float | None = None,
        max_block_range: int | None = None,
    ) -> None:
        settings = node.settings
        self._node = node
        self._client = node.registry
        self._store: Store = node.store
        self.mirror = mirror
        self.poll_interval_s = (
            poll_interval_s or settings.indexer_poll_interval_s or settings.devnet_block_time_s or 1.0
        )
        self.max_block_range = max_block_range or settings.indexer_max_block_range
        self.cursor_name = f"events:{node.manifest.registry.lower()}"
        self._deploy_block = node.manifest.deploy_block
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._initialised = False
        self._cursor: ChainBlock | None = None
        self._head: int | None = None
        self._last_poll_at: float | None = None
        self._last_error: str | None = None
        self._writer = WorkerLock(self._store, f"indexer:{self.cursor_name}", settings.data_dir / LOCK_FILE)
        self._writing = False

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Poll in a background thread. On an in-process chain (eth-tester, not thread-safe) poll once, here, instead:
        call :meth:`poll_once` again to catch up."""
        if self._thread is not None and self._thread.is_alive():
            return
        if in_process(self._client):
            try:
                self.poll_once()
            except RECOVERABLE as exc:
                self._last_error = str(exc)
                log.warning("indexer: the first poll failed (%s); call poll_once() to retry", exc)
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="credreg-indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after its current poll (idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=timeout_s)
        with self._lock:
            self._writer.release()
            self._writing = False

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except RECOVERABLE as exc:
                    self._last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("indexer: poll failed, retrying in %.1f s: %s", self.poll_interval_s, self._last_error)
                self._stop.wait(self.poll_interval_s)
        finally:
            if not self._stop.is_set():  # an unexpected error (its traceback follows): lag() now reports None
                log.error("indexer: the thread stopped; /readyz fails until the node is restarted")

    # --- state ----------------------------------------------------------------------------------------------------

    def lag(self) -> int | None:
        """Blocks between the chain head and the last indexed block; None before the first poll or while stalled."""
        if self._head is None or self._cursor is None:
            return None
        if self._thread is not None and self._last_poll_at is not None:
            stale_s = STALE_AFTER_POLLS * self.poll_interval_s + 10
            if not self._thread.is_alive() or time.time() - self._last_poll_at > stale_s:
                return None
        return max(0, self._head - self._cursor.number)

    def status(self) -> IndexerStatus:
        return IndexerStatus(
            running=self._thread is not None and self._thread.is_alive(),
            cursor=self._cursor.number if self._cursor else None,
            head=self._head,
            lag=self.lag(),
            last_poll_at=self._last_poll_at,
            last_error=self._last_error,
        )

    def wait_until(self, block: int, timeout_s: float = 10.0) -> bool:
        """Wait until the mirror is at or past ``block`` (the background thread does the work)."""
        deadline = time.monotonic() + timeout_s
        while self.mirror.as_of().number < block:
            if time.monotonic() > deadline:
                return False
            time.sleep(min(0.05, self.poll_interval_s))
        return True

    # --- one poll -------------------------------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Check for a reorganisation, then index up to the head. Returns how many new events were stored."""
        with self._lock:
            head = chain_block(self._client)
            if head is None:  # pragma: no cover - every node has a latest block
                raise ChainReorganisedError("the node returned no latest block; the indexer retries.")
            self._head = head.number
            if not self._writer.try_acquire():
                return self._follow(head)
            if not self._writing:  # the writer from now on (at start, or taking over): from what the store holds
                log.info("indexer: this process writes the indexed events (it holds %s)", self._writer.where)
                self._writing, self._initialised = True, False
            if not self._initialised:
                self._initialise()
            fork = self._find_fork()
            if fork is not None:
                self._rewind(fork)
            added = 0
            while True:
                start = self._next_block()
                if start > head.number:
                    break
                added += self._index_range(start, min(head.number, start + self.max_block_range - 1), head)
            self._last_poll_at = time.time()
            self._last_error = None
            return added

    def _follow(self, head: ChainBlock) -> int:
        """Another process writes the indexed events: bring the mirror up to the store's cursor from the stored
        events (the accreditation records they touch read from the chain, as the writer does). A cursor that went
        back, or a block of ours the writer no longer records, is a reorganisation it handled: rebuild the mirror
        from the store. Returns 0 (nothing stored here)."""
        if self._writing:
            log.warning("indexer: %s is held elsewhere now; following the stored events", self._writer.where)
            self._writing = False
        stored = self._store.get_cursor(self.cursor_name)
        mine = self._cursor
        if stored is None:  # the writer has indexed nothing yet
            self._last_poll_at, self._last_error = time.time(), None
            return 0
        if mine is not None and (mine.number, mine.hash) == (stored.block_number, stored.block_hash):
            self._last_poll_at, self._last_error = time.time(), None
            return 0
        block = chain_block(self._client, stored.block_number)
        if block is None or block.hash != stored.block_hash:
            raise ChainReorganisedError(f"the stored cursor's block {stored.block_number} is not on the chain; "
                                        "the indexer follows again once the writer has handled it.")  # fmt: skip
        if (
            not self._initialised
            or mine is None
            or stored.block_number < mine.number
            or self._store.get_block_hash(mine.number) != mine.hash
        ):
            self._cursor = block
            self._rebuild_mirror()
            self._initialised = True
        else:
            events = [e for e in self._stored_events(from_block=mine.number + 1) if e.block_number <= block.number]
            touched = self._touched(events)
            state_block = block.hash if head.number - block.number <= RECENT_STATE_BLOCKS else "latest"
            records = _at_state(lambda at: self._read_accreditation(touched, at), state_block) if touched else None
            self._cursor = block
            self.mirror.apply(events)
            if records is not None:
                self.mirror.set_accreditation(records)
            self.mirror.publish(_ref(block))
        self._last_poll_at, self._last_error = time.time(), None
        return 0

    def _next_block(self) -> int:
        return self._deploy_block if self._cursor is None else self._cursor.number + 1

    def _initialise(self) -> None:
        stored = self._store.get_cursor(self.cursor_name)
        if stored is None:
            # a first start for this deployment: whatever the tables hold is from another one
            self._store.delete_events_from(0)
            self._store.delete_blocks_from(0)
            self._cursor = None
        else:
            known = chain_block(self._client, stored.block_number)
            timestamp = known.timestamp if known is not None else 0
            self._cursor = ChainBlock(stored.block_number, stored.block_hash, timestamp)
        fork = self._find_fork()
        if fork is not None:
            self._truncate_store(fork)
        self._rebuild_mirror()
        self._initialised = True

    # --- reorganisations ------------------------------------------------------------------------------------------

    def _find_fork(self) -> ChainBlock | None:
        """None when the cursor block is still on the chain; else the last recorded block that is (the fork)."""
        cursor = self._cursor
        if cursor is None:
            return None
        now = chain_block(self._client, cursor.number)
        if now is not None and now.hash == cursor.hash:
            return None
        store = self._store
        store.delete_blocks_from(cursor.number + 1)
        for _ in range(MAX_REORG_WALK):
            latest = store.latest_block()
            if latest is None:
                break
            number, block_hash = latest
            now = chain_block(self._client, number)
            if now is not None and now.hash == block_hash:
                log.warning(
                    "indexer: reorganisation: block %d replaced; re-indexing from block %d", cursor.number, number + 1
                )
                return now
            store.delete_blocks_from(number)
        log.warning("indexer: no indexed block is on the chain any more (a reset chain): indexing again from scratch")
        genesis = chain_block(self._client, max(self._deploy_block - 1, 0))
        return genesis or ChainBlock(max(self._deploy_block - 1, 0), ZERO_HASH, 0)

    def _truncate_store(self, fork: ChainBlock) -> None:
        store = self._store
        store.delete_events_from(fork.number + 1)
        store.delete_blocks_from(fork.number + 1)
        if fork.number < self._deploy_block:
            store.delete_events_from(0)
            store.delete_blocks_from(0)
        store.set_cursor(self.cursor_name, fork.number, fork.hash)
        self._cursor = fork

    def _rewind(self, fork: ChainBlock) -> None:
        touched = self._touched(self._stored_events(from_block=fork.number + 1))  # before they are deleted
        self._truncate_store(fork)
        if not self.mirror.rollback(_ref(fork)):
            self._rebuild_mirror()
            return
        if touched:
            touched.block = fork.number
            self.mirror.set_accreditation(_at_state(lambda block: self._read_accreditation(touched, block), fork.hash))

    # --- indexing a range -----------------------------------------------------------------------------------------

    def _index_range(self, start: int, end: int, head: ChainBlock) -> int:
        client = self._client
        while True:
            before = head if end == head.number else chain_block(client, end)
            if before is None:
                raise ChainReorganisedError(f"block {end} disappeared while indexing; the indexer reads it again.")
            try:
                logs = chain_logs(client, start, end)
                break
            except Web3RPCError:
                if end == start:
                    raise
                end = start + (end - start) // 2  # the node limits ranges or results: ask for less
        after = chain_block(client, end)
        if after is None or after.hash != before.hash:
            raise ChainReorganisedError(f"block {end} changed while indexing; the indexer reads the range again.")
        timestamps = self._timestamps(logs, after)
        state_block = after.hash if head.number - end <= RECENT_STATE_BLOCKS else "latest"
        anchors = _at_state(lambda block: self._anchors(logs, block), state_block)
        events = [
            new_event(entry, timestamps[entry.block_number], anchors, self.mirror.issuer_of_root) for entry in logs
        ]
        touched = self._touched(events)
        records = _at_state(lambda block: self._read_accreditation(touched, block), state_block) if touched else None

        store = self._store
        added = store.add_events(events)
        blocks = {(e.block_number, e.block_hash) for e in events} | {(after.number, after.hash)}
        store.record_blocks(sorted(blocks))
        store.set_cursor(self.cursor_name, after.number, after.hash)
        self._cursor = after

        mirror = self.mirror
        mirror.apply(events)
        if records is not None:
            mirror.set_accreditation(records)
        mirror.publish(_ref(after))
        return added

    def _timestamps(self, logs: list[ChainLog], end: ChainBlock) -> dict[int, int]:
        """Block timestamps of the logs (from the logs when the node includes them, else one header per block),
        checking every log's block hash against the chain's."""
        out: dict[int, int] = {end.number: end.timestamp}
        hashes: dict[int, str] = {end.number: end.hash}
        for entry in logs:
            if entry.block_number not in hashes:
                if entry.block_timestamp is not None:
                    hashes[entry.block_number], out[entry.block_number] = entry.block_hash, entry.block_timestamp
                else:
                    block = chain_block(self._client, entry.block_number)
                    if block is None:
                        raise ChainReorganisedError(f"block {entry.block_number} disappeared while indexing.")
                    hashes[block.number], out[block.number] = block.hash, block.timestamp
            if hashes[entry.block_number] != entry.block_hash:
                raise ChainReorganisedError(f"block {entry.block_number} changed while indexing.")
        return out

    def _anchors(self, logs: list[ChainLog], state_block: str) -> dict[bytes, AnchorRecord]:
        roots = [bytes(entry.args["root"]) for entry in logs if entry.name == ANCHOR_EVENT]
        if not roots:
            return {}
        records = {record.root: record for record in anchors_at(self._client, roots, state_block)}
        missing = [root for root, record in records.items() if not record.exists]
        if missing:
            raise ChainReorganisedError(
                f"root {to_hex(missing[0])} is not anchored as of block {state_block} although its event was seen."
            )
        return records

    def _touched(self, events: Iterable[IndexedEvent]) -> Touched:
        return Touched.by(events, self.mirror)

    def _read_accreditation(self, touched: Touched, block: str) -> Accreditation:
        keys = sorted({key.lower(): key for key in touched.keys}.values())
        reads = accreditation_at(self._client, sorted(touched.bodies), sorted(touched.issuers), keys, block)
        return record_of(Accreditation, reads, block=touched.block)

    # --- the mirror from the store ----------------------------------------------------------------------------

    def _stored_events(self, from_block: int | None = None) -> Iterator[IndexedEvent]:
        """Stored events in chain order, a page at a time (never all in memory)."""
        cursor: str | None = None
        while True:
            page = self._store.query_events(from_block=from_block, cursor=cursor, limit=1000)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _rebuild_mirror(self) -> None:
        """Replay every stored event into a fresh mirror state, read the accreditation records once, swap it in."""
        cursor = self._cursor
        if cursor is None:
            genesis = chain_block(self._client, max(self._deploy_block - 1, 0))
            as_of = _ref(genesis) if genesis else ChainBlock(max(self._deploy_block - 1, 0), ZERO_HASH, 0)
        else:
            as_of = _ref(cursor)
        fresh = MirrorChainView(self.mirror.chain_id, self.mirror.registry_address, as_of)
        touched = Touched()

        def replay() -> Iterator[IndexedEvent]:
            for event in self._stored_events():
                if cursor is None or event.block_number > cursor.number:
                    continue  # stored by a range whose cursor was not yet written (a writer in another process)
                touched.note(event)
                yield event

        fresh.apply(replay())
        touched.expand(fresh)
        if touched and cursor is not None:
            touched.block = 0  # a baseline: rolled back only through the re-read a rewind does
            head = self._head if self._head is not None else cursor.number
            state_block = cursor.hash if head - cursor.number <= RECENT_STATE_BLOCKS else "latest"
            fresh.set_accreditation(_at_state(lambda block: self._read_accreditation(touched, block), state_block))
        self.mirror.adopt(fresh)


def _at_state(read: Callable[[str], T], state_block: str) -> T:
    """``read(state_block)``, or ``read("latest")`` when the node no longer holds that block's state (anvil restarted
    from a snapshot keeps no historical state; pruning nodes drop it): the records are then as of the head."""
    try:
        return read(state_block)
    except Web3RPCError as exc:
        if state_block == "latest" or not any(words in str(exc).lower() for words in STATE_GONE):
            raise
        log.info("indexer: the node has no state at %s (%s); reading at latest", state_block, exc)
        return read("latest")


def attach_indexer(node: Node) -> Indexer | None:
    """Start the node's indexer (creating it and its mirror on first use) unless ``indexer_enabled`` is off.

    The mirror goes into ``node.workers.mirror`` (what the verify endpoint reads) and the indexer into
    ``node.workers.indexer`` (/readyz reads its lag).
    """
    existing = node.workers.indexer
    if isinstance(existing, Indexer):
        existing.start()
        return existing
    if not node.settings.indexer_enabled:
        return None
    mirror = MirrorChainView(node.chain_id, node.manifest.registry)
    indexer = Indexer(node, mirror)
    node.workers.mirror = mirror
    node.workers.indexer = indexer
    indexer.start()
    return indexer
