"""Several organisations' credreg nodes on one chain, each a separate OS process with its own data dir, store, keys
and API keys; and a network namespace that can reach only the chain (for a verifier's node).

Used by tests/network/test_several_nodes.py and scripts/bench/ops.py.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.config import PROJECT_ROOT
from tests.serving import free_port

PASSPHRASE = "several-nodes-test-passphrase"
"""Each node's keystore passphrase (a test secret; every node has its own keystores)."""

READY_TIMEOUT_S = 90.0


def fund(w3: Web3, address: str, eth: int = 100) -> None:
    """Give ``address`` a balance on anvil (the operator funding an account of a chain that charges gas)."""
    w3.provider.make_request("anvil_setBalance", [Web3.to_checksum_address(address), hex(eth * 10**18)])  # type: ignore[arg-type]


def new_key() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


@dataclass
class NodeProcess:
    """One ``credreg serve`` process (the API with its indexer; the batcher as a thread when it issues)."""

    name: str
    data_dir: Path
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    admin_key: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    """What this node holds: a label -> address (its governor key, keystores); empty for a verifier's node."""

    def client(self, api_key: str | None = None, timeout_s: float = 60.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def admin(self) -> httpx.Client:
        assert self.admin_key is not None, f"{self.name} holds no admin API key"
        return self.client(self.admin_key)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """Until ``/readyz`` answers 200; the seconds it took. Fails with the node's log if it stops or times out."""
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {timeout_s:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def node_env(data_dir: Path, rpc_url: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of one node: nothing of the caller's ``CREDREG_`` settings, only this node's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env |= {"CREDREG_DATA_DIR": str(data_dir), "CREDREG_RPC_URL": rpc_url, "CREDREG_CONFIRMATIONS": "0"}
    env |= dict(extra)
    return env


def prepare_data_dir(data_dir: Path, manifest: Path) -> None:
    """A node's own data dir holding a copy of the deployment manifest (its store is created at start)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, data_dir / "deployment.json")


def start_node(
    name: str,
    data_dir: Path,
    rpc_url: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    env: Mapping[str, str] = {},
    admin_key: str | None = None,
    keys: Mapping[str, str] = {},
    netns: str | None = None,
) -> NodeProcess:
    """``python -m node.cli serve`` for one organisation, in the background (inside ``netns`` when given)."""
    port = port or free_port()
    full_env = node_env(data_dir, rpc_url, env)
    if admin_key:
        full_env["CREDREG_ADMIN_API_KEY"] = admin_key
    cmd = [sys.executable, "-m", "node.cli", "serve", "--host", host, "--port", str(port)]
    if netns is not None:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    log = data_dir / "serve.log"
    with open(log, "ab") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, env=full_env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    return NodeProcess(name, data_dir, f"http://{host}:{port}", proc, log, admin_key, dict(keys))


def api_key() -> str:
    return "crk_" + secrets.token_urlsafe(24)


# ---- a network namespace that reaches only the chain ----------------------------------------------------------------


class _Forwarder:
    """A TCP forwarder in this (the host's) namespace: ``listen`` -> ``target``, one thread pair per connection.
    It is the only way out of the namespace: the chain's RPC, nothing else."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self._target = target
        self._server = socket.create_server(listen)
        self._server.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="rpc-forwarder")
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                conn.close()
                continue
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(None)
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            with suppress(OSError):
                src.close()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=5)


@dataclass
class Namespace:
    """A network namespace joined to the host by one veth pair (a /30: ``host_ip`` here, ``ns_ip`` inside); no
    default route, so the only addresses it can reach are its own and ``host_ip``, where only the chain's RPC
    forwarder listens (the host's loopback services, other nodes included, are not reachable from it)."""

    name: str
    host_ip: str
    ns_ip: str
    rpc_url: str = ""
    _forwarder: _Forwarder | None = None

    def run(self, *cmd: str, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *cmd], capture_output=True, text=True, timeout=timeout_s, check=False
        )

    def can_connect(self, host: str, port: int) -> bool:
        """Whether a TCP connection from inside the namespace to (host, port) succeeds."""
        probe = (
            "import socket,sys\n"
            "try:\n"
            f"    socket.create_connection(({host!r}, {port}), timeout=2).close()\n"
            "except OSError as e:\n"
            "    print(e); sys.exit(1)\n"
        )
        return self.run(sys.executable, "-c", probe).returncode == 0

    def routes(self) -> str:
        return self.run("ip", "route").stdout


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise OSError(f"`ip {' '.join(args)}` failed: {(done.stderr or done.stdout).strip()}")


def namespace_unavailable() -> str | None:
    """Why this machine cannot make a network namespace with a veth pair (``None``: it can)."""
    if sys.platform != "linux":
        return f"network namespaces are Linux's; this is {sys.platform}"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    if os.geteuid() != 0:
        return "creating a network namespace needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN); this runs as uid " + str(
            os.geteuid()
        )
    try:
        with namespace(None):
            pass
    except OSError as exc:
        return str(exc)
    return None


@contextmanager
def namespace(rpc: tuple[str, int] | None) -> Iterator[Namespace]:
    """A fresh namespace (deleted at the end, its veth with it); with ``rpc``, a forwarder from ``host_ip`` to it and
    ``rpc_url`` set to the forwarded address as seen from inside."""
    tag = f"{os.getpid() % 10000}{secrets.token_hex(2)}"
    name, host_if, ns_if = f"credreg-{tag}", f"crh{tag}", f"crn{tag}"
    octet2, octet3 = 64 + secrets.randbelow(64), secrets.randbelow(256)
    ns = Namespace(name, f"10.{octet2}.{octet3}.1", f"10.{octet2}.{octet3}.2")
    _ip("netns", "add", name)
    try:
        _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _ip("link", "set", ns_if, "netns", name)
        _ip("addr", "add", f"{ns.host_ip}/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        for args in (("addr", "add", f"{ns.ns_ip}/30", "dev", ns_if), ("link", "set", ns_if, "up"),
                     ("link", "set", "lo", "up")):  # fmt: skip
            _ip("-n", name, *args)
        if rpc is not None:
            port = free_port()
            ns._forwarder = _Forwarder((ns.host_ip, port), rpc)
            ns.rpc_url = f"http://{ns.host_ip}:{port}"
        yield ns
    finally:
        if ns._forwarder is not None:
            ns._forwarder.close()
        with suppress(OSError):
            _ip("link", "del", host_if)
        with suppress(OSError):
            _ip("netns", "del", name)


def poll_json(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = client.request(method, path, **kwargs)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()
