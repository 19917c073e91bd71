"""/v1/shares over HTTP: create, open (public, CORS), status and revoke with the holder token; every other spelling of
the ciphertext refused; 410 once gone; 429 with Retry-After; nothing cached."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from node.api.schemas.shares import b64url_decode, b64url_encode
from node.main import create_app
from node.runtime import Node

CIPHERTEXT = b64url_encode(bytes(range(12)) + b"an encrypted bundle, as a browser made it" + bytes(range(16)))


def _create(client: TestClient, **extra: object) -> dict[str, object]:
    response = client.post("/v1/shares", json={"ciphertext": CIPHERTEXT, "expiresInSeconds": 600, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_create_open_status_revoke(client: TestClient) -> None:
    created = _create(client, maxOpens=5)
    assert set(created) == {"id", "holderToken", "expiresAt", "maxOpens"}
    share = f"/v1/shares/{created['id']}"
    opened = client.get(share)
    assert opened.status_code == 200
    assert opened.json()["ciphertext"] == CIPHERTEXT and opened.json()["opens"] == 1
    assert opened.headers["cache-control"] == "no-store"
    holder = {"X-Holder-Token": str(created["holderToken"])}
    status = client.get(f"{share}/status", headers=holder).json()
    assert (status["state"], status["opens"], status["ciphertextHeld"]) == ("active", 1, True)
    revoked = client.delete(share, headers=holder)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    gone = client.get(share)
    assert gone.status_code == 410
    assert gone.json()["error"] == "ShareGoneError" and "revoked it" in gone.json()["detail"]


def test_the_holder_token_is_required_and_checked(client: TestClient) -> None:
    created = _create(client)
    share = f"/v1/shares/{created['id']}"
    assert client.get(f"{share}/status").status_code == 422  # no token at all
    assert client.delete(share, headers={"X-Holder-Token": "not-it"}).status_code == 403
    assert client.get(share).status_code == 200  # a refused revoke changed nothing


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    assert client.get("/v1/shares/" + "A" * 22).status_code == 404
    answer = client.get("/v1/shares/<img src=x onerror=alert(1)>")
    assert answer.status_code == 404 and "onerror" not in answer.text  # never echoed


@pytest.mark.parametrize(
    "ciphertext",
    [
        CIPHERTEXT + "=",  # padded
        CIPHERTEXT.replace("-", "+").replace("_", "/") + "+/",  # standard alphabet
        " " + CIPHERTEXT,  # whitespace
        CIPHERTEXT[:-3],  # a length no base64 has (4n + 1 characters)
        "A" * 53 + "B",  # the same byte as "A" * 54, spelled with its unused low bits set
        "A" * 39,  # too short to hold an IV and a tag
    ],
)
def test_other_spellings_of_the_ciphertext_are_refused(client: TestClient, ciphertext: str) -> None:
    response = client.post("/v1/shares", json={"ciphertext": ciphertext, "expiresInSeconds": 600})
    assert response.status_code == 422, response.text


def test_unknown_fields_and_out_of_range_values_are_refused(client: TestClient) -> None:
    for body in (
        {"ciphertext": CIPHERTEXT, "expiresInSeconds": 600, "key": "AAAA"},  # a key must never be sent
        {"ciphertext": CIPHERTEXT, "expiresInSeconds": 10},
        {"ciphertext": CIPHERTEXT, "expiresInSeconds": 600, "maxOpens": 0},
        {"ciphertext": CIPHERTEXT},
    ):
        assert client.post("/v1/shares", json=body).status_code == 422, body


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=64))
def test_base64url_is_one_spelling_per_value(data: bytes) -> None:
    text = b64url_encode(data)
    assert b64url_decode(text) == data
    padded = base64.urlsafe_b64encode(data).decode()
    if padded != text:
        with pytest.raises(ValueError, match="unpadded base64url"):
            b64url_decode(padded)
    if text and len(text) % 4 != 0:  # the last character carries unused bits: flip one, same bytes, refused
        last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(text[-1])
        other = text[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last ^ 1]
        try:
            decoded = b64url_decode(other)
        except ValueError:
            pass
        else:
            assert decoded != data


def test_opening_is_public_with_cors_creating_is_not(client: TestClient) -> None:
    created = _create(client)
    origin = {"Origin": "https://hr.example.com"}
    opened = client.get(f"/v1/shares/{created['id']}", headers=origin)
    assert opened.headers.get("access-control-allow-origin") == "*"
    preflight = client.options(
        "/v1/shares",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    made = client.post("/v1/shares", json={"ciphertext": CIPHERTEXT, "expiresInSeconds": 600}, headers=origin)
    assert "access-control-allow-origin" not in made.headers


@pytest.fixture
def limited_client(api_node: Node) -> Iterator[TestClient]:
    settings = api_node.settings.model_copy(update={"share_creates_per_minute": 2})
    app: FastAPI = create_app(settings, node=api_node)
    with TestClient(app) as client:
        yield client


def test_creating_is_rate_limited_with_retry_after(limited_client: TestClient) -> None:
    _create(limited_client)
    _create(limited_client)
    refused = limited_client.post("/v1/shares", json={"ciphertext": CIPHERTEXT, "expiresInSeconds": 600})
    assert refused.status_code == 429
    assert refused.json()["error"] == "TooManyRequestsError"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_the_app_sweeps_expired_ciphertext_nobody_asks_for(api_node: Node) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from node.store.models import ShareRow

    settings = api_node.settings.model_copy(update={"share_sweep_interval_s": 0.1})
    with TestClient(create_app(settings, node=api_node)) as client:
        created = _create(client)
        share_id = str(created["id"])
        store = api_node.store
        with store.engine.begin() as connection:  # the link's time runs out
            expires = store.get_share(share_id).expires_at
            connection.execute(
                update(ShareRow).where(ShareRow.id == share_id).values(expires_at=expires - timedelta(minutes=11))
            )
        deadline = time.monotonic() + 10
        while store.share_row_bytes(share_id)["ciphertext"] is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.share_row_bytes(share_id)["ciphertext"] is None
        assert store.get_share(share_id).purged_at is not None
