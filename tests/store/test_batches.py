from __future__ import annotations

import threading
from pathlib import Path

import pytest

from node.errors import BatchStateError, ConflictError, NotFoundError, ValidationFailedError
from node.store import BatchStatus, ClaimedBatch, CredentialStatus, LeafAssignment, Store
from tests.store.conftest import ISSUER, OTHER_ISSUER, SIGNER, new_credential, sqlite_url

ROOT = "0x" + "12" * 32
TX = "0x" + "34" * 32
BLOCK_HASH = "0x" + "56" * 32
CTYPE = "0x" + "78" * 32


def _build(store: Store, claimed: ClaimedBatch, root: str = ROOT) -> None:
    leaves = [LeafAssignment(cid, i, [f"0x{i:064x}"]) for i, (cid, _h) in enumerate(claimed.leaves)]
    store.set_batch_tree(claimed.batch_id, root, leaves, credential_type=CTYPE)


def _statuses(store: Store, batch_id: int) -> set[CredentialStatus]:
    return {c.status for c in store.list_credentials(batch_id=batch_id, limit=10_000)}


def test_claim_takes_oldest_pending_of_that_issuer_only(store: Store) -> None:
    first = store.add_credentials(ISSUER, [new_credential(1)])
    later = store.add_credentials(ISSUER, [new_credential(i) for i in range(2, 5)])
    store.add_credentials(OTHER_ISSUER, [new_credential(99)])
    claimed = store.claim_batch(ISSUER, 2)
    assert claimed is not None
    batch_id, leaves = claimed
    assert len(leaves) == 2
    assert leaves[0].credential_id == first[0]
    assert leaves[1].credential_id in later
    assert leaves[0].credential_hash == new_credential(1).credential_hash
    batch = store.get_batch(batch_id)
    assert batch.status is BatchStatus.BUILDING
    assert batch.leaf_count == 2
    assert _statuses(store, batch_id) == {CredentialStatus.BATCHED}
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
            out.extend(leaf.credential_id for leaf in claimed.leaves)
    except BaseException as exc:
        errors.append(exc)


@pytest.mark.parametrize("separate_stores", [False, True], ids=["threads", "two-store-objects"])
def test_concurrent_claims_never_share_a_credential(store: Store, db_path: Path, separate_stores: bool) -> None:
    workers = 4
    ids = store.add_credentials(
        ISSUER, [new_credential(i) for i in range(workers * CLAIMS_PER_WORKER * CLAIM_SIZE + 3)]
    )
    stores = [Store(sqlite_url(db_path)) if separate_stores else store for _ in range(workers)]
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
    assert set(claimed) | {leaf.credential_id for leaf in rest.leaves} == set(ids)
    batches = store.batches_with_status(BatchStatus.BUILDING)
    assert len(batches) == workers * CLAIMS_PER_WORKER + 1
    assert sum(b.leaf_count for b in batches) == len(ids)
    for batch in batches:
        assert {c.id for c in store.list_credentials(batch_id=batch.id)} <= set(ids)
    if separate_stores:
        for s in stores:
            s.close()


def test_set_batch_tree_records_proofs_and_validates(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(i) for i in range(3)])
    claimed = store.claim_batch(ISSUER, 10)
    assert claimed is not None
    with pytest.raises(ValidationFailedError):
        store.set_batch_tree(claimed.batch_id, ROOT, [(claimed.leaves[0].credential_id, 0, [])])
    bogus: list[tuple[str, int, list[str]]] = [(f"not-in-batch-{i}", i, []) for i in range(3)]
    with pytest.raises(ValidationFailedError):
        store.set_batch_tree(claimed.batch_id, ROOT, bogus)
    _build(store, claimed)
    batch = store.get_batch(claimed.batch_id)
    assert (batch.status, batch.root, batch.leaf_count, batch.credential_type) == (BatchStatus.BUILT, ROOT, 3, CTYPE)
    assert store.get_batch_by_root(ROOT) == batch
    credential = store.get_credential(claimed.leaves[2].credential_id)
    assert credential.leaf_index == 2
    assert credential.merkle_proof == (f"0x{2:064x}",)
    with pytest.raises(BatchStateError):
        _build(store, claimed)


def test_root_is_unique(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(i) for i in range(2)])
    a = store.claim_batch(ISSUER, 1)
    b = store.claim_batch(ISSUER, 1)
    assert a is not None
    assert b is not None
    _build(store, a)
    with pytest.raises(ConflictError):
        _build(store, b)
    assert store.get_batch(b.batch_id).status is BatchStatus.BUILDING


def _built_batch(store: Store, n: int = 3, root: str = ROOT) -> int:
    store.add_credentials(ISSUER, [new_credential(i) for i in range(n)])
    claimed = store.claim_batch(ISSUER, n)
    assert claimed is not None
    _build(store, claimed, root)
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
    assert {c.status for c in credentials} == {CredentialStatus.ANCHORED}
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
    assert reset.root == ROOT
    assert _statuses(store, batch_id) == {CredentialStatus.BATCHED}
    assert all(c.anchored_at is None and c.merkle_proof for c in store.list_credentials(batch_id=batch_id))
    assert store.batches_with_status(BatchStatus.BUILT, "signed") == [reset]
    # anchored again with a fresh nonce
    store.mark_signed(batch_id, SIGNER, 6, "0xf86b02", "0x" + "99" * 32)
    assert store.mark_confirmed(batch_id, "0x" + "99" * 32, 12, BLOCK_HASH).status is BatchStatus.CONFIRMED
    assert _statuses(store, batch_id) == {CredentialStatus.ANCHORED}
    with pytest.raises(BatchStateError):
        store.reset_for_reanchor(
            _built_batch(store, root="0x" + "ee" * 32)
        )  # a batch never signed has nothing to reset


def test_mark_failed_moves_credentials_to_failed(store: Store) -> None:
    batch_id = _built_batch(store)
    store.mark_signed(batch_id, SIGNER, 5, "0xf86b01", TX)
    failed = store.mark_failed(batch_id, "issuer not accredited for this type")
    assert failed.status is BatchStatus.FAILED
    credentials = store.list_credentials(batch_id=batch_id)
    assert {(c.status, c.failure_reason) for c in credentials} == {
        (CredentialStatus.FAILED, "issuer not accredited for this type")
    }
    assert store.credential_counts(ISSUER)[CredentialStatus.FAILED] == 3
    # a failed batch may be retried
    store.reset_for_reanchor(batch_id)
    assert {(c.status, c.failure_reason) for c in store.list_credentials(batch_id=batch_id)} == {
        (CredentialStatus.BATCHED, None)
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
    assert store.pending_types(ISSUER) == [("NationalCertificate", "1.0"), ("ShortCourse", "2")]
    claimed = store.claim_batch(ISSUER, 10, type_name="ShortCourse", type_version="2", credential_type=CTYPE)
    assert claimed is not None
    assert [leaf.credential_hash for leaf in claimed.leaves] == [other_type.credential_hash]
    assert store.get_batch(claimed.batch_id).credential_type == CTYPE
    assert store.pending_types(ISSUER) == [("NationalCertificate", "1.0")]
