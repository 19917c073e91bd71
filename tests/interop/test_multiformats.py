"""node/interop/multiformats.py: base58btc, multibase (``z`` and ``u``) and the Ed25519 Multikey prefixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from node.interop.multiformats import (
    ED25519_PRIV,
    ED25519_PUB,
    MultibaseError,
    b58decode,
    b58encode,
    decode_multibase,
    ed25519_public_from_multibase,
    ed25519_public_multibase,
    ed25519_secret_from_multibase,
    multibase_b58,
    multibase_b64url,
)

KEY_PAIR = json.loads((Path(__file__).parent / "vectors" / "eddsa-rdfc-2022.json").read_text())["keyPair"]


@pytest.mark.parametrize(
    ("data", "text"),
    [  # the examples of the base58 draft (draft-msporny-base58)
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (b"\x00\x00\x28\x7f\xb4\xcd", "11233QC4"),  # each leading zero byte is one '1'
        (b"", ""),
        (b"\x00", "1"),
    ],
)
def test_base58btc_known_values(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@given(st.binary(max_size=80))
def test_every_value_round_trips_in_both_multibase_forms(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    assert decode_multibase(multibase_b58(data)) == data
    assert decode_multibase(multibase_b64url(data)) == data
    assert multibase_b64url(data).startswith("u") and "=" not in multibase_b64url(data)


@pytest.mark.parametrize("char", ["0", "O", "I", "l", "+", " "])
def test_characters_outside_the_base58_alphabet_are_refused(char: str) -> None:
    with pytest.raises(MultibaseError, match="not a base58btc character"):
        b58decode(f"2NEp{char}o7")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("uAQI=", "without padding"),
        ("uAQ+/", "without padding"),  # base64, not base64url
        ("mAQID", "unsupported multibase prefix 'm'"),
        ("", "unsupported multibase prefix ''"),
    ],
)
def test_multibase_forms_credreg_does_not_read_are_refused(text: str, why: str) -> None:
    with pytest.raises(MultibaseError, match=why):
        decode_multibase(text)


def test_the_w3c_vector_key_pair_reads_and_matches() -> None:
    seed = ed25519_secret_from_multibase(KEY_PAIR["privateKeyMultibase"])
    public = ed25519_public_from_multibase(KEY_PAIR["publicKeyMultibase"])
    assert Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw() == public
    assert ed25519_public_multibase(public) == KEY_PAIR["publicKeyMultibase"]


@given(st.binary(min_size=32, max_size=32))
def test_an_ed25519_multikey_is_z6mk_and_round_trips(public: bytes) -> None:
    value = ed25519_public_multibase(public)
    assert value.startswith("z6Mk")  # what 0xed01 followed by 32 bytes always looks like in base58btc
    assert ed25519_public_from_multibase(value) == public


def test_what_is_not_an_ed25519_key_is_refused() -> None:
    key = bytes(range(32))
    with pytest.raises(MultibaseError, match="32 bytes"):
        ed25519_public_multibase(key[:31])
    with pytest.raises(MultibaseError, match="base58btc"):
        ed25519_public_from_multibase(multibase_b64url(ED25519_PUB + key))
    for wrong in (ED25519_PRIV + key, ED25519_PUB + key[:31], ED25519_PUB + key + b"\0"):
        with pytest.raises(MultibaseError, match="not an Ed25519 public key"):
            ed25519_public_from_multibase(multibase_b58(wrong))
    for wrong in (ED25519_PUB + key, ED25519_PRIV + key[:31]):
        with pytest.raises(MultibaseError, match="not an Ed25519 secret key"):
            ed25519_secret_from_multibase(multibase_b58(wrong))
    assert ed25519_secret_from_multibase(multibase_b64url(ED25519_PRIV + key)) == key  # either form is read
