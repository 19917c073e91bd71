"""The wire models of /healthz and /readyz (the service returns frozen values: node/services/health.py)."""

from __future__ import annotations

from pydantic import Field

from node.api.schemas.base import ApiSchema


class Health(ApiSchema):
    status: str = Field(
        description="`ok` when everything the node depends on answered; `degraded` when something is down (listed in "
        "`down`). Either way the node itself is alive: this route answers 200 while the process serves requests.",
        examples=["ok"],
    )
    chain_id: int = Field(description="Chain id the node is deployed on (its deployment manifest).", examples=[472019])
    latest_block: int | None = Field(
        description="The chain's latest block number; null while the chain does not answer.", examples=[1234]
    )
    registry_address: str = Field(
        description="The CredentialRegistry this node serves.", examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"]
    )
    governance_address: str | None = Field(
        description="The RegistryGovernance contract.", examples=["0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"]
    )
    down: list[str] = Field(
        description="What is down, one sentence each (the cause and what to do); empty when `status` is `ok`.",
        examples=[[]],
    )


class ReadinessCheck(ApiSchema):
    name: str = Field(examples=["chain"])
    ok: bool = Field(examples=[True])
    detail: str = Field(examples=["block 1234 on chain 472019"])


class ReadinessWarning(ApiSchema):
    name: str = Field(description="What the warning is about.", examples=["anchoring"])
    kind: str = Field(
        description="Why: `no_funds`, `keystore_passphrase`, `keystore_missing`, `signing_key` (the issuer's "
        "credentials wait until the operator fixes it, then anchoring goes on by itself) or `refused` (batches "
        "failed: fix the cause, then `python -m node.workers.batcher --retry-failed`).",
        examples=["no_funds"],
    )
    issuer_id: int = Field(description="The issuer whose anchoring is stalled.", examples=[1])
    detail: str = Field(
        description="The sentence the batcher logged: the cause and what to do.",
        examples=[
            "issuer 1's signing key cannot pay for its anchors, its credentials wait (batched): account 0x3C44… holds "
            "0 ETH; fund it with at least 0.05 ETH (1000 anchors of about 60000 gas at the current gas price of "
            "0.875 gwei): on this devnet run `credreg keys fund 0x3C44…`, and anchoring goes on by itself."
        ],
    )


class Readiness(ApiSchema):
    ready: bool = Field(
        description="True when every check passed (warnings do not make a node unready).", examples=[True]
    )
    checks: list[ReadinessCheck]
    warnings: list[ReadinessWarning] = Field(
        description="What an operator must fix although the node can serve: an issuer's anchoring stalled (no funds, "
        "no keystore or passphrase, refused batches). Verification and intake go on; alert on "
        "`credreg_anchoring_stalled` in /metrics."
    )


__all__ = ["Health", "Readiness", "ReadinessCheck", "ReadinessWarning"]
