"""node/credentials/submission.py: one credential to issue as JSON, the format the API and `credreg issue` share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from node.credentials.items import CLIENT_REF_MAX
from node.credentials.submission import CredentialInput
from tests.samples import VALID

FQ = "formal-qualification"


def entry(**changes: Any) -> dict[str, Any]:
    return {"type": FQ, "credentialSubject": VALID[FQ]} | changes


def test_a_camel_case_entry_becomes_the_item_every_issuance_path_checks() -> None:
    item = CredentialInput.model_validate(
        entry(version=1, validFrom="2026-11-22T08:00:00Z", validUntil="2036-11-20T00:00:00+02:00", clientRef="r-1")
    ).to_item()
    assert (item.type_name, item.version, item.client_ref, item.problems) == (FQ, 1, "r-1", ())
    assert item.subject == VALID[FQ]
    assert item.valid_from == dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    assert item.valid_until == dt.datetime(2036, 11, 19, 22, 0, tzinfo=dt.UTC)


def test_omitted_dates_and_version_are_left_to_the_node() -> None:
    item = CredentialInput.model_validate(entry()).to_item()
    assert (item.version, item.valid_from, item.valid_until, item.client_ref) == (None, None, None, None)


@pytest.mark.parametrize("text", ["2026-11-22", "2026-11-22T08:00:00", "22/11/2026 08:00", "2026-02-30T08:00:00Z"])
def test_a_date_that_is_not_a_zoned_date_time_is_a_named_problem_never_a_guess(text: str) -> None:
    item = CredentialInput.model_validate(entry(validFrom="2026-11-22T08:00:00Z", validUntil=text)).to_item()
    assert item.valid_until is None
    assert [(p.path, p.rule) for p in item.problems] == [("/validUntil", "format")]


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"subject": {}}, "subject"),  # a stray field is refused, not ignored
        ({"type": ""}, "type"),
        ({"version": 0}, "version"),
        ({"clientRef": ""}, "clientRef"),
        ({"clientRef": "x" * (CLIENT_REF_MAX + 1)}, "clientRef"),
        ({"validFrom": "2" * 65}, "validFrom"),
    ],
)
def test_an_entry_of_another_shape_is_refused_naming_the_field(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CredentialInput.model_validate(entry(**changes))
    assert where in {str(part) for error in caught.value.errors() for part in error["loc"]}
