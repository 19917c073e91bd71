"""Salted field hashing: flattening by JSON pointer, the JCS triple, the sorted combination."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from node.credentials.errors import InvalidFieldError
from node.credentials.hashing import (
    canonical_field,
    credential_hash,
    field_hash,
    flatten,
    is_canonical_pointer,
    join_pointer,
    new_salt,
    split_pointer,
)
from node.credentials.keccak import keccak256

SALT = bytes(range(32))


def test_flatten_addresses_scalars_by_json_pointer_and_keeps_arrays_whole() -> None:
    doc = {
        "@context": ["a", "b"],
        "credentialSubject": {"learner": {"name": "N", "a/b": 1, "t~x": None}, "list": [{"x": 1}]},
        "proof": {"anything": "ignored"},
    }
    assert flatten(doc) == {
        "/@context": ["a", "b"],
        "/credentialSubject/learner/name": "N",
        "/credentialSubject/learner/a~1b": 1,
        "/credentialSubject/learner/t~0x": None,
        "/credentialSubject/list": [{"x": 1}],
    }


def test_empty_objects_are_refused() -> None:
    with pytest.raises(InvalidFieldError, match="/credentialSubject/x: an empty object"):
        flatten({"credentialSubject": {"x": {}}})


def test_field_hash_is_keccak_of_the_jcs_triple() -> None:
    expected = keccak256(rfc8785.dumps(["/a", "0x" + SALT.hex(), {"b": 1, "a": "é"}]))
    assert field_hash("/a", SALT, {"b": 1, "a": "é"}) == expected
    assert rfc8785.dumps(["/a", "0x" + SALT.hex(), 1]) == b'["/a","0x' + SALT.hex().encode() + b'",1]'


def test_path_salt_and_value_each_change_the_field_hash() -> None:
    base = field_hash("/a", SALT, "v")
    assert field_hash("/b", SALT, "v") != base
    assert field_hash("/a", new_salt(), "v") != base
    assert field_hash("/a", SALT, "w") != base
    assert field_hash("/a", SALT, 1) != field_hash("/a", SALT, "1") != field_hash("/a", SALT, True)


def test_salts_are_fresh_32_bytes() -> None:
    salts = {new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(s) == 32 for s in salts)


def test_the_credential_hash_is_over_the_canonical_field_hashes_object() -> None:
    hashes = {f"/f{i}": keccak256(bytes([i])) for i in range(5)}
    expected = keccak256(rfc8785.dumps({p: "0x" + h.hex() for p, h in hashes.items()}))
    assert credential_hash(hashes) == credential_hash(dict(reversed(hashes.items()))) == expected


def test_the_credential_hash_binds_each_path_to_its_hash() -> None:
    # renaming a field (a hidden one above all: nobody recomputes its hash) changes the credential hash
    a, b = keccak256(b"a"), keccak256(b"b")
    assert credential_hash({"/validUntil": a, "/x": b}) != credential_hash({"/credentialSubject/y": a, "/x": b})
    assert credential_hash({"/p": a, "/q": b}) != credential_hash({"/p": b, "/q": a})


@given(st.dictionaries(st.text(), st.binary(min_size=32, max_size=32), min_size=1, max_size=6))
def test_the_fast_credential_hash_equals_rfc8785(hashes: dict[str, bytes]) -> None:
    members = {p: "0x" + h.hex() for p, h in hashes.items()}
    try:
        expected = keccak256(rfc8785.dumps(members))
    except rfc8785.CanonicalizationError:  # a lone surrogate in a path: refused either way
        with pytest.raises(InvalidFieldError):
            credential_hash(hashes)
        return
    assert credential_hash(hashes) == expected


@pytest.mark.parametrize(
    ("path", "ok"),
    [("/a", True), ("/a~0b/c~1d", True), ("/a//b", True), ("", False), ("a", False), ("/a~2", False), ("/a~", False)],
)
def test_canonical_pointers(path: str, ok: bool) -> None:
    assert is_canonical_pointer(path) is ok


def test_values_that_are_not_json_are_refused_with_the_path() -> None:
    with pytest.raises(InvalidFieldError, match="/n: this value cannot be canonicalised"):
        field_hash("/n", SALT, 2**60)
    with pytest.raises(InvalidFieldError, match="/n"):
        field_hash("/n", SALT, float("nan"))


@given(st.lists(st.text(), max_size=6))
def test_pointer_round_trip(tokens: list[str]) -> None:
    assert split_pointer(join_pointer(tokens)) == tokens


json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
json_docs = st.recursive(
    json_scalars | st.lists(json_scalars, max_size=3),
    lambda children: st.dictionaries(st.text(max_size=5), children, min_size=1, max_size=4),
    max_leaves=15,
)


@given(st.dictionaries(st.text(max_size=5).filter(lambda k: k != "proof"), json_docs, min_size=1, max_size=4))
def test_flatten_is_lossless(doc: dict[str, Any]) -> None:
    # rebuilding the document from its fields gives it back: no value is left out of the hash
    rebuilt: dict[str, Any] = {}
    for path, value in flatten(doc).items():
        node = rebuilt
        *parents, last = split_pointer(path)
        for token in parents:
            node = node.setdefault(token, {})
        node[last] = value
    assert rebuilt == doc


_json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
        st.text(),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3FF)),
    ),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@given(path=st.text(), value=_json_values)
def test_fast_canonical_form_equals_rfc8785(path: str, value: object) -> None:
    """The compact-JSON fast path hashes exactly the bytes RFC 8785 (the rfc8785 library) would."""
    salt = bytes(range(32))
    assert canonical_field(path, salt, value) == rfc8785.dumps([path, "0x" + salt.hex(), value])
