"""For the tests and benches that drive a node over real HTTP: a free loopback port, the app served by uvicorn in a
thread, and waiting until the outbox is anchored."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from node.runtime import Node
from node.store import AnchoringState


def free_port() -> int:
    """A loopback port nothing listens on (free when asked; bind it soon)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn (one worker) on a free loopback port until the block ends; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it served (see its log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_anchored(node: Node, timeout_s: float, poll_s: float = 0.25) -> None:
    """Until nothing in the outbox is pending or batched (every accepted credential anchored or failed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = node.store.credential_counts()
        if counts.get(AnchoringState.PENDING, 0) == 0 and counts.get(AnchoringState.BATCHED, 0) == 0:
            return
        time.sleep(poll_s)
    raise AssertionError(
        f"not all anchored in {timeout_s:g} s: {node.store.credential_counts()}; see the batcher's last error"
    )
