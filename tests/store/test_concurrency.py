"""The store's read-modify-writes under concurrency, on both backends.

SQLite serialises writers at BEGIN (``BEGIN IMMEDIATE``: the second writer waits before it reads anything).
PostgreSQL (READ COMMITTED) lets two writers read the same row at once, so every read-modify-write in the store locks
the row it reads (``SELECT ... FOR UPDATE``) or is one atomic statement (``UPDATE ... WHERE``, ``INSERT ... ON
CONFLICT``). These tests force the interleaving that loses an update (each writer pauses right after its read) and
show the store does not lose it; the last one shows that, on PostgreSQL, the same interleaving does lose it without
the row lock (so the others can fail).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.sql.selectable import Select

from node.store import Store
from tests.store.conftest import SIGNER, new_credential

ADDRESS = "0x5b38da6a701c568545dcfcb03fcb875f56beddc4"
PAUSE_S = 0.3


@contextmanager
def pause_after_reading(store: Store, table: str) -> Iterator[None]:
    """Every SELECT from ``table`` through ``store`` sleeps PAUSE_S after it has its rows (inside its transaction)."""

    def _after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            time.sleep(PAUSE_S)

    event.listen(store.engine, "after_cursor_execute", _after)
    try:
        yield
    finally:
        event.remove(store.engine, "after_cursor_execute", _after)


def together(*calls: Callable[[], object]) -> list[object]:
    """Run ``calls`` in threads started at the same moment; their results (an exception is a result)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = calls[n]()
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _nonce_race(store_url: str) -> tuple[list[object], int | None]:
    first, second = Store(store_url), Store(store_url)
    try:
        first.set_nonce(ADDRESS, 5)
        with pause_after_reading(first, "nonces"), pause_after_reading(second, "nonces"):
            results = together(lambda: first.next_nonce(ADDRESS, 0), lambda: second.next_nonce(ADDRESS, 0))
        return results, first.get_nonce(ADDRESS)
    finally:
        first.close()
        second.close()


def test_two_processes_reserving_a_nonce_at_once_get_two_nonces(store: Store, store_url: str) -> None:
    results, stored = _nonce_race(store_url)
    assert sorted(results) == [5, 6]
    assert stored == 7


def test_without_the_row_lock_postgresql_hands_the_same_nonce_out_twice(
    store: Store, store_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counterfactual: ``with_for_update()`` made a no-op, the interleaving above loses an update on PostgreSQL
    (both read 5, both write 6); SQLite's BEGIN IMMEDIATE still serialises it."""
    monkeypatch.setattr(Select, "with_for_update", lambda self, **_kw: self)
    results, stored = _nonce_race(store_url)
    if backend == "postgresql":
        assert results == [5, 5]
        assert stored == 6
    else:
        assert sorted(results) == [5, 6]
        assert stored == 7


def test_a_link_opened_once_at_the_same_moment_twice_opens_once(store: Store, store_url: str) -> None:
    now = datetime.now(UTC)
    store.add_share(
        "s" * 32,
        holder_token_hash="h" * 64,
        ciphertext=b"\x00secret\xff",
        created_at=now,
        expires_at=now + timedelta(days=1),
        max_opens=1,
    )
    first, second = Store(store_url), Store(store_url)
    with pause_after_reading(first, "shares"), pause_after_reading(second, "shares"):
        results = together(lambda: first.open_share("s" * 32, now), lambda: second.open_share("s" * 32, now))
    first.close()
    second.close()
    assert sorted(repr(ciphertext) for _share, ciphertext in results) == ["None", repr(b"\x00secret\xff")]
    assert store.get_share("s" * 32).opens == 1


def test_claims_of_the_same_pending_credentials_at_once_take_each_exactly_once(store: Store, store_url: str) -> None:
    ids = set(store.add_credentials(7, [new_credential(i) for i in range(10)]))
    stores = [Store(store_url) for _ in range(3)]
    with pause_after_reading(stores[0], "credentials"):
        claims = together(*[lambda s=s: s.claim_batch(7, 4) for s in stores])
    for s in stores:
        s.close()
    taken = [h for claim in claims if claim is not None for h in claim.credential_hashes]
    assert len(taken) == len(set(taken)) == 10
    assert sum(len(store.list_credentials(batch_id=c.batch_id)) for c in claims if c) == 10
    assert {c.id for c in store.list_credentials(limit=100)} == ids
    assert store.pending_count(7) == 0


def test_two_processes_recording_the_same_new_issuer_and_events_at_once_both_succeed(
    store: Store, store_url: str
) -> None:
    """Look-then-insert would raise a unique violation in one of them on PostgreSQL; the store upserts instead."""
    from node.store import NewEvent

    first, second = Store(store_url), Store(store_url)
    events = [
        NewEvent(
            block_number=1, block_hash="0x" + "11" * 32, tx_hash="0x" + "22" * 32, log_index=n, name="X", args={"n": n}
        )
        for n in range(3)
    ]
    for issuer_id in range(100, 110):
        results = together(
            *[
                lambda s=s, i=issuer_id: s.upsert_issuer(
                    i, name="Both", metadata_uri="did:web:b", signer_address=SIGNER
                )
                for s in (first, second)
            ]
        )
        assert [r.id for r in results] == [issuer_id, issuer_id]
    added = together(lambda: first.add_events(events), lambda: second.add_events(events))
    blocks = together(
        lambda: first.record_blocks([(1, "0x" + "11" * 32)]), lambda: second.record_blocks([(1, "0x" + "11" * 32)])
    )
    first.close()
    second.close()
    assert sorted(added) == [0, 3]
    assert blocks == [None, None]
    assert len(store.query_events().items) == 3


def test_the_same_client_ref_written_at_once_by_two_requests_is_one_credential(store: Store, store_url: str) -> None:
    """Both requests looked the reference up before either wrote it: the second keeps the first's credential and
    returns its id, as a retry would get (no duplicate, no conflict error)."""
    first, second = Store(store_url), Store(store_url)
    items = [new_credential(1, client_ref="grad-2026/1"), new_credential(2)]
    with pause_after_reading(first, "credentials"), pause_after_reading(second, "credentials"):
        results = together(lambda: first.add_credentials(7, items), lambda: second.add_credentials(7, items))
    first.close()
    second.close()
    assert not any(isinstance(r, Exception) for r in results), results
    (a_ref, a_other), (b_ref, b_other) = results  # type: ignore[misc]
    assert a_ref == b_ref and a_other != b_other  # the item without a reference is written by each
    assert store.pending_count(7) == 3
    assert store.get_credential(a_ref).client_ref == "grad-2026/1"
