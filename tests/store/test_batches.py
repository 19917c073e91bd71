from __future__ import annotations

import threading

import pytest

from node.credentials.keccak import to_hex
from node.credentials.merkle import MerkleTree, verify
from node.errors import BatchStateError, ConflictError, NotFoundError, ValidationFailedError
from node.store import AnchoringState, BatchStatus, ClaimedBatch, Store
from tests.store.conftest import ISSUER, OTHER_ISSUER, SIGNER, new_credential

TX = "0x" + "34" * 32
BLOCK_HASH = "0x" + "56" * 32
CTYPE = "0x" + "78" * 32


def _tree(hashes: list[str]) -> MerkleTree:
    return MerkleTree([bytes.fromhex(h[2:]) for h in hashes])


def _build(store: Store, claimed: ClaimedBatch) -> str:
    tree = _tree(claimed.credential_hashes)
    store.set_batch_tree(claimed.batch_id, to_hex(tree.root), tree.nodes(), credential_type=CTYPE)
    return to_hex(tree.root)


def _ids(store: Store, batch_id: int) -> set[str]:
    return {c.id for c in store.list_credentials(batch_id=batch_id, limit=10_000)}


def _statuses(store: Store, batch_id: int) -> set[AnchoringState]:
    return {c.status for c in store.list_credentials(batch_id=batch_id, limit=10_000)}


def test_claim_takes_oldest_pending_of_that_issuer_only(store: Store) -> None:
    first = store.add_credentials(ISSUER, [new_credential(1)])
    later = store.add_credentials(ISSUER, [new_credential(i) for i in range(2, 5)])
    store.add_credentials(OTHER_ISSUER, [new_credential(99)])
    claimed = store.claim_batch(ISSUER, 2)
    assert claimed is not None
    batch_id, hashes = claimed
    assert len(hashes) == 2
    members = _ids(store, batch_id)
    assert first[0] in members and len(members & set(later)) == 1
    assert new_credential(1).credential_hash in hashes
    batch = store.get_batch(batch_id)
    assert batch.status is BatchStatus.BUILDING
    assert batch.leaf_count == 2
    assert _statuses(store, batch_id) == {AnchoringState.BATCHED}
    assert store.pending_count(ISSUER) == 2
    assert store.pending_count(OTHER_ISSUER) == 1


def test_claim_with_nothing_pending_opens_no_batch(store: Store) -> None:
    assert store.claim_batch(ISSUER, 10) is None
    assert store.batches_with_status() == []
    with pytest.raises(ValidationFailedError):
        store.claim_batch(ISSUER, 0)


CLAIMS_PER_WORKER = 20
CLAIM_SIZE = 5


def _claim(store: Store, barrier: threading.Barrier, out: list[str], errors: list[BaseException]) -> None:
    try:
        barrier.wait()
        for _ in range(CLAIMS_PER_WORKER):
            claimed = store.claim_batch(ISSUER, CLAIM_SIZE)
            assert claimed is not None
            out.extend(_ids(store, claimed.batch_id))
    except BaseException as exc:
        errors.append(exc)


