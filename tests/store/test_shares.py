"""node/store/_shares.py: a share link's row: opens counted in one transaction, ciphertext deleted once it can no longer
be opened, a tombstone kept so a late visitor learns why."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from node.errors import NotFoundError
from node.store import Store

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SECRET = b"\x01" * 12 + b"ciphertext-bytes" + b"\x02" * 16


def _add(store: Store, share_id: str = "s" * 22, *, minutes: int = 10, max_opens: int | None = None) -> None:
    store.add_share(
        share_id,
        holder_token_hash="ab" * 32,
        ciphertext=SECRET,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=minutes),
        max_opens=max_opens,
    )


def test_open_counts_each_open_and_returns_the_ciphertext(store: Store) -> None:
    _add(store)
    for expected in (1, 2, 3):
        share, ciphertext = store.open_share("s" * 22, NOW)
        assert (share.opens, ciphertext) == (expected, SECRET)
    assert store.get_share("s" * 22).purged_at is None


def test_the_last_allowed_open_deletes_the_ciphertext(store: Store) -> None:
    _add(store, max_opens=2)
    assert store.open_share("s" * 22, NOW)[1] == SECRET
    share, ciphertext = store.open_share("s" * 22, NOW)
    assert ciphertext == SECRET and share.opens == 2 and share.purged_at == NOW
    assert store.share_row_bytes("s" * 22)["ciphertext"] is None
    share, ciphertext = store.open_share("s" * 22, NOW)
    assert ciphertext is None and share.opens == 2  # a refused open is not counted


def test_an_expired_link_is_purged_when_opened(store: Store) -> None:
    _add(store, minutes=1)
    share, ciphertext = store.open_share("s" * 22, NOW + timedelta(minutes=1))
    assert ciphertext is None and share.opens == 0
    assert store.share_row_bytes("s" * 22)["ciphertext"] is None


def test_revoke_deletes_the_ciphertext_and_keeps_a_tombstone(store: Store) -> None:
    _add(store)
    share = store.revoke_share("s" * 22, NOW)
    assert share.revoked_at == NOW and share.purged_at == NOW
    again = store.revoke_share("s" * 22, NOW + timedelta(minutes=5))
    assert again.revoked_at == NOW  # idempotent: the first revocation's time stays
    assert store.open_share("s" * 22, NOW)[1] is None


def test_purge_expired_touches_only_links_past_their_expiry(store: Store) -> None:
    _add(store, "a" * 22, minutes=1)
    _add(store, "b" * 22, minutes=60)
    assert store.purge_expired_shares(NOW + timedelta(minutes=2)) == 1
    assert store.share_row_bytes("a" * 22)["ciphertext"] is None
    assert store.share_row_bytes("b" * 22)["ciphertext"] == SECRET
    assert store.purge_expired_shares(NOW + timedelta(minutes=2)) == 0


def test_unknown_links_are_not_found(store: Store) -> None:
    for call in (
        lambda: store.get_share("x" * 22),
        lambda: store.open_share("x" * 22, NOW),
        lambda: store.revoke_share("x" * 22, NOW),
    ):
        with pytest.raises(NotFoundError, match="no share link"):
            call()


def test_concurrent_opens_never_exceed_the_maximum(store: Store) -> None:
    _add(store, max_opens=5)
    got: list[bytes | None] = []
    lock = threading.Lock()

    def opener() -> None:
        for _ in range(4):
            ciphertext = store.open_share("s" * 22, NOW)[1]
            with lock:
                got.append(ciphertext)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(c is not None for c in got) == 5
    assert store.get_share("s" * 22).opens == 5
