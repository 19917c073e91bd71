"""The batcher: turns the outbox into anchored Merkle roots, exactly once, across crashes, outages and chain resets.

One background loop thread (started by the app's lifespan, in its own child process by default: see
:mod:`node.services.batcher_process`; or standalone with ``python -m node.services.batcher``):

Closing
    Per issuer and (credential type, version), when ``batch_max_size`` credentials are pending or the oldest has
    waited ``batch_max_wait_ms``, a batch is claimed (atomically, so a credential is never in two batches),
    its Merkle tree built and recorded (``building`` -> ``built``).
Anchoring
    The root goes on chain in one transaction signed by the issuer's key: ``anchorSingle`` for a batch of one (two
    words of calldata and a hash fewer), ``anchor`` otherwise. ``prepare`` (nonce reserved, signed locally) ->
    ``mark_signed`` (the raw transaction is durable BEFORE it leaves the process) -> ``send`` -> ``mark_sent``. The
    receipt is awaited by a small pool of watcher threads, so several batches are in flight at once (the
    TxManager owns the nonces and caps the window); the loop thread alone changes batch states.
Recovery (``recover()``, before the loop)
    ``building`` -> the tree is rebuilt from the claimed credentials; confirmed anchors that vanished -> anchored
    again; ``signed``/``sent`` -> the transaction is looked up: mined or pending -> awaited; unknown -> if the root
    is anchored on chain (by any transaction) it is confirmed from its CredentialAnchored log, never anchored twice;
    else the same raw transaction is re-sent, all of a key's outstanding transactions together through
    ``TxManager.resync`` so no nonce is left as a gap; a nonce taken by something else -> prepared again.
    ``built`` -> anchored.
Outcomes
    A revert with ``CredentialRegistryAlreadyAnchored`` means it IS anchored: confirmed from the log. Other reverts
    (issuer not accredited for the type, key unknown or outside its window, issuer or body suspended) ->
    ``mark_failed`` with a sentence saying why and what to do (fix it, then ``--retry-failed``). RPC faults never
    fail anything: the error is noted on the batch and in ``last_error``, the batch retried with backoff.
Chain reset / reorg
    Every ``anchor_check_interval_s`` (and at start) the confirmed batches are checked against the chain: the block
    hash at their block must be unchanged and the root still anchored. Checking walks from the newest confirmed
    block down and stops at the first intact one (a matching block hash vouches for all history below it), so a
    steady-state check costs a few RPCs whatever the number of batches. Lost anchors -> ``reset_for_reanchor`` and
    anchored again (after realigning the key's nonces with the chain).

One batcher per database: the loop takes an exclusive lock file in the data dir first (a second process, e.g. a
second API worker, waits as a standby and takes over if the first dies).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import logging
import queue
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import requests
import rlp  # type: ignore[import-untyped]
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from sqlalchemy.exc import SQLAlchemyError
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from node.chain.registry import type_id
from node.chain.txmanager import Call, SignedTx, TxManager, TxState
from node.config import Settings, get_settings
from node.credentials.keccak import to_hex
from node.credentials.merkle import MerkleTree
from node.errors import (
    BatchStateError,
    ChainUnavailableError,
    ConfigurationError,
    ConflictError,
    ContractRevertError,
    NonceConsumedError,
    NotFoundError,
    RegistryError,
    TransactionRejectedError,
    TransactionRevertedError,
    TransactionTimeoutError,
    ValidationFailedError,
)
from node.faults import AFTER_BUILD, AFTER_CLAIM, AFTER_SEND, AFTER_SIGN, crash_point
from node.runtime import Node
from node.store import Batch, BatchStatus, Store

log = logging.getLogger(__name__)

ALREADY_ANCHORED = "CredentialRegistryAlreadyAnchored"
RETRY_COMMAND = "python -m node.services.batcher --retry-failed"
LOCK_FILE = "batcher.lock"

_UNFINISHED = (BatchStatus.BUILDING, BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)

STEP_FAULTS: tuple[type[BaseException], ...] = (
    RegistryError,  # ours: chain unavailable, store conflicts, configuration, timeouts
    Web3Exception,  # a node's RPC error that is not a revert (web3 raises it for e.g. "insufficient funds")
    requests.RequestException,  # transport faults of reads that have no retry of their own
    ConnectionError,
    TimeoutError,
    SQLAlchemyError,  # the database busy past its timeout, or a PostgreSQL restart: retried like an RPC fault
)
"""What one step of the loop may raise and recover from by retrying later. Anything else is a bug: logged, raised."""


# --- values ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatcherStats:
    """A snapshot of the batcher's counters (for /metrics and health)."""

    running: bool
    recovered: bool
    standby: bool
    batches_anchored: int
    credentials_anchored: int
    batches_failed: int
    batches_reanchored: int
    nonce_replays: int
    in_flight: int
    retrying: int
    last_error: str | None
    last_error_at: datetime | None
    chain_reachable: bool
    """False while the JSON-RPC node does not answer (probed every ``probe_interval_s``)."""


@dataclass(frozen=True)
class RecoveryReport:
    """What :meth:`Batcher.recover` found and did."""

    rebuilt: int = 0
    """``building`` batches whose tree was built again from their claimed credentials."""
    lost_anchors: int = 0
    """Confirmed batches whose anchor is no longer on chain (reset for anchoring again)."""
    adopted: int = 0
    """Signed/sent batches whose root was found anchored on chain (confirmed from the log, nothing sent)."""
    awaited: int = 0
    """Signed/sent transactions re-sent as they were (or found mined/pending) and now awaited."""
    reprepared: int = 0
    """Signed transactions whose nonce was taken or that the node refused: prepared and signed again."""
    gaps_filled: int = 0
    """Nonces handed out without a transaction that were filled with a no-op transfer."""
    anchored: int = 0
    """``built`` batches anchored."""
    failed: int = 0
    """Batches in 'failed' (they need an operator: see their last_error)."""


