from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from node.store import Store, alembic_config
from node.store.models import Base
from tests.store.conftest import sqlite_url


def _diff(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parent: not (type_ == "table" and name == "alembic_version"),
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_migrate_creates_schema_matching_models(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    assert store.schema_revision() is None
    store.migrate()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert store.schema_revision() == head
    assert _diff(store) == []
    tables = set(inspect(store.engine).get_table_names())
    assert tables == {
        "alembic_version",
        "issuers",
        "api_keys",
        "credentials",
        "batches",
        "nonces",
        "events",
        "indexer_cursor",
        "blocks",
    }
    store.close()


def test_compare_detects_drift(db_path: Path) -> None:
    """The schema check above can fail: an unmigrated database differs from the models."""
    store = Store(sqlite_url(db_path))
    assert _diff(store) != []
    store.close()


def test_migrate_is_idempotent_and_downgrade_round_trips(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    store.migrate()
    store.migrate()
    with store.engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    store.migrate()
    assert _diff(store) == []
    store.close()


def test_sqlite_pragmas_applied_on_every_connection(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    store.migrate()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert (connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    store.close()


def test_no_connection_until_first_use(tmp_path: Path) -> None:
    path = tmp_path / "lazy.db"
    store = Store(sqlite_url(path))
    assert not path.exists()
    store.migrate()
    assert path.exists()
    store.close()


def test_from_settings_creates_the_data_dir(tmp_path: Path) -> None:
    from node.config import Settings

    settings = Settings(data_dir=tmp_path / "fresh" / "data", database_url=None)
    store = Store.from_settings(settings)
    store.migrate()
    assert (tmp_path / "fresh" / "data" / "credreg.db").exists()
    store.close()


def test_migration_renders_for_postgresql() -> None:
    """The migration has no SQLite-only SQL: it renders (offline, no server needed) for PostgreSQL."""
    import io

    buffer = io.StringIO()
    cfg = alembic_config("postgresql://credreg@localhost/credreg")
    cfg.output_buffer = buffer
    command.upgrade(cfg, "head", sql=True)
    sql = buffer.getvalue()
    assert "CREATE TABLE credentials" in sql
    assert "BIGSERIAL" in sql or "SERIAL" in sql
    assert "PRAGMA" not in sql
