"""Fixtures of the service tests: a guard that fails a test which opens a network connection (offline verification).

(``devnode``, a deployed registry on a real anvil with a node on it, is in ``tests/conftest.py``: the workers' tests
use it too.)"""

from __future__ import annotations

import socket
from typing import Any

import pytest


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
