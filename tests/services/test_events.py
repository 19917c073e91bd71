"""The events use case: names and roots validated, the store's page position behind an opaque cursor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.errors import ValidationFailedError
from node.services.events import EventName, EventsService, contract_of, decode_cursor, encode_cursor
from node.store import NewEvent, Store

ROOT = "0x" + "aa" * 32


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'events.db'}")
    store.migrate()
    events = [
        NewEvent(b, f"0x{b:064x}", f"0x{b * 10 + i:064x}", i, "CredentialAnchored", {"i": i}, ROOT, 7)
        for b in range(1, 4)
        for i in range(2)
    ]
    events.append(NewEvent(4, f"0x{4:064x}", f"0x{40:064x}", 0, "IssuerAccredited", {}, None, 8))
    store.add_events(events)
    yield store
    store.close()


def test_pages_through_an_opaque_cursor(store: Store) -> None:
    service = EventsService(store)
    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    while True:
        page = service.query(limit=4, cursor=cursor)
        seen += [(e.block_number, e.log_index) for e in page.items]
        if page.next_cursor is None:
            break
        assert ":" not in page.next_cursor  # the store's position is not shown
        cursor = page.next_cursor
    assert seen == [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1), (4, 0)]


def test_filters_reach_the_store(store: Store) -> None:
    service = EventsService(store)
    assert [e.issuer_id for e in service.query(name="IssuerAccredited").items] == [8]
    assert len(service.query(root=ROOT.upper().replace("0X", "0x")).items) == 6
    assert len(service.query(root="0X" + "AA" * 32).items) == 6
    assert len(service.query(from_block=3, to_block=3).items) == 2


@pytest.mark.parametrize("root", ["aa" * 32, "0x" + "aa" * 31, "0x" + "aa" * 33, "0x" + "zz" * 32, ""])
def test_a_bad_root_is_refused(store: Store, root: str) -> None:
    with pytest.raises(ValidationFailedError, match="root: must be 0x followed by 64 hex digits"):
        EventsService(store).query(root=root)


def test_an_unknown_name_is_refused(store: Store) -> None:
    with pytest.raises(ValidationFailedError, match="name: unknown event 'Nope'"):
        EventsService(store).query(name="Nope")


@pytest.mark.parametrize("token", ["!!", encode_cursor("x:1"), encode_cursor("1"), "ZXYyOjE6Mg"])
def test_a_cursor_the_node_did_not_issue_is_refused(token: str) -> None:
    with pytest.raises(ValidationFailedError, match="cursor: not a cursor this node issued"):
        decode_cursor(token)


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor("12:3")) == "12:3"
    assert "=" not in encode_cursor("12:3")


def test_contract_of() -> None:
    assert contract_of(EventName.ProposalCreated) == "RegistryGovernance"
    assert contract_of(EventName.CredentialAnchored) == "CredentialRegistry"
