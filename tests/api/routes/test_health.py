"""/healthz, /readyz and /metrics over a node on an in-process chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS
from node.config import Settings
from node.main import create_app
from node.runtime import Node
from tests.conftest import start_devnet


@pytest.fixture
def ops_client(tester_w3: Web3, tester_account: LocalAccount, settings: Settings) -> Iterator[tuple[TestClient, Node]]:
    deploy(tester_w3, tester_account, settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, w3=tester_w3)
    try:
        with TestClient(create_app(settings, node=node)) as client:
            yield client, node
    finally:
        node.close()


def test_healthz_reports_chain_block_and_registry(ops_client: tuple[TestClient, Node]) -> None:
    client, node = ops_client
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["chainId"] == node.chain_id
    assert body["registryAddress"] == node.manifest.registry
    assert body["latestBlock"] >= 1
    assert body["status"] == "ok" and body["down"] == []


def test_readyz_is_ready_with_contracts_present(ops_client: tuple[TestClient, Node]) -> None:
    client, _ = ops_client
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    names = {c["name"]: c["ok"] for c in response.json()["checks"]}
    assert names["chain"] and names["contracts"]


def test_readyz_fails_when_the_indexer_lags(ops_client: tuple[TestClient, Node]) -> None:
    client, node = ops_client

    class Stuck:
        def lag(self) -> int:
            return 500

    node.workers.indexer = Stuck()
    response = client.get("/readyz")
    assert response.status_code == 503
    failing = [c for c in response.json()["checks"] if not c["ok"]]
    assert failing[0]["name"] == "indexer"
    node.workers.indexer = None


def test_metrics_exposes_outbox_gauges(ops_client: tuple[TestClient, Node]) -> None:
    client, _ = ops_client
    response = client.get("/metrics")
    assert response.status_code == 200
    assert 'credreg_credentials{status="pending"} 0.0' in response.text
    assert 'credreg_batches{status="confirmed"} 0.0' in response.text
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.anvil
def test_healthz_answers_200_json_while_the_chain_is_down(tmp_path: Path, settings: Settings) -> None:
    """Liveness is the node's own: a down chain is named in the body, never a 500 (nor text/plain)."""
    devnet = start_devnet(tmp_path / "anvil")
    try:
        deploy(
            connect(devnet.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir
        )
        settings.batcher_enabled = settings.indexer_enabled = False
        node = Node.open(settings, rpc_url=devnet.url)
        with TestClient(create_app(settings, node=node), raise_server_exceptions=False) as client:
            up = client.get("/healthz")
            assert up.status_code == 200 and up.json()["status"] == "ok" and up.json()["down"] == []
            devnet.stop()
            down = client.get("/healthz")
            assert down.status_code == 200, down.text
            assert down.headers["content-type"] == "application/json"
            body = down.json()
            assert body["status"] == "degraded" and body["latestBlock"] is None
            assert body["chainId"] == node.chain_id and body["registryAddress"] == node.manifest.registry
            assert any("chain" in what and devnet.url in what for what in body["down"]), body
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.headers["content-type"] == "application/json"
        node.close()
    finally:
        devnet.stop()
