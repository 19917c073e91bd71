from __future__ import annotations

import threading
from pathlib import Path

from node.store import Store
from tests.store.conftest import sqlite_url

ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


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


def test_reservations_are_unique_and_gapless_under_concurrency(store: Store, db_path: Path) -> None:
    workers, per_worker = 6, 25
    stores = [store, store, store, Store(sqlite_url(db_path)), Store(sqlite_url(db_path)), Store(sqlite_url(db_path))]
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
