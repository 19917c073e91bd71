"""An API app over a node on an in-process chain (eth-tester), shared per test module; issuers made per test.

Fixtures: ``api_node`` (deployed + opened Node), ``app`` (create_app over it), ``client`` (a TestClient), and
``make_issuer`` (a fresh issuer in the store with an API key). :func:`fake_anchor` plays the batcher's part with the
store's batch methods (claim → tree → signed → confirmed), so reads after anchoring can be tested without a batcher.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import EthereumTesterProvider, Web3

from node.chain.deploy import deploy
from node.config import Settings
from node.main import create_app
from node.runtime import Node
from node.services.batcher import record_tree
from node.store import ApiKeyRole, Batch, IssuerStatus, Store

ADMIN_KEY = "admin-secret-for-tests-only"
SIGNER = "0x" + "ab" * 20
_ISSUER_IDS = itertools.count(100)


def api_settings(data_dir: Path) -> Settings:
    """Settings for a test node, unaffected by any CREDREG_ variable of the environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CREDREG_"):
                patch.delenv(name)
        # no batcher or indexer thread: tests play the batcher's part themselves (fake_anchor)
        return Settings(
            data_dir=data_dir,
            devnet_port=0,
            admin_api_key=SecretStr(ADMIN_KEY),
            batcher_enabled=False,
            indexer_enabled=False,
        )


def open_test_node(data_dir: Path) -> Node:
    settings = api_settings(data_dir)
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    account: LocalAccount = Account.from_key(w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    deploy(w3, account, settings.manifest_path, settings.artifacts_dir)
    return Node.open(settings, w3=w3)


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = open_test_node(tmp_path_factory.mktemp("api"))
    try:
        yield node
    finally:
        node.close()


@pytest.fixture(scope="module")
def app(api_node: Node) -> FastAPI:
    return create_app(api_node.settings, node=api_node)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class IssuerKey:
    issuer_id: int
    key: str
    metadata_uri: str
    name: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def add_issuer(store: Store, status: IssuerStatus = IssuerStatus.ACTIVE) -> IssuerKey:
    issuer_id = next(_ISSUER_IDS)
    uri = f"did:web:college-{issuer_id}.example.ac.za"
    name = f"College {issuer_id}"
    store.upsert_issuer(issuer_id, name=name, metadata_uri=uri, signer_address=SIGNER, status=status)
    key = store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label=f"tests {issuer_id}")
    return IssuerKey(issuer_id, key, uri, name)


@pytest.fixture
def make_issuer(api_node: Node) -> Callable[..., IssuerKey]:
    """A fresh issuer (unique id) in the store with an issuer API key."""

    def make(status: IssuerStatus = IssuerStatus.ACTIVE) -> IssuerKey:
        return add_issuer(api_node.store, status)

    return make


def fake_anchor(store: Store, issuer_id: int, *, block_number: int = 42, fail: str | None = None) -> Batch:
    """Do the batcher's job for every pending credential of the issuer: one batch, a real Merkle tree, confirmed
    (or, with ``fail``, given up with that reason)."""
    claimed = store.claim_batch(issuer_id, 100_000)
    assert claimed is not None, "nothing pending to anchor"
    record_tree(store, claimed.batch_id, claimed.credential_hashes)
    if fail is not None:
        return store.mark_failed(claimed.batch_id, fail)
    tx_hash = "0x" + f"{claimed.batch_id:064x}"
    store.mark_signed(claimed.batch_id, SIGNER, claimed.batch_id, "0x00", tx_hash)
    return store.mark_confirmed(claimed.batch_id, tx_hash, block_number, "0x" + "cd" * 32)
