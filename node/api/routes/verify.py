"""The verification API: POST /v1/verify, POST /v1/verify/batch, GET /v1/status/{credentialHash}.

No authentication: verifiers are the public, so the bodies are capped per route (node/api/limits.py) and a large one is
read in a worker thread. Each bundle reaches the verifier as the JSON text the client sent, to be read strictly there.
Every route calls a service (node/services/verification/); the chain is read through the indexer's mirror when the
node runs one (node.workers.mirror), else over JSON-RPC.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from node.api.deps import StatusDep, VerificationDep
from node.api.errors import ErrorBody
from node.api.jsonbody import INLINE_PARSE_BYTES, StrictJsonRoute, batch_items, body_refusal, object_text
from node.services.verification import (
    MAX_BATCH,
    BatchVerdicts,
    CredentialStatusReport,
    Verdict,
    VerificationService,
)

router = APIRouter(prefix="/v1", tags=["verification"], route_class=StrictJsonRoute)

EXAMPLE_BUNDLE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/credreg/contexts/v1"],
    "type": ["VerifiableCredential", "MicroCredential"],
    "id": "urn:uuid:3f2b8c1e-5d4a-4e7b-9c61-0a1b2c3d4e5f",
    "issuer": {"id": "did:web:demo-university.credreg.test"},
    "validFrom": "2026-11-22T08:00:00Z",
    "credentialSubject": {
        "learner": {"name": "Jan de Wet"},
        "title": "Solar PV installation basics",
        "provider": "Example Skills Academy",
        "hours": 40,
        "competencies": ["Size a small PV system"],
        "awardDate": "2025-09-30",
    },
    "credentialSchema": {"id": "https://w3id.org/credreg/schemas/micro-credential/v1", "type": "JsonSchema"},
    "proof": {
        "type": "CredregMerkleAnchor2026",
        "hashAlgorithm": "credreg-salted-fields-keccak256-jcs-v1",
        "credentialHash": "0xf95e6dd722044a2fc7b9d3d85bd2d962fa623ee27fd67114ccb12bb328c047ea",
        "fieldHashes": {
            "/@context": "0xd650e751211a160ccc1370704b53580c5abcadc995aa8d8078aa906a2f8e9dad",
            "/credentialSchema/id": "0x2afc5f14ec4f6800f34790ceea2ffc9ebf715ecbe1d0ea4ba8acb46043b3e2f5",
            "/credentialSchema/type": "0xdcf919d04d79dbee02f3583bb7c4efacadfde48e9a4396ada0421b43b4497932",
            "/credentialSubject/awardDate": "0xa654ea6c77eb01d410577f19eebb7dc17765cbb646823d4c30f9f16518d4d3ac",
            "/credentialSubject/competencies": "0x84cb03d005e325002a14761d748431c5574bfe32351ad2d165cfad1bc85c9c4f",
            "/credentialSubject/hours": "0x885be5c6a1af681e9ea032748c45742e00e7be0fffa6646e8acf027a40ed676a",
            "/credentialSubject/learner/identity/country": "0x4c423c3c893d574648518ee080f55cf8f375033a464a839881d35b33eae4ca64",  # noqa: E501
            "/credentialSubject/learner/identity/number": "0x7467db39ee6cf374ace2e1ea6270267626f19c122c0610f8717b61a053df87b6",  # noqa: E501
            "/credentialSubject/learner/identity/type": "0xde5e5276ea186b41a40ef336914f1a01ede376ebb490683204c315c79ce15577",  # noqa: E501
            "/credentialSubject/learner/name": "0x317e77164727ca1fe1564233276a7dc782b22add05113c20c58cd80adce0b1ef",
            "/credentialSubject/provider": "0x1ab7e4f4b7099079cd40cc55e8b3c3ad2977e548e9a33fd76f3f8bfed23f446c",
            "/credentialSubject/title": "0xb1a83f560c160f26d4d9c1aca057b35a84d3697e5fde017aeeeb1ce7a933b334",
            "/id": "0xca8432bdcb9c21c305fa56c30005f21f60b5be137da91e46c7f830e5d95f0d67",
            "/issuer/id": "0x0f4bc9ed21cda5a521c52d5e69f81a9fa7aaa4704efa3daacab75be64b5c453f",
            "/type": "0xd1b5f73f96c240d530812a62f29e3bcae185fcb3104e9834632df24e4b530ada",
            "/validFrom": "0xb26cdb711790fde072bb8a911090d30eb4efb254cfacd49cdc66f55bfc749ab9",
        },
        "salts": {
            "/@context": "0x24a68701d8b98a7c00402b4fa3f7cbe1d7ac21ba7b4a5127fcc47339893d713b",
            "/credentialSchema/id": "0xc3f729234bd598ffaf8840084e4ee14b9d3e8d4f0adbbb55b79b968452ac9be2",
            "/credentialSchema/type": "0x4af99426aac515671862f7668bc7e57e5e4ee0bace36bf4a1ef82f24738f4943",
            "/credentialSubject/awardDate": "0xefc61d2311fee868f4d9873c334a13e47982a88622382697c8b37f2d7bd1d595",
            "/credentialSubject/competencies": "0x7dd6490a748909077e55722802e145c37375bae02198ef89efd6f88b8b632216",
            "/credentialSubject/hours": "0x3d5fb27249dcbc1f162ef5235f34b49efb0651f89d6d5d43620a0f01a018b2af",
            "/credentialSubject/learner/name": "0xaf85340906a473d8153e520e11b34551ce9a1332f69544f11bcbb8c91270c703",
            "/credentialSubject/provider": "0x9c635f9dd6a99b742535998efe232398bf8422f986f152dfc32e3014595f8d66",
            "/credentialSubject/title": "0x85558e57ec6c8b5072000a974bf3ebb248cf0f34fb62e66ea5b66c47ed640d82",
            "/id": "0xdf9350c3cce394cfc39007675d46e62d95714360ba2fb3c743e6171322a79401",
            "/issuer/id": "0x724b6244b9ff981de564ef0b7ac447b3c97e40c86bd02253f953de014173e9fc",
            "/type": "0xbbd9c9fd8d2dcf79d3971796772a1728462c2ca488de1747d8c82314db308b8e",
            "/validFrom": "0xa2b13091804c4483e9a90c5f20dac800436ce1d665538a706dc39ab882be5458",
        },
        "anchor": {
            "merkleRoot": "0xd6ca9ec1049da66ea158f8f5227a98042c96cdac4e773303f02600d7f5199fba",
            "merkleProof": ["0xc3873e8853d0caa210e0cff5d127ee04681f7a3954b64a7e1d5bc3b3310ec720"],
            "chainId": 472019,
            "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "transactionHash": "0x6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a",
            "blockNumber": 1200,
        },
    },
}
"""A micro-credential bundle with the learner's identity hidden (its anchor is an example, not on any chain)."""

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The chain cannot be read right now; try again shortly."}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "model": ErrorBody,
        "description": "The body is over the route's cap (CREDREG_MAX_VERIFY_BYTES, CREDREG_MAX_VERIFY_BATCH_BYTES); "
        "refused before it is read.",
    }
}


class BatchRequest(BaseModel):
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
        422: {"model": ErrorBody, "description": "The body is not a JSON object (or nests too deeply)."},
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
        422: {
            "model": ErrorBody,
            "description": f"More than {MAX_BATCH:,} bundles (split them), or not an object with a `bundles` array.",
        },
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
        404: {"model": ErrorBody, "description": "This node issued no credential with that hash: verify its bundle."},
        409: {"model": ErrorBody, "description": "Issued, but not anchored yet: ask again shortly."},
        422: {"model": ErrorBody, "description": "Not a credential hash (0x and 64 hex digits)."},
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
