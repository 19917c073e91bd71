"""What the column types carry, on SQLite and PostgreSQL alike: aware UTC datetimes (microseconds kept, whatever
the session's time zone: the PostgreSQL fixture's is -03:30), bytes (BYTEA) exactly, JSON arguments with large
integers and non-ASCII text, hex text as given, and lengths: a text longer than its column is refused with the same
sentence on both (PostgreSQL would raise mid-transaction; SQLite would store it whole)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from node.errors import ValidationFailedError
from node.store import NewEvent, Store
from tests.store.conftest import ISSUER, SIGNER, new_credential

AT = datetime(2026, 11, 22, 10, 30, 15, 123456, tzinfo=UTC)
EVERY_BYTE = bytes(range(256)) * 4


def test_datetimes_come_back_aware_utc_with_microseconds(store: Store) -> None:
    store.add_share(
        "d" * 32,
        holder_token_hash="ab" * 32,
        ciphertext=EVERY_BYTE,
        created_at=AT.astimezone(timezone(timedelta(hours=5, minutes=30))),
        expires_at=AT + timedelta(days=1),
        max_opens=None,
    )
    share = store.get_share("d" * 32)
    assert share.created_at == AT and share.created_at.tzinfo is UTC
    assert share.expires_at.tzinfo is UTC
    # compared in SQL as instants, not as the session's wall-clock text
    assert store.purge_expired_shares(AT + timedelta(days=1) - timedelta(microseconds=1)) == 0
    assert store.purge_expired_shares(AT + timedelta(days=1)) == 1


def test_bytes_round_trip_exactly(store: Store) -> None:
    store.add_share(
        "b" * 32,
        holder_token_hash="ab" * 32,
        ciphertext=EVERY_BYTE,
        created_at=AT,
        expires_at=AT + timedelta(days=1),
        max_opens=None,
    )
    _share, ciphertext = store.open_share("b" * 32, AT)
    assert type(ciphertext) is bytes and ciphertext == EVERY_BYTE


def test_json_arguments_round_trip(store: Store) -> None:
    args = {"amount": 2**255 + 7, "note": "Thandiwe Nkosi — Ünïcødé", "nested": {"list": [1, None, True]}}
    store.add_events([NewEvent(1, "0x" + "11" * 32, "0x" + "22" * 32, 0, "X", args, None, None)])
    assert store.query_events().items[0].args == args


def test_pending_waits_are_measured_in_utc(store: Store) -> None:
    store.add_credentials(ISSUER, [new_credential(1)])
    (group,) = store.pending_groups(ISSUER)
    assert 0 <= group.oldest_age_s < 60


def test_hex_text_is_kept_as_given_and_matched_exactly(store: Store) -> None:
    upper = "0x" + "AB" * 32
    store.add_credentials(ISSUER, [replace(new_credential(2), credential_hash=upper)])
    assert [c.credential_hash for c in store.list_credentials(credential_hash=upper)] == [upper]
    assert store.list_credentials(credential_hash=upper.lower()) == []  # no collation folds case on either


@pytest.mark.parametrize(
    ("write", "column"),
    [
        (lambda s: s.create_api_key("issuer", ISSUER, "k" * 201), "label"),
        (lambda s: s.upsert_issuer(9, name="n" * 201, metadata_uri="did:web:x", signer_address=SIGNER), "name"),
        (
            lambda s: s.add_credentials(ISSUER, [new_credential(1, client_ref="r" * 201)]),
            "client_ref",
        ),
        (
            lambda s: s.add_share(
                "s" * 33,
                holder_token_hash="h",
                ciphertext=b"",
                created_at=AT,
                expires_at=AT,
                max_opens=None,
            ),
            "id",
        ),
    ],
    ids=["api-key-label", "issuer-name", "client-ref", "share-id"],
)
def test_a_text_longer_than_its_column_is_refused_alike(store: Store, write: object, column: str) -> None:
    with pytest.raises(ValidationFailedError, match=f"^{column}: at most"):
        write(store)  # type: ignore[operator]
    assert store.list_api_keys() == []
    assert store.pending_count(ISSUER) == 0


def test_an_issuer_uri_from_the_chain_is_not_bounded(store: Store) -> None:
    """The chain bounds an issuer's metadata URI nowhere; a long one is stored whole (0004 on PostgreSQL)."""
    uri = "https://issuer.example/" + "p" * 2000
    store.upsert_issuer(ISSUER, name="Long", metadata_uri=uri, signer_address=SIGNER)
    assert store.get_issuer(ISSUER).metadata_uri == uri