@pytest.mark.parametrize("separate_stores", [False, True], ids=["threads", "two-store-objects"])
def test_concurrent_claims_never_share_a_credential(store: Store, store_url: str, separate_stores: bool) -> None:
    workers = 4
    ids = store.add_credentials(
        ISSUER, [new_credential(i) for i in range(workers * CLAIMS_PER_WORKER * CLAIM_SIZE + 3)]
    )
    stores = [Store(store_url) if separate_stores else store for _ in range(workers)]
    barrier = threading.Barrier(workers)
    results: list[list[str]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_claim, args=(stores[n], barrier, results[n], errors)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    claimed = [cid for result in results for cid in result]
    assert all(len(result) == CLAIMS_PER_WORKER * CLAIM_SIZE for result in results)
    assert len(claimed) == len(set(claimed)) == len(ids) - 3
    rest = store.claim_batch(ISSUER, 100)
    assert rest is not None
    assert set(claimed) | _ids(store, rest.batch_id) == set(ids)
    batches = store.batches_with_status(BatchStatus.BUILDING)
    assert len(batches) == workers * CLAIMS_PER_WORKER + 1
    assert sum(b.leaf_count for b in batches) == len(ids)
    for batch in batches:
        assert {c.id for c in store.list_credentials(batch_id=batch.id)} <= set(ids)
    if separate_stores:
        for s in stores:
            s.close()


def test_set_batch_tree_stores_the_tree_every_member_reads_its_proof_from(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(i) for i in range(3)])
    claimed = store.claim_batch(ISSUER, 10)
    assert claimed is not None
    assert all(c.merkle_proof is None for c in store.list_credentials(batch_id=claimed.batch_id))  # no tree yet
    short = _tree(claimed.credential_hashes[:2])
    with pytest.raises(ValidationFailedError, match="not theirs"):  # a member left out
        store.set_batch_tree(claimed.batch_id, to_hex(short.root), short.nodes())
    stranger = _tree([*claimed.credential_hashes[:2], "0x" + "ff" * 32])
    with pytest.raises(ValidationFailedError, match="not theirs"):  # a stranger in
        store.set_batch_tree(claimed.batch_id, to_hex(stranger.root), stranger.nodes())
    tree = _tree(claimed.credential_hashes)
    with pytest.raises(ValidationFailedError, match="first node"):
        store.set_batch_tree(claimed.batch_id, "0x" + "12" * 32, tree.nodes())
    with pytest.raises(ValidationFailedError, match="32-byte nodes"):
        store.set_batch_tree(claimed.batch_id, to_hex(tree.root), tree.nodes()[:-32])
    assert store.get_batch(claimed.batch_id).status is BatchStatus.BUILDING  # nothing recorded by the refusals
    root = _build(store, claimed)
    batch = store.get_batch(claimed.batch_id)
    assert (batch.status, batch.root, batch.leaf_count, batch.credential_type) == (BatchStatus.BUILT, root, 3, CTYPE)
    assert store.get_batch_by_root(root) == batch
    for credential in [
        *store.list_credentials(batch_id=claimed.batch_id),
        store.get_credential(_ids(store, batch.id).pop()),
    ]:
        assert credential.merkle_proof is not None and len(credential.merkle_proof) >= 1
        proof = [bytes.fromhex(p[2:]) for p in credential.merkle_proof]
        assert verify(tree.root, bytes.fromhex(credential.credential_hash[2:]), proof)
    with pytest.raises(BatchStateError):
        _build(store, claimed)


def test_root_is_unique(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(1), new_credential(1)])  # the same sealed document twice
    a = store.claim_batch(ISSUER, 1)
    b = store.claim_batch(ISSUER, 1)
    assert a is not None
    assert b is not None
    _build(store, a)
    with pytest.raises(ConflictError):
        _build(store, b)
    assert store.get_batch(b.batch_id).status is BatchStatus.BUILDING


def _built_batch(store: Store, n: int = 3, first: int = 0) -> int:
    store.add_credentials(ISSUER, [new_credential(i) for i in range(first, first + n)])
    claimed = store.claim_batch(ISSUER, n)
    assert claimed is not None
    _build(store, claimed)
    return claimed.batch_id


def test_state_machine_to_anchored(store: Store) -> None:
    batch_id = _built_batch(store)
    with pytest.raises(BatchStateError):
        store.mark_sent(batch_id)
    with pytest.raises(BatchStateError):
        store.mark_confirmed(batch_id, TX, 10, BLOCK_HASH)

    signed = store.mark_signed(batch_id, SIGNER, 5, "0xf86b01", TX)
    assert (signed.status, signed.nonce, signed.raw_tx, signed.tx_hash) == (BatchStatus.SIGNED, 5, "0xf86b01", TX)
    sent = store.mark_sent(batch_id)
    assert sent.status is BatchStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert store.mark_sent(batch_id).attempts == 2  # a resend of the same raw tx
    store.note_batch_error(batch_id, "timeout waiting for receipt")
    assert store.get_batch(batch_id).last_error == "timeout waiting for receipt"

    confirmed = store.mark_confirmed(batch_id, TX, 10, BLOCK_HASH)
    assert confirmed.status is BatchStatus.CONFIRMED
    assert (confirmed.block_number, confirmed.block_hash) == (10, BLOCK_HASH)
    assert confirmed.last_error is None
    credentials = store.list_credentials(batch_id=batch_id)
    assert {c.status for c in credentials} == {AnchoringState.ANCHORED}
    assert all(c.anchored_at == confirmed.confirmed_at for c in credentials)
    assert store.confirmed_batches_since(10) == [confirmed]
    assert store.confirmed_batches_since(11) == []
    assert store.batch_counts()[BatchStatus.CONFIRMED] == 1
    with pytest.raises(BatchStateError):
        store.mark_failed(batch_id, "too late")


