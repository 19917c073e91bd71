"""Revoke, suspend, reinstate or supersede an anchored credential, or a whole batch (its Merkle root).

An issuer key acts with the issuer's own signing key on its own credentials; a governor or admin key acts through
governance (executed at once with k == 1: 200; waiting for other governors' approvals otherwise: 202).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from node.api.deps import CredentialId, LifecycleDep, PrincipalDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import Responses, documented
from node.api.schemas.lifecycle import BatchSupersedeRequest, LifecycleRequest, LifecycleResult, SupersedeRequest
from node.services.lifecycle import Actor, LifecycleAction
from node.services.lifecycle import LifecycleResult as LifecycleValue

router = APIRouter(prefix="/v1", tags=["lifecycle"], route_class=StrictJsonRoute)


BatchId = Annotated[int, Path(ge=1, le=2**62, description="The batch id (GET /v1/credentials/{id} shows it).")]

ERRORS: Responses = {
    401: documented("No API key, or an unknown / revoked one."),
    403: documented("The key may not act on this (e.g. a suspended issuer)."),
    404: documented("No such credential or batch for this issuer."),
    409: documented(
        "Not anchored yet (wait until GET shows 'anchored'), or an invalid transition "
        "(revoking twice, reinstating an active credential): the detail says which."
    ),
    422: documented("The request breaks a rule (the detail names the field and the rule)."),
    502: documented("The chain refused the transaction."),
    503: documented(
        "The chain is unreachable (retry later), or the node cannot sign: no keystore passphrase "
        "configured, or no key for the signer (the detail says what its operator sets)."
    ),
}
PENDING: Responses = {
    202: {"model": LifecycleResult, "description": "Proposed through governance; waits for other governors' approvals."}
}


def _respond(response: Response, result: LifecycleValue) -> LifecycleResult:
    if not result.act.executed:
        response.status_code = status.HTTP_202_ACCEPTED
    return LifecycleResult.model_validate(result)


def _credential(
    service: LifecycleDep,
    principal: PrincipalDep,
    response: Response,
    credential_id: str,
    action: LifecycleAction,
    body: LifecycleRequest,
) -> LifecycleResult:
    replacement = body.replacement_id if isinstance(body, SupersedeRequest) else None
    result = service.act_on_credential(
        Actor.of(principal),
        credential_id,
        action,
        int(body.reason_code),
        note=body.note,
        replacement_id=replacement,
    )
    return _respond(response, result)


def _batch(
    service: LifecycleDep,
    principal: PrincipalDep,
    response: Response,
    batch_id: int,
    action: LifecycleAction,
    body: LifecycleRequest,
) -> LifecycleResult:
    replacement = body.replacement_batch_id if isinstance(body, BatchSupersedeRequest) else None
    result = service.act_on_batch(
        Actor.of(principal),
        batch_id,
        action,
        int(body.reason_code),
        note=body.note,
        replacement_batch_id=replacement,
    )
    return _respond(response, result)


RESPONSES: Responses = {**PENDING, **ERRORS}


@router.post("/credentials/{credential_id}/revoke", summary="Revoke a credential (final)", responses=RESPONSES)
def revoke_credential(
    credential_id: CredentialId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Revoke one anchored credential for good. Verifiers see it revoked from the block in the reply."""
    return _credential(service, principal, r, credential_id, LifecycleAction.REVOKE, body)


@router.post("/credentials/{credential_id}/suspend", summary="Suspend a credential", responses=RESPONSES)
def suspend_credential(
    credential_id: CredentialId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Suspend one anchored credential until it is reinstated (e.g. an administrative hold)."""
    return _credential(service, principal, r, credential_id, LifecycleAction.SUSPEND, body)


@router.post("/credentials/{credential_id}/reinstate", summary="Reinstate a suspended credential", responses=RESPONSES)
def reinstate_credential(
    credential_id: CredentialId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Lift a suspension. Only a suspended credential can be reinstated (revocation is final)."""
    return _credential(service, principal, r, credential_id, LifecycleAction.REINSTATE, body)


@router.post("/credentials/{credential_id}/supersede", summary="Supersede a credential by another", responses=RESPONSES)
def supersede_credential(
    credential_id: CredentialId, body: SupersedeRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Mark a credential replaced by another anchored credential of the same issuer (final). Verifiers are pointed
    at the replacement."""
    return _credential(service, principal, r, credential_id, LifecycleAction.SUPERSEDE, body)


@router.post("/batches/{batch_id}/revoke", summary="Revoke a whole batch (final)", responses=RESPONSES)
def revoke_batch(
    batch_id: BatchId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Revoke every credential under the batch's root, for good."""
    return _batch(service, principal, r, batch_id, LifecycleAction.REVOKE, body)


@router.post("/batches/{batch_id}/suspend", summary="Suspend a whole batch", responses=RESPONSES)
def suspend_batch(
    batch_id: BatchId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Suspend every credential under the batch's root until the batch is reinstated."""
    return _batch(service, principal, r, batch_id, LifecycleAction.SUSPEND, body)


@router.post("/batches/{batch_id}/reinstate", summary="Reinstate a suspended batch", responses=RESPONSES)
def reinstate_batch(
    batch_id: BatchId, body: LifecycleRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Lift a batch-level suspension (credentials suspended one by one stay suspended)."""
    return _batch(service, principal, r, batch_id, LifecycleAction.REINSTATE, body)


@router.post("/batches/{batch_id}/supersede", summary="Supersede a whole batch by another", responses=RESPONSES)
def supersede_batch(
    batch_id: BatchId, body: BatchSupersedeRequest, principal: PrincipalDep, service: LifecycleDep, r: Response
) -> LifecycleResult:
    """Mark every credential of the batch replaced by another anchored batch of the same issuer (final)."""
    return _batch(service, principal, r, batch_id, LifecycleAction.SUPERSEDE, body)
