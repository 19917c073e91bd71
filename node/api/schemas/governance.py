"""The wire models of governance and issuers: requests (validated, camelCase, no stray fields) and responses.

The responses are the values the governance service returns today (``node.services.governance.models``), re-exported
here so that routes and clients name one place; turning them into plain service values converted here is the next
step of the wire layer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from eth_utils.address import is_address, to_checksum_address
from pydantic import AfterValidator, ConfigDict, Field

from node.api.schemas.base import ApiRequest, ApiSchema
from node.chain.registry import OPEN_END
from node.credentials.types import known_types
from node.services.governance import (
    DEFAULT_TTL_S,
    AccreditedBody,
    AccreditedIssuer,
    BodyView,
    ChainAct,
    IssuerDetail,
    IssuerView,
    ProposalView,
)

# --- request pieces --------------------------------------------------------------------------------------------------


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


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


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


class RotationResult(ApiSchema):
    """A rotation on chain, and whether this node now signs with the new key."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "act": {"via": "body-admin", "executed": True, "txHash": "0x3b…", "blockNumber": 902},
                "signerSwitched": True,
            }
        },
    )

    act: ChainAct
    signer_switched: bool = Field(description="True when this node anchors with the new key from now on.")


class AccreditBodyRequest(ApiRequest):
    """Accredit an accreditation body (a quality council, a sector authority) for a scope."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "admin": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "credentialTypes": ["formal-qualification", "micro-credential", "recognition-of-prior-learning"],
                "maxLevel": 10,
                "metadataUri": "did:web:quality-council.example",
            }
        }
    )

    admin: Address = Field(description="The account that acts for the body (accredits its issuers).")
    credential_types: list[TypeName] = Field(min_length=1, max_length=64)
    max_level: int = Field(ge=1, le=255)
    metadata_uri: str = Field(min_length=1, max_length=500)
    valid_from: Moment | None = Field(default=None, description="Default: now.")
    valid_until: Moment | None = Field(default=None, description="Default: open-ended.")


class ProposeRequest(ApiRequest):
    """Propose any state-changing call of the registry or of governance itself (e.g. add a governor, change k)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "target": "governance",
                "function": "addGovernor",
                "args": ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"],
            }
        }
    )

    target: str = Field(pattern="^(registry|governance)$", description="'registry' or 'governance'.")
    function: str = Field(min_length=1, max_length=64, pattern="^[A-Za-z][A-Za-z0-9]*$")
    args: list[Any] = Field(default_factory=list, max_length=16, description="Arguments in ABI order (JSON).")
    ttl_seconds: int = Field(default=DEFAULT_TTL_S, ge=60, le=365 * 24 * 3600, description="Until the deadline.")


class ApproveRequest(ApiRequest):
    model_config = ConfigDict(json_schema_extra={"example": {"execute": True}})

    execute: bool = Field(default=True, description="Execute at once when this approval reaches k.")


DEFAULT_APPROVAL = ApproveRequest()


class ProposalList(ApiSchema):
    """Proposals, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"items": [ProposalView.model_json_schema()["example"]]}},
    )

    items: list[ProposalView]


__all__ = [
    "DEFAULT_APPROVAL",
    "AccreditBodyRequest",
    "AccreditIssuerRequest",
    "AccreditationActRequest",
    "AccreditedBody",
    "AccreditedIssuer",
    "AddKeyRequest",
    "Address",
    "ApproveRequest",
    "BodyView",
    "ChainAct",
    "CutoffRequest",
    "IssuerDetail",
    "IssuerView",
    "Moment",
    "ProposalList",
    "ProposalView",
    "ProposeRequest",
    "RegisterIssuerRequest",
    "RotateKeyRequest",
    "RotationResult",
    "TypeName",
    "epoch",
]
