"""The wire models of lifecycle acts (the responses; the requests are in the route module)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from node.api.schemas.base import ApiSchema
from node.api.schemas.governance import ChainAct
from node.services.lifecycle import LifecycleAction, Scope


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


__all__ = ["LifecycleResult", "Replacement"]
