"""`credreg serve --workers 2` on PostgreSQL: two API worker processes on one port and one database. One batcher
holds the database's advisory lock; kill -9 of it and of its API worker mid-run → the other worker's batcher takes
over, and every accepted credential is anchored exactly once, with contiguous nonces."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet
from node.chain.signers import DEV_GOVERNOR, dev_account
from node.config import PROJECT_ROOT, Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from node.store import BatchStatus, Store
from node.store.locks import lock_key
from tests.drills.chaincheck import all_anchored, assert_exactly_once, assert_no_nonce_gap, wait_for
from tests.samples import numbered_subject
from tests.serving import free_port

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

TYPE = "formal-qualification"


def batcher_holder(store: Store) -> int | None:
    """The pid of the process holding the batcher's advisory lock of ``store``'s database and schema (its lock
    connection's application_name says it), or None."""
    with store.engine.connect() as connection:
        scope = connection.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
        key = lock_key("batcher", str(scope))
        name = connection.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low "
                "AND l.objsubid = 1"
            ),
            {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
        ).scalar()
    if not name or " pid " not in str(name):
        return None
    return int(str(name).rpartition(" pid ")[2])


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


@pytest.fixture
def pg_settings(settings: Settings, postgres_url: str) -> Settings:
    settings.database_url = postgres_url
    return settings


@pytest.fixture
def served(anvil: Devnet, pg_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Node, str, str]]:
    """(API URL, a node of the test on the same database, the demo issuer's API key, its signing address)."""
    deploy(connect(anvil.url), dev_account(DEV_GOVERNOR), pg_settings.manifest_path, pg_settings.artifacts_dir)
    node = Node.open(pg_settings, rpc_url=anvil.url)
    demo = ensure_demo_issuer(node)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    env |= {
        "CREDREG_DATA_DIR": str(pg_settings.data_dir),
        "CREDREG_DATABASE_URL": str(pg_settings.database_url),
        "CREDREG_BATCH_MAX_SIZE": "8",
        "CREDREG_BATCH_MAX_WAIT_MS": "300",
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [sys.executable, "-m", "node.cli", "serve", "--workers", "2", "--rpc-url", anvil.url, "--port", str(port)]
    log_path = tmp_path / "serve.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), 90, f"the API on {url} ({log_path})")
        yield url, node, demo.api_key, demo.signer
    finally:
        with_group = os.getpgid(proc.pid)
        os.killpg(with_group, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            proc.wait(timeout=10)
        time.sleep(0.5)
        with_group_left = subprocess.run(["pgrep", "-g", str(with_group)], capture_output=True, text=True).stdout
        if with_group_left.strip():
            os.killpg(with_group, signal.SIGKILL)
        node.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Poster:
    """Single posts from 4 threads until stopped; the ids of every 202 (requests to a killed worker fail)."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.headers = url, {"Authorization": f"Bearer {key}"}
        self.accepted: list[str] = []
        self.failed = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._next = 0
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(4)]

    def __enter__(self) -> Poster:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as client:
            while not self._stop.is_set():
                with self._lock:
                    n, self._next = self._next, self._next + 1
                try:
                    response = client.post(
                        "/v1/credentials", json={"type": TYPE, "credentialSubject": numbered_subject(n)}
                    )
                except httpx.HTTPError:
                    with self._lock:
                        self.failed += 1
                    continue
                with self._lock:
                    if response.status_code == 202:
                        self.accepted.append(str(response.json()["id"]))
                    else:
                        self.failed += 1
                time.sleep(0.02)


def test_kill_9_of_the_batcher_holder_hands_over_and_anchors_everything_once(
    served: tuple[str, Node, str, str],
) -> None:
    url, node, key, signer = served
    store = node.store
    wait_for(lambda: batcher_holder(store) is not None, 60, "a batcher holding the advisory lock")
    holder = batcher_holder(store)
    assert holder is not None
    worker = parent_of(holder)
    with Poster(url, key) as poster:
        wait_for(lambda: len(store.batches_with_status(BatchStatus.CONFIRMED)) >= 2, 60, "two anchored batches")
        os.kill(holder, signal.SIGKILL)  # the batcher mid-run, and the API worker it belongs to
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: batcher_holder(store) not in (None, holder), 60, "another batcher taking the lock over")
        before = len(poster.accepted)
        wait_for(lambda: len(poster.accepted) >= before + 40, 60, "posts accepted after the take-over")
    assert poster.accepted
    wait_for(lambda: all_anchored(store), 120, "every accepted credential anchored", interval_s=0.3)
    checked = assert_exactly_once(node, poster.accepted)
    assert checked.credentials == len(set(poster.accepted)) and checked.batches >= 3
    assert_no_nonce_gap(node, signer)
