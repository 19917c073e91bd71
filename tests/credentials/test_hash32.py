"""The one 32-byte hash type: checked on construction, 0x-hex in and out, a bytes everywhere else."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.credentials.hash32 import Hash32

SAMPLE = bytes(range(32))
SAMPLE_HEX = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


@pytest.mark.parametrize("length", [0, 1, 20, 31, 33, 64])
def test_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        Hash32(b"\x01" * length)


def test_text_is_not_bytes() -> None:
    with pytest.raises(TypeError, match="from_hex"):
        Hash32(SAMPLE_HEX)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Hash32.from_hex(SAMPLE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0x",
        SAMPLE_HEX[2:],  # no prefix
        "0X" + SAMPLE_HEX[2:],  # the prefix is lowercase
        SAMPLE_HEX[:-1],  # 63 digits
        SAMPLE_HEX + "0",  # 65 digits
        SAMPLE_HEX[:-1] + "g",  # not hex
        SAMPLE_HEX[:-2] + " 1",  # bytes.fromhex would skip the space
        "0x" + "0" * 40,  # an address
        " " + SAMPLE_HEX,
    ],
)
def test_bad_hex_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="0x followed by 64 hex digits"):
        Hash32.from_hex(text)


def test_from_hex_takes_either_case_and_prints_lowercase() -> None:
    upper = Hash32.from_hex("0x" + SAMPLE_HEX[2:].upper())
    assert upper == Hash32.from_hex(SAMPLE_HEX) == SAMPLE
    assert upper.hex0x == str(upper) == f"{upper}" == SAMPLE_HEX
    assert repr(upper) == f"Hash32.from_hex('{SAMPLE_HEX}')"


def test_it_is_bytes() -> None:
    h = Hash32(SAMPLE)
    assert isinstance(h, bytes)
    assert h == SAMPLE and SAMPLE.__eq__(h) and hash(h) == hash(SAMPLE)
    assert {SAMPLE: "found"}[h] == "found"
    assert bytes(h) == SAMPLE and type(bytes(h)) is bytes
    assert type(h[:4]) is bytes and h[0] == 0
    assert h + b"" == SAMPLE
    assert Hash32(bytearray(SAMPLE)) == Hash32(memoryview(SAMPLE)) == h


def test_of_takes_either_form() -> None:
    h = Hash32(SAMPLE)
    assert Hash32.of(SAMPLE_HEX) == Hash32.of(SAMPLE) == h
    assert Hash32.of(h) is h
    assert Hash32(h) is h


def test_immutable_and_copies_keep_the_type() -> None:
    h = Hash32(SAMPLE)
    with pytest.raises(AttributeError):
        h.extra = 1  # type: ignore[attr-defined]
    for copied in (copy.copy(h), copy.deepcopy(h), pickle.loads(pickle.dumps(h))):  # noqa: S301 - our own bytes
        assert type(copied) is Hash32 and copied == h


@given(st.binary(min_size=32, max_size=32))
def test_hex_round_trip(data: bytes) -> None:
    h = Hash32(data)
    assert Hash32.from_hex(h.hex0x) == h
    assert Hash32.from_hex(h.hex0x.upper().replace("0X", "0x")) == h
    assert h.hex0x == "0x" + data.hex()


@given(st.binary().filter(lambda b: len(b) != 32))
def test_any_other_length_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        Hash32(data)
    with pytest.raises(ValueError, match="64 hex digits"):
        Hash32.from_hex("0x" + data.hex())
