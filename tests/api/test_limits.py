"""Request bodies over their route's cap are refused with a 413 in the node's error shape before they are read,
whether the client declares the length or streams the body without one, and nothing of them is written.

Caps: POST /v1/verify (CREDREG_MAX_VERIFY_BYTES), POST /v1/verify/batch (CREDREG_MAX_VERIFY_BATCH_BYTES), the bulk
issuance routes (CREDREG_MAX_REQUEST_BYTES, also the ceiling of every cap) and every other route
(CREDREG_MAX_OTHER_REQUEST_BYTES)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from node.api.limits import ROUTE_CAPS, BodySizeLimit
from node.config import Settings
from node.main import create_app
from node.runtime import Node
from tests.api.conftest import IssuerKey, walk_routes

LIMIT = 16 * 1024
VERIFY = 4 * 1024
BATCH = 8 * 1024
OTHER = 2 * 1024
CAPS = {"max_request_bytes": LIMIT, "max_verify_bytes": VERIFY, "max_verify_batch_bytes": BATCH}
PUBLIC = [
    ("/v1/verify", VERIFY, "CREDREG_MAX_VERIFY_BYTES"),
    ("/v1/verify/batch", BATCH, "CREDREG_MAX_VERIFY_BATCH_BYTES"),
]


@pytest.fixture(scope="module")
def small(api_node: Node) -> Iterator[TestClient]:
    settings = api_node.settings.model_copy(update={**CAPS, "max_other_request_bytes": OTHER})
    with TestClient(create_app(settings, node=api_node)) as client:
        yield client


def _bulk(n: int) -> bytes:
    subject = {
        "learner": {"name": "Learner", "identity": {"type": "passport", "number": "P0000001", "country": "ZA"}},
        "qualification": {"id": "SAQA-1", "title": "Diploma", "nqfLevel": 6, "credits": 360},
        "institution": "College",
        "awardDate": "2026-11-20",
    }
    return json.dumps({"credentials": [{"type": "formal-qualification", "credentialSubject": subject}] * n}).encode()


def _padded(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (a bundle-shaped body, padded)."""
    head = b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def _chunks(body: bytes) -> Iterator[bytes]:  # no Content-Length: sent chunked
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


def _assert_413(response: Any, size: str, variable: str) -> None:
    body = response.json()
    assert response.status_code == 413, body
    assert body["error"] == "PayloadTooLargeError"
    assert f"({size}, {variable})" in body["detail"], body["detail"]


