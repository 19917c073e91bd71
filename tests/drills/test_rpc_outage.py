"""RPC outage drill: the chain's JSON-RPC node stops for 30 s while credentials keep being accepted. Nothing is
marked failed, the outage is reported, and once the node is back every credential is anchored exactly once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import DEVNET_CHAIN_ID, Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store import AnchoringState
from node.workers.batcher import Batcher
from tests.conftest import NODE_MODULES, start_devnet
from tests.drills.chaincheck import assert_exactly_once, assert_no_nonce_gap, new_credentials, wait_for

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

OUTAGE_S = 30.0


def test_a_30s_rpc_outage_loses_and_fails_nothing(tmp_path: Path, settings: Settings) -> None:
    settings.batch_max_size, settings.batch_max_wait_ms = 16, 300
    state = tmp_path / "anvil"
    devnet = start_devnet(state, block_time_s=0.2, snapshot_interval_s=60)  # state is snapshotted on stop
    port = int(devnet.url.rsplit(":", 1)[1])
    back: list[Devnet] = []
    node = None
    try:
        deploy(connect(devnet.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path,
               settings.artifacts_dir)  # fmt: skip
        node = Node.open(settings, rpc_url=devnet.url)
        demo = ensure_demo_issuer(node)
        batcher = Batcher(node, poll_interval_s=0.02, anchor_check_interval_s=1.0)
        node.workers.batcher = batcher
        batcher.start()

        accepted: list[str] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def accept() -> None:  # what the API does: write the outbox, whatever the chain is doing
            assert node is not None
            try:
                while not stop.is_set():
                    accepted.extend(node.store.add_credentials(demo.issuer_id, new_credentials(5)))
                    time.sleep(0.25)
            except BaseException as exc:
                errors.append(exc)

        acceptor = threading.Thread(target=accept)
        acceptor.start()
        time.sleep(2.0)
        devnet.stop()
        down_at = time.monotonic()
        accepted_before_outage = len(accepted)
        time.sleep(OUTAGE_S - 3)
        during = batcher.stats()
        counts = node.store.credential_counts()
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        again = Devnet(state, NODE_MODULES, DEVNET_CHAIN_ID, port=port, block_time_s=0.2, snapshot_interval_s=None)
        again.start()
        back.append(again)
        time.sleep(2.0)
        stop.set()
        acceptor.join()

        assert not errors, errors
        assert len(accepted) > accepted_before_outage + 80, "the outbox kept accepting during the outage"
        assert counts[AnchoringState.FAILED] == 0 and during.batches_failed == 0
        assert during.running and during.last_error is not None
        assert "unreachable" in during.last_error or "failed for" in during.last_error, during.last_error
        wait_for(batcher.idle, 90, "everything anchored after the outage")
        once = assert_exactly_once(node, accepted)
        assert once.credentials == len(accepted)
        assert assert_no_nonce_gap(node, demo.signer) == once.batches
        assert batcher.stats().batches_failed == 0
    finally:
        if node is not None:
            node.close()
        devnet.stop()
        for d in back:
            d.stop()
