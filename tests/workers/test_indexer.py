"""The indexer on a real anvil: decoded events in the store, resume after restart, reorgs by block hash, the mirror
agreeing with the contracts' own views across lifecycle and accreditation acts, revocations visible within a block."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet, rpc
from node.chain.registry import OPEN_END, ChainBlock, CredentialStatus, chain_block, type_id
from node.chain.signers import DEV_BODY_ADMIN, DEV_ISSUER, dev_account
from node.config import Settings
from node.credentials.merkle import MerkleTree
from node.main import create_app
from node.readmodel.chainview import RpcChainView
from node.readmodel.mirror import MirrorChainView
from node.runtime import Node
from node.services.bootstrap import DEMO_ISSUER_URI, ensure_demo_issuer
from node.store import Event
from node.workers.indexer import Indexer
from tests.conftest import start_devnet

pytestmark = pytest.mark.anvil

TYPE = type_id("formal-qualification")
ZERO = b"\0" * 32


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    """anvil with 0.2 s interval mining and no state snapshots (nothing here restarts it)."""
    chain = start_devnet(tmp_path / "anvil", block_time_s=0.2, snapshot_interval_s=None)
    try:
        yield chain
    finally:
        chain.stop()


@pytest.fixture
def node(devnet: Devnet, settings: Settings) -> Iterator[Node]:
    """Contracts deployed, the demo issuer (id 1, key = dev account 2) accredited."""
    deploy(connect(devnet.url), dev_account(0), settings.manifest_path, settings.artifacts_dir)
    opened = Node.open(settings, rpc_url=devnet.url)
    ensure_demo_issuer(opened)
    try:
        yield opened
    finally:
        opened.close()


def indexer_of(node: Node, max_block_range: int | None = None) -> Indexer:
    return Indexer(node, MirrorChainView(node.chain_id, node.manifest.registry), max_block_range=max_block_range)


def send(node: Node, account: LocalAccount, fn: ContractFunction) -> TxReceipt:
    """Sign and send with the chain's pending nonce (no nonce store: the reorg test rewinds the chain)."""
    w3 = node.w3
    tx: dict[str, Any] = dict(
        fn.build_transaction(
            {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
        )
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.05)
    assert receipt["status"] == 1, receipt
    return receipt


def multicall(node: Node, account: LocalAccount, fns: list[ContractFunction]) -> TxReceipt:
    """Several registry calls in one transaction (the registry's own multicall keeps msg.sender)."""
    data = [fn._encode_transaction_data() for fn in fns]
    return send(node, account, node.registry.registry.functions.multicall(data))


@dataclass
class Batch:
    tree: MerkleTree
    hashes: list[bytes]

    @property
    def root(self) -> bytes:
        return self.tree.root

    def proof(self, credential_hash: bytes) -> list[bytes]:
        return self.tree.proof(self.hashes.index(credential_hash))


def batch(size: int) -> Batch:
    hashes = [os.urandom(32) for _ in range(size)]
    return Batch(MerkleTree(hashes), hashes)


def anchor(node: Node, *batches: Batch) -> TxReceipt:
    fns = [node.registry.anchor_fn(b.root, len(b.hashes), TYPE, 0) for b in batches]
    return multicall(node, dev_account(DEV_ISSUER), fns)


def chain_events(node: Node, from_block: int, to_block: int) -> set[tuple[str, int]]:
    """(tx hash, log index) of every log of both contracts in the range, straight from eth_getLogs."""
    logs = node.w3.eth.get_logs(
        {
            "fromBlock": from_block,
            "toBlock": to_block,
            "address": [node.registry.registry.address, node.registry.governance.address],
        }
    )
    return {("0x" + bytes(entry["transactionHash"]).hex(), int(entry["logIndex"])) for entry in logs}


def stored_events(node: Node) -> list[Event]:
    out: list[Event] = []
    cursor = None
    while True:
        page = node.store.query_events(cursor=cursor, limit=1000)
        out += page.items
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def fns(node: Node):  # type: ignore[no-untyped-def]
    return node.registry.registry.functions


# --- events in the store ----------------------------------------------------------------------------------------


def test_events_are_stored_with_decoded_arguments_and_the_anchor_record(node: Node) -> None:
    b1, b2 = batch(4), batch(1)
    anchored = anchor(node, b1, b2)
    revoked = send(node, dev_account(DEV_ISSUER), fns(node).revokeCredential(b1.root, b1.hashes[0], 2))
    indexer = indexer_of(node)
    assert indexer.poll_once() > 0

    (anchor_event,) = node.store.query_events(name="CredentialAnchored", root="0x" + b1.root.hex()).items
    args = anchor_event.args
    assert args["root"] == "0x" + b1.root.hex()
    assert (args["issuerId"], args["keyId"], args["leafCount"], args["expiresAt"]) == (1, 1, 4, 0)
    assert args["key"] == dev_account(DEV_ISSUER).address
    assert args["credentialType"] == "0x" + TYPE.hex()
    block = node.w3.eth.get_block(anchored["blockNumber"])
    assert args["anchoredAt"] == args["blockTimestamp"] == block["timestamp"]
    assert anchor_event.issuer_id == 1
    assert anchor_event.block_hash == "0x" + bytes(anchored["blockHash"]).hex()
    assert anchor_event.tx_hash == "0x" + bytes(anchored["transactionHash"]).hex()

    (revoke_event,) = node.store.query_events(name="CredentialRevoked").items
    assert revoke_event.args["credentialHash"] == "0x" + b1.hashes[0].hex()
    assert revoke_event.args["reasonCode"] == 2
    assert revoke_event.root == "0x" + b1.root.hex()
    assert revoke_event.issuer_id == 1  # filed under the root's issuer, though the event does not name it
    assert revoke_event.block_number == revoked["blockNumber"]

    (body_event,) = node.store.query_events(name="BodyAccredited").items
    assert body_event.args["admin"] == dev_account(DEV_BODY_ADMIN).address
    assert isinstance(body_event.args["credentialTypes"], list)
    assert all(t.startswith("0x") and len(t) == 66 for t in body_event.args["credentialTypes"])
    (key_event,) = node.store.query_events(name="KeyAdded").items
    assert (key_event.args["key"], key_event.issuer_id, key_event.args["keyId"]) == (
        dev_account(DEV_ISSUER).address,
        1,
        1,
    )
    governance = node.store.query_events(name="ProposalExecuted").items
    assert governance and governance[0].args["result"].startswith("0x")

    cursor = node.store.get_cursor(indexer.cursor_name)
    assert cursor is not None
    assert cursor.block_hash == "0x" + bytes(node.w3.eth.get_block(cursor.block_number)["hash"]).hex()
    assert indexer.lag() is not None
    assert indexer.mirror.anchor(b2.root) is not None


def test_restart_resumes_from_the_cursor_without_duplicates_or_gaps(node: Node, settings: Settings) -> None:
    first = indexer_of(node, max_block_range=3)  # many small ranges: a gap between two would show
    anchor(node, batch(2))
    first.poll_once()
    before = first.status().cursor
    assert before is not None

    later = batch(3)
    anchor(node, later)
    send(node, dev_account(DEV_ISSUER), fns(node).suspendRoot(later.root, 4))
    first.stop()  # the process is gone (it gives up the writer's lock: else the second would follow it)
    reopened = Node.open(settings, rpc_url=node.settings.rpc_url or _url(node))
    try:
        second = indexer_of(reopened, max_block_range=3)
        assert second.mirror.anchor(later.root) is None
        second.poll_once()
        assert second.status().cursor is not None
        assert second.status().cursor > before  # type: ignore[operator]
        stored = stored_events(reopened)
        keys = [(e.tx_hash, e.log_index) for e in stored]
        assert len(keys) == len(set(keys)), "an event was stored twice"
        cursor = second.status().cursor
        assert set(keys) == chain_events(reopened, reopened.manifest.deploy_block, cursor)  # type: ignore[arg-type]
        assert [(e.block_number, e.log_index) for e in stored] == sorted((e.block_number, e.log_index) for e in stored)
        # the restarted mirror was rebuilt from the store (before the restart) and followed on (after it)
        record = second.mirror.anchor(later.root)
        assert record is not None and record.status is CredentialStatus.SUSPENDED
        assert second.mirror.issuer(1) == RpcChainView(reopened.registry).issuer(1)
    finally:
        reopened.close()


def _url(node: Node) -> str:
    return str(node.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


# --- reorganisations --------------------------------------------------------------------------------------------


def test_a_reorg_is_detected_by_block_hash_and_only_the_new_branch_remains(node: Node) -> None:
    indexer = indexer_of(node)
    kept = batch(2)
    anchor(node, kept)
    indexer.poll_once()
    fork_head = indexer.status().cursor
    assert fork_head is not None

    snapshot = rpc(_url(node), "evm_snapshot")
    orphan_a, orphan_b = batch(2), batch(1)
    anchor(node, orphan_a)
    anchor(node, orphan_b)
    send(node, dev_account(DEV_ISSUER), fns(node).revokeRoot(kept.root, 5))
    indexer.poll_once()
    assert indexer.mirror.anchor(orphan_a.root) is not None
    assert indexer.mirror.leaf_state(kept.root, kept.hashes[0], kept.proof(kept.hashes[0])).status is (
        CredentialStatus.REVOKED
    )
    orphaned_head = indexer.status().cursor
    assert orphaned_head is not None

    assert rpc(_url(node), "evm_revert", [snapshot]) is True
    replacement = batch(3)
    receipt = anchor(node, replacement)
    while node.w3.eth.block_number <= orphaned_head:  # let the new branch grow past the old head
        time.sleep(0.1)
    indexer.poll_once()

    assert indexer.mirror.anchor(orphan_a.root) is None
    assert indexer.mirror.anchor(orphan_b.root) is None
    assert indexer.mirror.anchor(replacement.root) is not None
    state = indexer.mirror.leaf_state(kept.root, kept.hashes[0], kept.proof(kept.hashes[0]))
    assert state.status is CredentialStatus.ACTIVE  # the revocation was on the orphaned branch
    roots = {e.root for e in stored_events(node) if e.name == "CredentialAnchored"}
    assert roots == {"0x" + kept.root.hex(), "0x" + replacement.root.hex()}
    assert not node.store.query_events(name="CredentialRevoked").items
    (new_anchor,) = node.store.query_events(root="0x" + replacement.root.hex()).items
    assert new_anchor.block_hash == "0x" + bytes(receipt["blockHash"]).hex()
    cursor = indexer.status().cursor
    assert cursor is not None
    for number in range(fork_head - 2, cursor + 1):  # every block hash it kept is the chain's
        kept_hash = node.store.get_block_hash(number)
        if kept_hash is not None:
            assert kept_hash == "0x" + bytes(node.w3.eth.get_block(number)["hash"]).hex()
    assert indexer.mirror.as_of().hash == node.store.get_cursor(indexer.cursor_name).block_hash  # type: ignore[union-attr]


def test_an_identity_change_on_an_orphaned_branch_is_undone(node: Node) -> None:
    indexer, admin, f = indexer_of(node), dev_account(DEV_BODY_ADMIN), fns(node)

    def rename(uri: str) -> None:
        send(node, admin, f.setIssuerMetadata(1, uri, keccak(text=uri)))

    rename("did:web:kept.example")
    indexer.poll_once()
    snapshot = rpc(_url(node), "evm_snapshot")
    rename("did:web:orphaned.example")
    indexer.poll_once()
    assert indexer.mirror.issuer_identities(1) == (DEMO_ISSUER_URI, "did:web:kept.example", "did:web:orphaned.example")
    orphaned_head = indexer.status().cursor
    assert orphaned_head is not None

    assert rpc(_url(node), "evm_revert", [snapshot]) is True
    rename("did:web:replacement.example")
    while node.w3.eth.block_number <= orphaned_head:  # let the new branch grow past the old head
        time.sleep(0.1)
    indexer.poll_once()
    expected = (DEMO_ISSUER_URI, "did:web:kept.example", "did:web:replacement.example")
    assert indexer.mirror.issuer_identities(1) == expected == RpcChainView(node.registry).issuer_identities(1)
    issuer = indexer.mirror.issuer(1)
    assert issuer is not None and issuer.metadata_uri == "did:web:replacement.example"
    rebuilt = indexer_of(node)  # from the stored events alone
    rebuilt.poll_once()
    assert rebuilt.mirror.issuer_identities(1) == expected


def test_a_restart_after_a_reorg_rewinds_the_store_before_rebuilding_the_mirror(node: Node, settings: Settings) -> None:
    indexer = indexer_of(node)
    indexer.poll_once()
    snapshot = rpc(_url(node), "evm_snapshot")
    orphan = batch(1)
    anchor(node, orphan)
    indexer.poll_once()
    assert rpc(_url(node), "evm_revert", [snapshot]) is True
    head = indexer.status().cursor
    assert head is not None
    while node.w3.eth.block_number <= head:
        time.sleep(0.1)
    indexer.stop()  # the restart: the first process is gone
    restarted = indexer_of(node)
    restarted.poll_once()
    assert restarted.mirror.anchor(orphan.root) is None
    assert not node.store.query_events(name="CredentialAnchored").items


# --- the mirror against the contracts' views ------------------------------------------------------------------


def assert_agree(mirror: MirrorChainView, rpc_view: RpcChainView, batches: list[Batch], key_ids: list[int]) -> None:
    for b in batches:
        assert mirror.anchor(b.root) == rpc_view.anchor(b.root), "anchor"
        for h in b.hashes:
            proof = b.proof(h)
            assert mirror.leaf_state(b.root, h, proof) == rpc_view.leaf_state(b.root, h, proof), f"leaf {h.hex()}"
    assert mirror.anchor(os.urandom(32)) is None
    for key_id in [*key_ids, 99]:
        assert mirror.key(key_id) == rpc_view.key(key_id), f"key {key_id}"
    assert mirror.issuer(1) == rpc_view.issuer(1)
    assert mirror.issuer_types(1) == rpc_view.issuer_types(1)
    assert mirror.issuer_identities(1) == rpc_view.issuer_identities(1)
    assert mirror.body(1) == rpc_view.body(1)
    assert mirror.body_types(1) == rpc_view.body_types(1)
    unknown = rpc_view.issuer(77)  # the view answers an empty record for an unknown id; the mirror None
    assert mirror.issuer(77) is None and (unknown is None or unknown.status == 0)


def test_the_mirror_agrees_with_the_contract_views_across_lifecycle_and_accreditation_acts(node: Node) -> None:
    indexer = indexer_of(node)
    mirror, rpc_view = indexer.mirror, RpcChainView(node.registry)
    issuer, admin, governor = dev_account(DEV_ISSUER), dev_account(DEV_BODY_ADMIN), dev_account(0)
    r1, r2, r3, r4, r5 = batch(4), batch(1), batch(3), batch(2), batch(5)
    anchor(node, r1, r2, r3, r4, r5)
    second_key: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[3])
    now = chain_block(node.registry)
    assert now is not None
    send(node, admin, fns(node).addIssuerKey(1, second_key.address, now.timestamp - 10, OPEN_END))
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1, r2, r3, r4, r5], [1, 2])

    f = fns(node)
    a, b, c = r1.hashes[0], r1.hashes[1], r1.hashes[2]
    multicall(
        node,
        issuer,
        [
            f.suspendCredential(r1.root, a, 1),
            f.revokeCredential(r1.root, b, 2),
            f.supersedeCredential(r1.root, c, r4.root, r4.hashes[0], 3),
            f.suspendRoot(r3.root, 4),
            f.suspendCredential(r3.root, r3.hashes[0], 6),  # a leaf act under a suspended root
            f.supersedeRoot(r2.root, r4.root, 7),
            f.revokeRoot(r5.root, 8),
        ],
    )
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1, r2, r3, r4, r5], [1, 2])

    multicall(
        node,
        issuer,
        [
            f.reinstateCredential(r1.root, a, 9),
            f.reinstateRoot(r3.root, 10),  # root active again, its leaf still suspended
            f.suspendRoot(r1.root, 11),  # root suspension over a superseded and a revoked leaf
        ],
    )
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1, r2, r3, r4, r5], [1, 2])

    multicall(node, issuer, [f.reinstateCredential(r3.root, r3.hashes[0], 12), f.reinstateRoot(r1.root, 13)])
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1, r3], [1, 2])

    # accreditation: a key cut off, the issuer suspended and reinstated by its body, the body by governance
    send(node, admin, f.cutOffIssuerKey(1, second_key.address, now.timestamp + 5))
    send(node, admin, f.suspendIssuer(1, 14))
    indexer.poll_once()
    assert mirror.issuer(1) is not None and mirror.issuer(1).status == 2  # type: ignore[union-attr]
    assert mirror.key(1) is not None and mirror.key(1).effective_until == 0  # type: ignore[union-attr]
    assert_agree(mirror, rpc_view, [r1], [1, 2])
    send(node, admin, f.reinstateIssuer(1, 15))
    send(node, admin, f.setIssuerMetadata(1, "did:web:renamed.example", keccak(text="did:web:renamed.example")))
    node.registry.governance_act(node.signers.manager(governor), f.suspendBody(1, 16))
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1], [1, 2])
    node.registry.governance_act(node.signers.manager(governor), f.reinstateBody(1, 17))
    indexer.poll_once()
    assert_agree(mirror, rpc_view, [r1, r2, r3, r4, r5], [1, 2])
    assert mirror.issuer_identities(1) == (DEMO_ISSUER_URI, "did:web:renamed.example")
    assert mirror.as_of().number == indexer.status().cursor

    # a fresh indexer on the same store rebuilds the same answers from the stored events (no replay of the chain)
    rebuilt = indexer_of(node)
    rebuilt.poll_once()
    assert_agree(rebuilt.mirror, rpc_view, [r1, r2, r3, r4, r5], [1, 2])


