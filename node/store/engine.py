"""Engine set-up: the one place that knows which database it talks to.

SQLite (the embedded default) gets WAL, synchronous=FULL, a busy timeout and foreign keys on every connection, and
SQLAlchemy takes over BEGIN so write transactions start with ``BEGIN IMMEDIATE`` (they take the write lock up front and
queue on the busy timeout instead of failing on a lock upgrade). Any other URL (PostgreSQL) is used as is.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

WRITE_OPTION = "credreg_write"
"""Execution option marking a connection whose transactions write (``BEGIN IMMEDIATE`` on SQLite)."""

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _enter_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting out another connection's lock. Switching a new database file to WAL needs
    it exclusively, and SQLite answers "database is locked" at once, without the busy handler, while another process
    holds it (two nodes starting together on a fresh data dir: 35 of 60 attempts failed so), so wait here instead."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build the engine for ``url``; connects lazily (nothing happens until first use)."""
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True)

    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # SQLAlchemy, not the sqlite3 module, emits BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _enter_wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine
