"""The :class:`Store`: the node's one repository object (only this package speaks SQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from node.config import Settings
from node.store._batches import BatchRepository
from node.store._chain import ChainRepository
from node.store._credentials import CredentialRepository
from node.store._issuers import IssuerRepository
from node.store._shares import ShareRepository
from node.store.engine import is_sqlite


class Store(IssuerRepository, CredentialRepository, BatchRepository, ChainRepository, ShareRepository):
    """Engine + sessions for one database URL, and every repository operation of the node.

    Create one per process (nothing connects until first use), call :meth:`migrate` at start-up, share it between
    request threads and the batcher thread, and :meth:`close` it on shutdown.
    """

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """The store for ``settings.resolved_database_url`` (for SQLite, the data dir is created if missing)."""
        url = settings.resolved_database_url
        if is_sqlite(url):
            database = make_url(url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        return cls(url)
