"""Liveness and chain facts for /healthz."""

from __future__ import annotations

from pydantic import BaseModel

from node.runtime import Node


class Health(BaseModel):
    status: str
    chain_id: int
    latest_block: int
    registry_address: str
    governance_address: str | None


class HealthService:
    def __init__(self, node: Node) -> None:
        self._node = node

    def health(self) -> Health:
        manifest = self._node.manifest
        governance = manifest.contracts.get("RegistryGovernance")
        return Health(
            status="ok",
            chain_id=self._node.w3.eth.chain_id,
            latest_block=self._node.w3.eth.block_number,
            registry_address=manifest.registry,
            governance_address=governance.address if governance else None,
        )
