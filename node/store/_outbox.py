"""The outbox: the credentials issuers submitted (:mod:`node.store._credentials`) and the batches that anchor them
(:mod:`node.store._batches`)."""

from __future__ import annotations

from node.store._batches import BatchRepository
from node.store._credentials import CredentialRepository


class OutboxRepository(CredentialRepository, BatchRepository):
    """Credentials and their batches, one repository for :class:`node.store.Store`."""
