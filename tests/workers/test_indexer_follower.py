"""Several API processes on one database: one indexer writes the events (it holds the indexer's lock: an advisory
lock on PostgreSQL, DATA_DIR/indexer.lock on SQLite), the others follow the store into their own mirrors (verify
answers alike everywhere) and one takes over writing when the writer stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet, rpc
from node.chain.registry import CredentialStatus
from node.chain.signers import DEV_ISSUER, dev_account
from node.config import Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer
from tests.workers.test_indexer import _url, anchor, batch, devnet, fns, indexer_of, send, stored_events

__all__ = ["devnet"]  # the anvil fixture, shared with the indexer's tests

pytestmark = pytest.mark.anvil


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, devnet: Devnet, settings: Settings) -> Iterator[Node]:
    if request.param == "postgresql":
        settings.database_url = str(request.getfixturevalue("postgres_url"))
    deploy(connect(devnet.url), dev_account(0), settings.manifest_path, settings.artifacts_dir)
    opened = Node.open(settings, rpc_url=devnet.url)
    ensure_demo_issuer(opened)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def second_node(node: Node, tmp_path: Path) -> Iterator[Node]:
    """Another process's node on the same database and chain (its own engine and connections; the same data dir on
    SQLite, whose lock file is the one to share, a data dir of its own on PostgreSQL)."""
    settings = node.settings.model_copy()
    if node.store.dialect_name == "postgresql":
        settings = settings.model_copy(update={"data_dir": tmp_path / "other"})
        settings.data_dir.mkdir()
        settings.manifest_path.write_bytes(node.settings.manifest_path.read_bytes())
    other = Node.open(settings, rpc_url=_url(node))
    try:
        yield other
    finally:
        other.close()


def test_one_writes_the_other_follows_then_takes_over(node: Node, second_node: Node) -> None:
    writer, follower = indexer_of(node), indexer_of(second_node)
    first = batch(2)
    anchor(node, first)
    writer.poll_once()
    stored = len(stored_events(node))
    assert follower.poll_once() == 0  # it stored nothing ...
    assert len(stored_events(node)) == stored
    assert follower.mirror.as_of() == writer.mirror.as_of()  # ... and its mirror is where the writer's is
    assert follower.mirror.anchor(first.root) == writer.mirror.anchor(first.root) is not None

    send(node, dev_account(DEV_ISSUER), fns(node).revokeRoot(first.root, 5))
    writer.poll_once()
    follower.poll_once()
    state = follower.mirror.leaf_state(first.root, first.hashes[0], first.proof(first.hashes[0]))
    assert state.status is CredentialStatus.REVOKED  # verify on the follower sees the revocation
    assert follower.mirror.issuer(1) == writer.mirror.issuer(1)

    writer.stop()  # the writer's process is gone: the follower takes over writing
    later = batch(3)
    anchor(node, later)
    assert follower.poll_once() > 0
    assert follower.mirror.anchor(later.root) is not None
    keys = [(e.tx_hash, e.log_index) for e in stored_events(node)]
    assert len(keys) == len(set(keys)), "an event was stored twice"


def test_a_follower_rebuilds_when_the_writer_rewinds_a_reorganisation(node: Node, second_node: Node) -> None:
    writer, follower = indexer_of(node), indexer_of(second_node)
    writer.poll_once()
    snapshot = rpc(_url(node), "evm_snapshot")
    orphan = batch(1)
    anchor(node, orphan)
    writer.poll_once()
    follower.poll_once()
    assert follower.mirror.anchor(orphan.root) is not None
    orphaned_head = writer.status().cursor
    assert orphaned_head is not None and rpc(_url(node), "evm_revert", [snapshot]) is True
    replacement = batch(2)
    anchor(node, replacement)
    while node.w3.eth.block_number <= orphaned_head:
        time.sleep(0.1)
    writer.poll_once()
    follower.poll_once()
    assert follower.mirror.anchor(orphan.root) is None
    assert follower.mirror.anchor(replacement.root) is not None
    assert follower.mirror.as_of() == writer.mirror.as_of()
