"""The devnet lives and dies with `credreg run`: no signal to the node leaves anvil behind, a restart carries on with
the same chain (what was anchored still verifies), and one data dir serves one node at a time."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from node.chain.devnet import pid_alive
from tests.ops.runner import anchored_bundle, run_env, start_run, verifies, wait_gone
from tests.serving import free_port

pytestmark = [pytest.mark.anvil, pytest.mark.timeout(90)]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def recorded_anvil(data_dir: Path) -> int:
    return int(json.loads((data_dir / "devnet" / "anvil.json").read_text())["pid"])


def assert_restart_verifies(data: Path, log: Path, bundle: dict[str, Any]) -> None:
    """The next `credreg run` on the data dir starts its own recorded anvil, and an earlier bundle still verifies."""
    again = start_run(data, log)
    try:
        assert again.anvil_pids() == [recorded_anvil(data)], "the pid file records the node's anvil"
        assert verifies(again, bundle), again.printed
    finally:
        again.stop(signal.SIGTERM)


def test_sigterm_of_run_stops_anvil_and_a_restart_still_verifies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    node = start_run(data, tmp_path / "first.log")
    try:
        [anvil] = node.anvil_pids()
        bundle = anchored_bundle(node)
        assert verifies(node, bundle)
    finally:
        code = node.stop(signal.SIGTERM)
    assert code == 0, node.printed
    assert wait_gone(anvil), f"anvil {anvil} outlived a SIGTERM of credreg run:\n{node.printed}"
    assert "devnet stopped; state saved" in node.printed
    assert not (data / "devnet" / "anvil.json").exists()

    assert_restart_verifies(data, tmp_path / "second.log", bundle)


def test_second_run_is_refused_and_kill_9_leaves_nothing_behind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    node = start_run(data, tmp_path / "first.log")
    try:
        [anvil] = node.anvil_pids()
        bundle = anchored_bundle(node)

        second = subprocess.run(
            [sys.executable, "-m", "node.cli", "run"], env=run_env(data, free_port()),
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert second.returncode == 1, second.stdout + second.stderr
        assert "Traceback" not in second.stderr
        message = " ".join(second.stderr.split())
        assert f"is in use by another credreg node (pid {node.proc.pid}, since " in message, message
        assert f"API {node.url})" in message, message
        assert node.proc.poll() is None and pid_alive(anvil), "the refused run must not touch the running node"

        time.sleep(1.5)  # > the snapshot interval (0.5 s): the anchor is in a snapshot
    finally:
        node.stop(signal.SIGKILL)
    assert wait_gone(anvil), f"anvil {anvil} outlived a kill -9 of credreg run"

    assert_restart_verifies(data, tmp_path / "second.log", bundle)


def test_the_cli_on_the_node_host_finds_the_devnet_the_node_started(tmp_path: Path) -> None:
    """No URL given, the devnet on a port of its own choosing (0): status, start, stop and verify read the pid file."""
    data = tmp_path / "data"
    node = start_run(data, tmp_path / "node.log")
    try:
        [anvil] = node.anvil_pids()
        bundle = anchored_bundle(node)
        devnet_url = re.search(r"devnet listening at (http://\S+)", node.printed)
        assert devnet_url, node.printed
        (tmp_path / "bundle.json").write_text(json.dumps(bundle))
        env = run_env(data, 1)  # the CLI on the node's host: same data dir, no URL given; the devnet is on port 0

        status = cli("devnet", "status", env=env)
        assert status.returncode == 0, status.stderr
        assert f"devnet running at {devnet_url.group(1)}" in status.stdout
        assert f"supervised by `credreg run`, pid {node.proc.pid}" in status.stdout
        start = cli("devnet", "start", env=env)
        assert start.returncode == 0 and f"devnet already running at {devnet_url.group(1)}" in start.stdout, start
        stop = cli("devnet", "stop", env=env)
        assert stop.returncode == 1 and "belongs to the running node" in stop.stderr, stop
        verified = cli("verify", str(tmp_path / "bundle.json"), env=env)
        assert verified.returncode == 0 and "VALID" in verified.stdout, verified.stdout + verified.stderr
        assert pid_alive(anvil) and node.proc.poll() is None
    finally:
        node.stop(signal.SIGTERM)
