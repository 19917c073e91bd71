"""The store's fixtures: every test that takes ``store`` or ``store_url`` runs once on SQLite and once on
PostgreSQL (a fresh schema per test; see ``postgres_url`` in tests/conftest.py). ``db_path`` and ``sqlite_store``
are for what only SQLite has (files, pragmas)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.store import NewCredential, Store

ISSUER = 7
OTHER_ISSUER = 8
SIGNER = "0x" + "Ab" * 20

BACKENDS = ["sqlite", "postgresql"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "credreg.db"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of ``backend``: a SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        return sqlite_url(tmp_path / "credreg.db")
    return str(request.getfixturevalue("postgres_url"))


def _seeded(url: str) -> Store:
    store = Store(url)
    store.migrate()
    store.upsert_issuer(ISSUER, name="University of Testing", metadata_uri="did:web:uni.test", signer_address=SIGNER)
    store.upsert_issuer(OTHER_ISSUER, name="Other College", metadata_uri="https://other.test", signer_address=SIGNER)
    return store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store with two issuers, on each backend."""
    store = _seeded(store_url)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[Store]:
    """The same on SQLite only, for what only SQLite has (its files)."""
    store = _seeded(sqlite_url(db_path))
    yield store
    store.close()


def new_credential(i: int, client_ref: str | None = None) -> NewCredential:
    return NewCredential(
        type_name="NationalCertificate",
        type_version="1.0",
        credential_hash="0x" + f"{i:064x}",
        document={"credentialSubject": {"name": f"Learner {i}", "salt": "0x" + "ab" * 32}, "n": i},
        client_ref=client_ref,
    )
