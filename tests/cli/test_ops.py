"""node/cli/ops.py: `credreg devnet start`, `deploy` and `run` (what `make run` calls).

`run` brings the devnet up, deploys, serves /healthz and stops it all on Ctrl-C; bad input gets one clear line and a
non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from node.chain.deploy import read_manifest
from node.chain.devnet import Devnet, pid_alive, pid_file
from node.config import DEVNET_CHAIN_ID
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.workers.batcher import Batcher
from tests.conftest import NODE_MODULES
from tests.drills.chaincheck import all_anchored, new_credentials, wait_for
from tests.serving import free_port


def clean_env() -> dict[str, str]:
    """This process's environment without any CREDREG_ variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}


def credreg(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        env={**clean_env(), "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_unreachable_rpc_url(data_dir: Path) -> None:
    dead_port = free_port()
    result = credreg("deploy", "--rpc-url", f"http://127.0.0.1:{dead_port}", env={"CREDREG_DATA_DIR": str(data_dir)})
    assert_one_clear_line(result, "cannot reach", f"127.0.0.1:{dead_port}", "--rpc-url")


def test_deploy_without_a_running_devnet(data_dir: Path) -> None:
    result = credreg("deploy", env={"CREDREG_DATA_DIR": str(data_dir)})
    assert_one_clear_line(result, "devnet is not running", "credreg devnet start")


def test_anvil_missing(data_dir: Path, tmp_path: Path) -> None:
    env = {"CREDREG_DATA_DIR": str(data_dir), "CREDREG_NODE_MODULES_DIR": str(tmp_path / "empty")}
    assert_one_clear_line(credreg("devnet", "start", env=env), "anvil is not installed", "make setup")


def test_devnet_port_already_taken(data_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"CREDREG_DATA_DIR": str(data_dir), "CREDREG_DEVNET_PORT": str(port)}
        assert_one_clear_line(credreg("devnet", "start", env=env), f"port {port}", "already in use")


def test_api_port_already_taken(data_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"CREDREG_DATA_DIR": str(data_dir), "CREDREG_API_PORT": str(port), "CREDREG_DEVNET_PORT": "0"}
        assert_one_clear_line(credreg("run", env=env), f"port {port}", "already in use")


def test_data_dir_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {"CREDREG_DATA_DIR": str(blocker / "data")}
    for args in (("devnet", "start"), ("deploy", "--rpc-url", "http://127.0.0.1:1"), ("run",)):
        assert_one_clear_line(credreg(*args, env=env), "not writable", "CREDREG_DATA_DIR")


@pytest.mark.anvil
def test_wrong_chain_id_is_refused(anvil: Devnet, data_dir: Path, tmp_path: Path) -> None:
    env = {"CREDREG_DATA_DIR": str(data_dir)}
    first = credreg("deploy", "--rpc-url", anvil.url, env=env)
    assert first.returncode == 0, first.stderr
    other = Devnet(tmp_path / "other", anvil.binary.parents[3], chain_id=999_001, port=0, snapshot_interval_s=None)
    with other:
        result = credreg("deploy", "--rpc-url", other.url, env=env)
    assert_one_clear_line(result, "chain id 472019", "chain id 999001", "CREDREG_DATA_DIR")


@pytest.mark.anvil
def test_run_serves_healthz_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    settings = {"CREDREG_DATA_DIR": str(tmp_path / "data"), "CREDREG_API_PORT": str(port), "CREDREG_DEVNET_PORT": "0"}
    env = clean_env() | settings
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        cmd = [sys.executable, "-m", "node.cli", "run"]
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        health = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if response.status_code == 200:
                    health = response.json()
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert health is not None, log.read_text()
        field = {k.replace("_", "").lower(): v for k, v in health.items()}  # the wire may be camelCase or snake_case
        assert field["chainid"] == 472019
        assert field["latestblock"] >= 1
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", field["registryaddress"])
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}" in printed
        devnet_url = re.search(r"devnet listening at (http://\S+)", printed)
        assert devnet_url, printed
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()
    assert "devnet stopped; state saved" in log.read_text()
    with pytest.raises(httpx.HTTPError):
        httpx.post(devnet_url.group(1), json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2)
    assert (tmp_path / "data" / "devnet" / "state.json").stat().st_size > 0


@pytest.mark.anvil
def test_deploy_fresh_refuses_to_discard_anchored_credentials_unless_told(
    devnode: tuple[Node, DemoIssuer], anvil: Devnet
) -> None:
    """A fresh deployment abandons the registry the learners' bundles name: refused while any credential is anchored
    on it, and with --discard-anchored it says what happens to them."""
    node, demo = devnode
    node.store.add_credentials(demo.issuer_id, new_credentials(2))
    batcher = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = batcher
    batcher.start()
    try:
        wait_for(lambda: all_anchored(node.store), 30, "both credentials anchored")
    finally:
        batcher.stop()
        node.workers.batcher = None
    old_registry = node.manifest.registry
    env = {"CREDREG_DATA_DIR": str(node.settings.data_dir)}

    refused = credreg("deploy", "--fresh", "--rpc-url", anvil.url, env=env)
    assert_one_clear_line(refused, "2 credential(s)", "anchored", old_registry, "no longer verify",
                          "--discard-anchored")  # fmt: skip
    assert read_manifest(node.settings.manifest_path) == node.manifest, "a refusal leaves the deployment as it was"

    done = credreg("deploy", "--fresh", "--discard-anchored", "--rpc-url", anvil.url, env=env)
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    assert f"2 credential(s) were anchored on the old registry {old_registry}" in warning, warning
    assert "no longer verify against the new one" in warning
    new = read_manifest(node.settings.manifest_path)
    assert new is not None and new.registry != old_registry


@pytest.mark.anvil
def test_devnet_status_and_stop_find_an_orphaned_devnet(data_dir: Path) -> None:
    """A devnet whose node died where nothing stopped it is reported as orphaned and stopped after a last snapshot
    (before the pid file, status said "not running" and the next start failed on the port)."""
    devnet = Devnet(data_dir / "devnet", NODE_MODULES, DEVNET_CHAIN_ID, port=0, snapshot_interval_s=None)
    devnet.start()
    assert devnet.process is not None
    anvil = devnet.process.pid
    try:
        dead = subprocess.Popen(["true"])
        dead.wait()
        record = json.loads(pid_file(devnet.state_dir).read_text())
        pid_file(devnet.state_dir).write_text(json.dumps(record | {"owner_pid": dead.pid, "owner_start_ticks": None}))
        env = {"CREDREG_DATA_DIR": str(data_dir)}
        status = credreg("devnet", "status", env=env)
        assert status.returncode == 0 and f"devnet running at {devnet.url}" in status.stdout, status
        assert f"orphaned: its `credreg run` (pid {dead.pid}) is gone" in status.stdout
        stopped = credreg("devnet", "stop", env=env)
        assert stopped.returncode == 0 and "stopped the orphaned devnet" in stopped.stdout, stopped
        assert not pid_alive(anvil)
        assert (data_dir / "devnet" / "state.json").stat().st_size > 0, "a last snapshot was taken"
    finally:
        if pid_alive(anvil):
            os.kill(anvil, signal.SIGKILL)
        devnet.process = None
