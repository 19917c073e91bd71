"""node/credentials/identity.py: South African ID numbers (birth date, Luhn check digit) and the Luhn check itself.

The reasons never repeat the number: it is personal data, and they end up in API errors and logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.credentials.identity import luhn_is_valid, za_id_problem
from tests.samples import luhn_digit, za_id


@given(
    st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2019, 12, 31)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.sampled_from("012"),
)
def test_generated_valid_za_ids_pass_and_any_other_check_digit_fails(birth: Any, sequence: str, citizen: str) -> None:
    number = za_id(birth.strftime("%y%m%d"), sequence, citizen)
    assert za_id_problem(number) is None
    assert luhn_is_valid(number)
    for digit in "0123456789":
        if digit != number[-1]:
            assert za_id_problem(number[:-1] + digit) == (
                "not a valid South African ID number (Luhn check digit fails)"
            )


def test_known_za_id_examples() -> None:
    assert za_id_problem("8001015009087") is None
    assert za_id_problem("8001015009086") is not None  # check digit off by one
    assert za_id_problem("800101500908") is not None  # 12 digits
    assert za_id_problem("80010150090a7") is not None
    assert "birth date" in (za_id_problem("8013015009087") or "")  # month 13
    # 29 February exists in 2000 (and 1900 does not matter): 000229 is a valid birth date
    body = "000229512308"
    assert za_id_problem(body + luhn_digit(body)) is None
    body = "010229512308"  # 2001 and 1901 are not leap years
    assert "birth date" in (za_id_problem(body + luhn_digit(body)) or "")


@pytest.mark.parametrize(
    "digits",
    ["", "79927398710x", "7992739871 3", "\u0667\u0669\u0669\u0662\u0667\u0663\u0669\u0668\u0667\u0661\u0663"],
    ids=["empty", "letter", "space", "arabic-indic-digits"],
)
def test_luhn_refuses_anything_but_ascii_digits(digits: str) -> None:
    assert not luhn_is_valid(digits)


def test_luhn_known_numbers() -> None:
    assert luhn_is_valid("79927398713")  # the textbook example
    assert not luhn_is_valid("79927398710")
    assert luhn_is_valid("4111111111111111")  # a test card number


@pytest.mark.parametrize(
    "number",
    [
        "800101500908",  # 12 digits
        "80010150090871",  # 14 digits
        "8013015009087",  # month 13
        "8001015009086",  # check digit off by one
        "\u0668\u0660\u0660\u0661\u0660\u0661\u0665\u0660\u0660\u0669\u0660\u0668\u0667",  # Arabic-Indic digits
    ],
)
def test_a_reason_never_repeats_the_number(number: str) -> None:
    reason = za_id_problem(number)
    assert reason is not None
    assert number not in reason
    assert number[:6] not in reason and number[-7:] not in reason  # not even a part of it
