"""Pure renderers of each Besu node's ``config.toml`` and of the network's docker compose file.

Layout inside a container: the node's directory (``nodes/<name>``) is bind-mounted at ``/node``; Besu's data path is
``/node/data`` and its key ``/node/data/key`` (Besu's default place for it). The image's entry script runs as root
only to hand the paths Besu names to its ``besu`` user (uid 1000), then drops to that user; the mount is therefore
read-write. The image has no curl, so health checks speak HTTP to Besu's ``/readiness`` endpoint from bash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.chain.network_render import Doc, toml_text

if TYPE_CHECKING:
    from node.chain.network import Network, NetworkNode

NODE_MOUNT = "/node"
EXTERNAL_PROFILE = "external-keys"
"""Compose profile of validators whose private key the operator brings: started only where that key has been placed."""

VALIDATOR_APIS = ["ETH", "NET", "WEB3", "QBFT", "PERM", "TXPOOL"]
RPC_APIS = ["ETH", "NET", "WEB3", "QBFT", "TXPOOL"]


def node_config(*, node: NetworkNode, rpc_port: int, p2p_port: int) -> str:
    """Besu's options for one node, as its ``--config-file``."""
    validator = node.role == "validator"
    values: dict[str, str | int | bool | list[str]] = {
        "data-path": f"{NODE_MOUNT}/data",
        "genesis-file": f"{NODE_MOUNT}/genesis.json",
        "node-private-key-file": f"{NODE_MOUNT}/data/key",
        "p2p-host": node.ip,
        "p2p-port": p2p_port,
        "discovery-enabled": False,
        "static-nodes-file": f"{NODE_MOUNT}/static-nodes.json",
        "permissions-nodes-config-file-enabled": True,
        "permissions-nodes-config-file": f"{NODE_MOUNT}/permissions_config.toml",
        "permissions-accounts-config-file-enabled": True,
        "permissions-accounts-config-file": f"{NODE_MOUNT}/permissions_config.toml",
        "min-gas-price": 0,
        "rpc-http-enabled": True,
        "rpc-http-host": "0.0.0.0",  # noqa: S104 - inside the container; only the RPC node is published, on 127.0.0.1
        "rpc-http-port": rpc_port,
        "rpc-http-api": VALIDATOR_APIS if validator else RPC_APIS,
        # validators answer only on the compose network (votes, health); the RPC node only to loopback clients
        "host-allowlist": ["*"] if validator else ["localhost", "127.0.0.1"],
        "revert-reason-enabled": True,
        "logging": "INFO",
    }
    header = (
        f"Besu options of {node.name} ({node.role}), written by `credreg network`.\n"
        "Zero-fee: min-gas-price 0 here, zeroBaseFee in the genesis. Peers only from static-nodes.json and the\n"
        "nodes-allowlist (discovery off); transactions only from the accounts-allowlist."
    )
    return toml_text(values, header=header)


def healthcheck(rpc_port: int) -> dict[str, Doc]:
    """Healthy once Besu's ``/readiness`` answers 200: the JSON-RPC server is up, with a peer and in sync."""
    probe = (
        f"exec 3<>/dev/tcp/127.0.0.1/{rpc_port} && "
        'printf "GET /readiness?minPeers=1 HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n" >&3 && '
        'head -n 1 <&3 | grep -q " 200 "'
    )
    return {
        "test": ["CMD", "bash", "-c", probe],
        "interval": "10s",
        "timeout": "5s",
        "retries": 30,
        "start_period": "60s",
    }


def compose_file(net: Network, *, rpc_port: int) -> dict[str, Doc]:
    """The compose document: a service per node on one bridge network with fixed addresses."""
    services: dict[str, Doc] = {}
    validators = [n.name for n in net.validators if n.key_written]
    for node in net.nodes:
        service: dict[str, Doc] = {
            "image": net.image,
            "command": [f"--config-file={NODE_MOUNT}/config.toml"],
            "volumes": [f"../../nodes/{node.name}:{NODE_MOUNT}"],
            "networks": {"qbft": {"ipv4_address": node.ip}},
            "healthcheck": healthcheck(rpc_port),
            "restart": "unless-stopped",
            "stop_grace_period": "60s",
        }
        if not node.key_written:
            service["profiles"] = [EXTERNAL_PROFILE]
        if node.role == "rpc":
            service["ports"] = [f"127.0.0.1:{net.rpc_host_port}:{rpc_port}"]
            if validators:
                service["depends_on"] = {name: {"condition": "service_started"} for name in validators}
        services[node.name] = service
    return {
        "name": f"credreg-qbft-{net.chain_id}",
        "services": services,
        "networks": {"qbft": {"driver": "bridge", "ipam": {"config": [{"subnet": net.subnet}]}}},
    }
