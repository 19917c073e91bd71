from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import ValidationFailedError
from node.store import NewEvent, Store

ROOT_A = "0x" + "aa" * 32
ROOT_B = "0x" + "bb" * 32


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