@dataclass(frozen=True)
class _Watch:
    batch_id: int
    signed: SignedTx
    tm: TxManager


@dataclass(frozen=True)
class _Outcome:
    watch: _Watch
    receipt: TxReceipt | None
    error: BaseException | None


# --- the batcher ----------------------------------------------------------------------------------------------------


class Batcher:
    """Closes, anchors, confirms and re-anchors batches for every issuer of one node. Thread-safe to start/stop."""

    def __init__(
        self,
        node: Node,
        *,
        poll_interval_s: float = 0.05,
        probe_interval_s: float = 1.0,
        anchor_check_interval_s: float = 5.0,
        orphan_scan_interval_s: float = 2.0,
        watchers: int = 8,
        wait_slice_s: float = 5.0,
        stuck_after_s: float = 120.0,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        max_batches_per_tick: int = 8,
        lock_path: Path | None = None,
    ) -> None:
        self.node = node
        self.settings: Settings = node.settings
        self.poll_interval_s = poll_interval_s
        self.probe_interval_s = probe_interval_s
        self.anchor_check_interval_s = anchor_check_interval_s
        self.orphan_scan_interval_s = orphan_scan_interval_s
        self.wait_slice_s = wait_slice_s
        self.stuck_after_s = stuck_after_s
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.max_batches_per_tick = max_batches_per_tick
        self.lock_path = lock_path if lock_path is not None else node.settings.data_dir / LOCK_FILE
        self._watcher_count = max(1, watchers)

        # counters (read by stats(); written by the loop thread, last_error also by watchers)
        self._stat_lock = threading.Lock()
        self._batches_anchored = 0
        self._credentials_anchored = 0
        self._batches_failed = 0
        self._batches_reanchored = 0
        self._nonce_replays = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None

        # loop-thread state
        self._recovered = False
        self._inflight: set[int] = set()
        self._retry: dict[int, tuple[float, float]] = {}  # batch id -> (due, last delay)
        self._reprepare: set[int] = set()  # signed transactions that must not be re-sent (refused / nonce reused)
        self._issuer_blocked: dict[int, float] = {}  # issuer id -> monotonic time until which its key is unusable
        self._managers: dict[tuple[str, str | None], TxManager] = {}
        self._type_indexes: dict[bytes, int] = {}
        self._sentinel: tuple[int, str, str] | None = None  # (block, block hash, root) verified intact
        self._adopted = 0
        self._next_anchor_check = 0.0
        self._next_orphan_scan = 0.0
        self._chain_down_until = 0.0
        self._chain_down_since: float | None = None  # set by the probe thread while the JSON-RPC node is down

        self._stop = threading.Event()
        self._watches: queue.Queue[_Watch] = queue.Queue()
        self._outcomes: queue.Queue[_Outcome] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._watch_threads: list[threading.Thread] = []
        self._lock_file: IO[bytes] | None = None
        self._standby = False

    # --- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop thread (recovery first, inside it) and the watchers. No RPC happens in the caller."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._watch_threads = [
            threading.Thread(target=self._watch_loop, name=f"credreg-batcher-watch-{i}", daemon=True)
            for i in range(self._watcher_count)
        ]
        self._watch_threads.append(threading.Thread(target=self._probe_loop, name="credreg-batcher-probe", daemon=True))
        for thread in self._watch_threads:
            thread.start()
        self._thread = threading.Thread(target=self._run, name="credreg-batcher", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the loop and the watchers (work in progress stays durable in the store) and release the lock."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():  # it keeps the lock until its current step ends: no second batcher meanwhile
                log.warning("the batcher did not stop within %g s (an RPC call is retrying); leaving it", timeout_s)
        deadline = time.monotonic() + min(timeout_s, self.wait_slice_s + 1.0)
        for watcher in self._watch_threads:  # daemon threads: one stuck in an RPC retry does not hold the process
            watcher.join(max(0.0, deadline - time.monotonic()))
        self._watch_threads = []
        if thread is None:
            self._release_lock()  # never started (the loop thread releases its own lock when it ends)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- counters -----------------------------------------------------------------------------------------------

    @property
    def batches_anchored(self) -> int:
        return self._batches_anchored

    @property
    def credentials_anchored(self) -> int:
        return self._credentials_anchored

    @property
    def batches_failed(self) -> int:
        return self._batches_failed

    @property
    def batches_reanchored(self) -> int:
        return self._batches_reanchored

    @property
    def nonce_replays(self) -> int:
        """How often a nonce turned out to be used by another transaction and the anchor was prepared again."""
        return self._nonce_replays

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    def stats(self) -> BatcherStats:
        with self._stat_lock:
            return BatcherStats(
                running=self.running,
                recovered=self._recovered,
                standby=self._standby,
                batches_anchored=self._batches_anchored,
                credentials_anchored=self._credentials_anchored,
                batches_failed=self._batches_failed,
                batches_reanchored=self._batches_reanchored,
                nonce_replays=self._nonce_replays,
                in_flight=len(self._inflight),
                retrying=len(self._retry),
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                chain_reachable=self._chain_down_since is None,
            )

    def idle(self) -> bool:
        """Recovered, nothing pending, nothing unfinished in the store, nothing in flight or waiting to retry."""
        if not self._recovered or self._inflight or self._retry:
            return False
        store = self.node.store
        if store.pending_issuers():
            return False
        counts = store.batch_counts()
        return all(counts[status] == 0 for status in _UNFINISHED)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until :meth:`idle` (checked between ticks) or ``timeout_s``; True when idle."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.idle():
                return True
            if self._thread is not None and not self._thread.is_alive():
                return False
            time.sleep(0.1)
        return self.idle()

    # --- the loop -----------------------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.retry_initial_s
        try:
            while not self._stop.is_set():
                if not self._acquire_lock():
                    self._stop.wait(1.0)
                    continue
                if not self._recovered and self._chain_down(time.monotonic()):
                    self._stop.wait(self.probe_interval_s)  # recovery needs the chain: wait for the probe's all-clear
                    continue
                try:
                    if not self._recovered:
                        report = self.recover()
                        log.info("batcher recovered: %s", report)
                    self.run_once()
                    delay = self.retry_initial_s
                except STEP_FAULTS as exc:
                    self._note(None, exc)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.retry_max_s)
                    continue
                self._stop.wait(self.poll_interval_s)
        except BaseException as exc:
            self._note(None, exc, prefix="the batcher stopped on an unexpected error (a bug; restart the node)")
            raise
        finally:
            self._release_lock()

    def run_once(self) -> None:
        """One tick: outcomes, the anchor check, due retries, orphans, then closing and anchoring new batches."""
        self._collect_outcomes()
        now = time.monotonic()
        if now >= self._next_anchor_check and not self._chain_down(now):
            self._next_anchor_check = now + self.anchor_check_interval_s
            self._guard(None, lambda: self.check_anchors())
        self._retry_due(now)
        if now >= self._next_orphan_scan:
            self._next_orphan_scan = now + self.orphan_scan_interval_s
            self._pick_up_orphans()
        self._close_due()
        self._collect_outcomes()

    # --- recovery -----------------------------------------------------------------------------------------------

    def recover(self) -> RecoveryReport:
        """Bring every unfinished batch forward after a start (or crash). Idempotent; call before the loop."""
        store = self.node.store
        rebuilt = anchored = reprepared = awaited = gaps = 0
        self._adopted = 0

        for batch in store.batches_with_status(BatchStatus.BUILDING):
            if self._rebuild(batch.id) is not None:
                rebuilt += 1

        lost = self.check_anchors(full=True)

        outstanding: dict[TxManager, list[tuple[Batch, SignedTx]]] = defaultdict(list)
        for batch in store.batches_with_status(BatchStatus.SIGNED, BatchStatus.SENT):
            if batch.id in self._inflight:
                continue
            tm = self._manager_or_note(batch)
            if tm is None:
                continue
            signed = signed_tx_of(batch)
            if signed is None:  # confirmed from a log, then the process died: confirm again from the log
                if not self._adopt(batch):
                    self._schedule(batch.id, reprepare=True, delay=0.0)
                continue
            if tm.find_receipt(signed.tx_hash).state is TxState.UNKNOWN and self._adopt(batch):
                continue  # anchored by another transaction: confirmed from its log, nothing sent
            outstanding[tm].append((batch, signed))

        issuers = {b.issuer_id for b in store.batches_with_status(BatchStatus.BUILT)} | set(store.pending_issuers())
        for issuer_id in sorted(issuers):
            tm = self._issuer_manager_or_note(issuer_id)
            if tm is not None:
                outstanding.setdefault(tm, [])
        for tm, items in outstanding.items():
            by_hash = {signed.tx_hash: batch.id for batch, signed in items}
            report = tm.resync([signed for _, signed in items])
            gaps += len(report.filled)
            for signed in report.resent:
                self._watch(by_hash[signed.tx_hash], signed, tm)
                awaited += 1
            for signed in (*report.consumed, *report.rejected):
                batch = store.get_batch(by_hash[signed.tx_hash])
                self._reprepare.add(batch.id)
                if signed in report.consumed:
                    self._count_nonce_replay()
                    if self._adopt(batch):
                        continue
                self._guard(batch.id, functools.partial(self._anchor, batch))
                reprepared += 1

        for batch in store.batches_with_status(BatchStatus.BUILT):
            if batch.id in self._inflight or batch.id in self._retry:
                continue
            self._guard(batch.id, functools.partial(self._anchor, batch))
            anchored += 1

        self._recovered = True
        self._next_anchor_check = time.monotonic() + self.anchor_check_interval_s
        return RecoveryReport(
            rebuilt=rebuilt,
            lost_anchors=lost,
            adopted=self._adopted,
            awaited=awaited,
            reprepared=reprepared,
            gaps_filled=gaps,
            anchored=anchored,
            failed=store.batch_counts()[BatchStatus.FAILED],
        )

    # --- closing and building -----------------------------------------------------------------------------------

    def _close_due(self) -> None:
        store = self.node.store
        max_size = self.settings.batch_max_size
        max_wait_s = self.settings.batch_max_wait_ms / 1000
        closed = 0
        for issuer_id in store.pending_issuers():
            if self._issuer_blocked.get(issuer_id, 0.0) > time.monotonic():
                continue
            if self._issuer_manager_or_note(issuer_id) is None:
                self._issuer_blocked[issuer_id] = time.monotonic() + self.retry_max_s
                continue  # its key is unusable: leave its credentials pending rather than build batches it cannot sign
            while closed < self.max_batches_per_tick and not self._stop.is_set():
                groups = store.pending_groups(issuer_id)
                due = [g for g in groups if g.pending >= max_size or g.oldest_age_s >= max_wait_s]
                if not due:
                    break
                claimed_any = False
                for group in due:
                    if closed >= self.max_batches_per_tick:
                        break
                    claimed = store.claim_batch(
                        issuer_id,
                        max_size,
                        type_name=group.type_name,
                        type_version=group.type_version,
                        credential_type=to_hex(type_id(group.type_name)),
                    )
                    if claimed is None:
                        continue
                    claimed_any = True
                    closed += 1
                    crash_point(AFTER_CLAIM)
                    batch = self._build(claimed.batch_id, claimed.credential_hashes, group.type_name)
                    if batch is not None:
                        self._guard(batch.id, functools.partial(self._anchor, batch))
                    self._collect_outcomes()
                if not claimed_any:
                    break

    def _rebuild(self, batch_id: int) -> Batch | None:
        """Build the tree of a batch left 'building' (a crash between claim and tree) from its claimed credentials."""
        store = self.node.store
        hashes = store.batch_credential_hashes(batch_id)
        if not hashes:
            return None
        first = store.list_credentials(batch_id=batch_id, limit=1)
        return self._build(batch_id, hashes, first[0].type_name if first else None)

    def _build(self, batch_id: int, credential_hashes: Sequence[str], type_name: str | None) -> Batch | None:
        """Build and record the Merkle tree of a claimed batch (stored whole: one row). None if it failed."""
        store = self.node.store
        try:
            batch = record_tree(store, batch_id, credential_hashes, type_name)
        except (ValueError, ValidationFailedError) as exc:
            reason = (
                f"the batch's credential hashes could not be built into a Merkle tree ({exc}): a credential in the "
                "outbox is malformed; re-issue the credentials of this batch."
            )
            self._fail_batch(batch_id, reason)
            return None
        except ConflictError as exc:
            other = store.get_batch_by_root(root_of(credential_hashes))
            reason = (
                f"these credentials repeat the credential hashes of batch {other.id if other else '?'} exactly (the "
                f"same sealed documents were submitted twice: {exc.detail}); use the first copies, or re-issue these "
                "(fresh salts give fresh hashes)."
            )
            self._fail_batch(batch_id, reason)
            return None
        crash_point(AFTER_BUILD)
        return batch

    # --- anchoring ----------------------------------------------------------------------------------------------

    def _anchor_call(self, batch: Batch) -> Call:
        registry = self.node.registry
        root = _bytes32(batch.root)
        credential_type = _bytes32(batch.credential_type)
        if batch.leaf_count == 1:
            index = self._type_index(credential_type)
            if index:
                return Call.of(registry.anchor_single_fn(root, index))
        return Call.of(registry.anchor_fn(root, batch.leaf_count, credential_type, 0))

    def _type_index(self, credential_type: bytes) -> int:
        index = self._type_indexes.get(credential_type)
        if index is None:
            index = self.node.registry.type_index(credential_type)
            if index:
                self._type_indexes[credential_type] = index
        return index

    def _anchor(self, batch: Batch) -> None:
        """Prepare (sign) a new anchor transaction for ``batch``, persist it, send it, and watch it."""
        if self._chain_down(time.monotonic()):
            self._schedule(batch.id, reprepare=batch.status is not BatchStatus.BUILT)
            return
        tm = self._manager(batch.issuer_id)
        try:
            signed = tm.prepare(self._anchor_call(batch))
        except ContractRevertError as exc:
            if exc.error_name == ALREADY_ANCHORED and self._adopt(batch):
                return
            self._fail_on_revert(batch, exc)
            return
        try:
            self.node.store.mark_signed(batch.id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)
        except STEP_FAULTS:
            self._realign(tm)  # the reserved nonce has no durable transaction: hand it out again or fill it
            raise
        self._reprepare.discard(batch.id)
        crash_point(AFTER_SIGN)
        self._send(batch.id, signed, tm)

    def _send(self, batch_id: int, signed: SignedTx, tm: TxManager) -> None:
        try:
            tm.send(signed)
        except NonceConsumedError:
            self._count_nonce_replay()
            batch = self.node.store.get_batch(batch_id)
            if not self._adopt(batch):
                self._anchor(batch)
            return
        except TransactionRejectedError:
            self._reprepare.add(batch_id)  # the TxManager gave the nonce back: this signed transaction is dead
            raise
        self.node.store.mark_sent(batch_id)
        crash_point(AFTER_SEND)
        self._watch(batch_id, signed, tm)

    def _resume(self, batch: Batch) -> None:
        """A signed/sent batch not being watched: watch it, re-send it, confirm it, or prepare it again."""
        tm = self._manager(batch.issuer_id)
        signed = signed_tx_of(batch)
        if signed is None or batch.id in self._reprepare:
            if not self._adopt(batch):
                self._anchor(batch)
            return
        state = tm.find_receipt(signed.tx_hash).state
        if state is TxState.UNKNOWN:
            if self._adopt(batch):
                return
            self._send(batch.id, signed, tm)
            return
        self._watch(batch.id, signed, tm)

    def _reconcile(self, batch_id: int) -> None:
        """Bring one batch forward from whatever state the store has it in."""
        if batch_id in self._inflight:
            return
        batch = self.node.store.get_batch(batch_id)
        if batch.status is BatchStatus.BUILDING:
            built = self._rebuild(batch_id)
            if built is not None:
                self._anchor(built)
        elif batch.status is BatchStatus.BUILT:
            self._anchor(batch)
        elif batch.status in (BatchStatus.SIGNED, BatchStatus.SENT):
            self._resume(batch)

    # --- confirming ---------------------------------------------------------------------------------------------

    def _confirm(self, batch_id: int, receipt: TxReceipt) -> None:
        try:
            batch = self.node.store.mark_confirmed(
                batch_id,
                "0x" + bytes(receipt["transactionHash"]).hex(),
                int(receipt["blockNumber"]),
                "0x" + bytes(receipt["blockHash"]).hex(),
            )
        except BatchStateError as exc:
            log.info("batch %d was already settled: %s", batch_id, exc.detail)
            return
        self._count_anchored(batch)

    def _adopt(self, batch: Batch) -> bool:
        """If ``batch``'s root is anchored on chain (by any transaction), confirm the batch from its log.

        False when the root is not anchored (the caller anchors it). A root anchored by another issuer fails the
        batch; an anchor without enough confirmations yet is retried shortly (True: nothing to send).
        """
        registry = self.node.registry
        root = _bytes32(batch.root)
        record = registry.read("anchorOf", lambda: registry.anchor_of(root))
        if not record.exists:
            return False
        if record.issuer_id != batch.issuer_id:
            self._fail_batch(
                batch.id,
                f"root {batch.root} is already anchored on chain by issuer {record.issuer_id}, not by issuer "
                f"{batch.issuer_id}: the same credential hashes were issued twice. Re-issue these credentials "
                "(fresh salts give a fresh root).",
            )
            return True
        logs = registry.anchor_logs(root, record.anchored_at, self.settings.indexer_max_block_range)
        if not logs:
            raise ChainUnavailableError(
                f"root {batch.root} is anchored but its CredentialAnchored log was not returned: the node may "
                "not serve logs back to the deployment block; use an archive/full node. Retrying."
            )
        anchor_log = logs[-1]
        head = registry.head()
        if head - anchor_log.block_number < self.settings.confirmations:
            self._schedule(batch.id, delay=self.retry_initial_s)
            return True
        store = self.node.store
        fresh = store.get_batch(batch.id)
        own = signed_tx_of(fresh)
        if fresh.tx_hash != anchor_log.tx_hash:
            store.mark_signed(batch.id, anchor_log.sender, anchor_log.nonce, "", anchor_log.tx_hash)
        confirmed = store.mark_confirmed(batch.id, anchor_log.tx_hash, anchor_log.block_number, anchor_log.block_hash)
        self._count_anchored(confirmed)
        self._adopted += 1
        log.info("batch %d: root %s found anchored in %s; confirmed", batch.id, batch.root, anchor_log.tx_hash)
        if own is not None and own.tx_hash != anchor_log.tx_hash and self._recovered:
            tm = self._manager(batch.issuer_id)
            if tm.find_receipt(own.tx_hash).state is TxState.UNKNOWN:
                self._realign(tm)  # our own unsent transaction holds a nonce: fill it or hand it out again
        return True

    # --- failures -----------------------------------------------------------------------------------------------

    def _fail_on_revert(self, batch: Batch, exc: ContractRevertError) -> None:
        if exc.error_name is None:  # not one of the registry's errors (e.g. out of gas): prepare again later
            self._note(batch.id, exc)
            self._schedule(batch.id, reprepare=True)
            return
        self._fail_batch(batch.id, revert_reason(batch, exc))

    def _fail_batch(self, batch_id: int, reason: str) -> None:
        try:
            self.node.store.mark_failed(batch_id, reason)
        except BatchStateError as exc:
            log.info("batch %d not failed: %s", batch_id, exc.detail)
            return
        self._retry.pop(batch_id, None)
        self._reprepare.discard(batch_id)
        with self._stat_lock:
            self._batches_failed += 1
            self._last_error, self._last_error_at = f"batch {batch_id} failed: {reason}", datetime.now(UTC)
        log.error("batch %d failed: %s", batch_id, reason)

    # --- chain reset / reorg ------------------------------------------------------------------------------------

    def check_anchors(self, full: bool = False) -> int:
        """Find confirmed batches whose anchor is gone (block replaced, or root no longer anchored) and reset them
        for anchoring again. Returns how many were reset.

        Walks confirmed batches from the newest block down and stops at the first block whose hash is unchanged and
        whose roots are still anchored (a block hash vouches for all history below it); that block is remembered
        as a sentinel, so the next check only looks above it (after checking the sentinel is still intact).
        """
        store = self.node.store
        head = self.node.registry.head()
        since = 0
        every_root = False
        sentinel = None if full else self._sentinel
        if sentinel is not None:
            number, block_hash, root = sentinel
            if number <= head and self.node.registry.block_hash(number) == block_hash:
                if self._anchored(root):
                    since = number + 1
                else:
                    every_root = True  # same chain, but the registry no longer knows the root: check them all
        if since == 0:
            self._sentinel = None
        by_block: dict[int, list[Batch]] = defaultdict(list)
        for batch in store.confirmed_batches_since(since):
            by_block[int(batch.block_number or 0)].append(batch)
        lost: list[Batch] = []
        for number in sorted(by_block, reverse=True):
            actual = self.node.registry.block_hash(number) if number <= head else None
            intact: list[Batch] = []
            for batch in by_block[number]:
                if batch.block_hash == actual and self._anchored(str(batch.root)):
                    intact.append(batch)
                else:
                    lost.append(batch)
            if intact and not every_root:
                if self._sentinel is None or number > self._sentinel[0]:
                    self._sentinel = (number, str(actual), str(intact[0].root))
                break
        for batch in lost:
            store.reset_for_reanchor(batch.id)
            self._schedule(batch.id, delay=0.0)
            log.warning(
                "batch %d: its anchor (block %s, tx %s) is no longer on chain (reorg or chain reset); anchoring again",
                batch.id, batch.block_number, batch.tx_hash,
            )  # fmt: skip
        if lost:
            with self._stat_lock:
                self._batches_reanchored += len(lost)
                self._last_error = f"{len(lost)} anchored batches were lost (reorg or chain reset); anchoring again"
                self._last_error_at = datetime.now(UTC)
            if self._recovered:  # recover() re-syncs every key itself, after this check
                managers = {}
                for batch in lost:
                    tm = self._manager_or_note(batch)
                    if tm is not None:
                        managers[tm.address] = tm
                for tm in managers.values():
                    self._realign(tm)
        return len(lost)

    def _anchored(self, root: str) -> bool:
        registry = self.node.registry
        return registry.read("anchorOf", lambda: registry.anchor_of(_bytes32(root))).exists

    def _realign(self, tm: TxManager) -> None:
        """Re-sync a key's nonces with the chain (TxManager.resync with every outstanding transaction of the key)."""
        outstanding: dict[str, int] = {}
        signed_list: list[SignedTx] = []
        for batch in self.node.store.batches_with_status(BatchStatus.SIGNED, BatchStatus.SENT):
            if (batch.signer or "").lower() != tm.address.lower() or batch.id in self._reprepare:
                continue
            signed = signed_tx_of(batch)
            if signed is not None:
                signed_list.append(signed)
                outstanding[signed.tx_hash] = batch.id
        report = tm.resync(signed_list)
        for signed in (*report.consumed, *report.rejected):
            batch_id = outstanding[signed.tx_hash]
            self._reprepare.add(batch_id)
            if batch_id not in self._inflight:
                self._schedule(batch_id, delay=0.0)

    # --- watching -----------------------------------------------------------------------------------------------

    def _watch(self, batch_id: int, signed: SignedTx, tm: TxManager) -> None:
        self._inflight.add(batch_id)
        self._retry.pop(batch_id, None)
        self._watches.put(_Watch(batch_id, signed, tm))

    def _watch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                watch = self._watches.get(timeout=0.2)
            except queue.Empty:
                continue
            posted = False
            try:
                outcome = self._await(watch)
                if outcome is not None:
                    self._outcomes.put(outcome)
                    posted = True
            finally:
                if not posted and not self._stop.is_set():
                    self._outcomes.put(_Outcome(watch, None, None))  # the loop reconciles it

    def _await(self, watch: _Watch) -> _Outcome | None:
        started = time.monotonic()
        warned = False
        abi = self.node.registry.abi
        while not self._stop.is_set():
            try:
                receipt = watch.tm.wait(watch.signed, timeout_s=self.wait_slice_s, abi=abi)
            except TransactionTimeoutError as exc:
                if not warned and time.monotonic() - started > self.stuck_after_s:
                    warned = True
                    self._note(watch.batch_id, exc)
                continue
            except STEP_FAULTS as exc:
                return _Outcome(watch, None, exc)
            return _Outcome(watch, receipt, None)
        return None

    def _collect_outcomes(self) -> None:
        while True:
            try:
                outcome = self._outcomes.get_nowait()
            except queue.Empty:
                return
            batch_id = outcome.watch.batch_id
            self._inflight.discard(batch_id)
            self._guard(batch_id, functools.partial(self._on_outcome, outcome))

    def _on_outcome(self, outcome: _Outcome) -> None:
        batch_id = outcome.watch.batch_id
        if outcome.receipt is not None:
            self._confirm(batch_id, outcome.receipt)
            return
        exc = outcome.error
        if exc is None:
            self._schedule(batch_id)
            return
        batch = self.node.store.get_batch(batch_id)
        if isinstance(exc, TransactionRevertedError):
            if exc.error_name == ALREADY_ANCHORED:
                if not self._adopt(batch):
                    self._schedule(batch_id, reprepare=True)
                return
            self._fail_on_revert(batch, exc)
            return
        if isinstance(exc, NonceConsumedError):
            self._count_nonce_replay()
            if not self._adopt(batch):
                self._anchor(batch)
            return
        if isinstance(exc, TransactionRejectedError):
            self._reprepare.add(batch_id)
        raise exc  # noted by _guard, retried with backoff

    # --- retries ------------------------------------------------------------------------------------------------

    def _schedule(
        self, batch_id: int, *, delay: float | None = None, reprepare: bool = False, backoff_from: float = 0.0
    ) -> None:
        """Retry ``batch_id`` after ``delay`` (default: double the last delay, within the retry bounds)."""
        if reprepare:
            self._reprepare.add(batch_id)
        previous = max(self._retry.get(batch_id, (0.0, 0.0))[1], backoff_from)
        if delay is None:
            delay = min(max(previous * 2, self.retry_initial_s), self.retry_max_s)
        self._retry[batch_id] = (time.monotonic() + delay, delay)

    def _retry_due(self, now: float) -> None:
        due = sorted(batch_id for batch_id, (when, _) in self._retry.items() if when <= now)
        for batch_id in due:
            if self._chain_down(time.monotonic()):
                return
            _, delay = self._retry.pop(batch_id)
            self._guard(batch_id, functools.partial(self._reconcile, batch_id), backoff_from=delay)

    def _pick_up_orphans(self) -> None:
        """Batches put back to 'built' (or left signed) by another process, e.g. ``--retry-failed``."""
        for batch in self.node.store.batches_with_status(BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT):
            if batch.id not in self._inflight and batch.id not in self._retry:
                self._schedule(batch.id, delay=0.0)

    def _guard(self, batch_id: int | None, step: Callable[[], object], backoff_from: float = 0.0) -> None:
        """Run one step; a recoverable fault is noted and the batch retried with backoff (never failed)."""
        try:
            step()
        except STEP_FAULTS as exc:
            self._note(batch_id, exc)
            if isinstance(exc, ChainUnavailableError):
                self._chain_down_until = time.monotonic() + self.retry_initial_s * 4
            if batch_id is not None and batch_id not in self._inflight:
                self._schedule(batch_id, backoff_from=backoff_from)

    def _chain_down(self, now: float) -> bool:
        """Do not start chain work now: the probe finds the node down, or a step just found it unreachable."""
        return self._chain_down_since is not None or now < self._chain_down_until

    def _probe_loop(self) -> None:
        """Ask the chain for its head every ``probe_interval_s``: an outage is noted within seconds even while the
        loop thread sits in a TxManager call riding it out, and no new chain work starts until the node answers."""
        logged_at = float("-inf")
        while not self._stop.wait(self.probe_interval_s):
            try:
                self.node.registry.head()
            except STEP_FAULTS as exc:
                now = time.monotonic()
                since = self._chain_down_since = self._chain_down_since or now
                loud = now - logged_at >= 30.0  # the stats always; the log at most every 30 s
                logged_at = now if loud else logged_at
                prefix = f"the chain has not answered for {now - since:.0f} s; batches wait, none fail"
                self._note(None, exc, prefix=prefix, quiet=not loud)
                continue
            if self._chain_down_since is not None:
                log.info("the JSON-RPC node answers again after %.0f s", time.monotonic() - self._chain_down_since)
                self._chain_down_since = None
                logged_at = float("-inf")

    # --- keys ---------------------------------------------------------------------------------------------------

    def _manager(self, issuer_id: int) -> TxManager:
        issuer = self.node.store.get_issuer(issuer_id)
        key = (issuer.signer_address.lower(), issuer.keystore_path)
        tm = self._managers.get(key)
        if tm is None:
            account = self.node.signers.account_for(issuer.signer_address, issuer.keystore_path)
            tm = self.node.signers.manager(account)
            self._managers[key] = tm
        return tm

    def _issuer_manager_or_note(self, issuer_id: int) -> TxManager | None:
        try:
            return self._manager(issuer_id)
        except (ConfigurationError, NotFoundError) as exc:
            self._note(None, exc, prefix=f"issuer {issuer_id}'s signing key is not usable")
            return None

    def _manager_or_note(self, batch: Batch) -> TxManager | None:
        tm = self._issuer_manager_or_note(batch.issuer_id)
        if tm is None:
            self._schedule(batch.id, delay=self.retry_max_s)
        return tm

    # --- bookkeeping --------------------------------------------------------------------------------------------

    def _count_anchored(self, batch: Batch) -> None:
        self._retry.pop(batch.id, None)
        self._reprepare.discard(batch.id)
        with self._stat_lock:
            self._batches_anchored += 1
            self._credentials_anchored += batch.leaf_count
        log.info("batch %d anchored: %d credentials, root %s, tx %s, block %s",
                 batch.id, batch.leaf_count, batch.root, batch.tx_hash, batch.block_number)  # fmt: skip

    def _count_nonce_replay(self) -> None:
        with self._stat_lock:
            self._nonce_replays += 1

    def _note(self, batch_id: int | None, exc: BaseException, prefix: str | None = None, quiet: bool = False) -> None:
        detail = exc.detail if isinstance(exc, RegistryError) else f"{type(exc).__name__}: {exc}"
        text = f"{prefix}: {detail}" if prefix else detail
        if batch_id is not None:
            text = f"batch {batch_id}: {text}"
            with contextlib.suppress(*STEP_FAULTS):
                self.node.store.note_batch_error(batch_id, text[:2000])
        with self._stat_lock:
            self._last_error, self._last_error_at = text, datetime.now(UTC)
        if not quiet:
            log.warning("%s", text)

    # --- the lock -----------------------------------------------------------------------------------------------

    def _acquire_lock(self) -> bool:
        if self._lock_file is not None:
            return True
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "ab")  # noqa: SIM115 - held open for the batcher's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            if not self._standby:
                log.warning("another batcher holds %s: standing by until it stops", self.lock_path)
            self._standby = True
            return False
        self._standby = False
        self._lock_file = handle
        return True

    def _release_lock(self) -> None:
        handle, self._lock_file = self._lock_file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


