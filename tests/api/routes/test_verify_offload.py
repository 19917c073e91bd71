"""POST /v1/verify and /v1/verify/batch hand the verifier the bytes the client sent (each bundle's own JSON text),
on the event loop for a small body and in a worker thread for a large one, at most LARGE_AT_ONCE large ones at a
time, so other routes (``/healthz``) answer while a large body is being verified."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.api.jsonbody import INLINE_PARSE_BYTES
from node.api.routes.verify import LARGE_AT_ONCE
from node.api.schemas.examples import EXAMPLE_BUNDLE
from node.main import create_app
from node.readmodel.chainview import RpcChainView
from node.runtime import Node
from node.services.verification import BatchVerdicts, VerificationService

SMALL = json.dumps(EXAMPLE_BUNDLE).encode()
LARGE = json.dumps({**EXAMPLE_BUNDLE, "pad": "x" * (4 * INLINE_PARSE_BYTES)}).encode()


class Recorder:
    """Stands in for VerificationService.verify / verify_many: records what it got, where, and how many at once."""

    def __init__(self, hold_s: float = 0.0) -> None:
        self.hold_s = hold_s
        self.seen: list[tuple[Any, str]] = []
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.real_verify = VerificationService.verify
        self.real_many = VerificationService.verify_many

    def _enter(self, got: Any) -> None:
        with self.lock:
            self.seen.append((got, threading.current_thread().name))
            self.running += 1
            self.most = max(self.most, self.running)

    def _leave(self) -> None:
        time.sleep(self.hold_s)
        with self.lock:
            self.running -= 1

    def verify(self, service: VerificationService, bundle: Any) -> Any:
        self._enter(bundle)
        try:
            return self.real_verify(service, bundle)
        finally:
            self._leave()

    def verify_many(self, service: VerificationService, bundles: Sequence[Any]) -> BatchVerdicts:
        self._enter(list(bundles))
        try:
            return self.real_many(service, bundles)
        finally:
            self._leave()


@pytest.fixture(scope="module")
def served(api_node: Node) -> FastAPI:
    app = create_app(api_node.settings, node=api_node)
    app.state.node = api_node  # no lifespan under the ASGI transport: the node is already open
    return app


def _install(monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> None:
    monkeypatch.setattr(VerificationService, "verify", lambda s, b: recorder.verify(s, b))
    monkeypatch.setattr(VerificationService, "verify_many", lambda s, b: recorder.verify_many(s, b))


def _post_all(app: FastAPI, requests: list[tuple[str, bytes]], also_get: str | None = None) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            headers = {"Content-Type": "application/json"}
            calls = [client.post(path, content=body, headers=headers) for path, body in requests]
            if also_get is not None:
                calls.append(_later(client, also_get))
            return list(await asyncio.gather(*calls))

    return asyncio.run(go())


async def _later(client: httpx.AsyncClient, path: str) -> httpx.Response:
    await asyncio.sleep(0.05)  # once the large bodies are being verified
    started = time.perf_counter()
    response = await client.get(path)
    response.extensions["elapsed_s"] = time.perf_counter() - started
    return response


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    _install(monkeypatch, rec)
    return rec


class InMemory:
    """The RPC view, presented as an in-memory mirror (``needs_io`` False): what the indexer's mirror looks like."""

    in_memory = True

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_the_verifier_gets_the_bytes_sent_on_the_loop_when_small_in_a_thread_when_large(
    served: FastAPI, api_node: Node, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_node.workers, "mirror", InMemory(RpcChainView(api_node.registry)))
    body = b'{"@context": ["https://www.w3.org/ns/credentials/v2"],\n  "x": 1, "x": 2}'  # as sent, repeat and all
    responses = _post_all(served, [("/v1/verify", body)])
    assert responses[0].status_code == 200, responses[0].text
    responses = _post_all(served, [("/v1/verify", LARGE)])
    assert responses[0].status_code == 200, responses[0].text
    (small_got, small_thread), (large_got, large_thread) = recorder.seen
    assert small_got == body and isinstance(small_got, bytes)
    assert large_got == LARGE
    assert small_thread == "MainThread" and large_thread != "MainThread"


def test_the_batch_hands_over_each_bundles_own_text(served: FastAPI, recorder: Recorder) -> None:
    first, second = '{"a": 1, "a": 2}', '{ "b" : [1,2] }'
    responses = _post_all(served, [("/v1/verify/batch", f'{{"bundles": [{first},{second}]}}'.encode())])
    assert responses[0].status_code == 200, responses[0].text
    assert recorder.seen[0][0] == [first, second]
    assert [v["valid"] for v in responses[0].json()["verdicts"]] == [False, False]


def test_large_bodies_are_verified_at_most_two_at_a_time_and_other_routes_answer_meanwhile(
    served: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = Recorder(hold_s=0.3)
    _install(monkeypatch, rec)
    started = time.perf_counter()
    *verdicts, health = _post_all(served, [("/v1/verify", LARGE)] * 6, also_get="/healthz")
    took = time.perf_counter() - started
    assert all(r.status_code == 200 for r in verdicts), [r.text for r in verdicts]
    assert rec.most == LARGE_AT_ONCE == 2
    assert took >= 3 * rec.hold_s  # six of them, two at a time
    assert health.status_code == 200, health.text
    assert health.extensions["elapsed_s"] < rec.hold_s, "the event loop waited for a verification"


def test_the_api_lends_the_interpreter_lock_back_to_the_event_loop_sooner(api_node: Node) -> None:
    before = sys.getswitchinterval()
    settings = api_node.settings.model_copy(update={"gil_switch_interval_ms": 2.0})
    with TestClient(create_app(settings, node=api_node)):
        assert sys.getswitchinterval() == pytest.approx(0.002)
    assert sys.getswitchinterval() == before
