"""Issuers: who they are on chain and on this node, their accreditation and their signing keys (governor/admin keys).

Acts on an issuer are signed by its body's admin key when this node holds it, else proposed through governance
(executed at once with k == 1: 200/201; waiting for other governors otherwise: 202).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from eth_utils.address import is_address, to_checksum_address
from fastapi import APIRouter, Path, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.api.deps import GovernanceDep, GovernorDep, PrincipalDep
from node.api.errors import ErrorBody
from node.api.jsonbody import StrictJsonRoute
from node.chain.registry import OPEN_END
from node.credentials.types import known_types
from node.services.governance import (
    AccreditationAction,
    AccreditedIssuer,
    ChainAct,
    IssuerDetail,
    IssuerView,
)

router = APIRouter(prefix="/v1/issuers", tags=["issuers"], route_class=StrictJsonRoute)

# --- shared request pieces (also used by node/api/routes/governance.py) --------------------------------------------


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError("not an Ethereum address (0x + 40 hex digits)")
    return str(to_checksum_address(value))


def _moment(value: datetime) -> datetime:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not 0 <= value.timestamp() < OPEN_END:
        raise ValueError("out of range (1970 .. year 36812)")
    return value


def _type_name(value: str) -> str:
    names = {t.name for t in known_types()}
    if value in names or (value.startswith("0x") and len(value) == 66 and _is_hex(value[2:])):
        return value
    raise ValueError(f"unknown credential type; use one of {', '.join(sorted(names))} or a 0x bytes32 id")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


Address = Annotated[str, AfterValidator(_address)]
Moment = Annotated[datetime, AfterValidator(_moment)]
TypeName = Annotated[str, AfterValidator(_type_name)]
IssuerId = Annotated[int, Path(ge=1, le=2**32 - 1, description="The issuer's on-chain id.")]
KeyAddress = Annotated[str, Path(pattern="^0x[0-9a-fA-F]{40}$", description="The signing key's address.")]


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


class ApiRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or an unknown / revoked one."},
    403: {"model": ErrorBody, "description": "Not a governor or admin key, or the contract refused the acting key."},
    422: {"model": ErrorBody, "description": "The request breaks a rule (the detail names the field and the rule)."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    404: {"model": ErrorBody, "description": "No such body, issuer, key or proposal."},
    409: {
        "model": ErrorBody,
        "description": "Not allowed from the current status (the detail says why and what next).",
    },
    502: {"model": ErrorBody, "description": "The chain refused the transaction."},
    503: {
        "model": ErrorBody,
        "description": "The chain is unreachable (retry later), or the node holds no key it needs: no keystore "
        "passphrase configured (KeystorePassphraseMissingError: set CREDREG_KEYSTORE_PASSPHRASE or _FILE), no "
        "governor key or no keystore for the signer (SignerUnavailableError). The detail says which.",
    },
}


def pending_as_202(response: Response, act: ChainAct, done: int = status.HTTP_200_OK) -> None:
    response.status_code = done if act.executed else status.HTTP_202_ACCEPTED


# --- requests ------------------------------------------------------------------------------------------------------


class AccreditIssuerRequest(ApiRequest):
    """Accredit an issuer under a body, give it its signing key, and register it on this node."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "bodyId": 1,
                "name": "Cape Peninsula TVET College",
                "metadataUri": "did:web:cptvet.example",
                "signerAddress": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                "keystorePath": "/var/lib/credreg/keys/cptvet.json",
                "credentialTypes": ["formal-qualification", "micro-credential"],
                "maxLevel": 6,
                "mintApiKey": True,
            }
        }
    )

    body_id: int = Field(ge=1, le=2**32 - 1, description="The accreditation body it is accredited under.")
    name: str = Field(min_length=1, max_length=200, description="Display name (kept on this node only).")
    metadata_uri: str = Field(min_length=1, max_length=500, description="A DID or https profile (on chain).")
    signer_address: Address = Field(description="The key this node anchors the issuer's credentials with.")
    keystore_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Encrypted keystore of the signing key (unneeded on the devnet).",
    )
    credential_types: list[TypeName] = Field(min_length=1, max_length=64, description="Types it may issue.")
    max_level: int = Field(ge=1, le=255, description="Highest level (e.g. NQF) it may issue.")
    valid_from: Moment | None = Field(default=None, description="Start of the accreditation (default: now).")
    valid_until: Moment | None = Field(default=None, description="End (default: open-ended).")
    body_admin_keystore_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="The body admin's keystore, if this node should act as the body.",
    )
    mint_api_key: bool = Field(default=True, description="Mint the issuer's first API key (shown once).")


