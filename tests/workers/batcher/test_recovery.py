"""node/workers/batcher/recovery.py on a real anvil: recover() brings every batch state a crash can leave forward,
anchoring each root exactly once with no nonce gap."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.registry import type_id
from node.chain.txmanager import Call, TxManager, TxState
from node.credentials.keccak import to_hex
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.store import Batch, BatchStatus
from node.workers.batcher import Batcher, record_tree
from tests.drills.chaincheck import (
    assert_exactly_once,
    assert_no_nonce_gap,
    issue,
    transactions_from,
    wait_for,
)
from tests.workers.batcher.conftest import b32

pytestmark = pytest.mark.anvil


def _claim_and_build(node: Node, issuer_id: int, n: int) -> Batch:
    """What the batcher does up to 'built', done by hand to leave a batch in a chosen state."""
    issue(node.store, issuer_id, n)
    claimed = node.store.claim_batch(issuer_id, n, credential_type=to_hex(type_id("formal-qualification")))
    assert claimed is not None and len(claimed.credential_hashes) == n
    return record_tree(node.store, claimed.batch_id, claimed.credential_hashes)


def _anchor_fn(node: Node, batch: Batch) -> Any:
    return node.registry.anchor_fn(b32(batch.root), batch.leaf_count, type_id("formal-qualification"), 0)


def _mined(tm: TxManager, tx_hash: str) -> None:
    wait_for(lambda: tm.find_receipt(tx_hash).state is TxState.MINED, 20, f"{tx_hash} mined")


def test_recover_brings_every_batch_state_forward_exactly_once(devnode: tuple[Node, DemoIssuer]) -> None:
    """A crashed node's leftovers, one of each: sent and mined; signed but its root anchored by another transaction;
    sent and reverted because the root was anchored meanwhile; signed, never sent; signed with its nonce taken by
    another transaction; claimed without a tree; built, never signed. One recover() settles them all, anchoring
    each root exactly once and leaving no nonce gap."""
    node, demo = devnode
    store = node.store
    tm = node.signers.manager(node.signers.account_for(demo.signer))

    sent = _claim_and_build(node, demo.issuer_id, 3)  # nonce 0: sent and mined, never marked confirmed
    signed = tm.prepare(Call.of(_anchor_fn(node, sent)))
    store.mark_signed(sent.id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)
    tm.send(signed)
    store.mark_sent(sent.id)
    _mined(tm, signed.tx_hash)

    adopted = _claim_and_build(node, demo.issuer_id, 2)  # nonce 1 anchors its root; its own tx (nonce 4) unsent
    tm.transact(Call.of(_anchor_fn(node, adopted)))
    reverted = _claim_and_build(node, demo.issuer_id, 2)  # nonce 2 anchors its root; its own tx (nonce 3) reverts
    tm.transact(Call.of(_anchor_fn(node, reverted)))
    again = tm.prepare(Call.of(_anchor_fn(node, reverted), gas=200_000))
    store.mark_signed(reverted.id, again.sender, again.nonce, again.raw_tx, again.tx_hash)
    tm.send(again)
    store.mark_sent(reverted.id)
    _mined(tm, again.tx_hash)
    assert tm.find_receipt(again.tx_hash).receipt["status"] == 0  # type: ignore[index]
    own = tm.prepare(Call.of(_anchor_fn(node, adopted), gas=200_000))
    store.mark_signed(adopted.id, own.sender, own.nonce, own.raw_tx, own.tx_hash)

    unsent = _claim_and_build(node, demo.issuer_id, 2)  # nonce 5: signed, never sent
    tx5 = tm.prepare(Call.of(_anchor_fn(node, unsent)))
    store.mark_signed(unsent.id, tx5.sender, tx5.nonce, tx5.raw_tx, tx5.tx_hash)

    consumed = _claim_and_build(node, demo.issuer_id, 2)  # nonce 6: signed, then nonce 6 taken by a transfer
    tx6 = tm.prepare(Call.of(_anchor_fn(node, consumed)))
    store.mark_signed(consumed.id, tx6.sender, tx6.nonce, tx6.raw_tx, tx6.tx_hash)
    intruder = Account.sign_transaction(
        {"to": demo.signer, "value": 0, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**10,
         "nonce": tx6.nonce, "chainId": node.chain_id, "type": 2},
        DEV_PRIVATE_KEYS[2],
    )  # fmt: skip
    node.w3.eth.send_raw_transaction(intruder.raw_transaction)

    issue(store, demo.issuer_id, 2)
    building = store.claim_batch(demo.issuer_id, 2)  # claimed, no tree
    built = _claim_and_build(node, demo.issuer_id, 3)  # built, never signed
    assert building is not None
    assert store.get_batch(built.id).status is BatchStatus.BUILT

    batcher = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = batcher
    report = batcher.recover()
    assert report.rebuilt == 1
    assert report.adopted == 1  # `adopted`: its root was anchored by another tx, nothing sent for it
    assert report.awaited == 3  # sent-and-mined, reverted, unsent (re-sent as is)
    assert report.reprepared == 1  # its nonce was taken
    assert report.gaps_filled == 1  # the nonce of `adopted`'s unsent tx, below a re-sent one
    batcher.start()
    wait_for(batcher.idle, 30, "every recovered batch confirmed")

    assert store.get_batch(sent.id).tx_hash == signed.tx_hash
    assert store.get_batch(unsent.id).tx_hash == tx5.tx_hash  # the same bytes, re-sent
    assert store.get_batch(consumed.id).tx_hash != tx6.tx_hash  # prepared again under a new nonce
    assert store.get_batch(reverted.id).tx_hash != again.tx_hash  # confirmed by the tx that did anchor it
    assert assert_exactly_once(node).batches == 7
    count = assert_no_nonce_gap(node, demo.signer)
    failed_txs = [t for t in transactions_from(node.w3, demo.signer)
                  if node.w3.eth.get_transaction_receipt(t["hash"])["status"] == 0]  # fmt: skip
    assert len(failed_txs) == 1  # only the one this test made revert on purpose
    assert count == 10  # 7 anchors, 1 reverted on purpose, 1 gap filled, 1 intruding transfer
    assert batcher.stats().nonce_replays == 1
