"""Issuers: who they are on chain and on this node, their accreditation and their signing keys (governor/admin keys).

Acts on an issuer are signed by its body's admin key when this node holds it, else proposed through governance
(executed at once with k == 1: 200/201; waiting for other governors otherwise: 202).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from node.api.deps import GovernanceDep, GovernorDep, PrincipalDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import AUTH_ERRORS, WRITE_ERRORS, Responses, documented, pending_as_202
from node.api.schemas.governance import (
    AccreditationActRequest,
    AccreditedIssuer,
    AccreditIssuerRequest,
    AddKeyRequest,
    ChainAct,
    CutoffRequest,
    IssuerDetail,
    IssuerView,
    RegisterIssuerRequest,
    RotateKeyRequest,
    RotationResult,
    epoch,
)
from node.services.governance import AccreditationAction
from node.services.governance import models as values

router = APIRouter(prefix="/v1/issuers", tags=["issuers"], route_class=StrictJsonRoute)

# --- path parameters ----------------------------------------------------------------------------------------------

IssuerId = Annotated[int, Path(ge=1, le=2**32 - 1, description="The issuer's on-chain id.")]
KeyAddress = Annotated[str, Path(pattern="^0x[0-9a-fA-F]{40}$", description="The signing key's address.")]


def _accredited(response: Response, result: values.AccreditedIssuer) -> AccreditedIssuer:
    if not result.registered:
        response.status_code = status.HTTP_202_ACCEPTED
    return AccreditedIssuer.model_validate(result)


# --- routes --------------------------------------------------------------------------------------------------------


@router.get("", summary="List the issuers registered on this node", responses=AUTH_ERRORS)
def list_issuers(_: PrincipalDep, service: GovernanceDep) -> list[IssuerView]:
    """Every issuer this node has registered, with its on-chain accreditation status."""
    return [IssuerView.model_validate(v) for v in service.issuers()]


@router.get(
    "/{issuer_id}",
    summary="An issuer: accreditation, scope, keys and path",
    responses={**AUTH_ERRORS, 404: documented("No such issuer on chain.")},
)
def show_issuer(issuer_id: IssuerId, _: PrincipalDep, service: GovernanceDep) -> IssuerDetail:
    """Identity, status, credential types, max level, window, signing keys (windows, cut-offs) and the
    accreditation path governance → body → issuer."""
    return IssuerDetail.model_validate(service.issuer(issuer_id))


@router.post(
    "",
    summary="Accredit an issuer under a body",
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE_ERRORS, 202: {"model": AccreditedIssuer, "description": "Waiting for approvals."}},
)
def accredit_issuer(
    body: AccreditIssuerRequest, _: GovernorDep, service: GovernanceDep, response: Response
) -> AccreditedIssuer:
    """Signed by the body's admin key when this node holds it, else through governance. Records the issuer on this
    node and can mint its first API key (shown once)."""
    result = service.accredit_issuer(
        body_id=body.body_id,
        name=body.name,
        metadata_uri=body.metadata_uri,
        signer_address=body.signer_address,
        credential_types=body.credential_types,
        max_level=body.max_level,
        valid_from=epoch(body.valid_from),
        valid_until=epoch(body.valid_until),
        keystore_path=body.keystore_path,
        body_admin_keystore_path=body.body_admin_keystore_path,
        mint_api_key=body.mint_api_key,
    )
    return _accredited(response, result)


@router.post(
    "/register",
    summary="Register an already accredited issuer on this node",
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE_ERRORS, 202: {"model": AccreditedIssuer, "description": "Adding its key awaits approvals."}},
)
def register_issuer(
    body: RegisterIssuerRequest, _: GovernorDep, service: GovernanceDep, response: Response
) -> AccreditedIssuer:
    """Records the issuer (name, signing key, keystore), adds the key on chain if it is not one of the issuer's yet,
    and can mint its first API key."""
    result = service.register_issuer(
        body.issuer_id,
        name=body.name,
        signer_address=body.signer_address,
        keystore_path=body.keystore_path,
        body_admin_keystore_path=body.body_admin_keystore_path,
        mint_api_key=body.mint_api_key,
    )
    return _accredited(response, result)


def _issuer_act(
    service: GovernanceDep, issuer_id: int, action: AccreditationAction, body: AccreditationActRequest, r: Response
) -> ChainAct:
    act = service.issuer_act(
        issuer_id,
        action,
        body.reason_code,
        by_governance=body.by_governance,
        body_admin_keystore_path=body.body_admin_keystore_path,
    )
    pending_as_202(r, act)
    return ChainAct.model_validate(act)


WRITE_202: Responses = {
    **WRITE_ERRORS,
    202: {"model": ChainAct, "description": "Proposed through governance; waits for approvals."},
}


@router.post("/{issuer_id}/suspend", summary="Suspend an issuer", responses=WRITE_202)
def suspend_issuer(
    issuer_id: IssuerId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """Stops new anchors from now on (not retroactive). The issuer's API keys are refused while suspended."""
    return _issuer_act(service, issuer_id, AccreditationAction.SUSPEND, body, r)


