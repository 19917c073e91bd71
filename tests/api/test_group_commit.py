"""Single posts at once over the API share transactions (group commit): each 202 names a distinct credential that is
in the outbox when it arrives, a clientRef still gives one credential, a refused item is refused alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event

from node.runtime import Node
from node.store import NewCredential, Store
from node.store.engine import WRITE_OPTION
from tests.api.conftest import IssuerKey
from tests.api.routes.test_credentials import one

NODE_BACKENDS = ("sqlite", "postgresql")  # this module's node runs once per database (tests/conftest.py)

N = 16


def posting_together(client: TestClient, n: int, body: Callable[[int], dict[str, Any]], headers: Any) -> list[Any]:
    start = threading.Barrier(n)

    def post(i: int) -> Any:
        start.wait()
        return client.post("/v1/credentials", json=body(i), headers=headers)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(post, range(n)))


def slow_commits(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Group commits take 50 ms more (posts arriving meanwhile queue); returns the list of their sizes."""
    original = store.add_credential_groups
    sizes: list[int] = []

    def slow(groups: Sequence[tuple[int, Sequence[NewCredential]]]) -> list[list[str]]:
        time.sleep(0.05)
        written = original(groups)
        sizes.append(len(groups))
        return written

    monkeypatch.setattr(store, "add_credential_groups", slow)
    return sizes


def test_concurrent_single_posts_share_transactions_and_each_is_durable(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = make_issuer()
    sizes = slow_commits(api_node.store, monkeypatch)
    commits: list[int] = []

    def listener(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):  # a write transaction (reads commit too)
            commits.append(1)

    event.listen(api_node.store.engine, "commit", listener)
    try:
        responses = posting_together(client, N, one, issuer.headers)
    finally:
        event.remove(api_node.store.engine, "commit", listener)
    assert [r.status_code for r in responses] == [202] * N, [r.text for r in responses]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == N
    assert sum(sizes) == N and len(sizes) < N  # every post in a group, fewer groups than posts
    assert 1 <= len(commits) < N  # the store's write transactions, counted on its engine
    reopened = Store(api_node.store.url)
    try:
        for i, credential_id in enumerate(ids):
            stored = reopened.get_credential(credential_id, issuer.issuer_id)
            assert stored.credential_hash == responses[i].json()["credentialHash"]
    finally:
        reopened.close()


def test_a_client_ref_posted_many_times_at_once_gives_one_credential(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = make_issuer()
    slow_commits(api_node.store, monkeypatch)
    responses = posting_together(client, N, lambda i: one(i, clientRef="grad-2026/1"), issuer.headers)
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == 1


def test_a_bad_post_among_concurrent_ones_is_refused_alone(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = make_issuer()
    slow_commits(api_node.store, monkeypatch)
    bad = N // 2

    def body(i: int) -> dict[str, Any]:
        return one(i, validUntil="2001-01-01T00:00:00Z") if i == bad else one(i)

    responses = posting_together(client, N, body, issuer.headers)
    assert responses[bad].status_code == 422
    assert [r.status_code for i, r in enumerate(responses) if i != bad] == [202] * (N - 1)
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == N - 1
