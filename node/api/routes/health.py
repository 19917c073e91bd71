"""Liveness: chain id, latest block and the registry address this node serves."""

from __future__ import annotations

from fastapi import APIRouter

from node.api.deps import HealthDep
from node.services.health import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and chain facts")
def healthz(service: HealthDep) -> Health:
    return service.health()
