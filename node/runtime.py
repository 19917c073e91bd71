"""The running node: settings, chain connection and deployment, wired once and shared by the API and the CLI.

Nothing connects at import time; :meth:`Node.open` does, and :meth:`Node.close` releases everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import Manifest, check_manifest, read_manifest
from node.config import Settings
from node.errors import DeploymentError


def rpc_url_of(settings: Settings) -> str:
    if settings.rpc_url:
        return settings.rpc_url
    port = settings.devnet_port or 8545
    return f"http://{settings.devnet_host}:{port}"


@dataclass
class Node:
    settings: Settings
    w3: Web3
    manifest: Manifest

    @classmethod
    def open(cls, settings: Settings, rpc_url: str | None = None) -> Node:
        url = rpc_url or rpc_url_of(settings)
        w3 = connect(url, settings.rpc_timeout_s)
        manifest = read_manifest(settings.manifest_path)
        if manifest is None:
            raise DeploymentError(
                f"no deployment manifest at {settings.manifest_path}: run `credreg deploy` (or `make run`) first."
            )
        check_manifest(w3, manifest, settings.manifest_path)
        return cls(settings=settings, w3=w3, manifest=manifest)
