"""An API app over a node on an in-process chain (eth-tester), shared per test module; issuers made per test.

Fixtures: ``api_node`` (deployed + opened Node), ``app`` (create_app over it), ``client`` (a TestClient),
``governed_node`` and ``governed_client`` (the same over a node holding the governor's key), and
``make_issuer`` (a fresh issuer, accredited on chain with a signing key and recorded in the store, with an API key:
issuance checks the accreditation on chain). :func:`fake_anchor` plays the batcher's part with the store's batch
methods (claim → tree → signed → confirmed), so reads after anchoring can be tested without a batcher.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils.crypto import keccak
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.routing import BaseRoute
from web3 import EthereumTesterProvider, Web3
from web3.contract.contract import ContractFunction

from node.chain.deploy import deploy
from node.chain.registry import RegistryClient, type_id
from node.config import Settings
from node.credentials.types import known_types
from node.main import create_app
from node.runtime import Node
from node.store import ApiKeyRole, Batch, IssuerStatus, Store
from node.workers.batcher import record_tree

ADMIN_KEY = "admin-secret-for-tests-only"
SIGNER = "0x" + "ab" * 20
"""The signing key fake_anchor records on a batch (the store only; nothing is signed)."""
_ISSUER_NUMBERS = itertools.count(100)
ALL_TYPES = tuple(sorted({t.name for t in known_types()}))
TEST_BODY_URI = "did:web:test-quality-council.example"


def api_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    """Settings for a test node, unaffected by any CREDREG_ variable of the environment; its store is SQLite in
    ``data_dir`` unless ``database_url`` names another (a PostgreSQL schema: ``node_database``)."""
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
            database_url=database_url,
        )


def open_test_node(data_dir: Path, *, governor: bool = False, database_url: str | None = None) -> Node:
    """A node over a fresh in-process chain; with ``governor`` it holds the deployer's key (the sole governor, k = 1,
    and the test body's admin), so governance writes are signed and executed at once. ``database_url``: see
    :func:`api_settings`."""
    settings = api_settings(data_dir, database_url)
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    account: LocalAccount = Account.from_key(w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    deploy(w3, account, settings.manifest_path, settings.artifacts_dir)
    if governor:
        settings = settings.model_copy(update={"deployer_key": SecretStr(account.key.hex())})
    return Node.open(settings, w3=w3)


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory, node_database: Callable[[], str | None]) -> Iterator[Node]:
    """The module's node: on SQLite, or once per database in a module that sets ``NODE_BACKENDS``."""
    with closing(open_test_node(tmp_path_factory.mktemp("api"), database_url=node_database())) as node:
        yield node


@pytest.fixture(scope="module")
def governed_node(tmp_path_factory: pytest.TempPathFactory, node_database: Callable[[], str | None]) -> Iterator[Node]:
    """A node holding the governor's key (see :func:`open_test_node`), shared per test module."""
    with closing(
        open_test_node(tmp_path_factory.mktemp("governed"), governor=True, database_url=node_database())
    ) as node:
        yield node


@pytest.fixture(scope="module")
def governed_client(governed_node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(governed_node.settings, node=governed_node)) as test_client:
        yield test_client


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


