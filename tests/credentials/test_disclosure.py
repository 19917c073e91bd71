"""node/credentials/disclosure.py: what a holder may hide, per type, and the verifier's rule for a hidden field."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from node.credentials.disclosure import _policy, _schema_has_field, hidden_field_problems, policy_for
from node.credentials.errors import UnknownCredentialTypeError
from node.credentials.hashing import split_pointer
from node.credentials.types import CredentialType, get_type, known_types

FQ = "formal-qualification"


@pytest.mark.parametrize("credential_type", known_types(), ids=lambda t: f"{t.name}.v{t.version}")
def test_every_type_has_a_policy_of_subject_fields_only(credential_type: CredentialType) -> None:
    policy = policy_for(credential_type)
    schema = credential_type.resolved_schema
    assert policy.hideable and all(h.startswith("/credentialSubject/") for h in policy.hideable)
    assert policy.issuer_text_field is not None and not policy.may_hide(policy.issuer_text_field)
    assert policy.claims and not any(c.label == "" for c in policy.claims)
    for claim in policy.claims:  # each claim a verdict shows is a field the schema defines
        assert _schema_has_field(schema, split_pointer(claim.path)[1:]), claim.path


@pytest.mark.parametrize(
    ("type_name", "level_hideable"),
    [(FQ, False), ("micro-credential", True), ("recognition-of-prior-learning", False)],
)
def test_the_level_that_decides_accreditation_scope_is_hideable_only_where_the_policy_says(
    type_name: str, level_hideable: bool
) -> None:
    assert policy_for(get_type(type_name)).level_hideable is level_hideable


def test_may_hide_a_field_or_anything_under_it_but_not_a_lookalike() -> None:
    policy = policy_for(get_type(FQ))
    assert policy.may_hide("/credentialSubject/learner")
    assert policy.may_hide("/credentialSubject/learner/identity/number")
    assert not policy.may_hide("/credentialSubject/learnerX")  # a prefix of the text is not a parent
    assert not policy.may_hide("/credentialSubject/qualification/title")
    assert not policy.may_hide("/credentialSubject")


def problems(hidden: list[str], shown: Sequence[str] = ()) -> list[tuple[str, str]]:
    credential_type = get_type(FQ)
    found = hidden_field_problems(credential_type, policy_for(credential_type), hidden, shown)
    for problem in found:
        assert problem.path in problem.message or repr(problem.path) in problem.message
    return [(p.code, p.path) for p in found]


def test_a_legal_disclosure_has_no_problem() -> None:
    hidden = ["/credentialSubject/learner/name", "/credentialSubject/awardDate"]
    assert problems(hidden, ["/credentialSubject/institution", "/credentialSubject/learner/identity/type"]) == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/validFrom", "DISCLOSURE_NOT_ALLOWED"),  # what every verifier needs
        ("/credentialSubject/institution", "DISCLOSURE_NOT_ALLOWED"),  # the issuer's own claim
        ("/credentialSubject/qualification/nqfLevel", "DISCLOSURE_NOT_ALLOWED"),
        ("/credentialSubject/learner/nickname", "HIDDEN_FIELD_UNKNOWN"),  # hideable place, no such field
        ("/credentialSubject/learner", "HIDDEN_FIELD_UNKNOWN"),  # an object: its fields are hidden, not it
        ("/credentialSubject/learner/~2", "HIDDEN_FIELD_UNKNOWN"),  # not a canonical pointer
        ("/credentialSubject/learner/name/", "HIDDEN_FIELD_UNKNOWN"),
    ],
)
def test_each_refused_hidden_field_has_its_code(path: str, code: str) -> None:
    assert problems([path]) == [(code, path)]


def test_a_field_both_hidden_and_shown_collides() -> None:
    name = "/credentialSubject/learner/name"
    assert problems([name], [name]) == [("HIDDEN_FIELD_COLLISION", name)]
    date = "/credentialSubject/awardDate"
    assert problems([date, name], [date + "/x"]) == [("HIDDEN_FIELD_COLLISION", date)]  # sorted, one each


def test_a_type_version_without_a_policy_cannot_be_used() -> None:
    unknown = dataclasses.replace(get_type(FQ), version=99)
    with pytest.raises(UnknownCredentialTypeError, match=r"no disclosure policy .*formal-qualification\.v99\.json"):
        policy_for(unknown)


@pytest.mark.parametrize("pointer", ["/validFrom", "/issuer/name", "/credentialSubject", "credentialSubject/x", 7])
def test_a_policy_file_that_lets_a_holder_hide_more_than_subject_fields_is_refused(pointer: object) -> None:
    raw = {"type": FQ, "version": 1, "hideable": ["/credentialSubject/learner", pointer]}
    with pytest.raises(UnknownCredentialTypeError, match="only subject fields may ever be hidden"):
        _policy(raw, "formal-qualification.v1.json")
