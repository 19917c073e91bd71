"""Long-running workers: the background loops a node runs beside its API, each owning one job end to end.

- ``batcher/``: turns the outbox into anchored Merkle roots (its loop, recovery, anchoring, the child process the
  API supervises, and ``python -m node.workers.batcher``);
- ``indexer.py``: follows the contracts' events into the store and the mirror (:mod:`node.readmodel.mirror`).

Request-scoped use cases live in :mod:`node.services`; a worker is started and stopped by the app's lifespan
(``node/main.py``) or runs standalone, and keeps its work durable in the store so a crash loses nothing.
"""
