"""What stalls anchoring shows in three places with the sentence the batcher logs: on the credential
(``GET /v1/credentials/{id}``'s ``failureReason``), in ``/readyz`` (still ready: a warning names the stall) and in
``/metrics`` (``credreg_anchoring_stalled``), end to end on anvil, through the batcher's child process too."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.store import AnchoringState
from tests.drills.chaincheck import issue, wait_for

pytestmark = pytest.mark.anvil


def _client(node: Node, *, as_process: bool) -> TestClient:
    node.settings.batch_max_wait_ms = 100
    node.settings.batcher_process = as_process
    return TestClient(create_app(node.settings, node=node))


def _unescape(label: str) -> str:
    return label.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _stalled(client: TestClient, demo: DemoIssuer, credential_id: str) -> str | None:
    body = client.get(f"/v1/credentials/{credential_id}", headers={"Authorization": f"Bearer {demo.api_key}"}).json()
    reason = body["failureReason"]
    return reason if isinstance(reason, str) else None


def assert_shown_everywhere(client: TestClient, demo: DemoIssuer, credential_id: str, kind: str, status: str) -> str:
    """The credential's failureReason, the /readyz warning and the /metrics label carry one sentence; returns it."""
    wait_for(lambda: _stalled(client, demo, credential_id) is not None, 30, "the credential to show the stall")
    credential = client.get(
        f"/v1/credentials/{credential_id}", headers={"Authorization": f"Bearer {demo.api_key}"}
    ).json()
    assert credential["status"] == status, credential
    sentence = str(credential["failureReason"])

    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text  # a stalled issuer key does not take the node out of rotation
    warnings = ready.json()["warnings"]
    assert [w for w in warnings if w["kind"] == kind and w["issuerId"] == demo.issuer_id and w["detail"] == sentence], (
        warnings,
        sentence,
    )

    metrics = client.get("/metrics").text
    found = re.findall(r"^credreg_anchoring_stalled\{(.*)\} 1\.0$", metrics, re.MULTILINE)
    labels = [dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', f)) for f in found]
    assert [
        lab for lab in labels
        if lab["kind"] == kind and lab["issuer"] == str(demo.issuer_id) and _unescape(lab["reason"]) == sentence
    ], (found, sentence)  # fmt: skip
    return sentence


def _set_balance(node: Node, address: str, wei: int) -> None:
    node.w3.provider.make_request("anvil_setBalance", [address, hex(wei)])  # type: ignore[arg-type]


@pytest.mark.parametrize("as_process", [True, False], ids=["child-process", "thread"])
def test_an_issuer_key_without_funds(
    devnode: tuple[Node, DemoIssuer],
    as_process: bool,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    node, demo = devnode
    _set_balance(node, demo.signer, 0)
    caplog.set_level(logging.WARNING, logger="node.workers.batcher")
    with _client(node, as_process=as_process) as client:
        [credential_id] = issue(node.store, demo.issuer_id, 1)
        sentence = assert_shown_everywhere(client, demo, credential_id, "no_funds", "batched")
        assert demo.signer in sentence and "ETH" in sentence and "credreg keys fund" in sentence, sentence
        logged = capfd.readouterr().err if as_process else caplog.text
        assert sentence in logged

        _set_balance(node, demo.signer, 10**18)
        wait_for(lambda: node.store.get_credential(credential_id).status is AnchoringState.ANCHORED, 60, "anchored")
        wait_for(lambda: "credreg_anchoring_stalled{" not in client.get("/metrics").text, 10, "the stall to clear")
        assert client.get("/readyz").json()["warnings"] == []
        assert _stalled(client, demo, credential_id) is None
