from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from node.errors import NotFoundError
from node.store import AnchoringState, NewCredential, Store
from tests.store.conftest import ISSUER, OTHER_ISSUER, new_credential

BULK = 10_000


def test_bulk_insert_of_ten_thousand_in_one_call(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    items = [new_credential(i, client_ref=f"row-{i}") for i in range(BULK)]
    started = time.perf_counter()
    ids = store.add_credentials(ISSUER, items)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nadd_credentials: {BULK} credentials in {elapsed:.3f} s")
    assert len(ids) == len(set(ids)) == BULK
    assert elapsed < 2.0
    assert store.credential_counts(ISSUER)[AnchoringState.PENDING] == BULK
    first = store.get_credential(ids[0])
    assert first.credential_hash == items[0].credential_hash
    assert json.loads(first.document) == items[0].document
    last = store.get_credential(ids[-1])
    assert last.client_ref == f"row-{BULK - 1}"


def test_repeated_client_ref_returns_existing_id(store: Store) -> None:
    [first] = store.add_credentials(ISSUER, [new_credential(1, client_ref="enrol-1")])
    # a retry builds a new document (fresh salts, so another hash) under the same client_ref
    again = store.add_credentials(ISSUER, [new_credential(2, client_ref="enrol-1"), new_credential(3)])
    assert again[0] == first
    assert again[1] != first
    assert store.get_credential(first).credential_hash == new_credential(1).credential_hash
    # duplicates inside one call collapse too
    dup = store.add_credentials(ISSUER, [new_credential(4, "enrol-2"), new_credential(5, "enrol-2")])
    assert dup[0] == dup[1]
    assert sum(store.credential_counts(ISSUER).values()) == 3
    # the same client_ref from another issuer is a different credential
    [other] = store.add_credentials(OTHER_ISSUER, [new_credential(6, client_ref="enrol-1")])
    assert other != first


def test_issuer_isolation(store: Store) -> None:
    [cid] = store.add_credentials(ISSUER, [new_credential(1)])
    assert store.get_credential(cid, issuer_id=ISSUER).id == cid
    assert store.get_credential(cid).issuer_id == ISSUER
    with pytest.raises(NotFoundError):
        store.get_credential(cid, issuer_id=OTHER_ISSUER)
    with pytest.raises(NotFoundError):
        store.get_credential("00000000-0000-4000-8000-000000000000")
    assert store.list_credentials(OTHER_ISSUER) == []
    assert [c.id for c in store.list_credentials(ISSUER)] == [cid]


def test_unknown_issuer_cannot_add(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.add_credentials(404, [new_credential(1)])
    assert sum(store.credential_counts().values()) == 0


def test_document_given_as_text_is_stored_verbatim(store: Store) -> None:
    text = '{"b": 1, "a": "é"}'
    [cid] = store.add_credentials(ISSUER, [NewCredential("T", "1", "0x" + "11" * 32, text)])
    assert store.get_credential(cid).document == text


def test_pending_bookkeeping(store: Store) -> None:
    assert store.pending_issuers() == []
    assert store.pending_groups(ISSUER) == []
    store.add_credentials(ISSUER, [new_credential(i) for i in range(3)])
    store.add_credentials(ISSUER, [NewCredential("ShortCourse", "2", "0x" + "22" * 32, "{}")])
    store.add_credentials(OTHER_ISSUER, [new_credential(9)])
    assert store.pending_issuers() == [ISSUER, OTHER_ISSUER]
    assert store.pending_count(ISSUER) == 4
    created = store.list_credentials(ISSUER)[0].created_at
    groups = store.pending_groups(ISSUER, now=created + timedelta(seconds=5))
    assert [(g.type_name, g.type_version, g.pending) for g in groups] == [
        ("NationalCertificate", "1.0", 3),
        ("ShortCourse", "2", 1),
    ]
    assert groups[0].oldest_age_s == pytest.approx(5.0)
    assert all(0 <= g.oldest_age_s < 60 for g in store.pending_groups(ISSUER))
    counts = store.credential_counts()
    assert counts == {
        AnchoringState.PENDING: 5,
        AnchoringState.BATCHED: 0,
        AnchoringState.ANCHORED: 0,
        AnchoringState.FAILED: 0,
    }


def test_list_filters_by_hash_and_status(store: Store) -> None:
    ids = store.add_credentials(ISSUER, [new_credential(i) for i in range(3)])
    found = store.list_credentials(credential_hash=new_credential(1).credential_hash)
    assert [c.id for c in found] == [ids[1]]
    assert len(store.list_credentials(ISSUER, status="pending", limit=2)) == 2
    assert store.list_credentials(ISSUER, status=AnchoringState.ANCHORED) == []


def test_results_are_detached_immutable_values(store: Store) -> None:
    import dataclasses

    [cid] = store.add_credentials(ISSUER, [new_credential(1)])
    credential = store.get_credential(cid)
    with pytest.raises(dataclasses.FrozenInstanceError):
        credential.status = AnchoringState.ANCHORED  # type: ignore[misc]
    store.close()  # values stay readable with no session or connection behind them
    assert credential.created_at.tzinfo is not None
    assert credential.merkle_proof is None
