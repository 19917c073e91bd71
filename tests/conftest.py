"""Fixtures shared by the whole suite: isolated settings, a real anvil on a free loopback port, a node on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings
from node.runtime import Node
from node.services.bootstrap import DemoIssuer, ensure_demo_issuer

NODE_MODULES = PROJECT_ROOT / "node_modules"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at a private data dir; the environment is cleared of CREDREG_ variables."""
    import os

    for name in list(os.environ):
        if name.startswith("CREDREG_"):
            monkeypatch.delenv(name)
    return Settings(data_dir=data_dir, devnet_port=0, devnet_block_time_s=0.2, devnet_snapshot_interval_s=0.5)


def start_devnet(state_dir: Path, block_time_s: float | None = 0.2, snapshot_interval_s: float | None = 0.5) -> Devnet:
    devnet = Devnet(
        state_dir=state_dir,
        node_modules=NODE_MODULES,
        chain_id=DEVNET_CHAIN_ID,
        port=0,
        block_time_s=block_time_s,
        snapshot_interval_s=snapshot_interval_s,
    )
    devnet.start()
    return devnet


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Devnet]:
    """A real anvil (interval mining, 0.2 s blocks) on a free loopback port, stopped after the test."""
    devnet = start_devnet(tmp_path / "anvil")
    try:
        yield devnet
    finally:
        devnet.stop()


@pytest.fixture
def devnode(anvil: Devnet, settings: Settings) -> Iterator[tuple[Node, DemoIssuer]]:
    """A deployed registry, the demo issuer (anvil dev key 2), and a node on them; batches of 8, 600 ms wait."""
    settings.batch_max_size = 8
    settings.batch_max_wait_ms = 600
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        yield node, ensure_demo_issuer(node)
    finally:
        node.close()


@pytest.fixture
def tester_w3() -> Web3:
    """An in-process chain (eth-tester over py-evm)."""
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))


@pytest.fixture
def tester_account(tester_w3: Web3) -> LocalAccount:
    """The first funded eth-tester account, as a local signer (its key is eth-tester's public test key)."""
    backend = tester_w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    account: LocalAccount = Account.from_key(backend.account_keys[0])
    return account
