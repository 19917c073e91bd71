"""Chain reset drill: anchors vanish (anvil evm_revert to a snapshot taken before them) while the batcher runs, and
again while it is stopped; both times the lost batches are found and anchored again, each root exactly once."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet, rpc
from node.config import Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store import BatchStatus
from node.workers.batcher import Batcher
from tests.drills.chaincheck import assert_exactly_once, assert_no_nonce_gap, issue, wait_for

pytestmark = pytest.mark.anvil


def _anchors(node: Node) -> dict[int, tuple[str, str]]:
    return {b.id: (str(b.root), str(b.tx_hash)) for b in node.store.batches_with_status(BatchStatus.CONFIRMED)}


def _on_chain(node: Node, roots: list[str]) -> list[bool]:
    return [node.registry.anchor_of(bytes.fromhex(r[2:])).exists for r in roots]


def test_lost_anchors_are_found_and_anchored_again(anvil: Devnet, settings: Settings) -> None:
    settings.batch_max_size, settings.batch_max_wait_ms = 16, 300
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        demo = ensure_demo_issuer(node)
        before_anchors = rpc(anvil.url, "evm_snapshot")
        batcher = Batcher(node, poll_interval_s=0.02, anchor_check_interval_s=0.5)
        node.workers.batcher = batcher
        batcher.start()
        ids = issue(node.store, demo.issuer_id, 60)
        wait_for(batcher.idle, 30, "the first anchoring")
        first = _anchors(node)
        roots = [root for root, _ in first.values()]
        assert len(first) == 4 and all(_on_chain(node, roots))

        # 1. the chain forgets the anchors while the batcher runs: its periodic check finds them
        assert rpc(anvil.url, "evm_revert", [before_anchors]) is True
        before_reanchors = rpc(anvil.url, "evm_snapshot")
        assert not any(_on_chain(node, roots))
        wait_for(lambda: batcher.stats().batches_reanchored == 4, 20, "the lost anchors to be noticed")
        wait_for(batcher.idle, 30, "anchoring again")
        second = _anchors(node)
        assert {b: root for b, (root, _) in second.items()} == {b: root for b, (root, _) in first.items()}
        # (the transactions may be byte-identical to the lost ones: same nonce, calldata and fees sign the same; what
        # matters is that they are on the chain as it is now, which assert_exactly_once checks block by block)
        assert_exactly_once(node, ids)
        assert assert_no_nonce_gap(node, demo.signer) == 4

        # 2. the chain forgets them while the node is down: recovery at start finds them
        batcher.stop()
        assert rpc(anvil.url, "evm_revert", [before_reanchors]) is True
        assert not any(_on_chain(node, roots))
        restarted = Batcher(node, poll_interval_s=0.02)
        node.workers.batcher = restarted
        report = restarted.recover()
        assert report.lost_anchors == 4
        restarted.start()
        wait_for(restarted.idle, 30, "anchoring again after the restart")
        assert_exactly_once(node, ids)
        assert assert_no_nonce_gap(node, demo.signer) == 4
    finally:
        node.close()