class RegisterIssuerRequest(ApiRequest):
    """Register an issuer already accredited on chain (e.g. after a k-of-n proposal executed) on this node."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "issuerId": 3,
                "name": "Cape Peninsula TVET College",
                "signerAddress": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                "mintApiKey": True,
            }
        }
    )

    issuer_id: int = Field(ge=1, le=2**32 - 1)
    name: str = Field(min_length=1, max_length=200)
    signer_address: Address
    keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    mint_api_key: bool = True


class AccreditationActRequest(ApiRequest):
    """Suspend, reinstate or withdraw, with a reason code recorded on chain."""

    model_config = ConfigDict(json_schema_extra={"example": {"reasonCode": 5, "byGovernance": False}})

    reason_code: int = Field(ge=0, le=65535, description="Recorded on chain (e.g. 1 audit failure, 5 admin hold).")
    by_governance: bool = Field(
        default=False,
        description="Act through governance even when this node holds the body admin key (a governance hold can "
        "then be lifted by governance only).",
    )
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class AddKeyRequest(ApiRequest):
    """Add a signing key to an issuer."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "address": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
                "keystorePath": "/var/lib/credreg/keys/cptvet-2027.json",
                "useForSigning": True,
            }
        }
    )

    address: Address
    valid_from: Moment | None = Field(default=None, description="Default: now.")
    valid_until: Moment | None = Field(default=None, description="Default: open-ended.")
    keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)
    use_for_signing: bool = Field(default=False, description="This node anchors the issuer's credentials with it.")
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class RotateKeyRequest(ApiRequest):
    """Rotate: retire the old key and add the new one, both at ``switchAt`` (default now)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "oldKey": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                "newKey": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
                "keystorePath": "/var/lib/credreg/keys/cptvet-2027.json",
            }
        }
    )

    old_key: Address
    new_key: Address
    switch_at: Moment | None = Field(default=None, description="When the new key takes over (default: now).")
    keystore_path: str | None = Field(
        default=None, min_length=1, max_length=1000, description="The new key's keystore."
    )
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class CutoffRequest(ApiRequest):
    """Declare a key compromised from a time on: its anchors at or after it become invalid (retroactive)."""

    model_config = ConfigDict(json_schema_extra={"example": {"cutoff": "2026-11-20T08:00:00Z"}})

    cutoff: Moment | None = Field(default=None, description="From when (default: now). Only ever moves earlier.")
    body_admin_keystore_path: str | None = Field(default=None, min_length=1, max_length=1000)


class RotationResult(BaseModel):
    """A rotation on chain, and whether this node now signs with the new key."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        json_schema_extra={
            "example": {
                "act": {"via": "body-admin", "executed": True, "txHash": "0x3b…", "blockNumber": 902},
                "signerSwitched": True,
            }
        },
    )

    act: ChainAct
    signer_switched: bool = Field(description="True when this node anchors with the new key from now on.")


# --- routes --------------------------------------------------------------------------------------------------------


@router.get("", summary="List the issuers registered on this node", responses=AUTH_ERRORS)
def list_issuers(_: PrincipalDep, service: GovernanceDep) -> list[IssuerView]:
    """Every issuer this node has registered, with its on-chain accreditation status."""
    return service.issuers()


@router.get(
    "/{issuer_id}",
    summary="An issuer: accreditation, scope, keys and path",
    responses={**AUTH_ERRORS, 404: {"model": ErrorBody, "description": "No such issuer on chain."}},
)
def show_issuer(issuer_id: IssuerId, _: PrincipalDep, service: GovernanceDep) -> IssuerDetail:
    """Identity, status, credential types, max level, window, signing keys (windows, cut-offs) and the
    accreditation path governance → body → issuer."""
    return service.issuer(issuer_id)


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
    if not result.registered:
        response.status_code = status.HTTP_202_ACCEPTED
    return result


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
    if not result.registered:
        response.status_code = status.HTTP_202_ACCEPTED
    return result


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
    return act


WRITE_202: dict[int | str, dict[str, Any]] = {
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
    return act


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
    return RotationResult(act=act, signer_switched=switched)


@router.post("/{issuer_id}/keys/{address}/cutoff", summary="Cut off a compromised key", responses=WRITE_202)
def cut_off_key(
    issuer_id: IssuerId, address: KeyAddress, body: CutoffRequest, _: GovernorDep, service: GovernanceDep, r: Response
) -> ChainAct:
    """Anchors by the key at or after the cut-off become invalid; those before stay valid."""
    act = service.cut_off_key(
        issuer_id, address, cutoff=epoch(body.cutoff), body_admin_keystore_path=body.body_admin_keystore_path
    )
    pending_as_202(r, act)
    return act
