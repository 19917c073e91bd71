"""Helpers of the batcher tests: a batcher started on a test node, hex to bytes32."""

from __future__ import annotations

from typing import Any

from node.runtime import Node
from node.workers.batcher import Batcher


def started(node: Node, **options: Any) -> Batcher:
    batcher = Batcher(node, poll_interval_s=0.02, **options)
    node.workers.batcher = batcher  # stopped by node.close() even when the test fails
    batcher.start()
    return batcher


def b32(value: str | None) -> bytes:
    assert value is not None
    return bytes.fromhex(value.removeprefix("0x"))
