"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from node.api.deps import HealthDep, NodeDep
from node.api.jsonbody import StrictJsonRoute
from node.api.schemas.health import Health, Readiness
from node.services.health import NodeCollector

router = APIRouter(tags=["operations"], route_class=StrictJsonRoute)


@router.get(
    "/healthz",
    summary="Liveness and chain facts (200 while the node serves; what is down is in the body)",
)
def healthz(service: HealthDep) -> Health:
    return Health.model_validate(service.health())


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: chain reachable, contracts present, indexer caught up; anchoring stalls as warnings",
    responses={503: {"model": Readiness, "description": "Not ready: the failing checks say why."}},
)
def readyz(service: HealthDep) -> JSONResponse:
    readiness = Readiness.model_validate(service.readiness())
    return JSONResponse(readiness.model_dump(mode="json", by_alias=True), status_code=200 if readiness.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."}},
)
def metrics(request: Request, node: NodeDep) -> Response:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry()
        registry.register(NodeCollector(node))
        request.app.state.metrics_registry = registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
