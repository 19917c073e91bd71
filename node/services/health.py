"""Liveness (/healthz), readiness (/readyz) and the Prometheus collector (/metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field

from node.chain.health import block_number, chain_head, has_code
from node.errors import ChainUnavailableError
from node.runtime import Node

MAX_INDEXER_LAG_BLOCKS = 10
"""Readiness fails when the indexer is further behind the chain head than this."""


class Health(BaseModel):
    status: str = Field(description="`ok` when the chain answered.", examples=["ok"])
    chain_id: int = Field(description="Chain id the node is connected to.", examples=[472019])
    latest_block: int = Field(description="The chain's latest block number.", examples=[1234])
    registry_address: str = Field(
        description="The CredentialRegistry this node serves.", examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"]
    )
    governance_address: str | None = Field(
        description="The RegistryGovernance contract.", examples=["0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"]
    )


class ReadinessCheck(BaseModel):
    name: str = Field(examples=["chain"])
    ok: bool = Field(examples=[True])
    detail: str = Field(examples=["block 1234 on chain 472019"])


class Readiness(BaseModel):
    ready: bool = Field(description="True when every check passed.", examples=[True])
    checks: list[ReadinessCheck]


def _lag(service: Any) -> int | None:
    lag = getattr(service, "lag", None)
    value = lag() if callable(lag) else lag
    return int(value) if isinstance(value, int) else None


class HealthService:
    def __init__(self, node: Node) -> None:
        self._node = node

    def health(self) -> Health:
        manifest = self._node.manifest
        governance = manifest.contracts.get("RegistryGovernance")
        head = chain_head(self._node.w3)
        return Health(
            status="ok",
            chain_id=head.chain_id,
            latest_block=head.block_number,
            registry_address=manifest.registry,
            governance_address=governance.address if governance else None,
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
        except (ChainUnavailableError, OSError, ValueError) as exc:
            checks.append(ReadinessCheck(name="chain", ok=False, detail=f"the chain does not answer: {exc}"))
        indexer = self._node.workers.indexer
        if indexer is not None:
            lag = _lag(indexer)
            ok = lag is not None and lag <= MAX_INDEXER_LAG_BLOCKS
            checks.append(ReadinessCheck(name="indexer", ok=ok, detail=f"{lag} blocks behind the head"))
        return Readiness(ready=all(c.ok for c in checks), checks=checks)


class NodeCollector(Collector):
    """Reads the node's state at scrape time: outbox, batches, indexer lag."""

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
