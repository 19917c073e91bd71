"""node/store/_chain.py: transaction nonces, indexed events (idempotent adds, filters, cursor paging, reorg
deletes), the indexer cursor and recorded block hashes."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import ValidationFailedError
from node.store import NewEvent, Store

ROOT_A = "0x" + "aa" * 32
ROOT_B = "0x" + "bb" * 32
ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


def _event(
    block: int, log: int, name: str = "RootAnchored", root: str | None = ROOT_A, issuer: int | None = 7
) -> NewEvent:
    return NewEvent(
        block_number=block,
        block_hash=f"0x{block:064x}",
        tx_hash=f"0x{block * 1000 + log:064x}",
        log_index=log,
        name=name,
        args={"root": root, "count": log},
        root=root,
        issuer_id=issuer,
    )


def _seed(store: Store) -> None:
    events = [_event(b, log) for b in range(1, 11) for log in range(3)]
    events += [_event(5, 7, "CredentialRevoked", ROOT_B, 8), _event(9, 8, "IssuerAccredited", None, 8)]
    assert store.add_events(events) == len(events)


def test_add_is_idempotent(store: Store) -> None:
    _seed(store)
    assert store.add_events([_event(1, 0), _event(1, 1), _event(11, 0)]) == 1
    page = store.query_events(limit=1000)
    assert len(page.items) == 33
    assert page.next_cursor is None
    assert page.items[0].args == {"root": ROOT_A, "count": 0}


def test_filters(store: Store) -> None:
    _seed(store)
    assert [e.name for e in store.query_events(issuer_id=8).items] == ["CredentialRevoked", "IssuerAccredited"]
    assert [e.block_number for e in store.query_events(root=ROOT_B).items] == [5]
    assert len(store.query_events(name="RootAnchored", from_block=3, to_block=4).items) == 6
    assert store.query_events(name="Nothing").items == []
    offset_page = store.query_events(offset=29, limit=10)
    assert [(e.block_number, e.log_index) for e in offset_page.items] == [(10, 0), (10, 1), (10, 2)]


def test_cursor_paging_visits_everything_in_chain_order(store: Store) -> None:
    _seed(store)
    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = store.query_events(cursor=cursor, limit=7)
        seen.extend((e.block_number, e.log_index) for e in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 5
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 32
    with pytest.raises(ValidationFailedError):
        store.query_events(cursor="garbage")
    with pytest.raises(ValidationFailedError):
        store.query_events(limit=0)


def test_delete_from_block(store: Store) -> None:
    _seed(store)
    assert store.delete_events_from(9) == 7
    remaining = store.query_events(limit=1000).items
    assert max(e.block_number for e in remaining) == 8
    assert len(remaining) == 25
    assert store.delete_events_from(100) == 0
    # the replacement chain's events can be indexed again
    assert store.add_events([_event(9, 0)]) == 1


def test_cursor_and_blocks(store: Store) -> None:
    assert store.get_cursor("registry") is None
    store.set_cursor("registry", 10, "0x" + "01" * 32)
    store.set_cursor("registry", 12, "0x" + "02" * 32)
    cursor = store.get_cursor("registry")
    assert cursor is not None
    assert (cursor.block_number, cursor.block_hash) == (12, "0x" + "02" * 32)

    assert store.latest_block() is None
    store.record_blocks([(n, f"0x{n:064x}") for n in range(1, 6)])
    store.record_block(5, "0x" + "ff" * 32)  # a reorg replaced block 5
    assert store.get_block_hash(5) == "0x" + "ff" * 32
    assert store.get_block_hash(6) is None
    assert store.latest_block() == (5, "0x" + "ff" * 32)
    assert store.delete_blocks_from(4) == 2
    assert store.latest_block() == (3, f"0x{3:064x}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    positions=st.sets(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=40),
    limit=st.integers(1, 10),
)
def test_paging_property(store: Store, positions: set[tuple[int, int]], limit: int) -> None:
    store.delete_events_from(0)
    store.add_events([_event(b, log) for b, log in positions])
    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    while True:
        page = store.query_events(cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        seen.extend((e.block_number, e.log_index) for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(positions)


# ---- nonces ----------------------------------------------------------------------------------------------


def test_reserves_max_of_stored_and_chain(store: Store) -> None:
    assert store.get_nonce(ADDRESS) is None
    assert store.next_nonce(ADDRESS, 0) == 0
    assert store.next_nonce(ADDRESS, 0) == 1
    assert store.next_nonce(ADDRESS.lower(), 1) == 2  # same account, other spelling
    assert store.next_nonce(ADDRESS, 10) == 10  # the chain is ahead (e.g. sent by another tool)
    assert store.next_nonce(ADDRESS, 3) == 11  # the chain lags our reservations
    assert store.get_nonce(ADDRESS) == 12
    store.set_nonce(ADDRESS, 4)  # e.g. after a devnet reset
    assert store.next_nonce(ADDRESS, 0) == 4
    assert store.next_nonce("0x" + "00" * 20, 7) == 7


def test_reservations_are_unique_and_gapless_under_concurrency(store: Store, store_url: str) -> None:
    workers, per_worker = 6, 25
    stores = [store, store, store, Store(store_url), Store(store_url), Store(store_url)]
    barrier = threading.Barrier(workers)
    results: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def reserve(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(per_worker):
                results[n].append(stores[n].next_nonce(ADDRESS, 0))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    everything = sorted(n for result in results for n in result)
    assert everything == list(range(workers * per_worker))
    for result in results:  # each caller sees its own reservations strictly increasing
        assert result == sorted(result)
        assert len(set(result)) == len(result)
    for s in stores[3:]:
        s.close()


def test_only_the_last_nonce_handed_out_can_be_given_back(store: Store) -> None:
    assert not store.release_nonce(ADDRESS, 0)  # nothing handed out yet
    assert [store.next_nonce(ADDRESS, 0) for _ in range(3)] == [0, 1, 2]
    assert not store.release_nonce(ADDRESS, 1)  # 2 is out above it: 1 must be filled, not handed out again
    assert store.release_nonce(ADDRESS, 2)
    assert not store.release_nonce(ADDRESS, 2)  # once
    assert store.next_nonce(ADDRESS, 0) == 2
