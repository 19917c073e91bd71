"""The lifecycle routes over HTTP (node/api/routes/lifecycle.py): what each route hands the service, the 200 / 202 it
answers and the reply's shape (with the service replaced by a recorder), and the node's own refusals before any chain
call (no key, a foreign or unknown credential, not anchored yet, a malformed body).

The acts on chain (revoke, suspend, reinstate, supersede; one credential or a whole batch; an issuer's key or
governance) are tested on anvil in tests/services/test_lifecycle.py; the caller matrix in tests/api/test_authz.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.api.deps import get_lifecycle_service
from node.api.schemas.lifecycle import LifecycleResult
from node.services.governance import ChainAct, ProposalState, ProposalView, Via
from node.services.lifecycle import Actor, LifecycleAction, Replacement, Scope
from node.services.lifecycle import LifecycleResult as LifecycleValue
from tests.api.conftest import ADMIN_KEY, IssuerKey
from tests.api.refusals import subject_of

CID = "6f1c2b1e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"
ROOT = "0x" + "9f" * 32
HASH = "0x" + "51" * 32
GOVERNOR = {"Authorization": f"Bearer {ADMIN_KEY}"}
ACTIONS = ("revoke", "suspend", "reinstate", "supersede")


class Recorder:
    """The lifecycle service's two entry points, recording each call; ``executed`` decides the act's outcome."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any, LifecycleAction, int, dict[str, Any]]] = []
        self.executed = True

    def _result(self, scope: Scope, action: LifecycleAction, reason_code: int, note: str | None) -> LifecycleValue:
        proposal = ProposalView(
            id=7, proposer="0x" + "11" * 20, target="registry", target_address="0x" + "22" * 20, function="revoke",
            args={}, deadline=datetime(2026, 12, 1, tzinfo=UTC),
            state=ProposalState.PENDING, approvals=1, threshold=2, approved_by=["0x" + "11" * 20],
        )  # fmt: skip
        act = (
            ChainAct(via=Via.ISSUER_KEY, executed=True, tx_hash="0x" + "7d" * 32, block_number=4821)
            if self.executed
            else ChainAct(via=Via.GOVERNANCE, executed=False, tx_hash=None, block_number=None, proposal=proposal)
        )
        replaced = action is LifecycleAction.SUPERSEDE
        return LifecycleValue(
            scope=scope,
            action=action,
            credential_id=CID if scope is Scope.CREDENTIAL else None,
            batch_id=12,
            root=ROOT,
            credential_hash=HASH if scope is Scope.CREDENTIAL else None,
            reason_code=reason_code,
            reason="some reason",
            note=note,
            status="superseded" if replaced else "revoked",
            replacement=Replacement(root=ROOT, credential_hash=None, batch_id=13) if replaced else None,
            act=act,
        )

    def act_on_credential(
        self, actor: Actor, credential_id: str, action: LifecycleAction, reason_code: int, **options: Any
    ) -> LifecycleValue:
        self.calls.append(("credential", actor, credential_id, action, reason_code, options))
        return self._result(Scope.CREDENTIAL, action, reason_code, options["note"])

    def act_on_batch(
        self, actor: Actor, batch_id: int, action: LifecycleAction, reason_code: int, **options: Any
    ) -> LifecycleValue:
        self.calls.append(("batch", actor, batch_id, action, reason_code, options))
        return self._result(Scope.BATCH, action, reason_code, options["note"])


@pytest.fixture
def recorder(app: FastAPI) -> Iterator[Recorder]:
    recording = Recorder()
    app.dependency_overrides[get_lifecycle_service] = lambda: recording
    try:
        yield recording
    finally:
        app.dependency_overrides.pop(get_lifecycle_service)


def _body(action: str, scope: str) -> dict[str, Any]:
    body: dict[str, Any] = {"reasonCode": 3 if action == "supersede" else 1, "note": "committee 2026-11-20"}
    if action == "supersede":
        body["replacementId" if scope == "credential" else "replacementBatchId"] = (
            "other-id" if scope == "credential" else 13
        )
    return body


@pytest.mark.parametrize("action", ACTIONS)
def test_a_credential_route_hands_its_act_to_the_service_and_maps_the_result(
    client: TestClient, make_issuer: Callable[..., IssuerKey], recorder: Recorder, action: str
) -> None:
    issuer = make_issuer()
    reply = client.post(f"/v1/credentials/{CID}/{action}", json=_body(action, "credential"), headers=issuer.headers)
    assert reply.status_code == 200, reply.text
    kind, actor, target, done, reason_code, options = recorder.calls[-1]
    assert (kind, actor, target, done) == ("credential", Actor(issuer.issuer_id), CID, LifecycleAction(action))
    assert reason_code == (3 if action == "supersede" else 1) and options["note"] == "committee 2026-11-20"
    assert options["replacement_id"] == ("other-id" if action == "supersede" else None)
    result = reply.json()
    assert set(result) == {f.alias for f in LifecycleResult.model_fields.values()}
    assert result["scope"] == "credential" and result["action"] == action and result["credentialId"] == CID
    assert result["act"] == {"via": "issuer-key", "executed": True, "txHash": "0x" + "7d" * 32,
                             "blockNumber": 4821, "proposal": None}  # fmt: skip


