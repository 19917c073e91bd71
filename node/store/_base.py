"""The engine, the two session factories and the transaction helpers every repository mixin uses."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from sqlalchemy import Engine, String, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from node.errors import ValidationFailedError
from node.store.engine import WRITE_OPTION, make_engine
from node.store.migrate import alembic_config

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]

MIGRATE_LOCK_KEY = 0x63726564726567  # "credreg": the PostgreSQL advisory lock migrations take

IN_CHUNK = 500
"""Rows per ``IN (...)`` list, well under SQLite's bound-parameter limit."""

R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def record_of(cls: type[R], row: object, **overrides: Any) -> R:
    """A record of ``cls`` (a dataclass of :mod:`node.store.records`) from an ORM row: every field copied from the
    row's attribute of the same name, except the ``overrides`` (enums, converted or joined values)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return cls(**{name: getattr(row, name) for name in names if name not in overrides}, **overrides)


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    """``items`` in slices of at most :data:`IN_CHUNK` (one ``IN (...)`` list each)."""
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


_LIMITS: dict[str, dict[str, int]] = {}


def check_lengths(table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Refuse a text longer than its column on PostgreSQL, on every backend alike: PostgreSQL enforces a
    ``VARCHAR(n)`` (a ``DataError`` mid-transaction), SQLite would store it whole."""
    limits = _LIMITS.get(table.name)
    if limits is None:
        on_postgresql = {column.name: column.type.dialect_impl(_POSTGRESQL) for column in table.columns}
        limits = _LIMITS[table.name] = {
            name: kind.length for name, kind in on_postgresql.items() if isinstance(kind, String) and kind.length
        }
    for row in rows:
        for name, value in row.items():
            limit = limits.get(name)
            if limit is not None and isinstance(value, str) and len(value) > limit:
                raise ValidationFailedError(
                    f"{name}: at most {limit} characters, not {len(value)}; shorten it ({table.name}.{name})"
                )


def upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], update: Sequence[str] = ()
) -> list[Any]:
    """Insert ``rows``; a row whose ``key`` columns are already stored updates only its ``update`` columns (none: it
    is skipped). One statement that cannot lose a race: ``INSERT ... ON CONFLICT`` on SQLite and PostgreSQL alike,
    where "look, then insert" would fail on PostgreSQL when a concurrent transaction inserts the same key first
    (SQLite's ``BEGIN IMMEDIATE`` serialises writers; PostgreSQL does not). Returns the primary keys (first column)
    of the rows written, in no particular order."""
    if not rows:
        return []
    check_lengths(table, rows)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: postgresql.Insert | sqlite.Insert = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise NotImplementedError(f"the store runs on SQLite and PostgreSQL, not {dialect}")
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={name: statement.excluded[name] for name in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    first = table.primary_key.columns.values()[0]
    return list(session.execute(statement.returning(first), list(rows)).scalars())


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
            if connection.dialect.name == "postgresql":
                # two processes starting at once on one database: the second waits here, then finds the schema at
                # head (SQLite's BEGIN IMMEDIATE does the same); without it, both would create the same tables
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
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
