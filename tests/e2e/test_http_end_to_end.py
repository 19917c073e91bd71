"""Issuance end to end over real HTTP against a real anvil: the bulk API, the batcher, the bundles, the contract.

- 10,000 credentials through POST /v1/credentials/bulk → every one anchored; every bundle fetched over HTTP verifies
  against the contract (isValidAt through the registry's multicall); another issuer sees none of them.
- `credreg serve` killed (SIGKILL) right after the outbox write of a POST, before it replied: after a restart the
  credential is there and gets anchored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet
from node.chain.signers import DEV_GOVERNOR, dev_account
from node.config import Settings
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store.records import ApiKeyRole
from tests.samples import numbered_subject
from tests.serving import free_port, serve, wait_anchored

TYPE = "formal-qualification"
BULK = 10_000


def subject(n: int) -> dict[str, Any]:
    return numbered_subject(n, prefix="E", institution="E2E College")


@pytest.fixture
def served(anvil: Devnet, settings: Settings) -> Iterator[tuple[Node, str, str]]:
    deploy(connect(anvil.url), dev_account(DEV_GOVERNOR), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings.model_copy(update={"batch_max_wait_ms": 300}), rpc_url=anvil.url)
    try:
        demo = ensure_demo_issuer(node)
        with serve(create_app(node.settings, node=node)) as url:
            yield node, url, demo.api_key
    finally:
        node.close()


@pytest.mark.anvil
@pytest.mark.slow
def test_ten_thousand_over_the_bulk_api_all_anchored_and_verified_on_chain(served: tuple[Node, str, str]) -> None:
    node, url, key = served
    items = [{"type": TYPE, "credentialSubject": subject(i)} for i in range(BULK)]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        accepted = client.post("/v1/credentials/bulk", json={"credentials": items})
        assert accepted.status_code == 202, accepted.text
        ids = accepted.json()["ids"]
        assert len(ids) == len(set(ids)) == BULK
        wait_anchored(node, timeout_s=240)
        bundles = []
        for cid in ids:
            body = client.get(f"/v1/credentials/{cid}").json()
            assert body["status"] == "anchored", body
            bundles.append(body["bundle"])

    registry = node.registry.registry
    roots = {b["proof"]["anchor"]["merkleRoot"] for b in bundles}
    assert sum(node.registry.anchor_of(bytes.fromhex(r[2:])).leaf_count for r in roots) == BULK
    now = node.w3.eth.get_block("latest")["timestamp"]
    calls = [
        registry.encode_abi(
            "isValidAt",
            [
                bytes.fromhex(b["proof"]["anchor"]["merkleRoot"][2:]),
                bytes.fromhex(b["proof"]["credentialHash"][2:]),
                [bytes.fromhex(p[2:]) for p in b["proof"]["anchor"]["merkleProof"]],
                now,
            ],
        )
        for b in bundles
    ]
    valid = 0
    for start in range(0, len(calls), 500):
        for raw in registry.functions.multicall(calls[start : start + 500]).call():
            ok, code = node.w3.codec.decode(["bool", "uint8"], raw)
            valid += ok and code == 0
    assert valid == BULK

    other = node.store.create_api_key(ApiKeyRole.ISSUER, _other_issuer(node), label="another issuer")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {other}"}, timeout=30) as client:
        assert client.get(f"/v1/credentials/{ids[0]}").status_code == 404
        assert client.get("/v1/credentials").json()["total"] == 0


def _other_issuer(node: Node) -> int:
    node.store.upsert_issuer(
        99, name="Another College", metadata_uri="did:web:other.example", signer_address="0x" + "11" * 20
    )
    return 99


@pytest.mark.anvil
def test_a_crash_after_the_outbox_write_loses_nothing(anvil: Devnet, settings: Settings, tmp_path: Path) -> None:
    deploy(connect(anvil.url), dev_account(DEV_GOVERNOR), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    key = ensure_demo_issuer(node).api_key
    node.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    env |= {"CREDREG_DATA_DIR": str(settings.data_dir), "CREDREG_BATCH_MAX_WAIT_MS": "200"}
    cmd = [sys.executable, "-m", "node.cli", "serve", "--rpc-url", anvil.url, "--port", str(port)]
    url = f"http://127.0.0.1:{port}"

    def start(extra: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(tmp_path / "serve.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(cmd, env=env | extra, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError((tmp_path / "serve.log").read_text())

    proc = start({"CREDREG_CRASH_AT": "after_accept"})
    headers = {"Authorization": f"Bearer {key}"}
    with pytest.raises(httpx.HTTPError):  # the process dies before it answers
        httpx.post(f"{url}/v1/credentials", json={"type": TYPE, "credentialSubject": subject(1), "clientRef": "r-1"},
                   headers=headers, timeout=30)  # fmt: skip
    assert proc.wait(timeout=30) == -signal.SIGKILL

    proc = start({})
    try:
        again = httpx.post(
            f"{url}/v1/credentials", json={"type": TYPE, "credentialSubject": subject(1), "clientRef": "r-1"},
            headers=headers, timeout=30,
        )  # fmt: skip
        assert again.status_code == 202  # the retry finds the credential the crash left in the outbox
        cid = again.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = httpx.get(f"{url}/v1/credentials/{cid}", headers=headers, timeout=10).json()
            if body["status"] == "anchored":
                break
            time.sleep(0.3)
        assert body["status"] == "anchored", body
        listed = httpx.get(f"{url}/v1/credentials", headers=headers, timeout=10).json()
        assert listed["total"] == 1, "the crashed request was kept once, and the retry did not duplicate it"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
