"""Shared by the CLI tests that act on a chain: ``credreg`` run in-process against a deployed registry on anvil, with
the devnet demo issuer, reading the same data dir as the test's own node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from node.cli import app
from node.config import get_settings
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.workers.batcher import Batcher
from tests.drills.chaincheck import all_anchored, issue, wait_for


@dataclass
class OnChain:
    """The test's node and demo issuer, and ``credreg`` run against the same data dir and chain."""

    node: Node
    demo: DemoIssuer

    def __call__(self, *args: str) -> Any:
        env = {"CREDREG_DATA_DIR": str(self.node.settings.data_dir), "CREDREG_CONFIRMATIONS": "0", "COLUMNS": "250"}
        assert self.node.rpc_url is not None
        get_settings.cache_clear()  # each command reads its settings afresh, as a new process would
        try:
            return CliRunner().invoke(app, [*args, "--rpc-url", self.node.rpc_url], env=env)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def on_chain(devnode: tuple[Node, DemoIssuer]) -> OnChain:
    return OnChain(*devnode)


def one_clear_line(result: Any, *needles: str) -> str:
    """The command failed with exit 1 and one line on stderr, no traceback, holding every needle."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


def table_row(output: str, first_cell: str) -> list[str]:
    """The cells of the row of a rich table whose first cell is ``first_cell``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 2 and cells[1] == first_cell:
            return cells[1:-1]
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def anchored(on_chain: OnChain, n: int) -> list[str]:
    """``n`` credentials of the demo issuer in one batch, anchored by a batcher run until idle; their ids."""
    node = on_chain.node
    ids = issue(node.store, on_chain.demo.issuer_id, n)
    batcher = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = batcher  # stopped by node.close() even when the test fails
    batcher.start()
    wait_for(lambda: all_anchored(node.store), 30, f"{n} credentials anchored")
    batcher.stop()
    node.workers.batcher = None
    return ids
