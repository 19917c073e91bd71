"""The governance routes over HTTP (node/api/routes/governance.py): accreditation bodies and k-of-n proposals, on an
in-process chain whose node holds the sole governor's key (k = 1: proposals execute at once). Who may call them, the
status codes and the replies' shapes.

Two governors on two nodes (a proposal waiting for the second approval, the 202s) are tested on anvil in
tests/services/test_governance.py; the caller matrix of every write route in tests/api/test_authz.py.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from fastapi.testclient import TestClient

from node.api.schemas.governance import BodyView, ChainAct, ProposalView
from node.runtime import Node
from tests.api.conftest import ADMIN_KEY, accreditation_body, add_issuer

GOVERNOR = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _fields(model: type[Any]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _accredit_body(client: TestClient, max_level: int = 4) -> dict[str, Any]:
    body = {
        "admin": Account.create().address,
        "credentialTypes": ["formal-qualification", "micro-credential"],
        "maxLevel": max_level,
        "metadataUri": "did:web:route-test-council.example",
    }
    accredited = client.post("/v1/bodies", json=body, headers=GOVERNOR)
    assert accredited.status_code == 201, accredited.text
    reply: dict[str, Any] = accredited.json()
    return reply


def test_bodies_are_read_with_any_key(governed_client: TestClient, governed_node: Node) -> None:
    body_id = accreditation_body(governed_node)
    issuer = add_issuer(governed_node)
    assert governed_client.get("/v1/bodies").status_code == 401
    listed = governed_client.get("/v1/bodies", headers=issuer.headers)
    assert listed.status_code == 200
    assert body_id in [b["id"] for b in listed.json()]
    assert all(set(b) == _fields(BodyView) for b in listed.json())
    shown = governed_client.get(f"/v1/bodies/{body_id}", headers=issuer.headers)
    assert shown.status_code == 200 and shown.json()["id"] == body_id and shown.json()["status"] == "active"
    missing = governed_client.get("/v1/bodies/999999", headers=GOVERNOR)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"
    assert governed_client.get("/v1/bodies/0", headers=GOVERNOR).status_code == 422


def test_accredit_a_body_then_suspend_and_reinstate_it(governed_client: TestClient) -> None:
    reply = _accredit_body(governed_client)
    assert set(reply) == {"bodyId", "act"} and reply["act"]["executed"] is True
    body_id = reply["bodyId"]
    shown = governed_client.get(f"/v1/bodies/{body_id}", headers=GOVERNOR).json()
    assert shown["maxLevel"] == 4 and shown["metadataUri"] == "did:web:route-test-council.example"
    assert [t["name"] for t in shown["credentialTypes"]] == ["formal-qualification", "micro-credential"]

    suspended = governed_client.post(f"/v1/bodies/{body_id}/suspend", json={"reasonCode": 1}, headers=GOVERNOR)
    assert suspended.status_code == 200, suspended.text
    assert set(suspended.json()) == _fields(ChainAct) and suspended.json()["executed"] is True
    assert governed_client.get(f"/v1/bodies/{body_id}", headers=GOVERNOR).json()["status"] == "suspended"
    reinstated = governed_client.post(f"/v1/bodies/{body_id}/reinstate", json={"reasonCode": 1}, headers=GOVERNOR)
    assert reinstated.status_code == 200, reinstated.text
    assert governed_client.get(f"/v1/bodies/{body_id}", headers=GOVERNOR).json()["status"] == "active"


def test_body_writes_need_a_governor_key_and_a_valid_body(governed_client: TestClient, governed_node: Node) -> None:
    issuer = add_issuer(governed_node)
    good = {"admin": Account.create().address, "credentialTypes": ["formal-qualification"], "maxLevel": 4,
            "metadataUri": "x:b"}  # fmt: skip
    assert governed_client.post("/v1/bodies", json=good).status_code == 401
    assert governed_client.post("/v1/bodies", json=good, headers=issuer.headers).status_code == 403
    for bad in ({**good, "admin": "nobody"}, {**good, "maxLevel": 256}, {**good, "credentialTypes": []},
                {**good, "extra": True}):  # fmt: skip
        assert governed_client.post("/v1/bodies", json=bad, headers=GOVERNOR).status_code == 422, bad
    body_id = accreditation_body(governed_node)
    refused = governed_client.post(f"/v1/bodies/{body_id}/suspend", json={"reasonCode": 1}, headers=issuer.headers)
    assert refused.status_code == 403
    assert governed_client.get(f"/v1/bodies/{body_id}", headers=GOVERNOR).json()["status"] == "active"


def test_a_proposal_with_one_governor_executes_at_once_and_is_listed(governed_client: TestClient) -> None:
    proposed = governed_client.post(
        "/v1/governance/proposals",
        json={"target": "governance", "function": "setThreshold", "args": [1]},
        headers=GOVERNOR,
    )
    assert proposed.status_code == 201, proposed.text
    act = proposed.json()
    assert act["executed"] is True and act["via"] == "governance"
    proposal = act["proposal"]
    assert set(proposal) == _fields(ProposalView)
    assert proposal["target"] == "governance" and proposal["function"] == "setThreshold"
    assert proposal["state"] == "executed" and proposal["threshold"] == 1

    shown = governed_client.get(f"/v1/governance/proposals/{proposal['id']}", headers=GOVERNOR)
    assert shown.status_code == 200 and shown.json() == proposal
    executed = governed_client.get("/v1/governance/proposals", params={"state": "executed"}, headers=GOVERNOR)
    assert executed.status_code == 200 and proposal["id"] in [p["id"] for p in executed.json()["items"]]
    assert all(p["state"] == "executed" for p in executed.json()["items"])
    pending = governed_client.get("/v1/governance/proposals", params={"state": "pending"}, headers=GOVERNOR)
    assert pending.json() == {"items": []}

    for again in ("approve", "execute"):
        done = governed_client.post(f"/v1/governance/proposals/{proposal['id']}/{again}", headers=GOVERNOR)
        assert done.status_code == 409 and done.json()["error"] == "ProposalStateError", again


def test_proposals_are_for_governor_keys_only(governed_client: TestClient, governed_node: Node) -> None:
    issuer = add_issuer(governed_node)
    assert governed_client.get("/v1/governance/proposals").status_code == 401
    refused = governed_client.get("/v1/governance/proposals", headers=issuer.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "ForbiddenError"
    assert governed_client.get("/v1/governance/proposals/1", headers=issuer.headers).status_code == 403
    propose = {"target": "governance", "function": "setThreshold", "args": [1]}
    assert governed_client.post("/v1/governance/proposals", json=propose, headers=issuer.headers).status_code == 403
    missing = governed_client.get("/v1/governance/proposals/999999", headers=GOVERNOR)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"
    for bad in ({**propose, "target": "elsewhere"}, {**propose, "function": "1bad"}, {**propose, "ttlSeconds": 5}):
        assert governed_client.post("/v1/governance/proposals", json=bad, headers=GOVERNOR).status_code == 422, bad
    too_many = governed_client.get("/v1/governance/proposals", params={"limit": 1001}, headers=GOVERNOR)
    assert too_many.status_code == 422
