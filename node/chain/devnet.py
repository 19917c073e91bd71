"""The local devnet: the anvil binary from node_modules on loopback, with crash-safe state snapshots.

anvil's own ``--state`` file is written only on a clean exit and rewritten in place, so a ``kill -9`` loses everything
and can leave a half-written file. Instead this module takes snapshots over RPC (``anvil_dumpState``) every
``snapshot_interval_s`` seconds and on every clean stop, checks they parse, and replaces ``state.json`` atomically
(write to a temporary file, fsync, rename). A ``kill -9`` of anvil therefore loses at most the last interval of
blocks, and the state file on disk is always one anvil loads.

Supervision: anvil runs in its own session (a Ctrl-C reaches only the node, which stops it after a last snapshot), and
``<state dir>/anvil.json`` records its pid, start time, URL and port and who supervises it (``credreg run`` or the
detached ``credreg devnet start``), so the CLI on the same host finds it whatever port it took. On Linux anvil is told
to stop when its node dies, even by kill -9 (PR_SET_PDEATHSIG); elsewhere, and for an older node's anvil, the next
start finds the orphan by its record (same pid, start time and binary, and it answers eth_chainId), takes a last
snapshot of it and stops it, so the new anvil carries on with its chain.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gzip
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
PR_SET_PDEATHSIG = 1
OWNER_RUN = "credreg run"
OWNER_SUPERVISOR = "credreg devnet start"

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's public development mnemonic. DEVNET ONLY: these keys are published everywhere; never fund them elsewhere."""

DEV_PRIVATE_KEYS = (
    # DEVNET ONLY: the first accounts of anvil's public development mnemonic. Public knowledge, not secrets.
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)


ANVIL_PACKAGES = {
    ("linux", "x64"): "anvil-linux-amd64",
    ("linux", "arm64"): "anvil-linux-arm64",
    ("darwin", "x64"): "anvil-darwin-amd64",
    ("darwin", "arm64"): "anvil-darwin-arm64",
    ("win32", "x64"): "anvil-win32-amd64",
}
"""npm ``@foundry-rs/anvil``'s optional platform packages, by Node's (process.platform, process.arch) names."""

