"""A zero-fee chain, as a Besu QBFT network runs (``zeroBaseFee``, ``min-gas-price=0``): anvil with base fee and gas
price 0, and the node told to tip nothing (CREDREG_PRIORITY_FEE_WEI=0). An issuer key with no balance at all anchors
its credentials and still has none. (anvil keeps suggesting a 1 gwei tip, as eth_maxPriorityFeePerGas may on any
chain: CREDREG_PRIORITY_FEE_WEI=0 is what a zero-fee chain's operator sets.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store import AnchoringState
from node.workers.batcher import Batcher
from tests.drills.chaincheck import issue, wait_for

pytestmark = pytest.mark.anvil


@pytest.fixture
def zero_fee_chain(tmp_path: Path) -> Iterator[Devnet]:
    devnet = Devnet(
        tmp_path / "anvil",
        PROJECT_ROOT / "node_modules",
        DEVNET_CHAIN_ID,
        port=0,
        block_time_s=0.2,
        snapshot_interval_s=None,
        zero_fee=True,
    )
    devnet.start()
    try:
        yield devnet
    finally:
        devnet.stop()


def _node(chain: Devnet, data_dir: Path, tip: int | None) -> Node:
    settings = Settings(data_dir=data_dir, devnet_port=0, batch_max_wait_ms=100, priority_fee_wei=tip)
    deploy(connect(chain.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    return Node.open(settings, rpc_url=chain.url)


def _balance(node: Node, address: str) -> int:
    return int(node.w3.eth.get_balance(address))  # type: ignore[arg-type]


def test_the_chain_has_no_base_fee(zero_fee_chain: Devnet, tmp_path: Path) -> None:
    node = _node(zero_fee_chain, tmp_path / "data", tip=None)
    try:
        block = node.w3.eth.get_block("latest")
        assert block["baseFeePerGas"] == 0
    finally:
        node.close()


def test_a_key_with_no_balance_anchors_on_a_zero_fee_chain(zero_fee_chain: Devnet, tmp_path: Path) -> None:
    node = _node(zero_fee_chain, tmp_path / "data", tip=0)
    try:
        demo = ensure_demo_issuer(node)
        node.w3.provider.make_request("anvil_setBalance", [demo.signer, "0x0"])  # type: ignore[arg-type]
        assert _balance(node, demo.signer) == 0
        ids = issue(node.store, demo.issuer_id, 5)
        batcher = Batcher(node)
        batcher.start()
        try:
            wait_for(
                lambda: all(node.store.get_credential(i).status is AnchoringState.ANCHORED for i in ids),
                60,
                "the five credentials anchored by a key with no balance",
            )
        finally:
            batcher.stop()
        assert _balance(node, demo.signer) == 0  # it paid nothing
    finally:
        node.close()
