"""`credreg run` as the operator starts it (`make run` runs exactly this), in a subprocess on free ports with its own
data dir; the processes it starts found from /proc, not from what it says about them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from node.chain.devnet import pid_alive
from tests.serving import free_port

SUBJECT = {
    "learner": {"name": "Thandiwe Nkosi", "identity": {"type": "za-id", "number": "8001015009087"}},
    "qualification": {"id": "94738", "title": "BCom Accounting", "nqfLevel": 7, "credits": 360},
    "institution": "University of Example",
    "awardDate": "2025-04-12",
}


def run_env(data_dir: Path, api_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    return env | {
        "CREDREG_DATA_DIR": str(data_dir),
        "CREDREG_API_PORT": str(api_port),
        "CREDREG_DEVNET_PORT": "0",
        "CREDREG_DEVNET_BLOCK_TIME_S": "0.2",
        "CREDREG_DEVNET_SNAPSHOT_INTERVAL_S": "0.5",
        "CREDREG_BATCH_MAX_WAIT_MS": "200",
        "COLUMNS": "200",
    }


@dataclass
class RunningNode:
    proc: subprocess.Popen[bytes]
    log: Path
    url: str

    @property
    def printed(self) -> str:
        return self.log.read_text(errors="replace")

    def api_key(self) -> str:
        found = re.search(r"demo issuer API key.*?: (\S+)", self.printed)
        assert found, self.printed
        return found.group(1)

    def anvil_pids(self) -> list[int]:
        """The anvil processes this node started (children of its process, by /proc)."""
        return [pid for pid in children(self.proc.pid) if comm(pid) == "anvil"]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


def start_run(data_dir: Path, log: Path, api_port: int | None = None, wait: bool = True) -> RunningNode:
    port = api_port or free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "run"], env=run_env(data_dir, port), stdout=out, stderr=subprocess.STDOUT
        )
    node = RunningNode(proc=proc, log=log, url=f"http://127.0.0.1:{port}")
    if wait:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{node.url}/readyz", timeout=2).status_code == 200:
                    return node
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        node.stop(signal.SIGKILL)
        raise AssertionError(f"credreg run did not become ready:\n{node.printed}")
    return node


def anchored_bundle(node: RunningNode) -> dict[str, Any]:
    """Issue one credential with the demo key and wait for its bundle."""
    headers = {"Authorization": f"Bearer {node.api_key()}"}
    body = {"type": "formal-qualification", "credentialSubject": SUBJECT}
    accepted = httpx.post(f"{node.url}/v1/credentials", json=body, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text
    cid = accepted.json()["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = httpx.get(f"{node.url}/v1/credentials/{cid}", headers=headers, timeout=10).json()
        if got.get("status") == "anchored" and got.get("bundle"):
            bundle: dict[str, Any] = got["bundle"]
            return bundle
        time.sleep(0.2)
    raise AssertionError(f"credential {cid} was not anchored: {got}")


def verifies(node: RunningNode, bundle: dict[str, Any]) -> bool:
    response = httpx.post(f"{node.url}/v1/verify", content=json.dumps(bundle), timeout=10,
                          headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return bool(response.json()["valid"])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)