def test_a_declared_oversized_bulk_body_is_refused_before_it_is_read(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    body = _bulk(200)
    assert len(body) > LIMIT
    response = small.post(
        "/v1/credentials/bulk", content=body, headers={**issuer.headers, "Content-Type": "application/json"}
    )
    _assert_413(response, "16 KiB", "CREDREG_MAX_REQUEST_BYTES")
    assert "split" in response.json()["detail"]
    assert api_node.store.pending_count(issuer.issuer_id) == 0


def test_a_streamed_oversized_bulk_body_is_cut_off_and_refused(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    response = small.post(
        "/v1/credentials/bulk",
        content=_chunks(_bulk(200)),
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    _assert_413(response, "16 KiB", "CREDREG_MAX_REQUEST_BYTES")
    assert api_node.store.pending_count(issuer.issuer_id) == 0


def test_a_bulk_body_within_the_limit_is_served(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    body = _bulk(20)
    assert OTHER < len(body) < LIMIT  # the bulk route has the bulk cap, not the small one
    response = small.post(
        "/v1/credentials/bulk", content=body, headers={**issuer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    assert api_node.store.pending_count(issuer.issuer_id) == 20


@pytest.mark.parametrize(("path", "cap", "variable"), PUBLIC)
def test_each_public_route_refuses_a_body_over_its_own_cap(
    small: TestClient, path: str, cap: int, variable: str
) -> None:
    size = f"{cap // 1024} KiB"
    for body in (_padded(cap + 1), _padded(cap * 20)):
        _assert_413(small.post(path, content=body, headers={"Content-Type": "application/json"}), size, variable)
        _assert_413(
            small.post(path, content=_chunks(body), headers={"Content-Type": "application/json"}), size, variable
        )
    at_cap = small.post(path, content=_padded(cap), headers={"Content-Type": "application/json"})
    assert at_cap.status_code != 413, at_cap.text  # exactly at the cap: read (and judged)
    assert at_cap.status_code < 500, at_cap.text


def test_a_bundle_at_the_verify_cap_gets_a_verdict(small: TestClient) -> None:
    response = small.post("/v1/verify", content=_padded(VERIFY), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is False


def test_every_other_route_has_the_small_cap_and_refuses_before_authenticating(small: TestClient) -> None:
    body = json.dumps({"type": "formal-qualification", "credentialSubject": {"pad": "x" * OTHER}}).encode()
    response = small.post("/v1/credentials", content=body, headers={"Content-Type": "application/json"})
    _assert_413(response, "2 KiB", "CREDREG_MAX_OTHER_REQUEST_BYTES")  # not a 401: the body was never read
    assert "small JSON body" in response.json()["detail"]


def test_the_node_wide_cap_is_the_ceiling_of_every_route_cap(api_node: Node) -> None:
    settings = api_node.settings.model_copy(update={"max_request_bytes": 2048, "max_verify_bytes": 4096})
    with TestClient(create_app(settings, node=api_node)) as client:
        response = client.post("/v1/verify", content=_padded(3000), headers={"Content-Type": "application/json"})
    _assert_413(response, "2 KiB", "CREDREG_MAX_REQUEST_BYTES")


def test_every_capped_route_exists_and_the_defaults_fit_their_routes() -> None:
    routes = {(method, path) for method, path, _ in walk_routes(list(create_app().routes))}
    assert set(ROUTE_CAPS) <= routes, set(ROUTE_CAPS) - routes
    defaults = Settings()
    assert defaults.max_verify_bytes == 256 * 1024  # a bundle is a few KB (the verifier refuses one over 1 MB)
    assert defaults.max_verify_batch_bytes == 16 * 1024 * 1024  # 1,000 bundles of up to 16 KB
    assert defaults.max_other_request_bytes < defaults.max_verify_batch_bytes < defaults.max_request_bytes


# --- "before it is read": the middleware over a probe app, counting what it pulls from the connection ----------


class Probe:
    """An ASGI app that reads the whole body and answers 200 with its length."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def _drive(path: str, chunks: list[bytes], declared: int | None) -> tuple[bool, int, list[Message]]:
    """Send ``chunks`` to POST ``path`` through BodySizeLimit(Probe); (probe called, bytes pulled, messages sent)."""
    probe = Probe()
    middleware = BodySizeLimit(probe, Settings(**CAPS, max_other_request_bytes=OTHER))
    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    pulled = 0
    pending = list(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        chunk = pending.pop(0) if pending else b""
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    return probe.called, pulled, sent


@pytest.mark.parametrize(("path", "cap", "variable"), PUBLIC)
def test_a_declared_length_over_the_cap_is_refused_without_reading_a_byte(path: str, cap: int, variable: str) -> None:
    body = b"x" * (cap * 50)
    called, pulled, sent = _drive(path, [body], declared=len(body))
    assert not called and pulled == 0
    assert sent[0]["status"] == 413
    assert variable.encode() in sent[1]["body"]


@pytest.mark.parametrize(("path", "cap", "variable"), PUBLIC)
def test_a_chunked_body_is_cut_off_at_the_cap(path: str, cap: int, variable: str) -> None:
    chunk = b"x" * 1000
    called, pulled, sent = _drive(path, [chunk] * (cap * 50 // 1000), declared=None)
    assert called
    assert pulled <= cap + len(chunk)  # the rest of the stream is never pulled
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    assert variable.encode() in sent[-1]["body"]
    called, pulled, sent = _drive(path, [chunk] * (cap // 1000), declared=None)
    assert sent[0]["status"] == 200 and sent[1]["body"] == str(pulled).encode()
