"""Credential types: schemas accept valid input and name every broken rule by its JSON pointer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from node.credentials.errors import CredentialValidationError, FieldError, UnknownCredentialTypeError
from node.credentials.keccak import keccak256
from node.credentials.types import (
    SCHEMA_DIR,
    get_type,
    known_types,
    notional_hours,
    type_for_schema_id,
    type_id_bytes32,
    validate_subject,
)
from node.errors import ValidationFailedError
from tests.samples import VALID, wrong_check_digit, za_id


def errors_for(name: str, subject: Any) -> dict[str, FieldError]:
    return {e.path: e for e in get_type(name).check(subject)}


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_schema_file_is_a_valid_draft_2020_12_schema(path: Any) -> None:
    Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_example_of_each_type_passes(name: str, subjects: dict[str, Any]) -> None:
    assert get_type(name).check(subjects[name]) == []
    assert validate_subject(name, 1, subjects[name]).name == name


def test_known_types_and_ids() -> None:
    assert [(t.name, t.version) for t in known_types()] == [
        ("formal-qualification", 1),
        ("micro-credential", 1),
        ("recognition-of-prior-learning", 1),
    ]
    assert type_id_bytes32("formal-qualification") == keccak256(b"credreg:type:formal-qualification")
    assert len({t.type_id for t in known_types()}) == 3
    fq = get_type("formal-qualification")
    assert type_for_schema_id(fq.schema_id) == fq
    assert notional_hours(360) == 3600


def test_unknown_type_or_version_lists_the_known_types() -> None:
    with pytest.raises(UnknownCredentialTypeError, match="Known types: formal-qualification v1, micro-credential v1"):
        get_type("diploma")
    with pytest.raises(UnknownCredentialTypeError, match="no version 7"):
        get_type("formal-qualification", 7)
    assert issubclass(UnknownCredentialTypeError, ValidationFailedError)


def test_validation_error_is_a_422_naming_each_path_and_rule(subjects: dict[str, Any]) -> None:
    subject = subjects["formal-qualification"]
    subject["learner"]["identity"]["number"] = wrong_check_digit(subject["learner"]["identity"]["number"])
    subject["qualification"]["nqfLevel"] = 11
    del subject["awardDate"]
    with pytest.raises(CredentialValidationError) as caught:
        get_type("formal-qualification").validate(subject)
    err = caught.value
    assert err.status_code == 422
    assert isinstance(err, ValidationFailedError)
    assert [(e.path, e.rule) for e in err.errors] == [
        ("/credentialSubject/awardDate", "required"),
        ("/credentialSubject/learner/identity/number", "za-id-number"),
        ("/credentialSubject/qualification/nqfLevel", "maximum"),
    ]
    assert (
        "/credentialSubject/learner/identity/number: not a valid South African ID number (Luhn check digit fails)"
        in err.detail
    )
    # personal data is never echoed back in an error
    assert subject["learner"]["identity"]["number"] not in err.detail


# --- one broken rule at a time: each names its path ----------------------------------------------------------

FQ = "formal-qualification"
MC = "micro-credential"
RPL = "recognition-of-prior-learning"

CASES: list[tuple[str, str, Any, str, str]] = [
    # (type, JSON pointer inside credentialSubject, new value or DELETE, rule, words in the message)
    (FQ, "/qualification/nqfLevel", 0, "minimum", "at least 1"),
    (FQ, "/qualification/nqfLevel", "7", "type", "whole number"),
    (FQ, "/qualification/credits", 0, "minimum", "at least 1"),
    (FQ, "/qualification/credits", 1.5, "type", "whole number"),
    (FQ, "/qualification/title", "", "minLength", "must not be empty"),
    (FQ, "/qualification/id", "DELETE", "required", "is required"),
    (FQ, "/institution", "   ", "pattern", "blank"),
    (FQ, "/awardDate", "12/04/2025", "date", "YYYY-MM-DD"),
    (FQ, "/awardDate", "2025-02-29", "date", "real calendar date"),
    (FQ, "/learner/name", "DELETE", "required", "is required"),
    (FQ, "/learner/identity/type", "drivers-licence", "enum", '"za-id", "passport"'),
    (FQ, "/learner/identity/number", "12345", "pattern", "13 digits"),
    (FQ, "/learner/identity/number", za_id(birth="901332"), "za-id-number", "birth date"),
    (FQ, "/learner/identity/country", "ZA", "not", "only given with a passport"),
    (FQ, "/extra", "x", "additionalProperties", "not a field"),
    (MC, "/competencies", [], "minItems", "at least 1 item"),
    (MC, "/competencies", ["a", "a"], "uniqueItems", "twice"),
    (MC, "/competencies/1", "", "minLength", "must not be empty"),
    (MC, "/hours", 0, "minimum", "at least 1"),
    (MC, "/learner/identity/country", "XY", "iso3166-country", "ISO 3166-1"),
    (MC, "/learner/identity/country", "DELETE", "required", "is required"),
    (MC, "/learner/identity/number", "m1234567", "pattern", "capital letters or digits"),
    (MC, "/provider", "DELETE", "required", "is required"),
    (RPL, "/recognised/kind", "course", "enum", '"qualification", "module"'),
    (RPL, "/assessorInstitution", 3, "type", "text"),
    (RPL, "/assessmentDate", "DELETE", "required", "is required"),
    (RPL, "/credits", -1, "minimum", "at least 1"),
    (RPL, "/nqfLevel", 7.5, "type", "whole number"),
]


def _set(subject: dict[str, Any], pointer: str, value: Any) -> None:
    *parents, last = pointer.strip("/").split("/")
    node: Any = subject
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if value == "DELETE":
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


@pytest.mark.parametrize(("name", "pointer", "value", "rule", "words"), CASES)
def test_each_rule_failure_names_its_path(
    name: str, pointer: str, value: Any, rule: str, words: str, subjects: dict[str, Any]
) -> None:
    subject = subjects[name]
    _set(subject, pointer, value)
    errors = get_type(name).check(subject)
    assert [(e.path, e.rule) for e in errors] == [("/credentialSubject" + pointer, rule)]
    assert words in errors[0].message


def test_micro_credential_needs_hours_or_credits(subjects: dict[str, Any]) -> None:
    subject = subjects[MC]
    del subject["hours"]
    [error] = get_type(MC).check(subject)
    assert error.path == "/credentialSubject"
    assert "hours" in error.message
    assert "credits" in error.message
    subject["credits"] = 4
    assert get_type(MC).check(subject) == []


def test_passport_identity_is_accepted_with_alpha2_or_alpha3_country(subjects: dict[str, Any]) -> None:
    for country in ("ZA", "ZAF", "GBR", "NA"):
        subject = copy.deepcopy(subjects[FQ])
        subject["learner"]["identity"] = {"type": "passport", "number": "A12345678", "country": country}
        assert get_type(FQ).check(subject) == []


def test_a_subject_that_is_not_an_object_is_refused() -> None:
    [error] = get_type(FQ).check(["not", "an", "object"])
    assert error.path == "/credentialSubject"
    assert error.rule == "type"


@pytest.mark.parametrize("name", ["formal-qualification", "micro-credential", "recognition-of-prior-learning"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_compiled_and_full_validators_agree(name: str, subjects: dict[str, Any], data: st.DataObject) -> None:
    """The fast path (jsonschema-rs) says valid exactly when the full validator (jsonschema) finds no error."""
    from node.credentials.types import _fast_validator, _validator

    subject = copy.deepcopy(subjects[name])
    leaves = [p for p, v in _paths(subject) if not isinstance(v, dict)]
    path = data.draw(st.sampled_from(leaves))
    value = data.draw(
        st.one_of(
            st.none(), st.integers(-5, 20), st.text(max_size=14), st.sampled_from(["8001015009087", "2025-02-30"])
        )
    )
    _assign(subject, path, value)
    version = get_type(name).version
    fast = bool(_fast_validator(name, version).is_valid(subject))
    full = not list(_validator(name, version).iter_errors(subject))
    assert fast == full, (path, value)


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(((*prefix, key), value))
            out.extend(_paths(value, (*prefix, key)))
    return out


def _assign(node: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