# --- freshness ------------------------------------------------------------------------------------------------


def test_a_revocation_is_visible_in_the_mirror_after_one_poll(node: Node) -> None:
    indexer = indexer_of(node)
    b = batch(2)
    anchor(node, b)
    indexer.poll_once()
    h = b.hashes[1]
    assert indexer.mirror.leaf_state(b.root, h, b.proof(h)).status is CredentialStatus.ACTIVE
    receipt = send(node, dev_account(DEV_ISSUER), fns(node).revokeCredential(b.root, h, 2))
    indexer.poll_once()
    state = indexer.mirror.leaf_state(b.root, h, b.proof(h))
    assert state.status is CredentialStatus.REVOKED and state.reason_code == 2
    assert state.since == node.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert indexer.mirror.as_of().number >= receipt["blockNumber"]


def test_the_background_thread_shows_a_revocation_within_about_a_block(node: Node) -> None:
    indexer = indexer_of(node)
    b = batch(1)
    anchor(node, b)
    indexer.start()
    try:
        assert indexer.wait_until(node.w3.eth.block_number, timeout_s=10)
        receipt = send(node, dev_account(DEV_ISSUER), fns(node).revokeRoot(b.root, 3))
        mined = time.monotonic()
        while indexer.mirror.leaf_state(b.root, b.hashes[0], []).status is not CredentialStatus.REVOKED:
            assert time.monotonic() - mined < 2.0, "the revocation did not reach the mirror in time"
            time.sleep(0.01)
        waited = time.monotonic() - mined
        assert indexer.mirror.as_of().number >= receipt["blockNumber"]
        lag = indexer.lag()
        assert lag is not None and lag <= 2
        print(f"\nrevocation visible in the mirror {waited * 1000:.0f} ms after its receipt (blocks every 0.2 s)")
    finally:
        indexer.stop()
    assert not indexer.status().running


