"""Finding a root's CredentialAnchored log (how the batcher confirms a root anchored by a transaction it lost track
of) on a node that caps eth_getLogs ranges, as Besu does (5,000 blocks by default)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import Web3RPCError

from node.chain.registry import type_id
from node.chain.txmanager import Call
from node.credentials.keccak import keccak256
from node.runtime import Node
from node.services.bootstrap import DemoIssuer

pytestmark = pytest.mark.anvil

CAP = 5  # blocks per eth_getLogs this "node" serves


def cap_log_ranges(w3: Web3, cap: int, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Make ``w3``'s node refuse eth_getLogs over more than ``cap`` blocks, as Besu and hosted nodes do; returns the
    ranges it is asked for (refused ones too), in order."""
    asked: list[tuple[int, int]] = []
    real = w3.eth.get_logs

    def get_logs(params: Any) -> Any:
        first, last = int(params["fromBlock"]), int(params["toBlock"])
        asked.append((first, last))
        if last - first + 1 > cap:
            raise Web3RPCError("capped", rpc_response={"error": {"code": -32005, "message": "query exceeds range"}})
        return real(params)

    monkeypatch.setattr(w3.eth, "get_logs", get_logs)
    return asked


def _capped(node: Node, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    return cap_log_ranges(node.w3, CAP, monkeypatch)


def test_the_log_is_found_by_the_records_time_or_by_walking_back_within_the_nodes_cap(
    devnode: tuple[Node, DemoIssuer], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, demo = devnode
    registry = node.registry
    tm = node.signers.manager(node.signers.account_for(demo.signer))
    root = keccak256(b"a root anchored long ago")
    signed = tm.prepare(Call.of(registry.anchor_fn(root, 2, type_id("formal-qualification"), 0)))
    tm.send(signed)
    receipt = tm.wait(signed)
    anchored_block = int(receipt["blockNumber"])
    while registry.head() < anchored_block + 40:  # the anchor sinks under 40 newer blocks (0.2 s each)
        time.sleep(0.2)
    record = registry.anchor_of(root)
    asked = _capped(node, monkeypatch)

    [by_time] = registry.anchor_logs(root, record.anchored_at, max_range=1000)
    assert (by_time.tx_hash, by_time.block_number, by_time.nonce) == (signed.tx_hash, anchored_block, signed.nonce)
    assert by_time.sender.lower() == demo.signer.lower()
    assert len(asked) <= 3, "by the record's time only the anchor's own blocks are read"

    asked.clear()
    [walked] = registry.anchor_logs(root, max_range=3)
    assert walked.tx_hash == signed.tx_hash
    assert all(last - first + 1 <= 3 for first, last in asked)
    assert min(first for first, _ in asked) >= anchored_block - 2, "the walk back stops at the range with the log"

    assert registry.anchor_logs(keccak256(b"never anchored"), max_range=1000) == []
