"""node/services/sharing.py: share links as data mandates: ranges refused with a sentence, the holder's token the only
way to see the opens or revoke, a gone link saying why, creation rate-limited, nothing personal in the stored row."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from node.config import Settings
from node.errors import ForbiddenError, NotFoundError, ShareGoneError, TooManyRequestsError, ValidationFailedError
from node.services.sharing import MAX_CIPHERTEXT_BYTES, RateLimiter, ShareState, SharingService
from node.store import Store
from tests.store.conftest import sqlite_url

VECTOR = Path(__file__).resolve().parent.parent / "vectors" / "valid-reinstated.json"
BUNDLE = json.loads(VECTOR.read_text(encoding="utf-8"))["bundle"]
PERSONAL = ["Thandiwe Nkosi", "9002145123086", "Bachelor of Commerce", "University of Example", "2025-04-12"]


def encrypt(bundle: dict[str, object]) -> tuple[bytes, bytes]:
    """What the learner's browser does: a fresh key, a fresh IV, AES-GCM over the bundle's text; (key, IV ‖ ct)."""
    key = AESGCM.generate_key(bit_length=256)
    iv = os.urandom(12)
    return key, iv + AESGCM(key).encrypt(iv, json.dumps(bundle).encode("utf-8"), None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(sqlite_url(tmp_path / "node.db"))
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def service(store: Store) -> SharingService:
    return SharingService(store, Settings(share_creates_per_minute=1000))


def _age(store: Store, share_id: str, by: timedelta) -> None:
    """Move a link's expiry into the past, as the passing of time would."""
    from sqlalchemy import update

    from node.store.models import ShareRow

    with store.engine.begin() as connection:
        row = store.get_share(share_id)
        connection.execute(update(ShareRow).where(ShareRow.id == share_id).values(expires_at=row.expires_at - by))


def test_the_holder_gets_back_exactly_what_was_encrypted(service: SharingService) -> None:
    key, ciphertext = encrypt(BUNDLE)
    created = service.create(ciphertext, expires_in_s=3600)
    opened = service.open(created.id)
    plain = AESGCM(key).decrypt(opened.ciphertext[:12], opened.ciphertext[12:], None)
    assert json.loads(plain) == BUNDLE
    assert opened.opens == 1 and opened.max_opens is None
    assert created.expires_at - datetime.now(UTC) <= timedelta(seconds=3600)


def test_the_stored_row_holds_no_personal_value(service: SharingService, store: Store) -> None:
    _, ciphertext = encrypt(BUNDLE)
    created = service.create(ciphertext, expires_in_s=600)
    row = store.share_row_bytes(created.id)
    text = repr(row).encode("utf-8") + bytes(row["ciphertext"])  # type: ignore[arg-type]
    for value in PERSONAL:
        assert value.encode("utf-8") not in text
    assert created.holder_token not in repr(row)  # only its hash is kept
    assert set(row) == {
        "id",
        "holder_token_hash",
        "ciphertext",
        "created_at",
        "expires_at",
        "max_opens",
        "opens",
        "revoked_at",
        "purged_at",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expires_in_s": 59}, "between 60"),
        ({"expires_in_s": 91 * 86_400}, "CREDREG_SHARE_MAX_DAYS"),
        ({"expires_in_s": 600, "max_opens": 0}, "maxOpens"),
        ({"expires_in_s": 600, "max_opens": 10_001}, "maxOpens"),
    ],
)
def test_out_of_range_requests_are_refused(service: SharingService, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationFailedError, match=message):
        service.create(encrypt(BUNDLE)[1], **kwargs)


@pytest.mark.parametrize("size", [0, 29, MAX_CIPHERTEXT_BYTES + 1])
def test_ciphertext_out_of_size_is_refused(service: SharingService, size: int) -> None:
    with pytest.raises(ValidationFailedError, match="ciphertext must be"):
        service.create(b"\0" * size, expires_in_s=600)


def test_a_revoked_link_says_revoked_and_its_ciphertext_is_gone(service: SharingService, store: Store) -> None:
    created = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    status = service.revoke(created.id, created.holder_token)
    assert status.state == ShareState.REVOKED and not status.ciphertext_held
    with pytest.raises(ShareGoneError, match="revoked"):
        service.open(created.id)
    assert store.share_row_bytes(created.id)["ciphertext"] is None