@pytest.mark.parametrize("action", ACTIONS)
def test_a_batch_route_hands_its_act_to_the_service(client: TestClient, recorder: Recorder, action: str) -> None:
    reply = client.post(f"/v1/batches/12/{action}", json=_body(action, "batch"), headers=GOVERNOR)
    assert reply.status_code == 200, reply.text
    kind, actor, target, done, _, options = recorder.calls[-1]
    assert (kind, actor, target, done) == ("batch", Actor.governance(), 12, LifecycleAction(action))
    assert options["replacement_batch_id"] == (13 if action == "supersede" else None)
    result = reply.json()
    assert result["scope"] == "batch" and result["credentialId"] is None and result["credentialHash"] is None
    if action == "supersede":
        assert result["replacement"] == {"root": ROOT, "credentialHash": None, "credentialId": None, "batchId": 13}


def test_an_act_waiting_for_approvals_is_a_202_with_its_proposal(client: TestClient, recorder: Recorder) -> None:
    recorder.executed = False
    reply = client.post(f"/v1/credentials/{CID}/revoke", json={"reasonCode": 2}, headers=GOVERNOR)
    assert reply.status_code == 202, reply.text
    act = reply.json()["act"]
    assert act["executed"] is False and act["via"] == "governance" and act["txHash"] is None
    assert act["proposal"]["id"] == 7 and act["proposal"]["approvals"] == 1 and act["proposal"]["threshold"] == 2
    batch = client.post("/v1/batches/12/suspend", json={"reasonCode": 5}, headers=GOVERNOR)
    assert batch.status_code == 202


def test_malformed_bodies_and_ids_are_refused_before_the_service(
    client: TestClient, make_issuer: Callable[..., IssuerKey], recorder: Recorder
) -> None:
    headers = make_issuer().headers
    refused: dict[str, list[dict[str, Any]]] = {
        f"/v1/credentials/{CID}/revoke": [{}, {"reasonCode": 12}, {"reasonCode": 1, "stray": 1},
                                          {"reasonCode": 1, "note": "x" * 2001}],
        f"/v1/credentials/{CID}/supersede": [{"reasonCode": 3}, {"reasonCode": 3, "replacementId": ""}],
        "/v1/batches/12/supersede": [{"reasonCode": 9}, {"reasonCode": 9, "replacementBatchId": 0}],
        "/v1/batches/0/revoke": [{"reasonCode": 1}],
        "/v1/batches/abc/revoke": [{"reasonCode": 1}],
    }  # fmt: skip
    for url, bodies in refused.items():
        for body in bodies:
            reply = client.post(url, json=body, headers=headers)
            assert reply.status_code == 422, (url, body, reply.text)
            assert reply.json()["error"] == "ValidationFailedError"
    assert recorder.calls == []


def test_the_node_refuses_without_a_key_and_for_unknown_or_unanchored_credentials(
    client: TestClient, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer, other = make_issuer(), make_issuer()
    assert client.post(f"/v1/credentials/{CID}/revoke", json={"reasonCode": 1}).status_code == 401
    assert client.post("/v1/batches/1/revoke", json={"reasonCode": 1}).status_code == 401
    unknown = client.post(f"/v1/credentials/{CID}/revoke", json={"reasonCode": 1}, headers=issuer.headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "NotFoundError"
    assert client.post("/v1/batches/999999/revoke", json={"reasonCode": 1}, headers=issuer.headers).status_code == 404

    credential = {"type": "formal-qualification", "credentialSubject": subject_of("formal-qualification")}
    issued = client.post("/v1/credentials", json=credential, headers=issuer.headers)
    assert issued.status_code == 202, issued.text
    cid = issued.json()["id"]
    foreign = client.post(f"/v1/credentials/{cid}/revoke", json={"reasonCode": 1}, headers=other.headers)
    assert foreign.status_code == 404  # another issuer's credential is never revealed to exist
    waiting = client.post(f"/v1/credentials/{cid}/revoke", json={"reasonCode": 1}, headers=issuer.headers)
    assert waiting.status_code == 409, waiting.text
    assert "anchored" in waiting.json()["detail"]
    assert client.get(f"/v1/credentials/{cid}", headers=issuer.headers).json()["status"] == "pending"
