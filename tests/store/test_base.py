"""node/store/_base.py: the engine and sessions every repository uses (lazy, closable, one transaction per
operation), the row-to-record copy and the IN-list chunks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from node.store import Issuer, IssuerStatus, Store
from node.store._base import IN_CHUNK, chunks, record_of
from node.store.models import IssuerRow
from tests.store.conftest import ISSUER, sqlite_url


def test_no_connection_until_first_use(tmp_path: Path) -> None:
    path = tmp_path / "lazy.db"
    store = Store(sqlite_url(path))
    assert not path.exists()
    store.migrate()
    assert path.exists()
    store.close()


def test_the_store_says_what_it_talks_to(db_path: Path) -> None:
    store = Store(sqlite_url(db_path))
    assert store.url == sqlite_url(db_path)
    assert store.dialect_name == "sqlite"
    assert store.engine.url.database == str(db_path)
    store.close()


def test_a_closed_store_reconnects_on_next_use(store: Store) -> None:
    store.close()
    assert store.get_issuer(ISSUER).id == ISSUER
    assert store.schema_revision() is not None


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    def rename_then_fail() -> None:
        with store._write() as session:
            session.get_one(IssuerRow, ISSUER).name = "renamed"
            session.flush()
            raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        rename_then_fail()
    assert store.get_issuer(ISSUER).name == "University of Testing"


@dataclass(frozen=True, slots=True)
class _Pair:
    a: int
    b: str


def test_record_of_copies_same_named_fields_and_takes_overrides() -> None:
    assert record_of(_Pair, SimpleNamespace(a=1, b="x", extra=2)) == _Pair(1, "x")
    assert record_of(_Pair, SimpleNamespace(a=1), b="given") == _Pair(1, "given")
    with pytest.raises(AttributeError):
        record_of(_Pair, SimpleNamespace(a=1))


def test_record_of_a_row(store: Store) -> None:
    with store._read() as session:
        row = session.get_one(IssuerRow, ISSUER)
        issuer = record_of(Issuer, row, status=IssuerStatus(row.status))
    assert issuer == store.get_issuer(ISSUER)
    assert issuer.status is IssuerStatus.ACTIVE


@pytest.mark.parametrize("n", [0, 1, IN_CHUNK - 1, IN_CHUNK, IN_CHUNK + 1, 3 * IN_CHUNK + 7])
def test_chunks(n: int) -> None:
    items = list(range(n))
    parts = list(chunks(items))
    assert [x for part in parts for x in part] == items
    assert all(1 <= len(part) <= IN_CHUNK for part in parts)
    assert len(parts) == -(-n // IN_CHUNK)
