"""`credreg run` (what `make run` calls): devnet up, contracts deployed, API serving /healthz, Ctrl-C stops it all."""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.anvil
def test_run_serves_healthz_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    env |= {"CREDREG_DATA_DIR": str(tmp_path / "data"), "CREDREG_API_PORT": str(port), "CREDREG_DEVNET_PORT": "0"}
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
        assert health["chain_id"] == 472019
        assert health["latest_block"] >= 1
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", health["registry_address"])
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
