"""One holder per node of a worker's role (the batcher, the indexer's writer) however many API processes run.

On PostgreSQL (several API workers or hosts on one database) it is an advisory lock of the database
(:class:`node.store.locks.AdvisoryLock`): the server releases it when the holder's session ends, even by ``kill -9``.
On SQLite (one host) it is an exclusive ``flock`` on a file in the data dir, which the OS releases when the holder dies.
Standbys call :meth:`WorkerLock.try_acquire` again now and then and take over once the holder is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from pathlib import Path
from typing import IO

from sqlalchemy.exc import SQLAlchemyError

from node.store import Store
from node.store.locks import AdvisoryLock

RECHECK_S = 2.0
"""How often a holder of an advisory lock asks the server whether it still holds it (a lost connection loses it)."""


class WorkerLock:
    """``try_acquire()`` → held (True every time once held, until lost or released); ``release()``."""

    def __init__(self, store: Store, name: str, lock_path: Path) -> None:
        self.name = name
        self.lock_path = lock_path
        self._advisory = AdvisoryLock(store, name) if store.dialect_name == "postgresql" else None
        self._file: IO[bytes] | None = None
        self._checked_at = 0.0

    @property
    def where(self) -> str:
        """What the lock is, for log lines."""
        return f"the database's advisory lock {self.name!r}" if self._advisory is not None else str(self.lock_path)

    @property
    def held(self) -> bool:
        return self._advisory.held if self._advisory is not None else self._file is not None

    def try_acquire(self) -> bool:
        if self._advisory is not None:
            return self._try_advisory(self._advisory)
        if self._file is not None:
            return True
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "ab")  # noqa: SIM115 - held open as long as the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def _try_advisory(self, lock: AdvisoryLock) -> bool:
        now = time.monotonic()
        if lock.held:
            if now - self._checked_at < RECHECK_S:
                return True
            self._checked_at = now
            if lock.still_held():
                return True
        try:
            got = lock.try_acquire()
        except SQLAlchemyError:
            return False  # the database does not answer: nobody can be sure to hold it; try again later
        self._checked_at = now
        return got

    def release(self) -> None:
        if self._advisory is not None:
            self._advisory.release()
            return
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()
