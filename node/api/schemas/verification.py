"""The wire models of verification's requests. The responses are the verification service's own values
(:class:`node.services.verification.Verdict`, :class:`~node.services.verification.BatchVerdicts`,
:class:`~node.services.verification.CredentialStatusReport`): they are the verdict format of docs/spec, serialized
once by the service's models on the hot path.

The verify routes read the raw body (see ``node.api.routes.verify``), so their request bodies are documented here
as OpenAPI ``requestBody`` extras rather than parsed by FastAPI.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from node.api.schemas.base import ApiSchema
from node.api.schemas.examples import EXAMPLE_BUNDLE
from node.services.verification import MAX_BATCH


class BatchRequest(ApiSchema):
    """Bundles to verify together (one chain snapshot for all)."""

    bundles: list[dict[str, Any]] = Field(
        description=f"Up to {MAX_BATCH:,} credential bundles (each whole or with fields hidden), verified in order.",
        json_schema_extra={"maxItems": MAX_BATCH},
        examples=[[EXAMPLE_BUNDLE]],
    )


# The routes read the raw body and hand each bundle's own JSON text to the verifier, which reads it strictly (a
# parsed dict would already have lost a repeated member name); so the request bodies are documented here.
VERIFY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": True,
                    "title": "Bundle",
                    "description": "The credential bundle (the holder's .json file), whole or with fields hidden. "
                    "A file that is not a credential still gets a verdict (not valid, and why).",
                    "examples": [EXAMPLE_BUNDLE],
                },
            }
        },
    }
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": BatchRequest.model_json_schema(),
                "example": {"bundles": [EXAMPLE_BUNDLE]},
            }
        },
    }
}


__all__ = ["BATCH_BODY", "VERIFY_BODY", "BatchRequest"]
