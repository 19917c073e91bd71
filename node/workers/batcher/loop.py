"""The batcher's loop: one thread closes and anchors batches, watchers await receipts, a probe watches the chain.

The loop thread alone changes batch states: it takes the data dir's lock, recovers, then each tick collects the
watchers' outcomes, checks anchors, runs due retries, picks up orphans and closes due batches (per issuer and
(credential type, version), when ``batch_max_size`` credentials are pending or the oldest has waited
``batch_max_wait_ms``; claimed atomically, so a credential is never in two batches). RPC faults never fail anything:
the error is noted and the batch retried with backoff.
"""

from __future__ import annotations

import functools
import queue
import threading
import time

from node.chain.registry import type_id
from node.credentials.keccak import to_hex
from node.errors import NonceConsumedError, TransactionRejectedError, TransactionRevertedError, TransactionTimeoutError
from node.faults import AFTER_CLAIM, crash_point
from node.store import BatchStatus
from node.workers.batcher.recovery import Recovery
from node.workers.batcher.state import ALREADY_ANCHORED, STEP_FAULTS, _Outcome, _Watch, log

_UNFINISHED = (BatchStatus.BUILDING, BatchStatus.BUILT, BatchStatus.SIGNED, BatchStatus.SENT)


class Batcher(Recovery):
    """Closes, anchors, confirms and re-anchors batches for every issuer of one node. Thread-safe to start/stop."""

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

    # --- closing ------------------------------------------------------------------------------------------------

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

    # --- watching -----------------------------------------------------------------------------------------------

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
        registry = self.node.registry
        while not self._stop.is_set():
            try:
                receipt = registry.wait(watch.tm, watch.signed, timeout_s=self.wait_slice_s)
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

    # --- retries and the probe ----------------------------------------------------------------------------------

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

    # --- the lock -----------------------------------------------------------------------------------------------

    def _acquire_lock(self) -> bool:
        held_before = self._lock.held
        if self._lock.try_acquire():
            self._standby = False
            return True
        if held_before:  # lost (the database connection went): another batcher may hold it now; recover on return
            log.warning("the batcher lost %s: standing by", self._lock.where)
            self._recovered = False
        elif not self._standby:
            log.warning("another batcher holds %s: standing by until it stops", self._lock.where)
        self._standby = True
        return False

    def _release_lock(self) -> None:
        self._lock.release()
