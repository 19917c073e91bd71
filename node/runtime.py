"""The running node: settings, chain connection, deployment and store, wired once and shared by the API and the CLI.

Nothing connects at import time; :meth:`Node.open` does, and :meth:`Node.close` releases everything.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Protocol

from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import Manifest, check_manifest, read_manifest
from node.chain.devnet import running_devnet
from node.chain.registry import RegistryClient
from node.chain.signers import Signers
from node.config import Settings
from node.errors import ConfigurationError, DeploymentError
from node.readmodel.mirror import MirrorChainView
from node.store import Store


def rpc_url_of(settings: Settings) -> str:
    """CREDREG_RPC_URL, else the devnet running for this data dir (its pid file), else the configured devnet port."""
    if settings.rpc_url:
        return settings.rpc_url
    running = running_devnet(settings.devnet_dir)
    if running is not None:
        return running.url
    port = settings.devnet_port or 8545
    return f"http://{settings.devnet_host}:{port}"


LOCK_FILE = "node.lock"


@dataclass
class DataDirLock:
    """One node per data dir: an exclusive flock on ``<data dir>/node.lock``, held for the life of the process (the
    OS releases it when the process ends, even by kill -9). The file says who holds it, for the refusal message."""

    path: Path
    fd: int | None

    @classmethod
    def acquire(cls, data_dir: Path, api_url: str) -> DataDirLock:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise ConfigurationError(
                f"data directory {data_dir} is in use by another credreg node ({holder}): stop that node first, or "
                "set CREDREG_DATA_DIR to another directory (one node per data directory)."
            ) from None
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        text = json.dumps({"pid": os.getpid(), "since": since, "started_at": time.time(), "api_url": api_url})
        os.ftruncate(fd, 0)
        os.pwrite(fd, (text + "\n").encode(), 0)
        return cls(path=path, fd=fd)

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the only descriptor releases the flock
            self.fd = None


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "it has not said who it is yet"
    return f"pid {data['pid']}, since {data.get('since', '?')}, API {data.get('api_url', '?')}"


class Worker(Protocol):
    """A long-running worker (the batcher, as a thread or a child process; the indexer)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Workers:
    """What runs on this node beside the requests, when the app started it (None: not running in this process)."""

    batcher: Worker | None = None
    indexer: Worker | None = None
    mirror: MirrorChainView | None = None
    """The indexer's in-memory mirror of the chain: what verification and issuance read instead of JSON-RPC."""

    def stop(self) -> None:
        """Stop the workers, the newest first, and forget them."""
        for worker in (self.indexer, self.batcher):
            if worker is not None:
                worker.stop()
        self.batcher = self.indexer = None
        self.mirror = None


@dataclass
class Node:
    """Everything a service needs: one per process."""

    settings: Settings
    w3: Web3
    manifest: Manifest
    store: Store
    registry: RegistryClient
    workers: Workers = field(default_factory=Workers)
    """The long-running workers the app started (batcher, indexer and its mirror), stopped by close()."""
    rpc_url: str | None = None
    """The JSON-RPC endpoint, when the node was opened by URL (a batcher process connects to it too)."""

    @classmethod
    def open(cls, settings: Settings, rpc_url: str | None = None, w3: Web3 | None = None) -> Node:
        if w3 is None:
            rpc_url = rpc_url or rpc_url_of(settings)
            w3 = connect(rpc_url, settings.rpc_timeout_s)
        manifest = read_manifest(settings.manifest_path)
        if manifest is None:
            raise DeploymentError(
                f"no deployment manifest at {settings.manifest_path}: run `credreg deploy` (or `make run`) first."
            )
        check_manifest(w3, manifest, settings.manifest_path)
        store = Store.from_settings(settings)
        store.migrate()
        registry = RegistryClient(w3, manifest, settings.artifacts_dir)
        return cls(settings=settings, w3=w3, manifest=manifest, store=store, registry=registry, rpc_url=rpc_url)

    @cached_property
    def signers(self) -> Signers:
        """Accounts and their TxManagers (one per key; nonces kept in the store)."""
        return Signers(self.settings, self.w3, self.chain_id, self.store)

    @property
    def chain_id(self) -> int:
        return self.manifest.chain_id

    def close(self) -> None:
        self.workers.stop()
        self.store.close()
