"""Request bodies over CREDREG_MAX_REQUEST_BYTES are refused with a 413 in the node's error shape, whether the
client declares the length or streams the body without one, and nothing of them is written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from node.main import create_app
from node.runtime import Node
from tests.api.conftest import IssuerKey

LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def small(api_node: Node) -> Iterator[TestClient]:
    settings = api_node.settings.model_copy(update={"max_request_bytes": LIMIT})
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


def _assert_413(response: object) -> None:
    status = getattr(response, "status_code", None)
    body = response.json()  # type: ignore[attr-defined]
    assert status == 413, body
    assert body["error"] == "PayloadTooLargeError"
    assert "(16 KiB, CREDREG_MAX_REQUEST_BYTES)" in body["detail"]
    assert "split" in body["detail"]


def test_a_declared_oversized_body_is_refused_before_it_is_read(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    body = _bulk(200)
    assert len(body) > LIMIT
    response = small.post(
        "/v1/credentials/bulk", content=body, headers={**issuer.headers, "Content-Type": "application/json"}
    )
    _assert_413(response)
    assert api_node.store.pending_count(issuer.issuer_id) == 0


def test_a_streamed_oversized_body_is_cut_off_and_refused(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    body = _bulk(200)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = small.post(
        "/v1/credentials/bulk", content=chunks(), headers={**issuer.headers, "Content-Type": "application/json"}
    )
    _assert_413(response)
    assert api_node.store.pending_count(issuer.issuer_id) == 0


def test_a_body_within_the_limit_is_served(
    small: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    body = _bulk(20)
    assert len(body) < LIMIT
    response = small.post(
        "/v1/credentials/bulk", content=body, headers={**issuer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    assert api_node.store.pending_count(issuer.issuer_id) == 20