@router.post("/{issuer_id}/reinstate", summary="Reinstate a suspended issuer", responses=WRITE_202)
def reinstate_issuer(
    issuer_id: IssuerId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """Lifts a suspension (one imposed by governance is lifted through governance)."""
    return _issuer_act(service, issuer_id, AccreditationAction.REINSTATE, body, r)


@router.post("/{issuer_id}/withdraw", summary="Withdraw an issuer's accreditation (final)", responses=WRITE_202)
def withdraw_issuer(
    issuer_id: IssuerId, body: AccreditationActRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """For good; what it anchored before stays valid."""
    return _issuer_act(service, issuer_id, AccreditationAction.WITHDRAW, body, r)


@router.post("/{issuer_id}/keys", summary="Add a signing key to an issuer", responses=WRITE_202)
def add_key(issuer_id: IssuerId, body: AddKeyRequest, _: GovernorDep, service: GovernanceDep, r: Response) -> ChainAct:
    """With ``useForSigning`` this node anchors the issuer's credentials with the new key from now on."""
    act = service.add_key(
        issuer_id,
        body.address,
        valid_from=epoch(body.valid_from),
        valid_until=epoch(body.valid_until),
        keystore_path=body.keystore_path,
        use_for_signing=body.use_for_signing,
        body_admin_keystore_path=body.body_admin_keystore_path,
    )
    pending_as_202(r, act)
    return ChainAct.model_validate(act)


@router.post(
    "/{issuer_id}/keys/rotate",
    summary="Rotate an issuer's signing key",
    responses={**WRITE_ERRORS, 202: {"model": RotationResult, "description": "Waits for approvals."}},
)
def rotate_key(
    issuer_id: IssuerId, body: RotateKeyRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> RotationResult:
    """The old key is retired and the new one valid from ``switchAt``: same issuer identity, anchors by the old key
    before the switch stay valid."""
    act, switched = service.rotate_key(
        issuer_id,
        body.old_key,
        body.new_key,
        switch_at=epoch(body.switch_at),
        keystore_path=body.keystore_path,
        body_admin_keystore_path=body.body_admin_keystore_path,
    )
    pending_as_202(r, act)
    return RotationResult(act=ChainAct.model_validate(act), signer_switched=switched)


@router.post("/{issuer_id}/keys/{address}/cutoff", summary="Cut off a compromised key", responses=WRITE_202)
def cut_off_key(
    issuer_id: IssuerId, address: KeyAddress, body: CutoffRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """Anchors by the key at or after the cut-off become invalid; those before stay valid."""
    act = service.cut_off_key(
        issuer_id, address, cutoff=epoch(body.cutoff), body_admin_keystore_path=body.body_admin_keystore_path
    )
    pending_as_202(r, act)
    return ChainAct.model_validate(act)
