"""FastAPI dependencies as Annotated aliases; each pulls a service off the running node."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from node.api.auth import get_principal, require_admin, require_governor, require_issuer, require_issuer_reader
from node.readmodel.chainview import ChainView, RpcChainView
from node.runtime import Node
from node.services.events import EventsService
from node.services.governance import GovernanceService
from node.services.health import HealthService
from node.services.issuance import IssuanceService
from node.services.lifecycle import LifecycleService
from node.services.verification import StatusService, VerificationService
from node.store import Principal


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def get_health_service(node: NodeDep) -> HealthService:
    return HealthService(node)


HealthDep = Annotated[HealthService, Depends(get_health_service)]


async def get_governance_service(node: NodeDep) -> GovernanceService:
    return GovernanceService(node)


GovernanceDep = Annotated[GovernanceService, Depends(get_governance_service)]


def get_lifecycle_service(node: NodeDep) -> LifecycleService:
    return LifecycleService(node)


LifecycleDep = Annotated[LifecycleService, Depends(get_lifecycle_service)]


# --- who is calling (node/api/auth.py) ------------------------------------------------------------------------------

PrincipalDep = Annotated[Principal, Depends(get_principal)]
"""Any valid API key (a store key, or CREDREG_ADMIN_API_KEY as admin); else 401."""
IssuerDep = Annotated[Principal, Depends(require_issuer)]
"""An issuer key whose issuer is active on this node (to issue); else 403."""
IssuerReaderDep = Annotated[Principal, Depends(require_issuer_reader)]
"""An issuer key, also of a suspended issuer (to read its own credentials); else 403."""
AdminDep = Annotated[Principal, Depends(require_admin)]
GovernorDep = Annotated[Principal, Depends(require_governor)]
"""A governor or admin key; else 403."""


def get_issuance_service(node: NodeDep) -> IssuanceService:
    return IssuanceService(node)


IssuanceDep = Annotated[IssuanceService, Depends(get_issuance_service)]


# --- indexed events (node/services/events.py) -----------------------------------------------------------------------


def get_events_service(node: NodeDep) -> EventsService:
    return EventsService(node.store)


EventsDep = Annotated[EventsService, Depends(get_events_service)]


# --- verification (node/services/verification/) -----------------------------------------------------------------


def verification_view(node: Node) -> ChainView:
    """The indexer's mirror when the node runs one (no RPC per request), else the contracts over JSON-RPC."""
    mirror = node.workers.mirror
    return mirror if mirror is not None else RpcChainView(node.registry)


async def get_verification_view(node: NodeDep) -> ChainView:
    """Async on purpose: a sync dependency costs a worker-thread hop per request on the verify hot path."""
    return verification_view(node)


async def get_verification_service(
    node: NodeDep, view: Annotated[ChainView, Depends(get_verification_view)]
) -> VerificationService:
    return VerificationService(view, node.chain_id, node.manifest.registry)


VerificationDep = Annotated[VerificationService, Depends(get_verification_service)]
"""Verdicts against this node's chain and registry (the only ones it trusts)."""


async def get_status_service(
    node: NodeDep, view: Annotated[ChainView, Depends(get_verification_view)]
) -> StatusService:
    return StatusService(node.store, view)


StatusDep = Annotated[StatusService, Depends(get_status_service)]

CredentialId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        description="The id the node returned on issue, or the credential's own `urn:uuid:` id (the same uuid).",
    ),
]
