"""node/workers/batcher/loop.py (the Batcher) on a real anvil: closing by size and by wait, per type, one transaction
per batch, one batcher per data dir (thread or the app's child process), 16 threads x 1,000 credentials, and no
personal data on chain. Recovery is in test_recovery.py, refusals in test_anchoring.py."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from node.chain.registry import Validity, type_id
from node.credentials.keccak import to_hex
from node.credentials.merkle import leaf_hash
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.services.issuance import IssuanceService, IssueItem
from node.store import Batch, BatchStatus
from node.workers.batcher import Batcher, BatcherStats
from node.workers.batcher.process import BatcherProcess
from tests.drills.chaincheck import (
    SUBJECTS,
    all_anchored,
    assert_exactly_once,
    assert_no_nonce_gap,
    issue,
    wait_for,
)
from tests.workers.batcher.conftest import b32, started

pytestmark = pytest.mark.anvil


NOT_YET = BatcherStats(False, False, False, 0, 0, 0, 0, 0, 0, 0, None, None, True)
"""What a batcher process reports before its first line."""


def selector(signature: str) -> str:
    from eth_utils.crypto import keccak

    return "0x" + keccak(text=signature)[:4].hex()


ANCHOR = selector("anchor(bytes32,uint32,bytes32,uint40)")
ANCHOR_SINGLE = selector("anchorSingle(bytes32,uint16)")


def test_full_batches_close_at_max_size_and_the_rest_after_the_wait(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 2000
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 20)
    wait_for(batcher.idle, 30, "all 20 credentials anchored")

    batches = node.store.batches_with_status()
    assert sorted(b.leaf_count for b in batches) == [4, 8, 8]
    for batch in batches:
        members = node.store.list_credentials(batch_id=batch.id, limit=100)
        waited = (batch.created_at - min(c.created_at for c in members)).total_seconds()
        if batch.leaf_count == 8:
            assert waited < 2.0, "a full batch is closed as soon as it is full"
        else:
            assert waited >= 2.0, "a partial batch waits batch_max_wait_ms for more credentials"
        tx = node.w3.eth.get_transaction(batch.tx_hash)  # type: ignore[arg-type]
        assert "0x" + bytes(tx["input"]).hex()[:8] == ANCHOR
    assert assert_exactly_once(node, ids).batches == 3
    assert assert_no_nonce_gap(node, demo.signer) == 3
    stats = batcher.stats()
    assert (stats.batches_anchored, stats.credentials_anchored, stats.batches_failed) == (3, 20, 0)
    assert stats.in_flight == 0 and stats.last_error is None

    # a credential verifies on chain against its batch's root with its stored proof
    credential = node.store.get_credential(ids[5])
    batch = node.store.get_batch(int(credential.batch_id or 0))
    proof = [bytes.fromhex(p[2:]) for p in credential.merkle_proof or ()]
    now = node.registry.latest_timestamp()
    valid, code = node.registry.is_valid_at(b32(batch.root), b32(credential.credential_hash), proof, now)
    assert (valid, code) == (True, Validity.VALID)


def test_types_are_batched_apart_and_a_batch_of_one_uses_anchor_single(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 300
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 3) + issue(node.store, demo.issuer_id, 1, "micro-credential")
    wait_for(batcher.idle, 30, "both batches anchored")

    by_type = {}
    for batch in node.store.batches_with_status():
        record = node.registry.anchor_of(b32(batch.root))
        assert record.credential_type == type_id(_type_of(node, batch)) == b32(batch.credential_type)
        by_type[_type_of(node, batch)] = batch
    assert by_type["formal-qualification"].leaf_count == 3
    single = by_type["micro-credential"]
    assert single.leaf_count == 1
    credential = node.store.list_credentials(batch_id=single.id)[0]
    assert single.root == to_hex(leaf_hash(b32(credential.credential_hash)))
    assert credential.merkle_proof == ()
    tx = node.w3.eth.get_transaction(single.tx_hash)  # type: ignore[arg-type]
    assert "0x" + bytes(tx["input"]).hex()[:8] == ANCHOR_SINGLE
    now = node.registry.latest_timestamp()
    assert node.registry.is_valid_at(b32(single.root), b32(credential.credential_hash), [], now)[0]
    assert_exactly_once(node, ids)
    assert_no_nonce_gap(node, demo.signer)


def test_a_busy_type_does_not_close_a_quiet_types_batch_early(devnode: tuple[Node, DemoIssuer]) -> None:
    """The size trigger counts per type: 16 formal qualifications fill two batches at once, while the one
    micro-credential beside them waits its window for company instead of going out alone at once."""
    node, demo = devnode
    node.settings.batch_max_wait_ms = 1500
    batcher = started(node)
    ids = issue(node.store, demo.issuer_id, 1, "micro-credential") + issue(node.store, demo.issuer_id, 16)
    wait_for(batcher.idle, 30, "all anchored")
    waited = {}
    for batch in node.store.batches_with_status():
        members = node.store.list_credentials(batch_id=batch.id, limit=100)
        waited[batch.id] = (_type_of(node, batch), batch.leaf_count, (batch.created_at - members[0].created_at))
    formal = [w for t, n, w in waited.values() if t == "formal-qualification"]
    [(micro_size, micro_wait)] = [(n, w) for t, n, w in waited.values() if t == "micro-credential"]
    assert len(formal) == 2 and all(w.total_seconds() < 1.5 for w in formal), "full batches close at once"
    assert micro_size == 1 and micro_wait.total_seconds() >= 1.5, "the lone micro-credential waits its window"
    assert_exactly_once(node, ids)


def _type_of(node: Node, batch: Batch) -> str:
    return node.store.list_credentials(batch_id=batch.id, limit=1)[0].type_name


@pytest.mark.parametrize("as_process", [True, False], ids=["child-process", "thread"])
def test_one_batcher_per_data_dir_and_the_app_runs_it(devnode: tuple[Node, DemoIssuer], as_process: bool) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 100
    node.settings.batcher_process = as_process
    with TestClient(create_app(node.settings, node=node)) as client:
        batcher = node.workers.batcher
        assert isinstance(batcher, BatcherProcess if as_process else Batcher)
        wait_for(lambda: (batcher.stats() or NOT_YET).recovered, 20, "the app's batcher to recover")
        second = started(Node.open(node.settings, rpc_url=node.rpc_url))
        ids = issue(node.store, demo.issuer_id, 5)
        wait_for(lambda: all_anchored(node.store), 20, "the app's batcher to anchor")
        assert second.stats().standby and not second.stats().recovered
        wait_for(lambda: batcher.credentials_anchored == 5, 5, "the counters to reach the app")
        assert "credreg_batcher_credentials_anchored 5.0" in client.get("/metrics").text
        second.stop()
        second.node.close()
    assert not batcher.running and node.workers.batcher is None
    assert_exactly_once(node, ids)


def test_16_threads_x_1000_credentials_all_anchored_once_no_nonce_errors(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_size = 1024
    node.settings.batch_max_wait_ms = 500
    batcher = started(node)
    threads, per_thread = 16, 1000
    barrier = threading.Barrier(threads)
    accepted: list[list[str]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    issuance = IssuanceService(node)  # the API's own path: validate, build and seal, write the outbox
    principal = node.store.authenticate(demo.api_key)
    assert principal is not None
    subject = SUBJECTS["formal-qualification"]

    def add(n: int) -> None:
        try:
            barrier.wait()
            for start in range(0, per_thread, 250):
                items = [IssueItem("formal-qualification", subject, client_ref=f"t{n}-{start + i}") for i in range(250)]
                accepted[n] += [a.id for a in issuance.submit(principal, items)]
        except BaseException as exc:
            errors.append(exc)

    started_at = time.monotonic()
    workers = [threading.Thread(target=add, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    wait_for(batcher.idle, 90, "16,000 credentials anchored")
    elapsed = time.monotonic() - started_at

    ids = [i for chunk in accepted for i in chunk]
    assert len(set(ids)) == threads * per_thread
    once = assert_exactly_once(node, ids)
    assert once.credentials == 16_000 and once.batches == once.roots_logged
    assert once.batches >= 16  # 16,000 / 1,024
    assert assert_no_nonce_gap(node, demo.signer) == once.batches
    stats = batcher.stats()
    assert stats.nonce_replays == 0 and stats.batches_failed == 0 and stats.last_error is None
    print(f"\n16 x 1000 credentials: {once.batches} batches anchored in {elapsed:.1f} s")


def test_no_personal_data_in_any_transaction_or_event(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 200
    batcher = started(node)
    issue(node.store, demo.issuer_id, 11)
    issue(node.store, demo.issuer_id, 1, "micro-credential")
    wait_for(batcher.idle, 30, "anchored")
    assert len(node.store.batches_with_status(BatchStatus.CONFIRMED)) >= 3

    values = _leaf_values(SUBJECTS)
    assert {"Thandiwe Nkosi", "9002145123086", "Bachelor of Commerce", "M12345678"} <= set(values)
    needles = [v.encode() for v in values] + [v.encode().hex().encode() for v in values]
    needles += [c.credential_hash[2:].encode() for c in node.store.list_credentials(limit=100)]  # hashes, unlinkable
    w3 = node.w3
    haystacks: list[bytes] = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            data = bytes(tx["input"])  # type: ignore[index]
            haystacks += [data, data.hex().encode()]
    for entry in w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"}):
        blob = b"".join(bytes(t) for t in entry["topics"]) + bytes(entry["data"])
        haystacks += [blob, blob.hex().encode()]
    assert len(haystacks) > 20
    for haystack in haystacks:
        lowered = haystack.lower()
        for needle in needles:
            assert needle.lower() not in lowered, f"{needle!r} found on chain"


def _leaf_values(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for item in node.values() for v in _leaf_values(item)]
    if isinstance(node, list):
        return [v for item in node for v in _leaf_values(item)]
    text = str(node)
    return [text] if len(text) >= 5 else []  # short numbers (levels, credits) could match by chance