def test_reset_for_reanchor_after_reorg(store: Store) -> None:
    batch_id = _built_batch(store)
    store.mark_signed(batch_id, SIGNER, 5, "0xf86b01", TX)
    store.mark_sent(batch_id)
    store.mark_confirmed(batch_id, TX, 10, BLOCK_HASH)

    reset = store.reset_for_reanchor(batch_id)
    assert reset.status is BatchStatus.BUILT
    assert (reset.nonce, reset.raw_tx, reset.tx_hash, reset.block_number, reset.confirmed_at) == (None,) * 5
    assert reset.root == store.get_batch(batch_id).root is not None
    assert _statuses(store, batch_id) == {AnchoringState.BATCHED}
    assert all(c.anchored_at is None and c.merkle_proof for c in store.list_credentials(batch_id=batch_id))
    assert store.batches_with_status(BatchStatus.BUILT, "signed") == [reset]
    # anchored again with a fresh nonce
    store.mark_signed(batch_id, SIGNER, 6, "0xf86b02", "0x" + "99" * 32)
    assert store.mark_confirmed(batch_id, "0x" + "99" * 32, 12, BLOCK_HASH).status is BatchStatus.CONFIRMED
    assert _statuses(store, batch_id) == {AnchoringState.ANCHORED}
    with pytest.raises(BatchStateError):
        store.reset_for_reanchor(_built_batch(store, first=100))  # a batch never signed has nothing to reset


def test_mark_failed_moves_credentials_to_failed(store: Store) -> None:
    batch_id = _built_batch(store)
    store.mark_signed(batch_id, SIGNER, 5, "0xf86b01", TX)
    failed = store.mark_failed(batch_id, "issuer not accredited for this type")
    assert failed.status is BatchStatus.FAILED
    credentials = store.list_credentials(batch_id=batch_id)
    assert {(c.status, c.failure_reason) for c in credentials} == {
        (AnchoringState.FAILED, "issuer not accredited for this type")
    }
    assert store.credential_counts(ISSUER)[AnchoringState.FAILED] == 3
    # a failed batch may be retried
    store.reset_for_reanchor(batch_id)
    assert {(c.status, c.failure_reason) for c in store.list_credentials(batch_id=batch_id)} == {
        (AnchoringState.BATCHED, None)
    }


def test_unknown_batch(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.get_batch(12345)
    with pytest.raises(NotFoundError):
        store.mark_sent(12345)


def test_claim_restricted_to_one_credential_type(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(1)])
    other_type = new_credential(2)
    store.add_credentials(
        ISSUER,
        [
            type(other_type)(
                type_name="ShortCourse",
                type_version="2",
                credential_hash=other_type.credential_hash,
                document=other_type.document,
            )
        ],
    )
    assert [g[:2] for g in store.pending_groups(ISSUER)] == [("NationalCertificate", "1.0"), ("ShortCourse", "2")]
    claimed = store.claim_batch(ISSUER, 10, type_name="ShortCourse", type_version="2", credential_type=CTYPE)
    assert claimed is not None
    assert claimed.credential_hashes == [other_type.credential_hash]
    assert store.get_batch(claimed.batch_id).credential_type == CTYPE
    assert [g[:2] for g in store.pending_groups(ISSUER)] == [("NationalCertificate", "1.0")]
