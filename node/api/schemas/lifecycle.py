"""The wire models of lifecycle acts: the requests (a reason code, a note, a replacement) and the result."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from node.api.schemas.base import ApiRequest, ApiSchema
from node.api.schemas.governance import ChainAct
from node.services.lifecycle import LifecycleAction, ReasonCode, Scope, reason_table


class Replacement(ApiSchema):
    root: str
    credential_hash: str | None = Field(description="null when a whole batch replaces a whole batch.")
    credential_id: str | None = None
    batch_id: int


class LifecycleResult(ApiSchema):
    """What a lifecycle act did: the on-chain change (or the pending proposal) and the status now."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "scope": "credential",
                "action": "revoke",
                "credentialId": "0b6f3d0e-6f7c-4c55-9d5e-2f1f3c1a9e21",
                "batchId": 12,
                "root": "0x9f2c…",
                "credentialHash": "0x51ab…",
                "reasonCode": 2,
                "reason": "fraud or misrepresentation",
                "note": "Committee decision 2026-11-20",
                "status": "revoked",
                "replacement": None,
                "act": {
                    "via": "issuer-key",
                    "executed": True,
                    "txHash": "0x7d1e…",
                    "blockNumber": 4821,
                    "proposal": None,
                },
            }
        }
    )

    scope: Scope
    action: LifecycleAction
    credential_id: str | None = Field(description="null for a batch-level act.")
    batch_id: int
    root: str = Field(description="The Merkle root the act applies to.")
    credential_hash: str | None = Field(description="The credential's hash (null for a batch-level act).")
    reason_code: int
    reason: str = Field(description="The reason code's meaning.")
    note: str | None = Field(description="Your note, kept off chain (echoed here only).")
    status: str = Field(description="The effective on-chain status now: active, suspended, superseded, revoked.")
    replacement: Replacement | None = None
    act: ChainAct


# --- requests ------------------------------------------------------------------------------------------------------


class LifecycleRequest(ApiRequest):
    """Revoke, suspend or reinstate: why (a reason code) and an optional note kept off chain."""

    model_config = ConfigDict(json_schema_extra={"example": {"reasonCode": 2, "note": "Committee decision 2026-11-20"}})

    reason_code: ReasonCode = Field(description=f"Why, as a code recorded on chain: {reason_table()}.")
    note: str | None = Field(
        default=None, max_length=2000, description="Free text for your records: never sent to the chain."
    )


class SupersedeRequest(LifecycleRequest):
    """Supersede a credential by another anchored credential of the same issuer (e.g. a corrected one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"reasonCode": 3, "replacementId": "7c0d9a4e-2b1f-4e39-9d8c-0b0c2b9e7f11", "note": "name fixed"}
        }
    )

    replacement_id: str = Field(min_length=1, max_length=100, description="The replacing credential's id.")


class BatchSupersedeRequest(LifecycleRequest):
    """Supersede a whole batch by another anchored batch of the same issuer."""

    model_config = ConfigDict(json_schema_extra={"example": {"reasonCode": 9, "replacementBatchId": 42}})

    replacement_batch_id: int = Field(ge=1, le=2**62, description="The replacing batch's id.")


__all__ = ["BatchSupersedeRequest", "LifecycleRequest", "LifecycleResult", "Replacement", "SupersedeRequest"]