# --- helpers --------------------------------------------------------------------------------------------------------


def _tree(credential_hashes: Sequence[str]) -> MerkleTree:
    return MerkleTree([bytes.fromhex(h.removeprefix("0x")) for h in credential_hashes])


def root_of(credential_hashes: Sequence[str]) -> str:
    """The root a batch of these credential hashes anchors (any order: the tree sorts its leaves)."""
    return to_hex(_tree(credential_hashes).root)


def record_tree(store: Store, batch_id: int, credential_hashes: Sequence[str], type_name: str | None = None) -> Batch:
    """Build the Merkle tree of a claimed batch from its members' hashes and store it: the batch becomes 'built'.

    Raises ``ValidationFailedError``/``ValueError`` for a malformed hash, ``ConflictError`` when another batch already
    has this root (the same sealed documents twice)."""
    tree = _tree(credential_hashes)
    credential_type = to_hex(type_id(type_name)) if type_name is not None else None
    return store.set_batch_tree(batch_id, to_hex(tree.root), tree.nodes(), credential_type=credential_type)


def _bytes32(value: str | None) -> bytes:
    if value is None:
        raise BatchStateError("the batch has no root or credential type yet; build its tree first.")
    return bytes.fromhex(value.removeprefix("0x"))


def signed_tx_of(batch: Batch) -> SignedTx | None:
    """The SignedTx a batch persisted (decoded from its raw transaction); None when it holds none."""
    if not batch.raw_tx or not batch.tx_hash or batch.signer is None or batch.nonce is None:
        return None
    raw = HexBytes(batch.raw_tx)
    if raw[0] >= 0xC0:  # legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
        fields = rlp.decode(bytes(raw))
        v = int.from_bytes(fields[6], "big")
        chain_id = (v - 35) // 2 if v >= 35 else 0
        gas, to, value, data = (int.from_bytes(fields[2], "big"), bytes(fields[3]),
                                int.from_bytes(fields[4], "big"), bytes(fields[5]))  # fmt: skip
    else:
        tx = TypedTransaction.from_bytes(raw).as_dict()
        chain_id, gas, to, value, data = (int(tx["chainId"]), int(tx["gas"]), bytes(tx["to"]),
                                          int(tx["value"]), bytes(tx["data"]))  # fmt: skip
    return SignedTx(
        sender=batch.signer,
        nonce=batch.nonce,
        tx_hash=batch.tx_hash,
        raw_tx=batch.raw_tx,
        gas=gas,
        chain_id=chain_id,
        to="0x" + to.hex(),
        data="0x" + data.hex(),
        value=value,
    )


