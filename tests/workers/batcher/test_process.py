"""The batcher as the API's child process (the default): it anchors, reports its counters, is restarted when it dies,
stops with the API, and never outlives it (a kill -9 of the API stops it too)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr

from node.config import Settings
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.services.health import NodeCollector
from node.workers.batcher import Batcher, BatcherStats
from node.workers.batcher.process import (
    BatcherProcess,
    settings_from_payload,
    settings_payload,
    stats_from_line,
    stats_line,
)
from tests.drills.chaincheck import all_anchored, assert_exactly_once, assert_no_nonce_gap, issue, wait_for


def _registry(node: Node) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(NodeCollector(node))
    return registry


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_child_gets_every_setting_and_secret_down_its_pipe(settings: Settings) -> None:
    settings.batch_max_size = 7
    settings.keystore_passphrase = SecretStr("correct horse")
    payload = settings_payload(settings)
    again = settings_from_payload(payload)
    assert again.keystore_passphrase is not None
    assert again.keystore_passphrase.get_secret_value() == "correct horse"
    assert again.batch_max_size == 7 and again.data_dir == settings.data_dir.resolve()
    assert again.model_dump(exclude={"data_dir"}) == settings.model_dump(exclude={"data_dir"})


def test_counters_survive_the_line_they_travel_on() -> None:
    stats = BatcherStats(True, True, False, 3, 700, 1, 0, 0, 2, 0, "rpc down", None, False)
    assert stats_from_line(stats_line(stats)) == stats


anvil = pytest.mark.anvil


@anvil
def test_a_dead_batcher_process_is_started_again_and_nothing_is_lost(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 100
    assert node.rpc_url is not None
    batcher = BatcherProcess(node.settings, node.rpc_url, restart_initial_s=0.2)
    node.workers.batcher = batcher  # stopped by node.close() even when the test fails
    batcher.start()
    first = issue(node.store, demo.issuer_id, 5)
    wait_for(lambda: all_anchored(node.store), 30, "the batcher process to anchor")
    wait_for(lambda: batcher.credentials_anchored == 5, 5, "its counters")
    pid = batcher.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: batcher.restarts == 1 and batcher.pid not in (None, pid), 20, "a new batcher process")
    scraped = generate_latest(_registry(node)).decode()
    assert "credreg_batcher_restarts 1.0" in scraped and "credreg_batcher_running 1.0" in scraped
    later = issue(node.store, demo.issuer_id, 6)
    wait_for(lambda: all_anchored(node.store), 30, "the new batcher process to anchor")
    wait_for(lambda: batcher.credentials_anchored == 11, 5, "the counters of both processes")
    batcher.stop()
    assert not batcher.running and not _alive(pid)
    assert_exactly_once(node, first + later)


PARENT = """
import sys, time
from node.workers.batcher.process import BatcherProcess, settings_from_payload
batcher = BatcherProcess(settings_from_payload(sys.stdin.readline()), sys.argv[1])
batcher.start()
print(batcher.pid, flush=True)
time.sleep(600)
"""


@anvil
def test_the_batcher_process_does_not_outlive_a_killed_api(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(node.rpc_url)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdin is not None and parent.stdout is not None
        parent.stdin.write(settings_payload(node.settings) + "\n")
        parent.stdin.flush()
        child = int(parent.stdout.readline())
        ids = issue(node.store, demo.issuer_id, 3)
        wait_for(lambda: all_anchored(node.store), 30, "the child to anchor")
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not _alive(child), 20, "the orphaned batcher process to stop")
    finally:
        parent.kill()
        parent.wait()
    # the data dir's lock is free again: a new batcher takes over at once instead of standing by
    successor = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = successor
    successor.start()
    wait_for(lambda: successor.stats().recovered, 20, "the successor to take the lock and recover")
    assert not successor.stats().standby
    assert_exactly_once(node, ids)


@anvil
def test_the_api_and_its_batcher_process_sign_with_one_issuer_key_without_clashing(
    devnode: tuple[Node, DemoIssuer],
) -> None:
    """The child anchors with the issuer's key while the API process revokes with the same key: the store hands
    out the nonces to both, so neither fails and the chain shows no gap."""
    node, demo = devnode
    node.settings.batch_max_wait_ms = 100
    with TestClient(create_app(node.settings, node=node)) as client:
        assert isinstance(node.workers.batcher, BatcherProcess)
        first = issue(node.store, demo.issuer_id, 8)
        wait_for(lambda: all_anchored(node.store), 30, "the first batch")
        later: list[str] = []
        more = threading.Thread(target=lambda: later.extend(issue(node.store, demo.issuer_id, 48, chunk=8)))
        more.start()
        headers = {"Authorization": f"Bearer {demo.api_key}"}
        for cid in first[:4]:
            r = client.post(f"/v1/credentials/{cid}/revoke", json={"reasonCode": 2}, headers=headers)
            assert r.status_code in (200, 202), r.text
        more.join()
        wait_for(lambda: all_anchored(node.store), 60, "the later batches")
    assert_exactly_once(node, first + later)
    assert assert_no_nonce_gap(node, demo.signer) >= 1 + 6 + 4
