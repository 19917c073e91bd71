"""Checks on learner identity numbers. Reasons never repeat the number itself (it is personal data)."""

from __future__ import annotations

import datetime as dt


def luhn_is_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is the Luhn check digit of the others."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if position % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def za_id_problem(number: str) -> str | None:
    """Why ``number`` is not a valid South African ID number, or ``None`` if it is.

    A South African ID number is 13 digits ``YYMMDD SSSS C A Z``: a birth date, a sequence number, citizenship,
    a digit no longer used, and a Luhn check digit over the first 12.
    """
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return "must be exactly 13 digits (a South African ID number)"
    yy, mm, dd = int(number[0:2]), int(number[2:4]), int(number[4:6])
    if not any(_is_date(century + yy, mm, dd) for century in (1900, 2000)):
        return "not a valid South African ID number (the first six digits are not a birth date YYMMDD)"
    if not luhn_is_valid(number):
        return "not a valid South African ID number (Luhn check digit fails)"
    return None


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
