"""node/store/store.py: the one Store object, built from settings (the SQLite data dir made when missing)."""

from __future__ import annotations

from pathlib import Path

from node.config import Settings
from node.store import Store
from node.store._batches import BatchRepository
from node.store._chain import ChainRepository
from node.store._credentials import CredentialRepository
from node.store._issuers import IssuerRepository


def test_from_settings_creates_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data", database_url=None)
    store = Store.from_settings(settings)
    store.migrate()
    assert (tmp_path / "fresh" / "data" / "credreg.db").exists()
    store.close()


def test_a_database_url_is_used_as_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    store = Store.from_settings(Settings(data_dir=tmp_path / "unused", database_url=url))
    assert store.url == url
    store.migrate()
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "unused" / "credreg.db").exists()
    store.close()


def test_the_store_is_every_repository() -> None:
    for repository in (IssuerRepository, CredentialRepository, BatchRepository, ChainRepository):
        assert issubclass(Store, repository)
