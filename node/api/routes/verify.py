"""The verification API: POST /v1/verify, POST /v1/verify/batch, GET /v1/status/{credentialHash}.

No authentication: verifiers are the public, so the bodies are capped per route (node/api/limits.py) and a large one is
read in a worker thread. Each bundle reaches the verifier as the JSON text the client sent, to be read strictly there.
Every route calls a service (node/services/verification/); the chain is read through the indexer's mirror when the
node runs one (node.workers.mirror), else over JSON-RPC.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from node.api.deps import StatusDep, VerificationDep
from node.api.jsonbody import INLINE_PARSE_BYTES, StrictJsonRoute, batch_items, body_refusal, object_text
from node.api.responses import Responses, documented
from node.api.schemas.verification import BATCH_BODY, VERIFY_BODY
from node.services.verification import (
    MAX_BATCH,
    BatchVerdicts,
    CredentialStatusReport,
    Verdict,
    VerificationService,
)

router = APIRouter(prefix="/v1", tags=["verification"], route_class=StrictJsonRoute)

UNAVAILABLE: Responses = {503: documented("The chain cannot be read right now; try again shortly.")}
TOO_LARGE: Responses = {
    413: documented(
        "The body is over the route's cap (CREDREG_MAX_VERIFY_BYTES, CREDREG_MAX_VERIFY_BATCH_BYTES); "
        "refused before it is read."
    )
}


TOO_MANY = f"more than {MAX_BATCH:,} bundles in one batch; at most {MAX_BATCH:,} are verified at once. " + (
    "Split them into several batches."
)


def _verdict(service: VerificationService, body: bytes) -> str:
    """The verdict's JSON, serialized once by the model itself (FastAPI would validate the returned model again)."""
    try:
        object_text(body)
    except json.JSONDecodeError as exc:
        raise body_refusal(exc) from None
    return service.verify(body).model_dump_json(by_alias=True)


def _verdicts(service: VerificationService, body: bytes) -> str:
    try:
        bundles = batch_items(body, "bundles", MAX_BATCH, TOO_MANY)
    except json.JSONDecodeError as exc:
        raise body_refusal(exc) from None
    return service.verify_many(bundles).model_dump_json(by_alias=True)


LARGE_AT_ONCE = 2
"""At most this many large bodies are read and verified at once (CPU-bound, one interpreter lock): many clients sending
maximal bodies queue for these threads instead of crowding out the small requests."""


def _large_bodies(request: Request) -> anyio.CapacityLimiter:
    """The app's limiter for large verify bodies (one per app: it belongs to the app's event loop)."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "large_verify_bodies", None)
    if limiter is None:
        limiter = request.app.state.large_verify_bodies = anyio.CapacityLimiter(LARGE_AT_ONCE)
    return limiter


Work = Callable[[VerificationService, bytes], str]


async def _answer(request: Request, work: Work, service: VerificationService) -> str:
    """``work`` on the event loop for a small body the mirror answers (a fraction of a millisecond, cheaper than a
    thread hop); in a worker thread when the body is more than a few KB or answering reads the chain (RPC)."""
    body = await request.body()
    if len(body) > INLINE_PARSE_BYTES:
        return await anyio.to_thread.run_sync(work, service, body, limiter=_large_bodies(request))
    if service.needs_io:
        return await run_in_threadpool(work, service, body)
    return work(service, body)


@router.post(
    "/verify",
    response_model=Verdict,
    summary="Verify a credential bundle",
    response_description="The verdict: valid or not, with every check and the chain block it is based on.",
    responses={
        **UNAVAILABLE,
        **TOO_LARGE,
        422: documented("The body is not a JSON object (or nests too deeply)."),
    },
    openapi_extra=VERIFY_BODY,
)
async def verify(request: Request, service: VerificationDep) -> Response:
    """Check a credential the way an employer needs: is it intact, anchored on this registry by an accredited
    issuer with a valid key, not revoked, suspended, superseded or expired, and does it meet its type's rules.
    Every check is listed with a sentence saying what it found; `asOfBlock` says how fresh the chain state is."""
    return Response(await _answer(request, _verdict, service), media_type="application/json")


@router.post(
    "/verify/batch",
    response_model=BatchVerdicts,
    summary="Verify up to 1,000 bundles at once",
    response_description="One verdict per bundle, in the order given, all as of one block.",
    responses={
        **UNAVAILABLE,
        **TOO_LARGE,
        422: documented(f"More than {MAX_BATCH:,} bundles (split them), or not an object with a `bundles` array."),
    },
    openapi_extra=BATCH_BODY,
)
async def verify_batch(request: Request, service: VerificationDep) -> Response:
    """Verdicts for many bundles (e.g. a graduating class checked by an employer); a bad bundle gets its own
    not-valid verdict and does not stop the others."""
    return Response(await _answer(request, _verdicts, service), media_type="application/json")


@router.get(
    "/status/{credentialHash}",
    summary="Quick status of a credential issued through this node",
    response_description="Its lifecycle status as of the chain block given.",
    responses={
        **UNAVAILABLE,
        404: documented("This node issued no credential with that hash: verify its bundle."),
        409: documented("Issued, but not anchored yet: ask again shortly."),
        422: documented("Not a credential hash (0x and 64 hex digits)."),
    },
)
def credential_status(
    credential_hash: Annotated[
        str,
        Path(
            alias="credentialHash",
            description="The credential hash (the bundle's proof.credentialHash): 0x and 64 hex digits.",
            examples=["0x267f5a21986e6cc6252aef7b60f15082e63d60e5763f19fadf297bc0cd7b047a"],
        ),
    ],
    service: StatusDep,
) -> CredentialStatusReport:
    """Revoked, suspended, superseded or active, by hash alone, for credentials this node issued (it knows their
    Merkle root and proof). For any other credential, POST its bundle to /v1/verify."""
    return service.status(credential_hash)