_ARCH_NAMES = {"x86_64": "x64", "amd64": "x64", "x64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_SYSTEM_NAMES = {"linux": "linux", "darwin": "darwin", "windows": "win32", "win32": "win32"}


def node_platform(system: str | None = None, machine: str | None = None) -> tuple[str, str]:
    """This machine as npm names it: (process.platform, process.arch), e.g. ("linux", "x64")."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    return _SYSTEM_NAMES.get(system, system), _ARCH_NAMES.get(machine, machine)


def anvil_binary(node_modules: Path, system: str | None = None, machine: str | None = None) -> Path:
    """The real anvil binary for this platform, shipped by npm ``@foundry-rs/anvil`` in its optional platform package
    (not the Node wrapper, which a kill -9 orphans)."""
    os_name, arch = node_platform(system, machine)
    package = ANVIL_PACKAGES.get((os_name, arch))
    if package is None:
        shipped = ", ".join(f"{o}-{a}" for o, a in ANVIL_PACKAGES)
        raise DevnetError(
            f"npm @foundry-rs/anvil ships no anvil binary for this platform ({os_name}-{arch}; it ships {shipped}): "
            "run against another chain with CREDREG_RPC_URL, or install anvil for this machine another way."
        )
    name = "anvil.exe" if os_name == "win32" else "anvil"
    path = node_modules / "@foundry-rs" / package / "bin" / name
    if not path.is_file():
        raise DevnetError(
            f"anvil is not installed for {os_name}-{arch} (looked for {path}, npm package @foundry-rs/{package}): "
            "run `make setup` (it runs `npm install`)."
        )
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


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno != errno.EPERM:
            return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): the signal said it exists
    return stat.rpartition(")")[2].split()[0] != "Z"


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (Linux /proc; None elsewhere): with the pid, one process."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None


def _same_process(pid: int, ticks: int | None) -> bool:
    return pid_alive(pid) and (ticks is None or start_ticks(pid) in (None, ticks))


@dataclass(frozen=True)
class DevnetRecord:
    """What ``<data dir>/devnet/anvil.json`` says about the anvil started for this data dir, and who supervises it."""

    pid: int
    start_ticks: int | None
    url: str
    port: int
    chain_id: int
    binary: str
    owner_pid: int
    owner_start_ticks: int | None
    owner: str
    """``credreg run`` (the node) or ``credreg devnet start`` (the detached supervisor)."""
    started_at: float

    @property
    def is_ours(self) -> bool:
        """The recorded pid is still that anvil: alive, started at the recorded time, running the recorded binary."""
        if not _same_process(self.pid, self.start_ticks):
            return False
        cmdline = _cmdline(self.pid)
        return cmdline is None or (bool(cmdline) and cmdline[0] == self.binary)

    @property
    def owner_alive(self) -> bool:
        return _same_process(self.owner_pid, self.owner_start_ticks)

    def answers(self, timeout: float = 2.0) -> bool:
        """It answers eth_chainId with the recorded chain id."""
        try:
            return int(str(rpc(self.url, "eth_chainId", timeout=timeout)), 16) == self.chain_id
        except (httpx.HTTPError, DevnetError, ValueError):
            return False


def pid_file(state_dir: Path) -> Path:
    return state_dir / "anvil.json"


def read_record(state_dir: Path) -> DevnetRecord | None:
    """The recorded devnet, whatever its state (None: no record or an unreadable one)."""
    try:
        data = json.loads(pid_file(state_dir).read_text())
        return DevnetRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def running_devnet(state_dir: Path) -> DevnetRecord | None:
    """The recorded devnet if that anvil still runs (whoever supervises it); None otherwise."""
    record = read_record(state_dir)
    return record if record is not None and record.is_ours else None


def stop_process(pid: int, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM ``pid`` (not our child), SIGKILL after ``timeout_s``, and wait until it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.05)


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a preexec_fn that makes the child receive SIGTERM when the thread that started it dies (also on a kill -9
    of this process), via prctl(PR_SET_PDEATHSIG). None elsewhere, or off the main thread (a worker thread may end
    long before the process does)."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the prctl: nobody would stop this anvil
            os._exit(1)

    return preexec


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
        owner: str = OWNER_RUN,
        zero_fee: bool = False,
    ) -> None:
        self.state_dir = state_dir
        self.zero_fee = zero_fee
        """A zero base fee and gas price, as a Besu QBFT network with ``zeroBaseFee`` and ``min-gas-price=0``."""
        self.owner = owner
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
    def from_settings(cls, settings: Settings, port: int | None = None, owner: str = OWNER_RUN) -> Devnet:
        return cls(
            owner=owner,
            state_dir=settings.devnet_dir,
            node_modules=settings.node_modules_dir,
            chain_id=settings.chain_id,
            host=settings.devnet_host,
            port=settings.devnet_port if port is None else port,
            block_time_s=settings.devnet_block_time_s or None,
            snapshot_interval_s=settings.devnet_snapshot_interval_s or None,
            zero_fee=settings.devnet_zero_fee,
        )

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "anvil.log"

    def start(self) -> str:
        ensure_writable(self.state_dir)
        self.clear_stale()
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
        if self.zero_fee:
            args += ["--base-fee", "0", "--gas-price", "0"]
        if self.state_file.exists():
            args += ["--load-state", str(self.state_file)]
        log = open(self.log_file, "wb")  # noqa: SIM115 - handed to the child, closed below
        try:
            # Its own session (a Ctrl-C in the terminal reaches only the node, which stops anvil after a last
            # snapshot); on Linux it is also told to stop when the node dies, even by kill -9.
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent()
            )
        finally:
            log.close()
        self.url = self._wait_listening()
        self._write_record()
        if self.snapshot_interval_s:
            self._stop_snapshots.clear()
            self._snapshot_thread = threading.Thread(target=self._snapshot_loop, name="devnet-snapshots", daemon=True)
            self._snapshot_thread.start()
        return self.url

    def clear_stale(self) -> DevnetRecord | None:
        """Deal with a devnet recorded for this state dir before starting one: a dead one's record is removed; a live
        one whose supervisor is gone (an orphan: the node was killed where nothing stopped anvil) gets a last snapshot
        and is stopped, so its chain carries on in the new anvil; a live one still supervised is refused. Returns the
        orphan it stopped, if any."""
        record = read_record(self.state_dir)
        if record is None:
            return None
        if not record.is_ours:
            with contextlib.suppress(OSError):
                pid_file(self.state_dir).unlink()
            return None
        if record.owner_alive:
            raise DevnetError(
                f"the devnet of this data dir already runs at {record.url} (anvil pid {record.pid}, supervised by "
                f"`{record.owner}`, pid {record.owner_pid}): use it, or stop it first (`credreg devnet stop`)."
            )
        answers = record.answers()
        if not answers and _cmdline(record.pid) is None:
            # No /proc to confirm the pid is still that anvil (macOS) and nothing answers at its URL: the pid may
            # have been reused by another process, which is left alone.
            with contextlib.suppress(OSError):
                pid_file(self.state_dir).unlink()
            return None
        if answers:
            self.url = record.url
            with contextlib.suppress(httpx.HTTPError, DevnetError, ValueError, OSError):
                self.snapshot()
        stop_process(record.pid)
        with contextlib.suppress(OSError):
            pid_file(self.state_dir).unlink()
        self.url = ""
        return record

    def _write_record(self) -> None:
        assert self.process is not None
        me = os.getpid()
        record = DevnetRecord(
            pid=self.process.pid,
            start_ticks=start_ticks(self.process.pid),
            url=self.url,
            port=int(self.url.rsplit(":", 1)[1]),
            chain_id=self.chain_id,
            binary=str(self.binary),
            owner_pid=me,
            owner_start_ticks=start_ticks(me),
            owner=self.owner,
            started_at=time.time(),
        )
        write_atomically(pid_file(self.state_dir), json.dumps(asdict(record)).encode(), mode=0o644)

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
        record = read_record(self.state_dir)
        if record is not None and record.pid == self.process.pid:
            with contextlib.suppress(OSError):
                pid_file(self.state_dir).unlink()
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


def supervise(settings: Settings) -> None:
    """Run the devnet in the foreground until SIGTERM/SIGINT (the body of the detached supervisor process)."""
    devnet = Devnet.from_settings(settings, owner=OWNER_SUPERVISOR)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    devnet.start()
    try:
        while not stop.wait(0.5):
            if devnet.process is None or devnet.process.poll() is not None:
                break  # anvil died (e.g. kill -9): the last snapshot stays on disk
    finally:
        devnet.stop()


if __name__ == "__main__":  # pragma: no cover - the detached supervisor's entry point
    from node.config import get_settings

    supervise(get_settings())