def chain_account(node: Node) -> LocalAccount:
    """eth-tester's first account: the deployer, sole governor (k = 1) and the test body's admin."""
    account: LocalAccount = Account.from_key(node.w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    return account


def write_call(registry: RegistryClient, name: str, *args: Any, contract: str = "registry") -> ContractFunction:
    """The typed builder of the Solidity function ``name`` (e.g. "suspendIssuer" -> ``writes.suspend_issuer``), for
    tests that pick the function at run time; an unknown name fails, as a contract change not mirrored would."""
    writes = registry.governance_writes if contract == "governance" else registry.writes
    builder = getattr(writes, re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
    fn: ContractFunction = builder(*args)
    return fn


def chain_act(node: Node, name: str, *args: Any, governance: bool = False) -> Any:
    """Send a registry call as the test body's admin (or through governance); returns the receipt."""
    registry = node.registry
    tm = node.signers.manager(chain_account(node))
    fn = write_call(registry, name, *args)
    if governance:
        return registry.governance_act(tm, fn)
    return registry.transact(tm, fn)


def accreditation_body(
    node: Node, *, types: Sequence[str] = ALL_TYPES, max_level: int = 10, fresh: bool = False
) -> int:
    """The accreditation body the test issuers are accredited under (made once per chain), or a fresh one."""
    registry = node.registry
    admin = chain_account(node).address
    count = int(registry.view(registry.registry.functions.bodyCount().call))
    for body_id in range(1, count + 1) if not fresh else ():
        body = registry.body_of(body_id)
        if body.admin == admin and body.metadata_uri == TEST_BODY_URI:
            return body_id
    uri = TEST_BODY_URI if not fresh else f"did:web:body-{next(_ISSUER_NUMBERS)}.example"
    chain_act(node, "accreditBody", admin, [type_id(t) for t in types], max_level, 0, 0, uri, governance=True)
    return int(registry.view(registry.registry.functions.bodyCount().call))


def accredit_issuer(
    node: Node,
    uri: str,
    *,
    types: Sequence[str] = ALL_TYPES,
    max_level: int = 10,
    valid_from: int | None = None,
    valid_until: int = 0,
    body_id: int | None = None,
    key: bool = True,
    key_from: int | None = None,
) -> tuple[int, str]:
    """Accredit an issuer on chain under the test body, with a fresh signing key (never used to sign: the tests
    play the batcher). Returns (on-chain issuer id, signing key address)."""
    registry = node.registry
    start = registry.latest_timestamp() - 3600 if valid_from is None else valid_from
    receipt = chain_act(
        node,
        "accreditIssuer",
        body_id or accreditation_body(node),
        [type_id(t) for t in types],
        max_level,
        start,
        valid_until,
        uri,
        keccak(text=uri),
    )
    issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
    signer: str = Account.create().address
    if key:
        chain_act(node, "addIssuerKey", issuer_id, signer, start if key_from is None else key_from, 0)
    return issuer_id, signer


def add_issuer(
    node: Node,
    status: IssuerStatus = IssuerStatus.ACTIVE,
    *,
    types: Sequence[str] = ALL_TYPES,
    max_level: int = 10,
    uri: str | None = None,
    **chain: Any,
) -> IssuerKey:
    """A fresh issuer accredited on chain (every type, up to level 10, unless told otherwise) and recorded in the
    store under its on-chain id with its signing key, ``status`` on this node, and an issuer API key."""
    number = next(_ISSUER_NUMBERS)
    uri = uri or f"did:web:college-{number}.example.ac.za"
    name = f"College {number}"
    issuer_id, signer = accredit_issuer(node, uri, types=types, max_level=max_level, **chain)
    node.store.upsert_issuer(issuer_id, name=name, metadata_uri=uri, signer_address=signer, status=status)
    key = node.store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label=f"tests {issuer_id}")
    return IssuerKey(issuer_id, key, uri, name)


@pytest.fixture
def make_issuer(api_node: Node) -> Callable[..., IssuerKey]:
    """A fresh issuer (accredited on chain, unique id) in the store with an issuer API key."""

    def make(status: IssuerStatus = IssuerStatus.ACTIVE, **options: Any) -> IssuerKey:
        return add_issuer(api_node, status, **options)

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


def walk_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, BaseRoute]]:
    """(method, path, route) of every route of an app, descending into FastAPI's lazily included routers."""
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            context = getattr(route, "include_context", None)
            yield from walk_routes(route.original_router.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif hasattr(route, "methods") and hasattr(route, "path"):
            for method in getattr(route, "methods", None) or ():
                yield method, prefix + str(route.path), route
