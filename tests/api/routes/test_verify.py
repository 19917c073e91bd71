"""The verification API over a running app (TestClient, lifespan with batcher and indexer) on anvil.

POST /v1/verify and /v1/verify/batch answer from the indexer's mirror (node.workers.mirror); GET /v1/status
finds the credential in the node's own store. The RPC fallback is exercised when no mirror is attached.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from node.api.deps import verification_view
from node.main import create_app
from node.readmodel.chainview import RpcChainView
from tests.services.test_verification import SUBJECTS, World, open_world

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    settings = {"batch_max_wait_ms": 50, "indexer_poll_interval_s": 0.05}
    with open_world(tmp_path_factory.mktemp("api-verify"), **settings) as world:
        app = create_app(world.node.settings, node=world.node)
        with TestClient(app) as client:
            yield world, client


def wait_until(what: str, ready: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def seen(world: World, bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wait until the verify endpoint's chain view has seen the bundles' anchor block; return them."""
    block = max(b["proof"]["anchor"]["blockNumber"] for b in bundles)
    view = verification_view(world.node)
    wait_until(f"the mirror to reach block {block}", lambda: view.as_of().number >= block)
    return bundles


def test_verify_a_bundle_whole_and_tampered(served: tuple[World, TestClient]) -> None:
    world, client = served
    assert world.node.workers.mirror is not None, "the app's indexer attached its mirror"
    [bundle] = seen(world, world.issue())
    response = client.post("/v1/verify", json=bundle)
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["valid"] is True, verdict["summary"]
    assert [c["status"] for c in verdict["checks"]] == ["VALID"] * 10
    assert verdict["asOfBlock"]["number"] >= bundle["proof"]["anchor"]["blockNumber"]
    assert verdict["chainId"] == world.node.chain_id and verdict["registry"] == world.registry
    assert verdict["anchor"]["issuerId"] == world.demo.issuer_id

    forged = copy.deepcopy(bundle)
    forged["credentialSubject"]["institution"] = "Another University"
    verdict = client.post("/v1/verify", json=forged).json()
    assert verdict["valid"] is False
    integrity = verdict["checks"][2]
    assert (integrity["name"], integrity["status"], integrity["code"]) == ("integrity", "INVALID", "FIELDS_ALTERED")
    assert integrity["fields"] == ["/credentialSubject/institution"]

    junk = client.post("/v1/verify", json={"hello": "world"})
    assert junk.status_code == 200 and junk.json()["checks"][0]["status"] == "INVALID"
    assert client.post("/v1/verify", json=[1, 2]).status_code == 422


def test_verify_a_batch_in_order(served: tuple[World, TestClient]) -> None:
    world, client = served
    bundles = seen(world, world.issue(2))
    moved = copy.deepcopy(bundles[1])
    moved["proof"]["anchor"]["chainId"] = 1
    response = client.post("/v1/verify/batch", json={"bundles": [bundles[0], moved, bundles[1]]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["count"], result["validCount"]) == (3, 2)
    assert [v["valid"] for v in result["verdicts"]] == [True, False, True]
    assert result["verdicts"][1]["checks"][3]["code"] == "WRONG_CHAIN"
    assert {v["asOfBlock"]["number"] for v in result["verdicts"]} == {result["asOfBlock"]["number"]}

    too_many = client.post("/v1/verify/batch", json={"bundles": [{}] * 1001})
    assert too_many.status_code == 422
    assert too_many.json()["error"] == "ValidationFailedError"
    assert "Split them" in too_many.json()["detail"]


def test_status_of_a_credential_issued_through_the_node(served: tuple[World, TestClient]) -> None:
    world, client = served
    auth = {"Authorization": f"Bearer {world.api_key}"}
    body = {"type": "formal-qualification", "credentialSubject": SUBJECTS["formal-qualification"]}
    accepted = client.post("/v1/credentials", json=body, headers=auth)
    assert accepted.status_code == 202, accepted.text
    credential_id, credential_hash = accepted.json()["id"], accepted.json()["credentialHash"]

    def anchored() -> bool:
        return client.get(f"/v1/credentials/{credential_id}", headers=auth).json().get("bundle") is not None

    wait_until("the batcher to anchor the credential", anchored)
    bundle = client.get(f"/v1/credentials/{credential_id}", headers=auth).json()["bundle"]
    seen(world, [bundle])
    status = client.get(f"/v1/status/{credential_hash}")
    assert status.status_code == 200, status.text
    report = status.json()
    assert (report["status"], report["credentialHash"], report["issuerId"]) == ("active", credential_hash, 1)
    assert report["merkleRoot"] == bundle["proof"]["anchor"]["merkleRoot"]
    assert client.post("/v1/verify", json=bundle).json()["valid"] is True, "the node's own bundle verifies"

    unknown = client.get("/v1/status/0x" + "ab" * 32)
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "NotFoundError" and "/v1/verify" in unknown.json()["detail"]
    malformed = client.get("/v1/status/not-a-hash")
    assert malformed.status_code == 422 and malformed.json()["error"] == "ValidationFailedError"


def test_without_a_mirror_the_endpoint_reads_the_chain_over_rpc(served: tuple[World, TestClient]) -> None:
    world, client = served
    [bundle] = world.issue()
    mirror, world.node.workers.mirror = world.node.workers.mirror, None
    try:
        assert isinstance(verification_view(world.node), RpcChainView)
        verdict = client.post("/v1/verify", json=bundle).json()  # no waiting: RPC reads the chain head
        assert verdict["valid"] is True, verdict["summary"]
    finally:
        world.node.workers.mirror = mirror
