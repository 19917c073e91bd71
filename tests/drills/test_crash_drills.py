"""Crash drills: the node runs as a real subprocess and SIGKILLs itself at a crash point (CREDREG_CRASH_AT); a
restart without the variable must anchor every accepted credential exactly once, with no nonce gap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from web3.exceptions import TransactionNotFound

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import PROJECT_ROOT, Settings
from node.faults import CRASH_ENV
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store import AnchoringState, BatchStatus
from tests.drills.chaincheck import assert_exactly_once, assert_no_nonce_gap

pytestmark = pytest.mark.anvil

ACCEPT, CHUNK, BATCH = 100, 20, 16


@dataclass
class Drill:
    settings: Settings
    url: str
    signer: str
    log: Path

    def run(self, module: str, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
        env |= {"CREDREG_BATCH_MAX_SIZE": str(BATCH), "CREDREG_BATCH_MAX_WAIT_MS": "300", "PYTHONUNBUFFERED": "1"}
        if crash_at:
            env[CRASH_ENV] = crash_at
        command = [sys.executable, "-m", module, "--data-dir", str(self.settings.data_dir), "--rpc-url", self.url,
                   "--until-idle", "--timeout", "90", *args]  # fmt: skip
        done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        with self.log.open("a") as out:
            out.write(f"$ {CRASH_ENV}={crash_at or ''} {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        return done

    def node(self) -> Node:
        return Node.open(self.settings, rpc_url=self.url)


@pytest.fixture
def drill(anvil: Devnet, settings: Settings, tmp_path: Path) -> Drill:
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        demo = ensure_demo_issuer(node)
    finally:
        node.close()
    return Drill(settings, anvil.url, demo.signer, tmp_path / "drill.log")


def _no_batches(node: Node) -> bool:
    counts = node.store.credential_counts()
    return not node.store.batches_with_status() and counts[AnchoringState.PENDING] == 2 * CHUNK


def _one_building(node: Node) -> bool:
    return [b.status for b in node.store.batches_with_status()] == [BatchStatus.BUILDING]


def _one_built(node: Node) -> bool:
    return [b.status for b in node.store.batches_with_status()] == [BatchStatus.BUILT]


def _signed_never_sent(node: Node) -> bool:
    signed = node.store.batches_with_status(BatchStatus.SIGNED)
    if len(signed) != 1 or signed[0].raw_tx is None:
        return False
    try:
        node.w3.eth.get_transaction(signed[0].tx_hash)  # type: ignore[arg-type]
    except TransactionNotFound:
        return True
    return False


def _two_sent(node: Node) -> bool:
    return len(node.store.batches_with_status(BatchStatus.SENT, BatchStatus.CONFIRMED)) == 2


POINTS: dict[str, Callable[[Node], bool]] = {
    "after_accept@2": _no_batches,  # two chunks of 20 accepted, nothing batched
    "after_claim": _one_building,  # claimed, no tree
    "after_build": _one_built,  # tree recorded, nothing signed
    "after_sign@2": _signed_never_sent,  # the second batch's transaction persisted, never sent
    "after_send@2": _two_sent,  # two batches sent, receipts not awaited
}


@pytest.mark.parametrize("point", list(POINTS))
def test_crash_then_restart_anchors_every_accepted_credential_exactly_once(drill: Drill, point: str) -> None:
    crashed = drill.run("tests.drills.node_proc", "--accept", str(ACCEPT), "--chunk", str(CHUNK), crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, drill.log.read_text()

    node = drill.node()
    try:
        assert POINTS[point](node), f"the crash did not leave the state {point} should: {drill.log.read_text()}"
        accepted = [c.id for c in node.store.list_credentials(limit=10_000)]
        assert len(accepted) == (2 * CHUNK if point.startswith("after_accept") else ACCEPT)

        restarted = drill.run("node.workers.batcher")
        assert restarted.returncode == 0, drill.log.read_text()
        assert "idle:" in restarted.stdout

        once = assert_exactly_once(node, accepted)
        assert once.credentials == len(accepted)
        txs = assert_no_nonce_gap(node, drill.signer)
        assert txs == once.batches, "one transaction per batch: nothing anchored twice, nothing wasted"
    finally:
        node.close()