def test_mirror_lookups_are_orders_of_magnitude_cheaper_than_eth_calls(node: Node) -> None:
    indexer = indexer_of(node)
    batches = [batch(8) for _ in range(4)]
    anchor(node, *batches)
    indexer.poll_once()
    rpc_view = RpcChainView(node.registry)
    cases = [(b.root, h, b.proof(h)) for b in batches for h in b.hashes]

    def rate(view: MirrorChainView | RpcChainView, seconds: float) -> float:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for root, h, proof in cases:
                view.anchor(root)
                view.leaf_state(root, h, proof)
            done += len(cases)
        return done / (time.perf_counter() - start)

    mirror_rate, rpc_rate = rate(indexer.mirror, 0.5), rate(rpc_view, 1.0)
    print(
        f"\nanchor()+leaf_state(): mirror {mirror_rate:,.0f}/s, RpcChainView {rpc_rate:,.0f}/s "
        f"(x{mirror_rate / rpc_rate:,.0f})"
    )
    assert mirror_rate > 50 * rpc_rate


def test_poll_once_is_idempotent_at_the_head(node: Node) -> None:
    indexer = indexer_of(node)
    indexer.poll_once()
    count = len(stored_events(node))
    assert indexer.poll_once() == 0
    assert len(stored_events(node)) == count
    head: ChainBlock | None = chain_block(node.registry)
    assert head is not None and indexer.status().head is not None


