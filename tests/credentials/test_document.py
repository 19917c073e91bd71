"""Documents: build → hash → tree → proof → integrity, tampering, selective disclosure, type binding."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, make_bundles
from node.credentials.disclosure import policy_for
from node.credentials.document import (
    CREDREG_CONTEXT,
    VC_CONTEXT,
    compute_credential_hash,
    credential_type_of,
    disclose,
    hidden_fields,
    seal,
    stated_credential_hash,
    verify_integrity,
)
from node.credentials.document import build_document as build
from node.credentials.errors import CredentialValidationError, DisclosureError, InvalidFieldError
from node.credentials.hashing import flatten, split_pointer
from node.credentials.keccak import to_hex
from node.credentials.merkle import verify
from node.credentials.proof import PROOF_TYPE
from node.credentials.types import get_type
from tests.samples import VALID

ISSUER = "did:web:uni.example.ac.za"
ANCHOR = AnchorInfo(472_019, "0x" + "ab" * 20, bytes(range(32)), 1234)
FROM = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def subject() -> dict[str, Any]:
    s = copy.deepcopy(VALID["formal-qualification"])
    s["qualification"]["id"] = "SAQA-94738"  # not hex-like, so a text search for it is meaningful
    return s


def anchored_batch(n: int = 5) -> list[dict[str, Any]]:
    docs = [build("formal-qualification", subject(), issuer_id=ISSUER, valid_from=FROM) for _ in range(n)]
    return make_bundles(docs, batch_tree(docs), ANCHOR)


BUNDLE = anchored_batch()[2]
POLICY = policy_for(get_type("formal-qualification"))
HIDEABLE = sorted(
    {p for p in flatten(BUNDLE) if POLICY.may_hide(p)}
    | {"/credentialSubject/learner", "/credentialSubject/learner/identity"}
)
"""What the formal-qualification disclosure policy lets a holder hide (fields and whole objects)."""


def test_document_has_the_w3c_vc_2_shape() -> None:
    doc = build(
        "formal-qualification",
        subject(),
        issuer_id=ISSUER,
        issuer_name="University of Example",
        valid_from=FROM,
        valid_until=FROM + dt.timedelta(days=3650),
    )
    assert doc["@context"] == [VC_CONTEXT, CREDREG_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "FormalQualificationCredential"]
    assert doc["id"].startswith("urn:uuid:")
    assert doc["issuer"] == {"id": ISSUER, "name": "University of Example"}
    assert doc["validFrom"] == "2026-01-15T08:00:00Z"
    assert doc["validUntil"] == "2036-01-13T08:00:00Z"
    assert doc["credentialSchema"] == {
        "id": "https://w3id.org/credreg/schemas/formal-qualification/v1",
        "type": "JsonSchema",
    }
    assert doc["proof"]["type"] == PROOF_TYPE
    assert set(doc["proof"]["salts"]) == set(doc["proof"]["fieldHashes"]) == set(flatten(doc))
    assert "proof" not in {split_pointer(p)[0] for p in flatten(doc)}
    assert credential_type_of(doc).name == "formal-qualification"
    assert compute_credential_hash(doc) == stated_credential_hash(doc)


def test_invalid_input_is_refused_before_anything_is_built() -> None:
    bad = subject()
    bad["qualification"]["nqfLevel"] = 12
    with pytest.raises(CredentialValidationError, match="/credentialSubject/qualification/nqfLevel"):
        build("formal-qualification", bad, issuer_id=ISSUER)
    with pytest.raises(InvalidFieldError, match="/issuer/id"):
        build("formal-qualification", subject(), issuer_id="University of Example")
    with pytest.raises(InvalidFieldError, match="time zone"):
        build("formal-qualification", subject(), issuer_id=ISSUER, valid_from=dt.datetime(2026, 1, 1))
    with pytest.raises(InvalidFieldError, match="validUntil"):
        build("formal-qualification", subject(), issuer_id=ISSUER, valid_from=FROM, valid_until=FROM)


def test_round_trip_build_hash_tree_proof_integrity() -> None:
    bundles = anchored_batch(7)
    roots = {b["proof"]["anchor"]["merkleRoot"] for b in bundles}
    assert len(roots) == 1
    for b in bundles:
        result = verify_integrity(b)
        assert result.ok, result.message
        assert [c.status for c in result.checks] == ["passed"] * 4
        anchor = b["proof"]["anchor"]
        assert verify(
            bytes.fromhex(anchor["merkleRoot"][2:]),
            stated_credential_hash(b),
            [bytes.fromhex(p[2:]) for p in anchor["merkleProof"]],
        )
        assert result.credential_hash == stated_credential_hash(b)


def test_every_salt_is_fresh() -> None:
    a = build(
        "formal-qualification",
        subject(),
        issuer_id=ISSUER,
        valid_from=FROM,
        credential_id="urn:uuid:" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
    )
    b = build("formal-qualification", subject(), issuer_id=ISSUER, valid_from=FROM, credential_id=a["id"])
    assert a["proof"]["credentialHash"] != b["proof"]["credentialHash"]
    assert not set(a["proof"]["salts"].values()) & set(b["proof"]["salts"].values())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/credentialSubject/learner/name", "Someone Else"),
        ("/credentialSubject/qualification/nqfLevel", 8),
        ("/validFrom", "2020-01-01T00:00:00Z"),
        ("/issuer/id", "did:web:diploma-mill.example"),
    ],
)
def test_tampering_with_one_value_fails_and_names_the_field(path: str, value: Any) -> None:
    tampered = copy.deepcopy(BUNDLE)
    *parents, last = split_pointer(path)
    node = tampered
    for token in parents:
        node = node[token]
    node[last] = value
    result = verify_integrity(tampered)
    assert not result.ok
    assert result.failure is not None
    assert result.failure.name == "fields"
    assert result.failure.fields == (path,)
    assert path in result.message
    assert "changed after issuance" in result.message


def test_changing_a_field_hash_as_well_is_still_caught() -> None:
    tampered = copy.deepcopy(BUNDLE)
    tampered["credentialSubject"]["learner"]["name"] = "Someone Else"
    resealed = seal(tampered, {p: bytes.fromhex(s[2:]) for p, s in BUNDLE["proof"]["salts"].items()})
    tampered["proof"]["fieldHashes"] = resealed["proof"]["fieldHashes"]
    result = verify_integrity(tampered)
    assert result.failure is not None
    assert result.failure.name == "credentialHash"


def test_added_or_deleted_fields_fail() -> None:
    added = copy.deepcopy(BUNDLE)
    added["credentialSubject"]["honours"] = True
    result = verify_integrity(added)
    assert result.failure is not None
    assert result.failure.fields == ("/credentialSubject/honours",)
    assert "not part of the issued credential" in result.message
    deleted = copy.deepcopy(BUNDLE)
    del deleted["credentialSubject"]["awardDate"]
    result = verify_integrity(deleted)
    assert result.failure is not None
    assert "disclosure tool" in result.message


def test_wrong_merkle_proof_or_root_fails() -> None:
    other = anchored_batch(3)[0]
    wrong_proof = copy.deepcopy(BUNDLE)
    wrong_proof["proof"]["anchor"]["merkleProof"] = other["proof"]["anchor"]["merkleProof"]
    wrong_root = copy.deepcopy(BUNDLE)
    wrong_root["proof"]["anchor"]["merkleRoot"] = other["proof"]["anchor"]["merkleRoot"]
    for bad in (wrong_proof, wrong_root):
        result = verify_integrity(bad)
        assert result.failure is not None
        assert result.failure.name == "merkleProof"
        assert "does not lead" in result.message
        assert [c.status for c in result.checks[:3]] == ["passed"] * 3


def test_unanchored_document_fails_only_when_an_anchor_is_required() -> None:
    doc = build("micro-credential", VALID["micro-credential"], issuer_id="https://provider.example.org")
    result = verify_integrity(doc)
    assert result.failure is not None
    assert result.failure.name == "merkleProof"
    assert "not been anchored" in result.message
    assert verify_integrity(doc, require_anchor=False).ok


def test_malformed_proof_is_reported_not_raised() -> None:
    broken = copy.deepcopy(BUNDLE)
    broken["proof"]["credentialHash"] = "0x1234"
    result = verify_integrity(broken)
    assert result.failure is not None
    assert result.failure.name == "format"
    assert "/proof/credentialHash" in result.message
    assert verify_integrity({"no": "proof"}).failure is not None


def test_type_and_version_are_bound_into_the_hash() -> None:
    salts = {p: bytes.fromhex(s[2:]) for p, s in BUNDLE["proof"]["salts"].items()}
    assert "/credentialSchema/id" in salts
    assert "/type" in salts
    base = seal(BUNDLE, salts)["proof"]["credentialHash"]
    assert base == BUNDLE["proof"]["credentialHash"]
    for path, value in [
        ("/credentialSchema/id", "https://w3id.org/credreg/schemas/formal-qualification/v2"),
        ("/credentialSchema/id", "https://w3id.org/credreg/schemas/micro-credential/v1"),
        ("/type", ["VerifiableCredential", "MicroCredential"]),
    ]:
        changed = copy.deepcopy(BUNDLE)
        *parents, last = split_pointer(path)
        node = changed
        for token in parents:
            node = node[token]
        node[last] = value
        assert seal(changed, salts)["proof"]["credentialHash"] != base
        assert not verify_integrity(changed).ok


# --- selective disclosure -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(HIDEABLE)))
def test_any_subset_of_fields_can_be_hidden_and_still_verifies(hide: set[str]) -> None:
    shown = disclose(BUNDLE, sorted(hide))
    result = verify_integrity(shown)
    assert result.ok, result.message
    expected_hidden = {f for f in BUNDLE["proof"]["salts"] if any(f == h or f.startswith(h + "/") for h in hide)}
    assert set(result.hidden_fields) == set(hidden_fields(shown)) == expected_hidden
    assert result.credential_hash == stated_credential_hash(BUNDLE)
    text = dumps_bundle(shown)
    originals = flatten(BUNDLE)
    for path in expected_hidden:
        assert BUNDLE["proof"]["salts"][path] not in text
        assert path not in shown["proof"]["salts"]
        assert shown["proof"]["fieldHashes"][path] == BUNDLE["proof"]["fieldHashes"][path]
        value = originals[path]
        if isinstance(value, str):
            assert json.dumps(value) not in text
    # the holder's own copy is untouched
    assert verify_integrity(BUNDLE).hidden_fields == ()


def test_hiding_an_object_hides_all_its_fields_and_prunes_it() -> None:
    shown = disclose(BUNDLE, ["/credentialSubject/learner"])
    assert "learner" not in shown["credentialSubject"]
    assert hidden_fields(shown) == [
        "/credentialSubject/learner/identity/number",
        "/credentialSubject/learner/identity/type",
        "/credentialSubject/learner/name",
    ]
    assert verify_integrity(shown).ok
    # hiding again is harmless; hiding more still verifies
    again = disclose(shown, ["/credentialSubject/learner/name", "/credentialSubject/awardDate"])
    assert verify_integrity(again).ok


def test_hiding_the_last_field_of_an_object_removes_the_object() -> None:
    shown = disclose(BUNDLE, ["/credentialSubject/learner/identity/number", "/credentialSubject/learner/identity/type"])
    assert shown["credentialSubject"]["learner"] == {"name": "Thandiwe Nkosi"}
    assert verify_integrity(shown).ok


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/credentialSubject/learner/surname", "no such field"),
        ("/credentialSubject/learner/name/first", "shown or hidden whole; hide /credentialSubject/learner/name"),
        ("/issuer/id", "only fields under /credentialSubject"),
        ("/validFrom", "only fields under /credentialSubject"),
        ("credentialSubject/learner", "not a JSON pointer"),
        ("/credentialSubject/qualification/nqfLevel", "cannot be hidden in a formal-qualification v1 credential"),
        ("/credentialSubject/qualification", "it is what the credential claims"),
        ("/credentialSubject/institution", "Fields you can hide: /credentialSubject/awardDate"),
    ],
)
def test_hiding_a_path_that_cannot_be_hidden_is_an_error(path: str, words: str) -> None:
    with pytest.raises((DisclosureError, InvalidFieldError), match=words):
        disclose(BUNDLE, [path])


def test_hiding_inside_a_list_says_to_hide_the_whole_list() -> None:
    doc = build("micro-credential", VALID["micro-credential"], issuer_id=ISSUER)
    with pytest.raises(DisclosureError, match="hidden whole; hide /credentialSubject/competencies"):
        disclose(doc, ["/credentialSubject/competencies/0"])
    assert (
        to_hex(stated_credential_hash(disclose(doc, ["/credentialSubject/competencies"])))
        == doc["proof"]["credentialHash"]
    )
