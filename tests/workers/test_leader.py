"""One holder of a worker's role per node: an advisory lock on PostgreSQL, a file lock on SQLite; released when the
holder dies (kill -9) so that a standby takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from node.config import PROJECT_ROOT
from node.store import Store
from node.store.locks import lock_key
from node.workers import leader
from node.workers.leader import WorkerLock

HOLD = """
import sys, time
from node.store import Store
from node.workers.leader import WorkerLock
lock = WorkerLock(Store(sys.argv[1]), "batcher", __import__("pathlib").Path(sys.argv[2]))
assert lock.try_acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'credreg.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def stores(url: str) -> Iterator[tuple[Store, Store]]:
    first, second = Store(url), Store(url)  # two engines: as two processes, two sessions
    first.migrate()
    yield first, second
    first.close()
    second.close()


def test_one_holder_at_a_time_and_the_next_after_release(stores: tuple[Store, Store], tmp_path: Path) -> None:
    first, second = stores
    mine = WorkerLock(first, "batcher", tmp_path / "batcher.lock")
    theirs = WorkerLock(second, "batcher", tmp_path / "batcher.lock")
    other_role = WorkerLock(second, "indexer", tmp_path / "indexer.lock")
    assert mine.try_acquire() and mine.try_acquire()  # held, and again True while held
    assert not theirs.try_acquire()
    assert other_role.try_acquire()  # another role is another lock
    mine.release()
    assert theirs.try_acquire()
    assert not mine.try_acquire()
    theirs.release()
    other_role.release()


def test_a_holder_killed_with_sigkill_hands_the_lock_over(
    url: str, stores: tuple[Store, Store], tmp_path: Path
) -> None:
    path = tmp_path / "batcher.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, str(path)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        standby = WorkerLock(stores[0], "batcher", path)
        assert not standby.try_acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 10
        while not standby.try_acquire():  # the server ends the dead session (at once: its socket closed)
            assert time.monotonic() < deadline, "the lock of a killed holder was never released"
            time.sleep(0.1)
        standby.release()
    finally:
        holder.kill()
        holder.wait(10)


def test_a_lost_session_is_noticed_and_the_lock_given_up(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(leader, "RECHECK_S", 0.0)  # ask the server on every call
    first, second = Store(postgres_url), Store(postgres_url)
    try:
        mine = WorkerLock(first, "batcher", tmp_path / "x")
        theirs = WorkerLock(second, "batcher", tmp_path / "x")
        assert mine.try_acquire()
        with second.engine.connect() as admin:  # the server ends our session (as a network failure would)
            scope = admin.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
            key = lock_key("batcher", str(scope))  # only this test's lock: other sessions may share the server
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = :high AND objid = :low AND objsubid = 1"
                ),
                {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
            )
            admin.commit()
        deadline = time.monotonic() + 10
        while not theirs.try_acquire():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not mine.try_acquire()  # it noticed: no second holder
        assert not mine.held
        theirs.release()
    finally:
        first.close()
        second.close()
