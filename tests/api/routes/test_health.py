"""/healthz, /readyz and /metrics over a node on an in-process chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from node.chain.deploy import deploy
from node.config import Settings
from node.main import create_app
from node.runtime import Node


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
    body = client.get("/healthz").json()
    assert body["chain_id"] == node.chain_id
    assert body["registry_address"] == node.manifest.registry
    assert body["latest_block"] >= 1


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