_REVERT_HINTS: dict[str, str] = {
    "CredentialRegistryTypeOutOfScope": (
        "issuer {issuer} is not accredited for this credential type ({ctype}): ask its accreditation body to add "
        "the type to the issuer's accreditation"
    ),
    "CredentialRegistryUnknownKey": (
        "the issuer's signing key {signer} is not registered on chain: ask the accreditation body to add it "
        "(addIssuerKey), or register the issuer with a key that is"
    ),
    "CredentialRegistryKeyNotValidNow": (
        "the issuer's signing key {signer} is outside its validity window (or was cut off as compromised): rotate "
        "to a currently valid key and register it for the issuer on this node"
    ),
    "CredentialRegistryIssuerNotActive": (
        "issuer {issuer} is not active on chain (suspended or withdrawn): settle it with its accreditation body"
    ),
    "CredentialRegistryBodyNotActive": (
        "the accreditation body of issuer {issuer} is not active on chain: settle it with governance"
    ),
    "CredentialRegistryExpiryNotInFuture": "the batch's expiry is already in the past: re-issue with a later expiry",
}


def revert_reason(batch: Batch, exc: ContractRevertError) -> str:
    """A sentence saying why the registry refused the anchor and what to do next."""
    hint = _REVERT_HINTS.get(exc.error_name or "")
    if hint is None:
        why = f"the registry refused to anchor it ({exc.detail})"
    else:
        why = hint.format(issuer=batch.issuer_id, signer=batch.signer or "of this issuer", ctype=batch.credential_type)
    return (
        f"batch {batch.id} ({batch.leaf_count} credentials of issuer {batch.issuer_id}) was not anchored: {why}. "
        f"Then retry it with `{RETRY_COMMAND} {batch.id}`."
    )


