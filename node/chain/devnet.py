"""The local devnet: the anvil binary from node_modules on loopback, with crash-safe state snapshots.

anvil's own ``--state`` file is written only on a clean exit and rewritten in place, so a ``kill -9`` loses everything
and can leave a half-written file. Instead this module takes snapshots over RPC (``anvil_dumpState``) every
``snapshot_interval_s`` seconds and on every clean stop, checks they parse, and replaces ``state.json`` atomically
(write to a temporary file, fsync, rename). A ``kill -9`` of anvil therefore loses at most the last interval of
blocks, and the state file on disk is always one anvil loads.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from node.config import Settings
from node.errors import DevnetError
from node.fsutil import ensure_writable, write_atomically

LISTENING = "Listening on "
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
SNAPSHOT_ATTEMPTS = 5
"""Dumps tried per snapshot until one is taken with no block mined during it."""
HARDFORK = "cancun"

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's public development mnemonic. DEVNET ONLY: these keys are published everywhere; never fund them elsewhere."""

DEV_PRIVATE_KEYS = (
    # DEVNET ONLY: the first accounts of anvil's public development mnemonic. Public knowledge, not secrets.
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)


def anvil_binary(node_modules: Path) -> Path:
    """The real anvil binary shipped by npm ``@foundry-rs/anvil`` (not the Node wrapper, which -9 orphans)."""
    path = node_modules / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not path.is_file():
        raise DevnetError(f"anvil is not installed (looked for {path}): run `make setup` (it runs `npm ci`).")
    return path


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
    """One raw JSON-RPC call (the devnet controller needs no web3)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    response = httpx.post(url, json=body, timeout=timeout)
    response.raise_for_status()
    payload = response.json()
    if "error" in payload:
        raise DevnetError(f"{method} failed: {payload['error'].get('message', payload['error'])}")
    return payload["result"]


@dataclass(frozen=True)
class DevnetInfo:
    url: str
    pid: int
    chain_id: int
    state_file: str


class Devnet:
    """One anvil process with periodic atomic snapshots. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        state_dir: Path,
        node_modules: Path,
        chain_id: int,
        host: str = "127.0.0.1",
        port: int = 0,
        block_time_s: float | None = 1.0,
        snapshot_interval_s: float | None = 5.0,
    ) -> None:
        self.state_dir = state_dir
        self.binary = anvil_binary(node_modules)
        self.chain_id = chain_id
        self.host = host
        self.port = port
        self.block_time_s = block_time_s
        self.snapshot_interval_s = snapshot_interval_s
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._stop_snapshots = threading.Event()
        self._snapshot_thread: threading.Thread | None = None
        self._snapshot_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, port: int | None = None) -> Devnet:
        return cls(
            state_dir=settings.devnet_dir,
            node_modules=settings.node_modules_dir,
            chain_id=settings.chain_id,
            host=settings.devnet_host,
            port=settings.devnet_port if port is None else port,
            block_time_s=settings.devnet_block_time_s or None,
            snapshot_interval_s=settings.devnet_snapshot_interval_s or None,
        )

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "anvil.log"

    def start(self) -> str:
        ensure_writable(self.state_dir)
        if self.port and not port_is_free(self.host, self.port):
            raise DevnetError(
                f"port {self.port} on {self.host} is already in use: stop whatever holds it "
                "(`credreg devnet stop` if it is our devnet) or set CREDREG_DEVNET_PORT to another port (0 = any free)."
            )
        args = [
            str(self.binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--hardfork", HARDFORK,
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(len(DEV_PRIVATE_KEYS)),
            "--gas-limit", "60000000",
        ]  # fmt: skip
        if self.block_time_s:
            args += ["--block-time", f"{self.block_time_s:g}"]
        if self.state_file.exists():
            args += ["--load-state", str(self.state_file)]
        log = open(self.log_file, "wb")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.url = self._wait_listening()
        if self.snapshot_interval_s:
            self._stop_snapshots.clear()
            self._snapshot_thread = threading.Thread(target=self._snapshot_loop, name="devnet-snapshots", daemon=True)
            self._snapshot_thread.start()
        return self.url

    def _wait_listening(self) -> str:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.log_file.read_text(errors="replace")
            for line in text.splitlines():
                if line.startswith(LISTENING):
                    return "http://" + line[len(LISTENING) :].strip()
            if self.process.poll() is not None:
                tail = "\n".join(text.splitlines()[-5:])
                raise DevnetError(f"anvil exited with code {self.process.returncode} on start:\n{tail}")
            time.sleep(0.05)
        self._terminate()
        raise DevnetError(f"anvil did not start listening within {START_TIMEOUT_S:g} s; see {self.log_file}")

    def snapshot(self) -> None:
        """Dump the chain over RPC and replace state.json atomically (only with a dump that parses and no block was
        mined during: anvil reads the block list and then the accounts, so a block mined in between would leave the
        accounts (an anchor's record) ahead of the blocks (its transaction and log) in the file)."""
        with self._snapshot_lock:
            for _ in range(SNAPSHOT_ATTEMPTS):
                before = rpc(self.url, "eth_blockNumber")
                raw = rpc(self.url, "anvil_dumpState")
                if rpc(self.url, "eth_blockNumber") == before:
                    break
            else:
                raise DevnetError(
                    f"a block was mined during each of {SNAPSHOT_ATTEMPTS} state dumps; the previous snapshot is kept"
                )
            blob = bytes.fromhex(str(raw).removeprefix("0x"))
            if blob[:2] == b"\x1f\x8b":
                blob = gzip.decompress(blob)
            json.loads(blob)  # never replace a good snapshot with one anvil could not load
            write_atomically(self.state_file, blob)

    def _snapshot_loop(self) -> None:
        assert self.snapshot_interval_s
        while not self._stop_snapshots.wait(self.snapshot_interval_s):
            if self.process is None or self.process.poll() is not None:
                return
            with contextlib.suppress(httpx.HTTPError, DevnetError, ValueError, OSError):
                self.snapshot()

    def stop(self) -> None:
        """Take a last snapshot, then stop anvil (SIGTERM, SIGKILL after a timeout)."""
        self._stop_snapshots.set()
        if self._snapshot_thread is not None:
            self._snapshot_thread.join(timeout=STOP_TIMEOUT_S)
            self._snapshot_thread = None
        if self.process is not None and self.process.poll() is None and self.snapshot_interval_s:
            with contextlib.suppress(httpx.HTTPError, DevnetError, ValueError, OSError):
                self.snapshot()
        self._terminate()

    def _terminate(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def info(self) -> DevnetInfo:
        pid = self.process.pid if self.process is not None else 0
        return DevnetInfo(url=self.url, pid=pid, chain_id=self.chain_id, state_file=str(self.state_file))

    def __enter__(self) -> Devnet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the detached devnet (`credreg devnet start|stop|status`) -----------------------------------------------------


def runfile(settings: Settings) -> Path:
    return settings.devnet_dir / "devnet.json"


def read_runfile(settings: Settings) -> dict[str, Any] | None:
    path = runfile(settings)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def supervise(settings: Settings) -> None:
    """Run the devnet in the foreground until SIGTERM/SIGINT (the body of the detached supervisor process)."""
    devnet = Devnet.from_settings(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    devnet.start()
    try:
        info = devnet.info()
        write_atomically(
            runfile(settings),
            json.dumps({"url": info.url, "supervisor_pid": os.getpid(), "anvil_pid": info.pid,
                        "chain_id": info.chain_id, "state_file": info.state_file}).encode(),
        )  # fmt: skip
        while not stop.wait(0.5):
            if devnet.process is None or devnet.process.poll() is not None:
                break  # anvil died (e.g. kill -9): the last snapshot stays on disk
    finally:
        devnet.stop()
        with contextlib.suppress(OSError):
            runfile(settings).unlink()


if __name__ == "__main__":  # pragma: no cover - the detached supervisor's entry point
    from node.config import get_settings

    supervise(get_settings())
