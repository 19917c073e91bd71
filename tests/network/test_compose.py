"""The docker compose file, parsed (PyYAML) and checked; its health probe run against a stand-in /readiness.

No Docker engine here: nothing starts Besu. What can be checked without one is checked: the structure compose reads,
that only the RPC node is published (on loopback), the mounts, the fixed addresses, and that the health check's
shell probe really tells a 200 from a 503.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from node.chain.network import COMPOSE, Network
from node.chain.network_compose import healthcheck
from tests.network.conftest import read_compose


def test_one_service_per_node_on_one_network(network: Network, net_dir: Path) -> None:
    doc = read_compose(net_dir)
    assert doc["name"] == "credreg-qbft-4242"
    assert set(doc["services"]) == {n.name for n in network.nodes}
    assert doc["networks"]["qbft"]["ipam"]["config"] == [{"subnet": network.subnet}]


def test_only_the_rpc_node_publishes_a_port_and_only_on_loopback(network: Network, net_dir: Path) -> None:
    services = read_compose(net_dir)["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"rpc": ["127.0.0.1:8545:8545"]}
    assert not any("expose" in s for s in services.values())


def test_fixed_addresses_in_the_subnet_match_the_enodes(network: Network, net_dir: Path) -> None:
    services = read_compose(net_dir)["services"]
    subnet = ipaddress.IPv4Network(network.subnet)
    ips = {name: s["networks"]["qbft"]["ipv4_address"] for name, s in services.items()}
    assert len(set(ips.values())) == len(ips)
    for node in network.nodes:
        assert ips[node.name] == node.ip
        assert ipaddress.IPv4Address(node.ip) in subnet
        assert node.ip != str(next(subnet.hosts())), "the first host address is the gateway"


def test_each_service_mounts_its_own_node_directory(network: Network, net_dir: Path) -> None:
    services = read_compose(net_dir)["services"]
    compose_dir = (net_dir / COMPOSE).parent
    for node in network.nodes:
        (volume,) = services[node.name]["volumes"]
        host, container = volume.split(":")
        assert container == "/node"
        assert (compose_dir / host).resolve() == (net_dir / "nodes" / node.name).resolve()
        assert (compose_dir / host / "config.toml").is_file()
        assert services[node.name]["command"] == ["--config-file=/node/config.toml"]


def test_every_service_has_the_pinned_image_a_health_check_and_a_restart_policy(
    network: Network, net_dir: Path
) -> None:
    for service in read_compose(net_dir)["services"].values():
        assert service["image"] == network.image
        assert not service["image"].endswith(":latest")
        check = service["healthcheck"]
        assert check["test"][:3] == ["CMD", "bash", "-c"]
        assert "/readiness" in check["test"][3]
        assert {"interval", "timeout", "retries", "start_period"} <= set(check)
        assert service["restart"] == "unless-stopped"


def test_the_rpc_node_starts_after_the_validators(network: Network, net_dir: Path) -> None:
    rpc = read_compose(net_dir)["services"]["rpc"]
    assert set(rpc["depends_on"]) == {n.name for n in network.validators}


class _Readiness(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b'{"status":"UP"}')

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@pytest.fixture
def readiness() -> Iterator[tuple[int, type[_Readiness]]]:
    handler = type("Handler", (_Readiness,), {"status": 200, "paths": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _probe(port: int) -> int:
    test = healthcheck(port)["test"]
    assert isinstance(test, list)
    return subprocess.run(test[1:], capture_output=True, timeout=10, check=False).returncode  # type: ignore[arg-type]


def test_the_health_probe_passes_on_200_and_asks_for_a_peer(readiness: tuple[int, type[_Readiness]]) -> None:
    port, handler = readiness
    assert _probe(port) == 0
    assert handler.paths == ["/readiness?minPeers=1"]


def test_the_health_probe_fails_on_503(readiness: tuple[int, type[_Readiness]]) -> None:
    port, handler = readiness
    handler.status = 503
    assert _probe(port) != 0


def test_the_health_probe_fails_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert _probe(port) != 0