def _stop_at_eof(stop: threading.Event) -> None:
    """A supervised batcher's stdin ends when the API closes it or dies (even by kill -9): stop then."""
    sys.stdin.read()
    stop.set()


STATS_INTERVAL_S = 1.0
"""How often a supervised batcher reports its counters to the API."""


def _report(batcher: Batcher) -> bool:
    """One line of counters for the supervising API; False when nobody reads them any more."""
    from node.services.batcher_process import stats_line

    try:
        print(stats_line(batcher.stats()), flush=True)
    except (BrokenPipeError, ValueError):
        return False
    return True


def retry_failed(store: Store, batch_ids: Sequence[int] | None = None) -> list[int]:
    """Put failed batches (all, or ``batch_ids``) back to 'built'; a running batcher anchors them again."""
    failed = store.batches_with_status(BatchStatus.FAILED)
    wanted = set(batch_ids) if batch_ids else {b.id for b in failed}
    missing = wanted - {b.id for b in failed}
    if missing:
        raise BatchStateError(
            f"batches {sorted(missing)} are not failed (or do not exist): list them with their status and retry "
            "only failed ones."
        )
    reset = []
    for batch in failed:
        if batch.id in wanted and batch.root is not None:
            store.reset_for_reanchor(batch.id)
            reset.append(batch.id)
    return reset