def test_the_indexer_follows_on_after_the_devnet_restarts_from_its_snapshot(tmp_path: Path, settings: Settings) -> None:
    """anvil restarted from a snapshot keeps no historical state: reads at a recent block fall back to the head."""
    chain = start_devnet(tmp_path / "anvil", block_time_s=0.2, snapshot_interval_s=60)
    deploy(connect(chain.url), dev_account(0), settings.manifest_path, settings.artifacts_dir)
    first = Node.open(settings, rpc_url=chain.url)
    ensure_demo_issuer(first)
    early = batch(2)
    anchor(first, early)
    indexer_of(first).poll_once()
    first.close()
    chain.stop()  # a clean stop: the snapshot holds everything, but no state history

    time.sleep(1.0)  # the restarted chain moves on past the snapshot's blocks
    chain = start_devnet(tmp_path / "anvil", block_time_s=0.2, snapshot_interval_s=None)
    time.sleep(1.0)
    reopened = Node.open(settings, rpc_url=chain.url)
    try:
        late = batch(3)
        anchor(reopened, late)
        with TestClient(create_app(settings, node=reopened)) as client:  # as `make run` starts it again
            indexer = reopened.workers.indexer
            assert indexer.wait_until(reopened.w3.eth.block_number, timeout_s=10), indexer.status()
            assert client.get("/readyz").status_code == 200
            mirror = reopened.workers.mirror
            assert mirror.anchor(early.root) is not None
            record = mirror.anchor(late.root)
            assert record is not None and record.leaf_count == 3
    finally:
        reopened.close()
        chain.stop()
