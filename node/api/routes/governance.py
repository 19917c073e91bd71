"""Accreditation bodies and k-of-n governance proposals (governor/admin keys; reads with any key).

Governance acts are proposed by the node's governor key. With k == 1 they execute at once (200/201); with k > 1
the proposal waits (202) until other governors approve it on their nodes (``.../approve`` executes it when the
approval reaches k).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from node.api.deps import GovernanceDep, GovernorDep, PrincipalDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import AUTH_ERRORS, WRITE_ERRORS, Responses, documented, pending_as_202
from node.api.schemas.governance import (
    DEFAULT_APPROVAL,
    AccreditationActRequest,
    AccreditBodyRequest,
    AccreditedBody,
    ApproveRequest,
    BodyView,
    ChainAct,
    ProposalList,
    ProposalView,
    ProposeRequest,
    epoch,
)
from node.services.governance import AccreditationAction, ProposalState

router = APIRouter(prefix="/v1", tags=["governance"], route_class=StrictJsonRoute)

BodyId = Annotated[int, Path(ge=1, le=2**32 - 1, description="The body's on-chain id.")]
ProposalId = Annotated[int, Path(ge=1, le=2**62, description="The proposal's id.")]
WRITE_202: Responses = {
    **WRITE_ERRORS,
    202: {"model": ChainAct, "description": "Proposed; waits for other governors' approvals."},
}


# --- bodies --------------------------------------------------------------------------------------------------------


@router.get("/bodies", summary="List accreditation bodies", responses=AUTH_ERRORS)
def list_bodies(_: PrincipalDep, service: GovernanceDep) -> list[BodyView]:
    """Every body ever accredited, with its status and scope."""
    return [BodyView.model_validate(v) for v in service.bodies()]


@router.get(
    "/bodies/{body_id}",
    summary="An accreditation body",
    responses={**AUTH_ERRORS, 404: documented("No such body.")},
)
def show_body(body_id: BodyId, _: PrincipalDep, service: GovernanceDep) -> BodyView:
    return BodyView.model_validate(service.body(body_id))


@router.post(
    "/bodies",
    summary="Accredit a body (governance)",
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE_ERRORS, 202: {"model": AccreditedBody, "description": "Waits for approvals."}},
)
def accredit_body(
    body: AccreditBodyRequest, _: GovernorDep, service: GovernanceDep, response: Response
) -> AccreditedBody:
    """Proposed by the node's governor key; executed at once when k == 1, else returned as a pending proposal."""
    result = service.accredit_body(
        body.admin,
        body.credential_types,
        body.max_level,
        body.metadata_uri,
        valid_from=epoch(body.valid_from),
        valid_until=epoch(body.valid_until),
    )
    pending_as_202(response, result.act, status.HTTP_201_CREATED)
    return AccreditedBody.model_validate(result)


def _body_act(
    service: GovernanceDep, body_id: int, action: AccreditationAction, body: AccreditationActRequest, r: Response
) -> ChainAct:
    act = service.body_act(body_id, action, body.reason_code)
    pending_as_202(r, act)
    return ChainAct.model_validate(act)


@router.post("/bodies/{body_id}/suspend", summary="Suspend a body (governance)", responses=WRITE_202)
def suspend_body(
    body_id: BodyId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """Stops the body's issuers from anchoring from now on (not retroactive)."""
    return _body_act(service, body_id, AccreditationAction.SUSPEND, body, r)


@router.post("/bodies/{body_id}/reinstate", summary="Reinstate a suspended body (governance)", responses=WRITE_202)
def reinstate_body(
    body_id: BodyId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    return _body_act(service, body_id, AccreditationAction.REINSTATE, body, r)


@router.post("/bodies/{body_id}/withdraw", summary="Withdraw a body's accreditation (final)", responses=WRITE_202)
def withdraw_body(
    body_id: BodyId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    return _body_act(service, body_id, AccreditationAction.WITHDRAW, body, r)


# --- proposals -----------------------------------------------------------------------------------------------------


@router.get("/governance/proposals", summary="List governance proposals", responses=AUTH_ERRORS)
def list_proposals(
    _: GovernorDep,
    service: GovernanceDep,
    state: Annotated[ProposalState | None, Query(description="Only proposals in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many, the newest.")] = 100,
) -> ProposalList:
    """The newest proposals (oldest first within the page), with their state and approvals."""
    return ProposalList(items=[ProposalView.model_validate(v) for v in service.proposals(state, limit)])


@router.get(
    "/governance/proposals/{proposal_id}",
    summary="A governance proposal",
    responses={**AUTH_ERRORS, 404: documented("No such proposal.")},
)
def show_proposal(proposal_id: ProposalId, _: GovernorDep, service: GovernanceDep) -> ProposalView:
    return ProposalView.model_validate(service.proposal(proposal_id))


@router.post(
    "/governance/proposals",
    summary="Propose a governance call",
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_202,
)
def propose(body: ProposeRequest, _: GovernorDep, service: GovernanceDep, response: Response) -> ChainAct:
    """The node's governor key proposes (and so approves); executed at once when that already makes k."""
    act = service.propose(body.target, body.function, body.args, body.ttl_seconds)
    pending_as_202(response, act, status.HTTP_201_CREATED)
    return ChainAct.model_validate(act)


@router.post("/governance/proposals/{proposal_id}/approve", summary="Approve a proposal", responses=WRITE_202)
def approve(
    proposal_id: ProposalId,
    _: GovernorDep,
    service: GovernanceDep,
    response: Response,
    body: ApproveRequest = DEFAULT_APPROVAL,
) -> ChainAct:
    """Approve with the node's governor key; the proposal executes when this approval reaches k (unless
    ``execute`` is false)."""
    act = service.approve(proposal_id, execute=body.execute)
    pending_as_202(response, act)
    return ChainAct.model_validate(act)


@router.post(
    "/governance/proposals/{proposal_id}/execute", summary="Execute an approved proposal", responses=WRITE_ERRORS
)
def execute(proposal_id: ProposalId, _: GovernorDep, service: GovernanceDep) -> ChainAct:
    """Any governor may execute once k governors approved it, before its deadline."""
    return ChainAct.model_validate(service.execute(proposal_id))
