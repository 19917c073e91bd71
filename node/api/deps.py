"""FastAPI dependencies as Annotated aliases; each pulls a service off the running node."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from node.runtime import Node
from node.services.governance import GovernanceService
from node.services.health import HealthService
from node.services.lifecycle import LifecycleService


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def get_health_service(node: NodeDep) -> HealthService:
    return HealthService(node)


HealthDep = Annotated[HealthService, Depends(get_health_service)]


def get_governance_service(node: NodeDep) -> GovernanceService:
    return GovernanceService(node)


GovernanceDep = Annotated[GovernanceService, Depends(get_governance_service)]


def get_lifecycle_service(node: NodeDep) -> LifecycleService:
    return LifecycleService(node)


LifecycleDep = Annotated[LifecycleService, Depends(get_lifecycle_service)]
