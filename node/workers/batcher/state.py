"""What every kind of the batcher's work shares: its settings, counters, keys, notes and retry schedule.

:class:`BatcherState` is the base of the batcher's classes, one per kind of work, each in its own module and each
building on the one before: :mod:`.anchoring` (build a tree, anchor, send, confirm, fail), :mod:`.recovery`
(recover, check anchors, adopt, re-align nonces) and :mod:`.loop` (the :class:`~node.workers.batcher.Batcher`: its
threads, scheduling and watchers). The two steps anchoring needs from recovery are declared here, abstract.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import requests
from sqlalchemy.exc import SQLAlchemyError
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from node.chain.txdecode import decode_signed
from node.chain.txmanager import SignedTx, TxManager
from node.config import Settings
from node.credentials.hash32 import Hash32
from node.errors import (
    BatchStateError,
    ChainUnavailableError,
    ConfigurationError,
    KeystorePassphraseMissingError,
    NotFoundError,
    RegistryError,
)
from node.runtime import Node
from node.store import Batch
from node.workers.leader import WorkerLock

log = logging.getLogger("node.workers.batcher")

ALREADY_ANCHORED = "CredentialRegistryAlreadyAnchored"
RETRY_COMMAND = "python -m node.workers.batcher --retry-failed"
LOCK_FILE = "batcher.lock"

STEP_FAULTS: tuple[type[BaseException], ...] = (
    RegistryError,  # ours: chain unavailable, store conflicts, configuration, timeouts
    Web3Exception,  # a node's RPC error that is not a revert (web3 raises it for e.g. "insufficient funds")
    requests.RequestException,  # transport faults of reads that have no retry of their own
    ConnectionError,
    TimeoutError,
    SQLAlchemyError,  # the database busy past its timeout, or a PostgreSQL restart: retried like an RPC fault
)
"""What one step of the loop may raise and recover from by retrying later. Anything else is a bug: logged, raised."""


class StallKind(StrEnum):
    """Why anchoring waits on its operator (the ``kind`` label of ``credreg_anchoring_stalled``)."""

    NO_FUNDS = "no_funds"
    """The issuer's key cannot pay for its anchor transactions: its credentials stay ``batched``."""
    KEYSTORE_PASSPHRASE = "keystore_passphrase"  # noqa: S105 - a stall kind, not a secret
    """No usable keystore passphrase: the issuer's credentials stay ``pending``."""
    KEYSTORE_MISSING = "keystore_missing"
    """The issuer's keystore file is not there (or its relative path points elsewhere from here)."""
    SIGNING_KEY = "signing_key"
    """Any other reason the issuer's key is unusable (wrong passphrase, damaged file, no key on this node)."""
    REFUSED = "refused"
    """A batch failed: the registry refused its anchor (or it could not be built); terminal until
    ``--retry-failed`` (read from the store, not from the batcher's memory)."""


@dataclass(frozen=True)
class Stall:
    """One issuer's anchoring waits on its operator; ``reason`` is the sentence the batcher logged (cause and fix)."""

    kind: StallKind
    issuer_id: int
    reason: str


@dataclass
class Counters:
    """What the batcher has done since it started (mutable, under the state's lock; copied into each snapshot)."""

    batches_anchored: int = 0
    credentials_anchored: int = 0
    batches_failed: int = 0
    batches_reanchored: int = 0
    nonce_replays: int = 0
    """How often a nonce turned out to be used by another transaction and the anchor was prepared again."""


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
    stalls: tuple[Stall, ...] = ()
    """Issuers whose anchoring waits on the operator (no funds, no passphrase, no keystore), one per issuer."""


class _Stalled(RegistryError):
    """A step stopped on a stall it recorded and logged (:meth:`BatcherState._stall`): retried with backoff like any
    step fault, not noted a second time."""


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


