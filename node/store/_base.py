"""The engine, the two session factories and the transaction helpers every repository mixin uses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from node.store.engine import WRITE_OPTION, make_engine
from node.store.migrate import alembic_config

IN_CHUNK = 500
"""Rows per ``IN (...)`` list, well under SQLite's bound-parameter limit."""


class StoreBase:
    """Owns the engine. Thread-safe: every operation opens its own short session from the pool."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self._url = url
        self._engine: Engine = make_engine(url, echo=echo)
        self._read_sessions = sessionmaker(bind=self._engine, expire_on_commit=False, autoflush=False)
        self._write_engine = self._engine.execution_options(**{WRITE_OPTION: True})
        self._write_sessions = sessionmaker(bind=self._write_engine, expire_on_commit=False, autoflush=False)
        self._migrate_lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._url

    @property
    def engine(self) -> Engine:
        """The engine, for tests and metrics; application code uses the repository methods."""
        return self._engine

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` (default: the newest). Safe to call on every start."""
        cfg = alembic_config()
        with self._migrate_lock, self._write_engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

    def schema_revision(self) -> str | None:
        """The alembic revision the database is at (``None`` before the first migration)."""
        from alembic.migration import MigrationContext

        with self._engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def close(self) -> None:
        """Close every pooled connection; the store may be used again afterwards (it reconnects)."""
        self._engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction; on SQLite it holds the write lock from its first statement (BEGIN IMMEDIATE)."""
        with self._write_sessions() as session, session.begin():
            yield session
