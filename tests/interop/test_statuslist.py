"""Bitstring Status List v1.0: bit order, round trips with bits set and unset, allocation, entries, credentials."""

from __future__ import annotations

import base64
import datetime as dt
import gzip

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from node.interop import dataintegrity as di
from node.interop.contexts import expand_strict
from node.interop.statuslist import (
    MIN_LENGTH,
    BitstringStatusList,
    StatusListError,
    allocate_indices,
    read_status,
    status_entry,
    status_list_credential,
)

URL = "https://node.example.ac.za/v1/status/revocation/1"
NOW = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def test_an_empty_list_is_the_spec_minimum_and_encodes_small() -> None:
    status = BitstringStatusList()
    assert status.length == MIN_LENGTH == 131_072
    encoded = status.encode()
    assert encoded.startswith("u") and "=" not in encoded and len(encoded) < 100
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(MIN_LENGTH // 8)


def test_index_zero_is_the_left_most_bit() -> None:
    status = BitstringStatusList()
    status.set(0)
    status.set(9)
    assert status.to_bytes()[:2] == bytes([0b1000_0000, 0b0100_0000])


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(0, MIN_LENGTH - 1), max_size=200), st.data())
def test_round_trip_with_bits_set_and_unset(indices: set[int], data: st.DataObject) -> None:
    status = BitstringStatusList()
    for i in indices:
        status.set(i)
    unset = data.draw(st.sets(st.sampled_from(sorted(indices)))) if indices else set()
    for i in unset:
        status.set(i, False)
    decoded = BitstringStatusList.decode(status.encode())
    assert decoded.set_indices() == sorted(indices - unset)
    assert decoded.to_bytes() == status.to_bytes()


def test_too_short_lists_and_bad_indexes_are_refused() -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(1024)
    status = BitstringStatusList()
    with pytest.raises(StatusListError):
        status.set(MIN_LENGTH)
    with pytest.raises(StatusListError):
        status.get(-1)


@pytest.mark.parametrize("encoded", ["zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("=")])
def test_unreadable_lists_are_refused(encoded: str) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList.decode(encoded)


def test_a_short_decoded_list_is_refused() -> None:
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16))).decode().rstrip("=")
    with pytest.raises(StatusListError, match="at least"):
        BitstringStatusList.decode(short)


def test_random_allocation_is_distinct_and_avoids_taken() -> None:
    taken = set(range(0, MIN_LENGTH, 2))
    chosen = allocate_indices(1000, taken)
    assert len(set(chosen)) == 1000
    assert not set(chosen) & taken
    assert chosen != sorted(chosen) or len(chosen) < 2  # not handed out in order
    with pytest.raises(StatusListError, match="free"):
        allocate_indices(MIN_LENGTH, taken)


def test_entry_shape() -> None:
    assert status_entry(URL, 94567, "revocation") == {
        "id": f"{URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": URL,
    }


def test_list_credential_expands_signs_and_reads(issuer_key: Ed25519PrivateKey) -> None:
    status = BitstringStatusList()
    status.set(94567)
    credential = status_list_credential(
        URL,
        issuer_id="did:web:uni.example.ac.za",
        purpose="revocation",
        status_list=status,
        valid_from=NOW,
        ttl_ms=300_000,
    )
    expand_strict(credential)
    signed = di.sign(credential, issuer_key, created=NOW)
    assert di.verify_document(signed)[0].verified
    assert read_status(credential, status_entry(URL, 94567, "revocation")) is True
    assert read_status(credential, status_entry(URL, 94568, "revocation")) is False
    with pytest.raises(StatusListError, match="statusPurpose"):
        read_status(credential, status_entry(URL, 1, "suspension"))
    with pytest.raises(StatusListError, match="another"):
        read_status(credential, status_entry(URL + "x", 1, "revocation"))


def test_a_credential_with_status_entries_expands(issuer_key: Ed25519PrivateKey) -> None:
    from tests.interop.conftest import sample_document

    document = sample_document("formal-qualification")
    document["credentialStatus"] = [status_entry(URL, 5, "revocation"), status_entry(URL + "s", 6, "suspension")]
    expand_strict(document)
    assert di.verify_document(di.sign(document, issuer_key, created=NOW))[0].verified
