"""The batcher in a child process of the API: anchoring keeps its own core while bulk uploads keep the API's busy.

Both are Python: in one process they share one interpreter lock, and a 10,000-credential bulk request (seconds of
CPU-bound validation and sealing) leaves the batcher's many short I/O steps waiting for it. Apart, the batcher
anchors the first bulk while the second is being accepted (docs/benchmarks.md: ``issuance.*``).

:class:`BatcherProcess` starts ``python -m node.workers.batcher --supervised`` with the node's settings on its
stdin (secrets included: never on a command line or on disk), reads its counters from its stdout (one JSON line a
second), restarts it with backoff if it dies, and stops it with the app. The child stops by itself when its stdin
closes, so a ``kill -9`` of the API leaves no orphan anchoring on: the next start's batcher takes over through
the data dir's lock file, exactly as a second standalone batcher would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import IO, Any

from pydantic import SecretStr

from node.config import Settings
from node.workers.batcher.state import BatcherStats, Stall, StallKind

log = logging.getLogger(__name__)


def settings_payload(settings: Settings) -> str:
    """The settings as one JSON line for the child, secrets revealed (it goes down a pipe, nowhere else)."""
    data = settings.model_dump(mode="json")
    for name, value in settings:
        if isinstance(value, SecretStr):
            data[name] = value.get_secret_value()
    data["data_dir"] = str(settings.data_dir.resolve())
    return json.dumps(data)


def settings_from_payload(line: str) -> Settings:
    return Settings(**json.loads(line))


def stats_line(stats: BatcherStats) -> str:
    data = dataclasses.asdict(stats)
    data["last_error_at"] = stats.last_error_at.isoformat() if stats.last_error_at else None
    return json.dumps(data)


def stats_from_line(line: str) -> BatcherStats:
    data: dict[str, Any] = json.loads(line)
    at = data.get("last_error_at")
    data["last_error_at"] = datetime.fromisoformat(at) if at else None
    data["stalls"] = tuple(
        Stall(StallKind(s["kind"]), int(s["issuer_id"]), str(s["reason"])) for s in data.get("stalls") or ()
    )
    return BatcherStats(**data)


class BatcherProcess:
    """Runs and supervises the batcher as a child process; reads like a :class:`~node.workers.batcher.Batcher`
    for /metrics (``running``, ``batches_anchored``, ``credentials_anchored``, ``last_error``, ``stats()``)."""

    def __init__(
        self,
        settings: Settings,
        rpc_url: str,
        *,
        restart_initial_s: float = 1.0,
        restart_max_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.rpc_url = rpc_url
        self.restart_initial_s = restart_initial_s
        self.restart_max_s = restart_max_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._proc: subprocess.Popen[str] | None = None
        self._stats: BatcherStats | None = None
        self._base = (0, 0)  # counters of children that have ended (a restart starts its own from zero)
        self._restarts = 0
        self._monitor: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the child (it recovers and anchors on its own); returns at once."""
        if self._monitor is not None and self._monitor.is_alive():
            return
        self._stop.clear()
        self._spawn()
        self._monitor = threading.Thread(target=self._supervise, name="credreg-batcher-supervisor", daemon=True)
        self._monitor.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Ask the child to stop (its stdin closes: it finishes its step, releases the lock) and wait for it."""
        self._stop.set()
        proc = self._proc
        if proc is not None:
            _close(proc.stdin)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("the batcher process did not stop within %g s: terminating it", timeout_s)
                proc.terminate()
                try:
                    proc.wait(5.0)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._monitor is not None:
            self._monitor.join(timeout_s)
            self._monitor = None

    # --- what /metrics reads ------------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def restarts(self) -> int:
        """How often the child died and was started again."""
        return self._restarts

    @property
    def batches_anchored(self) -> int:
        with self._lock:
            return self._base[0] + (self._stats.batches_anchored if self._stats else 0)

    @property
    def credentials_anchored(self) -> int:
        with self._lock:
            return self._base[1] + (self._stats.credentials_anchored if self._stats else 0)

    @property
    def last_error(self) -> str | None:
        stats = self._stats
        return stats.last_error if stats else None

    def stats(self) -> BatcherStats | None:
        """The child's last report (``None`` before its first)."""
        return self._stats

    # --- the child ----------------------------------------------------------------------------------------------

    def _spawn(self) -> None:
        cmd = [sys.executable, "-m", "node.workers.batcher", "--supervised", "--rpc-url", self.rpc_url]
        proc = subprocess.Popen(  # stderr inherited: the child's log lines appear with the API's
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert proc.stdin is not None
        proc.stdin.write(settings_payload(self.settings) + "\n")
        proc.stdin.flush()  # kept open: its end is the child's signal to stop
        self._proc = proc
        threading.Thread(target=self._read, args=(proc,), name="credreg-batcher-stats", daemon=True).start()
        log.info("batcher process %d started", proc.pid)

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with contextlib.suppress(ValueError, TypeError):
                stats = stats_from_line(line)
                with self._lock:
                    if self._proc is proc:
                        self._stats = stats

    def _supervise(self) -> None:
        delay = self.restart_initial_s
        while not self._stop.is_set():
            proc = self._proc
            if proc is None:
                return
            started = time.monotonic()
            code = proc.wait()
            if self._stop.is_set():
                return
            with self._lock:
                stats, self._stats = self._stats, None
                if stats is not None:
                    self._base = (self._base[0] + stats.batches_anchored, self._base[1] + stats.credentials_anchored)
            if time.monotonic() - started > 60:
                delay = self.restart_initial_s
            log.warning(
                "the batcher process %d exited with code %s; starting it again in %g s (nothing is lost: its work is "
                "in the store)",
                proc.pid, code, delay,
            )  # fmt: skip
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, self.restart_max_s)
            try:
                self._spawn()
            except OSError as exc:
                log.error("could not start the batcher process (%s); trying again in %g s", exc, delay)
                continue
            self._restarts += 1


def _close(stream: IO[str] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            stream.close()
