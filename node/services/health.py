"""Liveness (/healthz), readiness (/readyz) and the Prometheus collector (/metrics).

The service returns frozen values (the wire models are node/api/schemas/health.py). Liveness is the node's own:
:meth:`HealthService.health` never raises for what is down around it (the chain, the batcher process), it says so.
Anchoring stalls (an issuer key without funds, no keystore or passphrase, refused batches) are warnings of
/readyz, not failures: the node still verifies and accepts; ``credreg_anchoring_stalled`` is what to alert on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from web3.exceptions import Web3Exception

from node.chain.health import block_number, chain_head, has_code
from node.errors import RegistryError
from node.runtime import Node
from node.store import BatchStatus
from node.workers.batcher.state import Stall, StallKind, stalls_of

MAX_INDEXER_LAG_BLOCKS = 10
"""Readiness fails when the indexer is further behind the chain head than this."""

_CHAIN_FAULTS: tuple[type[BaseException], ...] = (
    RegistryError,  # ChainUnavailableError and the client's other faults
    Web3Exception,
    requests.RequestException,
    OSError,
    ValueError,
)
"""What asking the chain may raise while it is down or misbehaving."""


@dataclass(frozen=True)
class Health:
    status: str
    """``ok``, or ``degraded`` when something in ``down``."""
    chain_id: int
    latest_block: int | None
    registry_address: str
    governance_address: str | None
    down: tuple[str, ...]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ReadinessWarning:
    name: str
    kind: str
    issuer_id: int
    detail: str


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: tuple[ReadinessCheck, ...]
    warnings: tuple[ReadinessWarning, ...] = ()


def _lag(service: Any) -> int | None:
    lag = getattr(service, "lag", None)
    value = lag() if callable(lag) else lag
    return int(value) if isinstance(value, int) else None


def _fault(exc: BaseException) -> str:
    return exc.detail if isinstance(exc, RegistryError) else f"{type(exc).__name__}: {exc}"


def anchoring_stalls(node: Node) -> tuple[Stall, ...]:
    """Why issuers' anchoring waits on the operator: what the batcher reports (thread, or its child process's last
    report), and per issuer the newest failed batch's reason from the store (terminal until retried)."""
    stalls = list(stalls_of(node.workers.batcher))
    store = node.store
    if store.batch_counts()[BatchStatus.FAILED]:
        newest: dict[int, str] = {}
        for batch in store.batches_with_status(BatchStatus.FAILED):
            newest[batch.issuer_id] = batch.last_error or f"batch {batch.id} failed (no reason on record)."
        stalls += [Stall(StallKind.REFUSED, issuer, reason) for issuer, reason in sorted(newest.items())]
    return tuple(stalls)


class HealthService:
    def __init__(self, node: Node) -> None:
        self._node = node

    def health(self) -> Health:
        """The node's liveness: always an answer; what is down (the chain, the batcher process) is listed."""
        node = self._node
        manifest = node.manifest
        governance = manifest.contracts.get("RegistryGovernance")
        down: list[str] = []
        latest: int | None = None
        try:
            head = chain_head(node.w3)
            latest = head.block_number
        except _CHAIN_FAULTS as exc:
            where = f" at {node.rpc_url}" if node.rpc_url else ""
            down.append(
                f"the chain{where} does not answer ({_fault(exc)}): verification reads the mirror, issuance keeps "
                "accepting, anchoring waits; check the JSON-RPC node."
            )
        batcher = node.workers.batcher
        if batcher is not None and getattr(batcher, "running", None) is False:
            down.append(
                "the batcher is not running: accepted credentials wait in the outbox; see the node's log (a child "
                "process is started again by itself)."
            )
        return Health(
            status="degraded" if down else "ok",
            chain_id=manifest.chain_id,
            latest_block=latest,
            registry_address=manifest.registry,
            governance_address=governance.address if governance else None,
            down=tuple(down),
        )

    def readiness(self) -> Readiness:
        checks: list[ReadinessCheck] = []
        try:
            block = block_number(self._node.w3)
            checks.append(ReadinessCheck(name="chain", ok=True, detail=f"block {block} on chain {self._node.chain_id}"))
            present = has_code(self._node.w3, self._node.manifest.registry)
            missing = "the registry has no code: run `credreg deploy --fresh`."
            checks.append(
                ReadinessCheck(name="contracts", ok=present, detail="registry code present" if present else missing)
            )
        except _CHAIN_FAULTS as exc:
            checks.append(ReadinessCheck(name="chain", ok=False, detail=f"the chain does not answer: {_fault(exc)}"))
        indexer = self._node.workers.indexer
        if indexer is not None:
            lag = _lag(indexer)
            ok = lag is not None and lag <= MAX_INDEXER_LAG_BLOCKS
            checks.append(ReadinessCheck(name="indexer", ok=ok, detail=f"{lag} blocks behind the head"))
        warnings = tuple(
            ReadinessWarning(name="anchoring", kind=s.kind.value, issuer_id=s.issuer_id, detail=s.reason)
            for s in anchoring_stalls(self._node)
        )
        return Readiness(ready=all(c.ok for c in checks), checks=tuple(checks), warnings=warnings)


class NodeCollector(Collector):
    """Reads the node's state at scrape time: outbox, batches, indexer lag, batcher counters, anchoring stalls."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def collect(self) -> Iterator[Metric]:
        store = self._node.store
        credentials = GaugeMetricFamily("credreg_credentials", "Credentials in the store by status.", labels=["status"])
        for status, count in store.credential_counts().items():
            credentials.add_metric([str(status)], count)
        yield credentials
        batches = GaugeMetricFamily("credreg_batches", "Batches in the store by status.", labels=["status"])
        for batch_status, count in store.batch_counts().items():
            batches.add_metric([str(batch_status)], count)
        yield batches
        stalled = GaugeMetricFamily(
            "credreg_anchoring_stalled",
            "1 per issuer whose anchoring waits on the operator; kind: no_funds, keystore_passphrase, "
            "keystore_missing, signing_key, refused; reason: the sentence the batcher logged.",
            labels=["kind", "issuer", "reason"],
        )
        for stall in anchoring_stalls(self._node):
            stalled.add_metric([stall.kind.value, str(stall.issuer_id), stall.reason], 1)
        yield stalled
        indexer = self._node.workers.indexer
        lag = _lag(indexer) if indexer is not None else None
        if lag is not None:
            yield GaugeMetricFamily("credreg_indexer_lag_blocks", "Blocks between the chain head and the indexer.", lag)
        batcher = self._node.workers.batcher
        if batcher is None:
            return
        running = getattr(batcher, "running", None)
        if isinstance(running, bool):
            yield GaugeMetricFamily("credreg_batcher_running", "Batcher: 1 while it runs (thread or process).", running)
        for attr in ("batches_anchored", "credentials_anchored", "restarts"):
            value = getattr(batcher, attr, None)
            if isinstance(value, int) and not isinstance(value, bool):
                yield GaugeMetricFamily(f"credreg_batcher_{attr}", f"Batcher: {attr.replace('_', ' ')}.", value)
