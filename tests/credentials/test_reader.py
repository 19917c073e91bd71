"""The strict reader (node/credentials/reader.py): one test per refusal code of its table, the one accepted form of
each value kind, and properties: a repeated member name anywhere is refused, a number with a fraction or exponent is
refused, and reading is deterministic."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.credentials import reader
from node.credentials.bundle import AnchorInfo, batch_tree, make_bundles
from node.credentials.document import build_document, disclose
from node.credentials.reader import (
    MAX_BUNDLE_BYTES,
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    BundleReadError,
    nesting_depth,
    read_bundle,
)
from tests.samples import VALID

SETTINGS = {"deadline": None, "database": None, "derandomize": False}
ANCHOR = AnchorInfo(472019, "0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\x11" * 32, 7)


@cache
def _bundle(type_name: str = "formal-qualification") -> dict[str, Any]:
    document = build_document(
        type_name,
        VALID[type_name],
        issuer_id="did:web:uni.example.ac.za",
        issuer_name="University of Example",
        valid_from=dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC),
        valid_until=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    other = build_document(type_name, VALID[type_name], issuer_id="did:web:uni.example.ac.za")
    return make_bundles([document, other], batch_tree([document, other]), ANCHOR)[0]


def bundle(type_name: str = "formal-qualification") -> dict[str, Any]:
    return copy.deepcopy(_bundle(type_name))


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def refused(data: Any, code: str) -> BundleReadError:
    with pytest.raises(BundleReadError) as info:
        read_bundle(data)
    assert info.value.code == code, f"{info.value.code}: {info.value.detail}"
    assert info.value.detail  # a sentence for people
    return info.value


def test_every_code_of_the_table_is_tested_here() -> None:
    codes = set(re.findall(r"^([A-Z_]+)(?: / ([A-Z_]+))?\s{2,}", reader.__doc__ or "", re.M))
    table = {c for pair in codes for c in pair if c}
    tested = {name.removeprefix("test_refuses_").upper() for name in globals() if name.startswith("test_refuses_")}
    assert table and table == tested, f"untested: {table - tested}; unknown: {tested - table}"


# --- one test per refusal code ----------------------------------------------------------------------------------


def test_refuses_too_large() -> None:
    b = bundle()
    b["credentialSubject"]["institution"] = "x" * (MAX_BUNDLE_BYTES + 1)
    refused(text(b), "TOO_LARGE")
    refused(text(b).encode(), "TOO_LARGE")


def test_refuses_too_deep() -> None:
    b = bundle()
    nested: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        nested = {"a": nested}
    b["credentialSubject"]["institution"] = nested
    refused(text(b), "TOO_DEEP")
    # deep nesting at the top, within the size cap: refused, never a crash (a process with the recursion limit
    # raised, as web3 raises it in the node, is tested in tests/services/test_forgery.py)
    with pytest.raises(BundleReadError):
        read_bundle("[" * 900 + "]" * 900)
    refused('{"a":' * 900 + "1" + "}" * 900, "TOO_DEEP")


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf{}",
        "\ufeff{}",
        "{",
        "[]",
        '"bundle"',
        "{} {}",
        '{"a": NaN}',
        '{"a": Infinity}',
        "{'a': 1}",
    ],
)
def test_refuses_malformed(data: str | bytes) -> None:
    refused(data, "MALFORMED")


@pytest.mark.parametrize("member", ["@context", "type", "id", "issuer", "validFrom", "credentialSubject"])
def test_a_missing_member_is_refused_as_malformed(member: str) -> None:
    b = bundle()
    del b[member]
    refused(text(b), "MALFORMED")


def test_an_empty_object_or_a_wrong_shape_is_refused_as_malformed() -> None:
    b = bundle()
    b["credentialSubject"]["learner"] = {}
    refused(text(b), "MALFORMED")
    b = bundle()
    b["credentialSubject"] = ["not", "an", "object"]
    refused(text(b), "MALFORMED")
    b = bundle()
    b["issuer"] = "did:web:uni.example.ac.za"
    refused(text(b), "MALFORMED")
    b = bundle()
    b["issuer"]["name"] = 7
    refused(text(b), "MALFORMED")


def test_refuses_duplicate_member() -> None:
    t = text(bundle())
    refused(
        t.replace('"type": ["VerifiableCredential"', '"type": 1, "type": ["VerifiableCredential"', 1),
        "DUPLICATE_MEMBER",
    )
    refused('{"a": 1, "a": 1}', "DUPLICATE_MEMBER")


def test_refuses_invalid_unicode() -> None:
    b = bundle()
    b["credentialSubject"]["institution"] = "SENTINEL"
    t = text(b)
    refused(t.replace("SENTINEL", "\\ud800"), "INVALID_UNICODE")
    refused(t.replace("SENTINEL", "x\\udc00y"), "INVALID_UNICODE")
    refused(t.replace('"institution": "SENTINEL"', '"institution": "x", "\\udfff": 1'), "INVALID_UNICODE")  # a name
    refused(t.encode().replace(b"SENTINEL", b"\xff\xfe"), "INVALID_UNICODE")
    refused(t.encode().replace(b"SENTINEL", b"\xed\xa0\x80"), "INVALID_UNICODE")  # a surrogate encoded as UTF-8


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace('"nqfLevel": 7', '"nqfLevel": 7.0'),
        lambda t: t.replace('"nqfLevel": 7', '"nqfLevel": 7e0'),
        lambda t: t.replace('"nqfLevel": 7', '"nqfLevel": 0.7e1'),
        lambda t: t.replace('"nqfLevel": 7', '"nqfLevel": -0'),
        lambda t: t.replace('"nqfLevel": 7', f'"nqfLevel": {MAX_SAFE_INTEGER + 1}'),
        lambda t: t.replace('"nqfLevel": 7', f'"nqfLevel": {-(MAX_SAFE_INTEGER + 1)}'),
        lambda t: t.replace('"blockNumber": 7', '"blockNumber": 7.0'),
        lambda t: t.replace("2026-11-22T08:00:00Z", "2026-11-22T08:00:00+00:00"),
        lambda t: t.replace("2026-11-22T08:00:00Z", "2026-11-22T08:00:00.000Z"),
        lambda t: t.replace("2026-11-22T08:00:00Z", "2026-11-22t08:00:00z"),
        lambda t: t.replace("2026-11-22T08:00:00Z", "2026-02-30T08:00:00Z"),
        lambda t: t.replace("2030-01-01T00:00:00Z", "2030-01-01"),
        lambda t: t.replace('"id": "urn:uuid:', '"id": "URN:UUID:', 1),
        lambda t: t.replace('"JsonSchema"', '"JSONSchema"'),
        lambda t: t.replace("https://w3id.org/credreg/contexts/v1", "https://w3id.org/credreg/contexts/v2"),
    ],
)
def test_refuses_non_canonical_value(mutate: Callable[[str], str]) -> None:
    t = text(bundle())
    mutated = mutate(t)
    assert mutated != t
    refused(mutated, "NON_CANONICAL_VALUE")


@pytest.mark.parametrize("where", [(), ("issuer",), ("credentialSchema",)])
def test_refuses_unknown_member(where: tuple[str, ...]) -> None:
    b = bundle()
    node = b
    for key in where:
        node = node[key]
    node["evidence"] = "x"
    error = refused(text(b), "UNKNOWN_MEMBER")
    assert error.fields == ("/" + "/".join((*where, "evidence")),)


def test_refuses_unsupported_format() -> None:
    b = bundle()
    b["proof"]["hashAlgorithm"] = "credreg-salted-fields-keccak256-v1"
    refused(text(b), "UNSUPPORTED_FORMAT")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(credentialHash=p["credentialHash"].upper().replace("0X", "0x")),
        lambda p: p.update(credentialHash=p["credentialHash"][:-2]),
        lambda p: p["fieldHashes"].update({"/id": p["fieldHashes"]["/id"].upper()}),
        lambda p: p["salts"].update({"/id": 7}),
        lambda p: p.update(extra=1),
        lambda p: p["anchor"].update(extra=1),
        lambda p: p["anchor"].update(chainId="472019"),
        lambda p: p["anchor"].update(blockNumber=-1),
        lambda p: p["anchor"].update(registry="0x1234"),
        lambda p: p.update(type="OtherProof"),
        lambda p: p.update(fieldHashes={}),
        lambda p: p.pop("salts"),
    ],
)
def test_refuses_malformed_proof(mutate: Callable[[dict[str, Any]], Any]) -> None:
    b = bundle()
    mutate(b["proof"])
    refused(text(b), "MALFORMED_PROOF")
    b = bundle()
    b["proof"] = "0x00"
    refused(text(b), "MALFORMED_PROOF")


def test_refuses_unknown_type() -> None:
    b = bundle()
    b["credentialSchema"]["id"] = "https://example.org/schemas/formal-qualification/v1"
    refused(text(b), "UNKNOWN_TYPE")
    b = bundle()
    b["type"] = ["VerifiableCredential", "MicroCredential"]
    refused(text(b), "UNKNOWN_TYPE")
    b = bundle()
    b["type"] = ["FormalQualificationCredential", "VerifiableCredential"]
    refused(text(b), "UNKNOWN_TYPE")
    b = disclose(bundle(), ["/credentialSubject/learner"])  # a version this verifier does not know
    b["credentialSchema"]["id"] = "https://w3id.org/credreg/schemas/formal-qualification/v99"
    refused(text(b), "UNKNOWN_TYPE")


@pytest.mark.parametrize(
    "path",
    [
        "/validUntil",
        "/issuer/name",
        "/credentialSubject/qualification/nqfLevel",
        "/credentialSubject/qualification/title",
        "/credentialSubject/institution",
        "/validFrom",
        "/issuer/id",
        "/credentialSchema/id",
        "/credentialSchema/type",
        "/type",
        "/@context",
        "/id",
    ],
)
def test_refuses_disclosure_not_allowed(path: str) -> None:
    """Hiding (value and salt deleted, hash kept) what no holder may hide; a required member is MALFORMED first."""
    b = bundle()
    del b["proof"]["salts"][path]
    node: Any = b
    tokens = path[1:].split("/")
    for token in tokens[:-1]:
        node = node[token]
    del node[tokens[-1]]
    with pytest.raises(BundleReadError) as info:
        read_bundle(text(b))
    if path in ("/validUntil", "/issuer/name") or path.startswith("/credentialSubject/"):
        assert info.value.code == "DISCLOSURE_NOT_ALLOWED", info.value.detail
        assert path in info.value.fields
    else:
        assert info.value.code in ("MALFORMED", "NON_CANONICAL_VALUE", "DISCLOSURE_NOT_ALLOWED"), info.value.detail


@pytest.mark.parametrize(
    "path",
    [
        "/credentialSubject/learner/nickname",
        "/credentialSubject/learner/identity",
        "/credentialSubject/learner~2x",
        "/credentialSubject/awardDate/",
    ],
)
def test_refuses_hidden_field_unknown(path: str) -> None:
    b = bundle()
    b["proof"]["fieldHashes"][path] = "0x" + "ab" * 32
    refused(text(b), "HIDDEN_FIELD_UNKNOWN")


def test_refuses_hidden_field_collision() -> None:
    b = disclose(bundle(), ["/credentialSubject/learner/identity/number"])
    # the hidden field is also shown (a value without a salt is not a hidden field: it is shown and unsalted)
    b["proof"]["fieldHashes"]["/credentialSubject/learner/name"] = b["proof"]["fieldHashes"].pop(
        "/credentialSubject/learner/identity/number"
    )
    del b["proof"]["salts"]["/credentialSubject/learner/name"]
    refused(text(b), "HIDDEN_FIELD_COLLISION")


# --- the one accepted form of each value kind ------------------------------------------------------------------


def test_accepts_the_one_form_of_each_value_kind() -> None:
    b = bundle()
    read = read_bundle(text(b))
    assert read.type_name == "formal-qualification" and read.type_version == 1
    assert read.credential_id == b["id"] and read.issuer_ref == "did:web:uni.example.ac.za"
    assert read.issuer_name == "University of Example"
    assert read.valid_from == int(dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC).timestamp())
    assert read.valid_until == int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp())
    assert read.level == 7 and type(read.value("/credentialSubject/qualification/credits")) is int
    assert read.hidden_fields == () and "/credentialSubject/learner/name" in read.shown_fields
    assert read.proof.anchor is not None and read.proof.anchor.block_number == 7
    # the same document from its bytes, from its object, compact or indented, with ASCII escapes: one reading
    forms = [text(b).encode(), b, json.dumps(b, separators=(",", ":")), json.dumps(b, indent=2, ensure_ascii=True)]
    for form in forms:
        again = read_bundle(form)
        assert again.document == read.document and again.shown_fields == read.shown_fields
    # integers up to ±(2^53 - 1) are read as written
    b["proof"]["anchor"]["blockNumber"] = MAX_SAFE_INTEGER
    assert read_bundle(text(b)).proof.anchor.block_number == MAX_SAFE_INTEGER  # type: ignore[union-attr]


def test_accepts_a_legal_disclosure() -> None:
    hidden = disclose(bundle("micro-credential"), ["/credentialSubject/learner", "/credentialSubject/hours"])
    read = read_bundle(text(hidden))
    assert "/credentialSubject/hours" in read.hidden_fields
    assert all(p.startswith("/credentialSubject/learner/") or p.endswith("/hours") for p in read.hidden_fields)
    assert read.value("/credentialSubject/hours") is None


# --- properties -------------------------------------------------------------------------------------------------


def _objects(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if isinstance(node, dict) else []
    if isinstance(node, dict):
        for key, child in node.items():
            out += _objects(child, (*path, key))
    return out


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_any_repeated_member_name_is_refused(data: st.DataObject) -> None:
    """A member name repeated in any object of the text, with any value, before or after it: DUPLICATE_MEMBER."""
    b = bundle(data.draw(st.sampled_from(sorted(VALID))))
    path = data.draw(st.sampled_from(_objects(b)))
    target: Any = b
    for key in path:
        target = target[key]
    name = data.draw(st.sampled_from(sorted(target)))
    value = data.draw(json_values)
    items = list(target.items())
    target.clear()
    first = data.draw(st.booleans())
    target.update([("\u0001mark", 0), *items] if first else [*items, ("\u0001mark", 0)])
    t = json.dumps(b, ensure_ascii=data.draw(st.booleans()))
    mark = json.dumps("\u0001mark", ensure_ascii=True) if '"\\u0001mark"' in t else json.dumps("\u0001mark")
    t = t.replace(f"{mark}: 0", f"{json.dumps(name)}: {json.dumps(value)}")
    refused(t, "DUPLICATE_MEMBER")


@settings(max_examples=300, **SETTINGS)
@given(
    number=st.from_regex(
        r"-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,6}([eE][+-]?[0-9]{1,3})?|[eE][+-]?[0-9]{1,3})", fullmatch=True
    ),
    where=st.sampled_from(
        [
            "/credentialSubject/qualification/nqfLevel",
            "/credentialSubject/institution",
            "/proof/anchor/blockNumber",
            "/proof/anchor/chainId",
            "/validFrom",
            "/issuer/name",
        ]
    ),
)
def test_any_number_with_a_fraction_or_exponent_is_refused(number: str, where: str) -> None:
    b = bundle()
    node: Any = b
    tokens = where[1:].split("/")
    for token in tokens[:-1]:
        node = node[token]
    node[tokens[-1]] = "\u0001mark"
    t = text(b).replace(json.dumps("\u0001mark"), number)
    refused(t, "NON_CANONICAL_VALUE")


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_reading_is_deterministic(data: st.DataObject) -> None:
    """The same input read twice gives the same reading, or the same refusal (code, sentence and fields)."""
    b = bundle(data.draw(st.sampled_from(sorted(VALID))))
    path = data.draw(st.sampled_from(_objects(b)))
    target: Any = b
    for key in path:
        target = target[key]
    if data.draw(st.booleans()):
        target[data.draw(st.text(max_size=4))] = data.draw(json_values)
    t = json.dumps(b, ensure_ascii=data.draw(st.booleans()), indent=data.draw(st.sampled_from([None, 1, "\t"])))

    def outcome() -> Any:
        try:
            read = read_bundle(t)
        except BundleReadError as exc:
            return ("refused", exc.code, exc.detail, exc.fields)
        return (
            "read",
            read.document,
            read.shown_fields,
            read.hidden_fields,
            read.valid_from,
            read.valid_until,
            read.claims(),
            read.type_label,
            read.issuer_ref,
        )

    assert outcome() == outcome()


WIDE = ", ".join(["[]"] * 20)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (f'{{"a": [{WIDE}]}}', 3),  # many brackets, shallow: scanned, exact
        (f'{{"a": [{WIDE}, [[{WIDE}]]]}}', 5),
        ('{"a": "' + "[" * 50 + '"}', 1),  # brackets inside a string do not count
        ('{"a": "\\"' + "[" * 50 + '"}', 1),  # nor after an escaped quote
        ("[" * 40 + "]" * 40, 40),
    ],
)
def test_nesting_is_measured_without_parsing(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth
    assert nesting_depth(text.encode()) == depth
    assert nesting_depth('{"a": [1, [2]]}') <= MAX_DEPTH  # few brackets: an upper bound, no scan


def test_a_number_of_thousands_of_digits_is_refused_not_a_crash() -> None:
    # int() refuses more than 4,300 digits with a ValueError: the reader must answer with its own code first
    with pytest.raises(BundleReadError) as refused:
        read_bundle('{"a": ' + "7" * 5000 + "}")
    assert refused.value.code == "NON_CANONICAL_VALUE"


def test_refusals_name_a_bounded_number_of_members() -> None:
    # a file of thousands of stray members gets a sentence of a few hundred characters, not a megabyte
    members = ", ".join(f'"x{i}": 1' for i in range(5000))
    with pytest.raises(BundleReadError) as refused:
        read_bundle("{" + members + "}")
    assert refused.value.code == "UNKNOWN_MEMBER"
    assert len(refused.value.detail) < 2000 and "and 4,980 more" in refused.value.detail
    assert len(refused.value.fields) <= 20