class BatcherState(abc.ABC):
    """The state every kind of the batcher's work reads and writes (see the module docstring)."""

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
        self._counts = Counters()
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._stalls: dict[int, Stall] = {}  # issuer id -> why its anchoring waits on the operator

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
        self._lock = WorkerLock(node.store, "batcher", self.lock_path)  # one batcher per node (node/workers/leader.py)
        self._standby = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- counters -----------------------------------------------------------------------------------------------

    @property
    def batches_anchored(self) -> int:
        return self._counts.batches_anchored

    @property
    def credentials_anchored(self) -> int:
        return self._counts.credentials_anchored

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
                **asdict(self._counts),
                in_flight=len(self._inflight),
                retrying=len(self._retry),
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                chain_reachable=self._chain_down_since is None,
                stalls=tuple(self._stalls[i] for i in sorted(self._stalls)),
            )

    # --- stalls -------------------------------------------------------------------------------------------------

    def _stall(self, issuer_id: int, kind: StallKind, reason: str, batch_id: int | None = None) -> str:
        """Record (and log) that ``issuer_id``'s anchoring waits on the operator; the sentence is kept while the
        stall lasts (the credential, /readyz and /metrics show the one logged first). Returns the sentence."""
        with self._stat_lock:
            current = self._stalls.get(issuer_id)
            if current is not None and current.kind is kind:
                reason = current.reason
            else:
                self._stalls[issuer_id] = Stall(kind, issuer_id, reason)
            self._last_error, self._last_error_at = reason, datetime.now(UTC)
        if batch_id is not None:
            with contextlib.suppress(*STEP_FAULTS):
                self.node.store.note_batch_error(batch_id, reason[:2000])
        log.warning("%s", reason)
        return reason

    def _unstall(self, issuer_id: int, *kinds: StallKind) -> None:
        """``issuer_id``'s stall of one of ``kinds`` is over (its key works again / its anchor went out)."""
        if issuer_id not in self._stalls:
            return
        with self._stat_lock:
            current = self._stalls.get(issuer_id)
            if current is None or current.kind not in kinds:
                return
            del self._stalls[issuer_id]
        log.info("issuer %d's anchoring goes on (%s resolved)", issuer_id, current.kind.value)

    def _stalled_issuers(self, kind: StallKind) -> set[int]:
        with self._stat_lock:
            return {i for i, s in self._stalls.items() if s.kind is kind}

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
            tm = self._manager(issuer_id)
        except (ConfigurationError, NotFoundError) as exc:
            kind, reason = self._key_stall(issuer_id, exc)
            self._stall(issuer_id, kind, reason)
            return None
        self._unstall(issuer_id, StallKind.KEYSTORE_PASSPHRASE, StallKind.KEYSTORE_MISSING, StallKind.SIGNING_KEY)
        return tm

    def _key_stall(self, issuer_id: int, exc: RegistryError) -> tuple[StallKind, str]:
        """Which key stall ``exc`` is and its sentence (the cause, what to do, and where a relative path led)."""
        reason = f"issuer {issuer_id}'s signing key is not usable, its credentials wait (pending): {exc.detail}"
        if isinstance(exc, KeystorePassphraseMissingError):
            return StallKind.KEYSTORE_PASSPHRASE, reason
        path = None
        with contextlib.suppress(*STEP_FAULTS):
            path = self.node.store.get_issuer(issuer_id).keystore_path
        if path is None:
            return StallKind.SIGNING_KEY, reason
        keystore = Path(path)
        if not keystore.is_absolute():
            reason = (
                f"{reason.rstrip('.')} (its keystore path {path} is relative: this batcher resolved it against its "
                f"working directory {Path.cwd()}; register the key again with its absolute path)."
            )
        try:
            present = keystore.exists()
        except (OSError, ValueError):
            present = False
        return (StallKind.SIGNING_KEY if present else StallKind.KEYSTORE_MISSING), reason

    def _manager_or_note(self, batch: Batch) -> TxManager | None:
        tm = self._issuer_manager_or_note(batch.issuer_id)
        if tm is None:
            self._schedule(batch.id, delay=self.retry_max_s)
        return tm

    # --- bookkeeping --------------------------------------------------------------------------------------------

    def _count_anchored(self, batch: Batch) -> None:
        self._unstall(batch.issuer_id, StallKind.NO_FUNDS)
        self._retry.pop(batch.id, None)
        self._reprepare.discard(batch.id)
        with self._stat_lock:
            self._counts.batches_anchored += 1
            self._counts.credentials_anchored += batch.leaf_count
        log.info("batch %d anchored: %d credentials, root %s, tx %s, block %s",
                 batch.id, batch.leaf_count, batch.root, batch.tx_hash, batch.block_number)  # fmt: skip

    def _count_nonce_replay(self) -> None:
        with self._stat_lock:
            self._counts.nonce_replays += 1

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

    def _guard(self, batch_id: int | None, step: Callable[[], object], backoff_from: float = 0.0) -> None:
        """Run one step; a recoverable fault is noted and the batch retried with backoff (never failed)."""
        try:
            step()
        except STEP_FAULTS as exc:
            if not isinstance(exc, _Stalled):
                self._note(batch_id, exc)
            if isinstance(exc, ChainUnavailableError):
                self._chain_down_until = time.monotonic() + self.retry_initial_s * 4
            if batch_id is not None and batch_id not in self._inflight:
                self._schedule(batch_id, backoff_from=backoff_from)

    def _chain_down(self, now: float) -> bool:
        """Do not start chain work now: the probe finds the node down, or a step just found it unreachable."""
        return self._chain_down_since is not None or now < self._chain_down_until

    def _watch(self, batch_id: int, signed: SignedTx, tm: TxManager) -> None:
        self._inflight.add(batch_id)
        self._retry.pop(batch_id, None)
        self._watches.put(_Watch(batch_id, signed, tm))

    # --- steps of recovery that anchoring takes (node/workers/batcher/recovery.py) ------------------------------

    @abc.abstractmethod
    def _adopt(self, batch: Batch) -> bool:
        """If ``batch``'s root is anchored on chain (by any transaction), confirm the batch from its log."""

    @abc.abstractmethod
    def _realign(self, tm: TxManager) -> None:
        """Re-sync a key's nonces with the chain."""


def stalls_of(worker: object) -> tuple[Stall, ...]:
    """The stalls a batcher (thread or child process: its last report) reports; none from anything else."""
    stats = getattr(worker, "stats", None)
    value = stats() if callable(stats) else None
    return value.stalls if isinstance(value, BatcherStats) else ()


def _bytes32(value: str | None) -> bytes:
    if value is None:
        raise BatchStateError("the batch has no root or credential type yet; build its tree first.")
    return Hash32.of(value)


def signed_tx_of(batch: Batch) -> SignedTx | None:
    """The SignedTx a batch persisted (decoded from its raw transaction); None when it holds none."""
    if not batch.raw_tx or not batch.tx_hash or batch.signer is None or batch.nonce is None:
        return None
    return decode_signed(batch.raw_tx, sender=batch.signer, nonce=batch.nonce, tx_hash=batch.tx_hash)
