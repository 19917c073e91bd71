"""Persistence: SQLAlchemy 2 over SQLite (WAL, embedded default) or any server database by URL.

Only this package speaks SQL. Everything it returns is a plain immutable value from :mod:`node.store.records`.
"""

from node.store._issuers import API_KEY_PREFIX, hash_api_key
from node.store.engine import make_engine
from node.store.migrate import alembic_config
from node.store.records import (
    AnchoringState,
    ApiKeyInfo,
    ApiKeyRole,
    Batch,
    BatchStatus,
    ClaimedBatch,
    Credential,
    Event,
    EventPage,
    IndexerCursor,
    Issuer,
    IssuerStatus,
    NewCredential,
    NewEvent,
    PendingGroup,
    Principal,
)
from node.store.store import Store

__all__ = [
    "API_KEY_PREFIX",
    "AnchoringState",
    "ApiKeyInfo",
    "ApiKeyRole",
    "Batch",
    "BatchStatus",
    "ClaimedBatch",
    "Credential",
    "Event",
    "EventPage",
    "IndexerCursor",
    "Issuer",
    "IssuerStatus",
    "NewCredential",
    "NewEvent",
    "PendingGroup",
    "Principal",
    "Store",
    "alembic_config",
    "hash_api_key",
    "make_engine",
]
