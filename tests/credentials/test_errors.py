"""node/credentials/errors.py: the credential model's errors are 422s that name every broken rule by its path."""

from __future__ import annotations

import pytest

from node.credentials.errors import (
    BundleFormatError,
    CredentialValidationError,
    DisclosureError,
    FieldError,
    InvalidFieldError,
    MerkleTreeError,
    UnknownCredentialTypeError,
)
from node.errors import RegistryError, ValidationFailedError


def test_a_field_error_reads_path_then_sentence_and_the_root_is_a_slash() -> None:
    assert str(FieldError("/credentialSubject/hours", "minimum", "must be at least 1")) == (
        "/credentialSubject/hours: must be at least 1"
    )
    assert str(FieldError("", "type", "must be an object")) == "/: must be an object"


def test_a_validation_error_counts_and_lists_every_problem_and_says_what_to_do() -> None:
    errors = [
        FieldError("/credentialSubject/awardDate", "required", "is required"),
        FieldError("/credentialSubject/qualification/nqfLevel", "maximum", "must be at most 10"),
    ]
    err = CredentialValidationError(errors, "formal qualification")
    assert err.errors == errors
    assert err.detail == (
        "The formal qualification credential is not valid (2 problems): /credentialSubject/awardDate: is required; "
        "/credentialSubject/qualification/nqfLevel: must be at most 10. Correct these fields and submit it again."
    )
    one = CredentialValidationError(errors[:1], "micro-credential")
    assert "(1 problem):" in one.detail


@pytest.mark.parametrize(
    "cls",
    [
        CredentialValidationError,
        UnknownCredentialTypeError,
        InvalidFieldError,
        DisclosureError,
        BundleFormatError,
        MerkleTreeError,
    ],
)
def test_every_credential_error_is_a_422_of_the_one_tree(cls: type[RegistryError]) -> None:
    assert issubclass(cls, ValidationFailedError)
    assert cls.status_code == 422
