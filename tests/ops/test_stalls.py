"""What stalls anchoring shows in three places with the sentence the batcher logs: on the credential
(``GET /v1/credentials/{id}``'s ``failureReason``), in ``/readyz`` (still ready: a warning names the stall) and in
``/metrics`` (``credreg_anchoring_stalled``), end to end on anvil, through the batcher's child process too."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.keystore import new_keystore
from node.chain.signers import DEV_ISSUER
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.store import AnchoringState, NewCredential
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


def _keystore_issuer(node: Node, demo: DemoIssuer, path: str) -> None:
    """The demo issuer signs with a keystore at ``path`` (stored as given, as an older node may have stored it)."""
    issuer = node.store.get_issuer(demo.issuer_id)
    node.store.upsert_issuer(
        demo.issuer_id,
        name=issuer.name,
        metadata_uri=issuer.metadata_uri,
        signer_address=demo.signer,
        keystore_path=path,
    )


def _write_keystore(path: Path) -> None:
    key = SecretStr(DEV_PRIVATE_KEYS[DEV_ISSUER])
    new_keystore(path, PASSPHRASE, private_key=key, kdf_cost=2**4)


PASSPHRASE = "correct horse battery"


@pytest.mark.parametrize("as_process", [True, False], ids=["child-process", "thread"])
def test_no_keystore_passphrase(
    devnode: tuple[Node, DemoIssuer],
    tmp_path: Path,
    as_process: bool,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    node, demo = devnode
    keystore = tmp_path / "keys" / "issuer.json"
    _write_keystore(keystore)
    _keystore_issuer(node, demo, str(keystore))
    caplog.set_level(logging.WARNING, logger="node.workers.batcher")
    with _client(node, as_process=as_process) as client:
        [credential_id] = issue(node.store, demo.issuer_id, 1)
        sentence = assert_shown_everywhere(client, demo, credential_id, "keystore_passphrase", "pending")
        assert "CREDREG_KEYSTORE_PASSPHRASE" in sentence, sentence
        assert sentence in (capfd.readouterr().err if as_process else caplog.text)


def test_a_missing_keystore_file(
    devnode: tuple[Node, DemoIssuer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    node, demo = devnode
    node.settings.keystore_passphrase = SecretStr(PASSPHRASE)
    gone = tmp_path / "keys" / "moved-away.json"
    _keystore_issuer(node, demo, str(gone))
    caplog.set_level(logging.WARNING, logger="node.workers.batcher")
    with _client(node, as_process=False) as client:
        [credential_id] = issue(node.store, demo.issuer_id, 1)
        sentence = assert_shown_everywhere(client, demo, credential_id, "keystore_missing", "pending")
        assert str(gone) in sentence and "does not exist" in sentence, sentence
        assert sentence in caplog.text


def test_a_keystore_path_relative_to_another_directory(
    devnode: tuple[Node, DemoIssuer], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A path stored relative (by an older node, from another working directory) is named with the directory
    this batcher resolved it against, and the fix (store it absolute)."""
    node, demo = devnode
    node.settings.keystore_passphrase = SecretStr(PASSPHRASE)
    _write_keystore(tmp_path / "elsewhere" / "keys" / "issuer.json")
    _keystore_issuer(node, demo, "keys/issuer.json")  # relative to tmp_path/elsewhere, not to this process's CWD
    with _client(node, as_process=True) as client:
        [credential_id] = issue(node.store, demo.issuer_id, 1)
        sentence = assert_shown_everywhere(client, demo, credential_id, "keystore_missing", "pending")
        assert "keys/issuer.json is relative" in sentence and str(Path.cwd()) in sentence, sentence
        assert "absolute path" in sentence
        assert sentence in capfd.readouterr().err


def test_a_contract_refusal(devnode: tuple[Node, DemoIssuer], caplog: pytest.LogCaptureFixture) -> None:
    """The registry refuses a type outside the issuer's accreditation: the batch fails (terminal until retried);
    the credential says why (status failed) and so do /readyz and /metrics, from the store."""
    node, demo = devnode
    caplog.set_level(logging.WARNING, logger="node.workers.batcher")
    refused = NewCredential("unaccredited-type", "1", "0x" + "ab" * 32, {"credentialSubject": {}})
    with _client(node, as_process=False) as client:
        [credential_id] = node.store.add_credentials(demo.issuer_id, [refused])
        sentence = assert_shown_everywhere(client, demo, credential_id, "refused", "failed")
        assert "not accredited for this credential type" in sentence and "--retry-failed" in sentence, sentence
        assert sentence in caplog.text
