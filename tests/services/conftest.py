"""Fixtures of the service tests: a deployed registry on a real anvil with a node on it (the batcher's tests), and
a guard that fails a test which opens a network connection (offline verification)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import Settings
from node.runtime import Node
from node.services.bootstrap import DemoIssuer, ensure_demo_issuer


@pytest.fixture
def devnode(anvil: Devnet, settings: Settings) -> Iterator[tuple[Node, DemoIssuer]]:
    """A deployed registry, the demo issuer (anvil dev key 2), and a node on them; batches of 8, 600 ms wait."""
    settings.batch_max_size = 8
    settings.batch_max_wait_ms = 600
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        yield node, ensure_demo_issuer(node)
    finally:
        node.close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("offline verification tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The forgery suite's mutation counts per family (tests/services/test_forgery.py), when it ran."""
    import sys

    forgery = sys.modules.get("tests.services.test_forgery")
    tally = getattr(forgery, "TALLY", None)
    if tally:
        terminalreporter.write_sep("-", "forgery suite")
        counts = ", ".join(f"{family} {n}" for family, n in sorted(tally.items()))
        terminalreporter.write_line(f"forgery suite: {sum(tally.values())} mutations; per family: {counts}")
