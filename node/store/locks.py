"""Advisory locks on PostgreSQL: "one of these per database" across processes and hosts (one batcher, one indexer
writer), released by the server when the holder's session ends, so a process killed with ``kill -9`` (or a host that
vanishes, once its TCP connection times out) gives the lock up and a standby takes over.

SQLite has no such thing; its node is one host, and the caller uses a file lock in the data dir instead
(:mod:`node.workers.leader`).
"""

from __future__ import annotations

import hashlib
import os
import threading

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from node.store._base import StoreBase


def lock_key(name: str, scope: str) -> int:
    """The signed 64-bit advisory key of ``name`` in ``scope`` (the database and schema: advisory locks are per
    database, and two schemas of one database are two stores)."""
    digest = hashlib.sha256(f"credreg:{scope}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """A session-level ``pg_try_advisory_lock`` held on a connection of its own (taken out of the pool for as long
    as the lock is held). Thread-safe."""

    def __init__(self, store: StoreBase, name: str) -> None:
        if store.dialect_name != "postgresql":
            raise ValueError(f"advisory locks need PostgreSQL; this store is {store.dialect_name}")
        self._store = store
        self.name = name
        self._connection: Connection | None = None
        self._key: int | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (as far as it knows: see :meth:`still_held`)."""
        return self._connection is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when held (also when already held here)."""
        with self._mutex:
            if self._connection is not None:
                return True
            connection = self._store.engine.connect()
            try:
                if self._key is None:
                    scope = connection.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
                    self._key = lock_key(self.name, str(scope))
                got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())
                connection.commit()  # the lock is the session's, not the transaction's: end the transaction
            except SQLAlchemyError:
                connection.close()
                raise
            if not got:
                connection.close()
                return False
            try:  # who holds it, for pg_stat_activity (and the drills)
                connection.execute(
                    text("SELECT set_config('application_name', :name, false)"),
                    {"name": f"credreg {self.name} pid {os.getpid()}"[:63]},
                )
                connection.commit()
            except SQLAlchemyError:
                connection.rollback()
            self._connection = connection
            return True

    def still_held(self) -> bool:
        """Ask the server whether this session still holds the lock (False, and the lock dropped here, when the
        connection was lost: the server released the lock then, and another process may hold it now)."""
        with self._mutex:
            connection, key = self._connection, self._key
            if connection is None or key is None:
                return False
            try:
                held = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1"
                    ),
                    {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
                ).scalar()
                connection.commit()
            except SQLAlchemyError:
                held = 0
            if held:
                return True
            self._drop()
            return False

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        with self._mutex:
            connection = self._connection
            if connection is None:
                return
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                connection.commit()
            except SQLAlchemyError:
                pass  # the session is gone, and the lock with it
            self._drop()

    def _drop(self) -> None:
        """Forget the lock's connection for good (never back to the pool: it carries the holder's name)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()