def test_an_expired_link_says_expired(service: SharingService, store: Store) -> None:
    created = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    _age(store, created.id, timedelta(seconds=601))
    assert service.status(created.id, created.holder_token).state == ShareState.EXPIRED
    with pytest.raises(ShareGoneError, match="expired on"):
        service.open(created.id)
    assert store.share_row_bytes(created.id)["ciphertext"] is None


def test_the_sweep_deletes_expired_ciphertext_nobody_asked_for(service: SharingService, store: Store) -> None:
    old = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    live = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    _age(store, old.id, timedelta(seconds=601))
    assert service.sweep() == 1
    assert store.share_row_bytes(old.id)["ciphertext"] is None
    assert store.share_row_bytes(live.id)["ciphertext"] is not None


def test_a_used_up_link_says_how_often_it_was_allowed(service: SharingService) -> None:
    created = service.create(encrypt(BUNDLE)[1], expires_in_s=600, max_opens=2)
    assert [service.open(created.id).opens for _ in range(2)] == [1, 2]
    with pytest.raises(ShareGoneError, match="opened 2 times, as often as its holder allowed"):
        service.open(created.id)
    status = service.status(created.id, created.holder_token)
    assert (status.state, status.opens) == (ShareState.USED_UP, 2)


def test_only_the_holder_token_shows_the_opens_or_revokes(service: SharingService) -> None:
    created = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    other = service.create(encrypt(BUNDLE)[1], expires_in_s=600)
    for token in ("", "guess", other.holder_token, created.holder_token + "x"):
        with pytest.raises(ForbiddenError, match="does not belong"):
            service.status(created.id, token)
        with pytest.raises(ForbiddenError):
            service.revoke(created.id, token)
    assert service.status(created.id, created.holder_token).state == ShareState.ACTIVE
    service.open(created.id)
    assert service.status(created.id, created.holder_token).opens == 1


@pytest.mark.parametrize("share_id", ["", "short", "x" * 44, "../../etc/passwd", "a b" * 8, "ä" * 22])
def test_malformed_ids_are_not_found(service: SharingService, share_id: str) -> None:
    with pytest.raises(NotFoundError, match="not a share link id"):
        service.open(share_id)


def test_creation_is_rate_limited_per_client(store: Store) -> None:
    service = SharingService(store, Settings(share_creates_per_minute=3))
    for _ in range(3):
        service.create(encrypt(BUNDLE)[1], expires_in_s=600, client="203.0.113.7")
    with pytest.raises(TooManyRequestsError, match="try again in") as refused:
        service.create(encrypt(BUNDLE)[1], expires_in_s=600, client="203.0.113.7")
    assert 1 <= refused.value.retry_after_s <= 60
    service.create(encrypt(BUNDLE)[1], expires_in_s=600, client="198.51.100.1")  # another client is not held up


def test_the_rate_limit_window_slides() -> None:
    limiter = RateLimiter(2, window_s=60)
    limiter.take("c", now=0)
    limiter.take("c", now=30)
    with pytest.raises(TooManyRequestsError):
        limiter.take("c", now=59)
    limiter.take("c", now=60.5)  # the first one left the window


def test_ids_and_tokens_are_fresh_and_never_repeat(service: SharingService) -> None:
    made = [service.create(encrypt(BUNDLE)[1], expires_in_s=600) for _ in range(50)]
    assert len({m.id for m in made}) == len({m.holder_token for m in made}) == 50
    assert all(len(m.id) == 22 and len(m.holder_token) >= 43 for m in made)


def test_a_sealed_link_opens_with_the_key_returned_and_the_node_keeps_no_key(
    service: SharingService, store: Store
) -> None:
    import base64

    plain = json.dumps(BUNDLE).encode("utf-8")
    created, key_text = service.create_sealed(plain, expires_in_s=10 * 365 * 86_400)
    key = base64.urlsafe_b64decode(key_text + "=")
    assert len(key) == 32
    opened = service.open(created.id)
    assert AESGCM(key).decrypt(opened.ciphertext[:12], opened.ciphertext[12:], None) == plain
    row = store.share_row_bytes(created.id)
    assert key not in bytes(row["ciphertext"]) and key_text not in repr(row)  # type: ignore[arg-type]
    assert created.expires_at - datetime.now(UTC) > timedelta(days=3600)
