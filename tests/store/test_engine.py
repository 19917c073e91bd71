"""node/store/engine.py: SQLite gets WAL, synchronous=FULL, a busy timeout and foreign keys on every connection, and
write transactions begin IMMEDIATE (the write lock up front); reads begin plainly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from node.store import Store
from node.store.engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION, is_sqlite, make_engine
from tests.store.conftest import sqlite_url


def test_sqlite_pragmas_applied_on_every_connection(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    store.migrate()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert (connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    store.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///credreg.db", True),
        ("sqlite+pysqlite:///:memory:", True),
        ("sqlite://", True),
        ("postgresql://credreg@localhost/credreg", False),
        ("postgresql+psycopg://credreg@db:5432/credreg", False),
    ],
)
def test_is_sqlite(url: str, expected: bool) -> None:
    assert is_sqlite(url) is expected


def test_writes_begin_immediate_and_reads_do_not(db_path: Path) -> None:
    engine = make_engine(sqlite_url(db_path))
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        connection.execute(text("SELECT 1"))
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN", "BEGIN IMMEDIATE"]
    engine.dispose()


def test_a_write_transaction_holds_the_write_lock_from_its_start(db_path: Path) -> None:
    """A second writer cannot even begin while the first is open (it would wait out the busy timeout: here the
    plain sqlite3 timeout of the probe is zero, so it fails at once)."""
    import sqlite3

    engine = make_engine(sqlite_url(db_path))
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        connection.execute(text("SELECT 1"))  # nothing written yet: the lock comes from BEGIN IMMEDIATE alone
        probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
    engine.dispose()
    assert SQLITE_BUSY_TIMEOUT_MS >= 1000


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    store.migrate()
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), store.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO api_keys (prefix, key_hash, role, issuer_id, label, created_at) "
            "VALUES ('crk_x', 'h', 'issuer', 999, '', '2026-11-22 00:00:00')"
        )
    store.close()


def test_postgresql_is_used_as_is_read_committed_and_row_locks(postgres_url: str) -> None:
    """On PostgreSQL no pragma and no BEGIN IMMEDIATE: READ COMMITTED, so the store's writes lock the rows they read
    (tests/store/test_concurrency.py) and a plain read never waits for a writer."""
    engine = make_engine(postgres_url)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        assert connection.dialect.driver == "psycopg"
        assert connection.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
    assert not any(s.startswith(("BEGIN IMMEDIATE", "PRAGMA")) for s in statements)
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()


def test_store_from_settings_with_a_postgresql_url(postgres_url: str, tmp_path: Path) -> None:
    from node.config import Settings

    store = Store.from_settings(Settings(data_dir=tmp_path / "data", database_url=postgres_url))
    assert (store.url, store.dialect_name) == (postgres_url, "postgresql")
    store.migrate()
    assert store.schema_revision() is not None
    assert not (tmp_path / "data").exists()  # nothing of SQLite's made
    store.close()


def test_two_stores_opening_one_new_sqlite_file_at_once_never_see_it_locked(tmp_path: Path) -> None:
    """Switching a new file to WAL needs it exclusively and SQLite refuses at once, without its busy handler, while
    another connection holds it: two nodes starting together on a fresh data dir failed 35 times in 60 so."""
    import threading

    for round_ in range(20):
        url = f"sqlite:///{tmp_path / f'node-{round_}.db'}"
        stores = [Store(url) for _ in range(2)]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def start(store: Store, barrier: threading.Barrier, errors: list[BaseException]) -> None:
            barrier.wait()
            try:
                store.migrate()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(s, barrier, errors)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for store in stores:
            store.close()
        assert errors == [], f"round {round_}: {errors}"