# --- standalone entry point -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, before_start: Callable[[Node], None] | None = None) -> int:
    """``python -m node.services.batcher``: run the batcher without the API (drills, workers, operators)."""
    parser = argparse.ArgumentParser(prog="python -m node.services.batcher", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="the node's data dir (default CREDREG_DATA_DIR)")
    parser.add_argument("--rpc-url", help="JSON-RPC endpoint (default: CREDREG_RPC_URL or the local devnet)")
    parser.add_argument("--until-idle", action="store_true", help="exit 0 once nothing is pending or in flight")
    parser.add_argument("--timeout", type=float, default=0.0, help="with --until-idle: give up (exit 1) after S s")
    parser.add_argument(
        "--retry-failed", nargs="*", type=int, metavar="BATCH_ID", help="reset failed batches for anchoring, then exit"
    )
    parser.add_argument(
        "--supervised",
        action="store_true",
        help="run under the API (node.services.batcher_process): settings as a JSON line on stdin, counters as "
        "JSON lines on stdout, stop when stdin closes",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start is noise
    stop = threading.Event()
    if args.supervised:
        from node.services.batcher_process import settings_from_payload

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the API stops us

        settings = settings_from_payload(sys.stdin.readline())
        threading.Thread(target=_stop_at_eof, args=(stop,), name="credreg-batcher-stdin", daemon=True).start()
    else:
        settings = Settings(data_dir=args.data_dir) if args.data_dir else get_settings()
    try:
        node = Node.open(settings, rpc_url=args.rpc_url)
    except RegistryError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    batcher: Batcher | None = None
    try:
        if args.retry_failed is not None:
            reset = retry_failed(node.store, args.retry_failed)
            print(f"reset {len(reset)} failed batches for anchoring: {reset}")
            return 0
        if before_start is not None:
            before_start(node)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if not args.supervised:
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        batcher = Batcher(node)
        batcher.start()
        deadline = time.monotonic() + args.timeout if args.timeout else float("inf")
        next_report = 0.0
        while not stop.wait(0.2):
            if not batcher.running:
                return 3
            if args.supervised and time.monotonic() >= next_report:
                next_report = time.monotonic() + STATS_INTERVAL_S
                if not _report(batcher):
                    return 0  # the API is gone
            if args.until_idle and batcher.idle():
                stats = batcher.stats()
                print(f"idle: {stats.batches_anchored} batches, {stats.credentials_anchored} credentials anchored")
                return 0
            if time.monotonic() > deadline:
                print(f"not idle after {args.timeout:g} s: {batcher.stats()}", file=sys.stderr)
                return 1
        return 0
    except RegistryError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        if batcher is not None:
            batcher.stop()
        node.close()


if __name__ == "__main__":  # pragma: no cover - exercised by the drills as a subprocess
    from node.services.batcher import main as canonical_main  # the importable module, not a second __main__ copy

    raise SystemExit(canonical_main())
