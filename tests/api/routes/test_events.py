"""GET /v1/events over TestClient: paging by opaque cursor, filters, errors, and the indexer feeding it end to end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from fastapi.testclient import TestClient
from web3 import EthereumTesterProvider, Web3

from node.chain.client import load_artifact
from node.chain.deploy import GOVERNANCE, REGISTRY, deploy
from node.config import Settings
from node.main import create_app
from node.readmodel.mirror import MirrorChainView
from node.runtime import Node
from node.services.events import EventName
from node.store import NewEvent
from node.workers.indexer import Indexer

ROOTS = ["0x" + f"{n:064x}" for n in (0xA1, 0xB2, 0xC3)]


def node_settings(data_dir: Path, *, indexer: bool) -> Settings:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CREDREG_"):
                patch.delenv(name)
        return Settings(data_dir=data_dir, devnet_port=0, batcher_enabled=False, indexer_enabled=indexer)


def open_node(data_dir: Path, *, indexer: bool) -> tuple[Node, LocalAccount]:
    settings = node_settings(data_dir, indexer=indexer)
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    account: LocalAccount = Account.from_key(w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    deploy(w3, account, settings.manifest_path, settings.artifacts_dir)
    return Node.open(settings, w3=w3), account


def synthetic_events() -> list[NewEvent]:
    """25 events over blocks 10..34: anchors and revocations of three roots by issuers 1 and 2, and some others."""
    events = []
    for i in range(25):
        block = 10 + i
        root = ROOTS[i % 3]
        name = ("CredentialAnchored", "CredentialRevoked", "KeyAdded", "CredentialSuspended", "BodySuspended")[i % 5]
        args: dict[str, Any] = {"root": root, "reasonCode": i, "blockTimestamp": 1_800_000_000 + block}
        events.append(
            NewEvent(
                block_number=block,
                block_hash="0x" + f"{block:064x}",
                tx_hash="0x" + f"{1000 + i:064x}",
                log_index=i % 2,
                name=name,
                args=args,
                root=root if name.startswith("Credential") else None,
                issuer_id=1 + i % 2 if name != "BodySuspended" else None,
            )
        )
    return events


@pytest.fixture(scope="module")
def events_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    node, _ = open_node(tmp_path_factory.mktemp("events-api"), indexer=False)
    node.store.add_events(synthetic_events())
    try:
        with TestClient(create_app(node.settings, node=node)) as client:
            yield client
    finally:
        node.close()


def all_pages(client: TestClient, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/events", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages


def test_pages_follow_the_opaque_cursor_in_chain_order_without_repeats(events_client: TestClient) -> None:
    pages = all_pages(events_client, limit=10)
    assert [len(p) for p in pages] == [10, 10, 5]
    items = [e for page in pages for e in page]
    positions = [(e["blockNumber"], e["logIndex"]) for e in items]
    assert positions == sorted(positions) and len(set(positions)) == 25
    first = events_client.get("/v1/events", params={"limit": 10}).json()
    assert ":" not in first["nextCursor"]  # opaque, not the store's "block:log"


def test_one_event_as_the_api_shows_it(events_client: TestClient) -> None:
    (event,) = events_client.get("/v1/events", params={"limit": 1}).json()["items"]
    assert event == {
        "blockNumber": 10,
        "blockHash": "0x" + f"{10:064x}",
        "blockTimestamp": 1_800_000_010,
        "txHash": "0x" + f"{1000:064x}",
        "logIndex": 0,
        "contract": "CredentialRegistry",
        "name": "CredentialAnchored",
        "args": {"root": ROOTS[0], "reasonCode": 0},
        "root": ROOTS[0],
        "issuerId": 1,
    }


def _blocks(keep: Any) -> list[int]:
    return [e.block_number for e in synthetic_events() if keep(e)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "CredentialRevoked"}, [11, 16, 21, 26, 31]),
        ({"issuerId": 2}, _blocks(lambda e: e.issuer_id == 2)),
        ({"root": ROOTS[1].upper().replace("0X", "0x")}, _blocks(lambda e: e.root == ROOTS[1])),
        ({"fromBlock": 30, "toBlock": 32}, [30, 31, 32]),
        ({"name": "CredentialAnchored", "issuerId": 1, "fromBlock": 15}, [20, 30]),
        ({"name": "ProposalCreated"}, []),
    ],
)
def test_filters_combine_and_page(events_client: TestClient, params: dict[str, Any], expected: list[int]) -> None:
    blocks = [e["blockNumber"] for page in all_pages(events_client, limit=2, **params) for e in page]
    assert blocks == expected


@pytest.mark.parametrize(
    "params",
    [
        {"name": "NoSuchEvent"},
        {"root": "0x1234"},
        {"limit": 0},
        {"limit": 1001},
        {"fromBlock": -1},
        {"issuerId": "one"},
    ],
)
def test_malformed_filters_are_422(events_client: TestClient, params: dict[str, Any]) -> None:
    assert events_client.get("/v1/events", params=params).status_code == 422


def test_a_cursor_this_node_did_not_issue_is_422_with_the_error_body(events_client: TestClient) -> None:
    for cursor in ("not-a-cursor", "MTI6MA", "%%%"):
        response = events_client.get("/v1/events", params={"cursor": cursor})
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "ValidationFailedError"
        assert "nextCursor" in body["detail"]


def test_the_event_names_are_exactly_the_contracts_events() -> None:
    from node.config import PROJECT_ROOT

    build = PROJECT_ROOT / "contracts" / "build"
    names = {
        entry["name"]
        for contract in (REGISTRY, GOVERNANCE)
        for entry in load_artifact(build, contract).abi
        if entry["type"] == "event"
    }
    assert {e.value for e in EventName} == names


def test_the_app_starts_the_indexer_and_serves_what_it_indexed(tmp_path: Path) -> None:
    node, account = open_node(tmp_path, indexer=True)
    try:
        with TestClient(create_app(node.settings, node=node)) as client:
            indexer, mirror = node.workers.indexer, node.workers.mirror
            assert isinstance(indexer, Indexer) and isinstance(mirror, MirrorChainView)
            body = client.get("/v1/events", params={"name": "GovernorAdded"}).json()
            (event,) = body["items"]
            assert event["contract"] == "RegistryGovernance"
            assert event["args"] == {"governor": account.address}
            assert event["blockNumber"] == node.manifest.deploy_block
            assert mirror.as_of().number == node.w3.eth.block_number
            ready = {c["name"]: c for c in client.get("/readyz").json()["checks"]}
            assert ready["indexer"]["ok"]
        assert not indexer.status().running
    finally:
        node.close()
