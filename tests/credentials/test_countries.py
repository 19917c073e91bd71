"""node/credentials/countries.py: the ISO 3166-1 table a passport's issuing country is checked against."""

from __future__ import annotations

import pytest

from node.credentials.countries import ALPHA2_TO_ALPHA3, COUNTRY_CODES, is_country_code


def test_the_table_holds_every_officially_assigned_code_and_kosovo() -> None:
    assert len(ALPHA2_TO_ALPHA3) == 250  # 249 officially assigned, plus XK
    assert len(set(ALPHA2_TO_ALPHA3.values())) == 250  # no alpha-3 code given to two countries
    assert set(ALPHA2_TO_ALPHA3) | set(ALPHA2_TO_ALPHA3.values()) == COUNTRY_CODES
    for alpha2, alpha3 in ALPHA2_TO_ALPHA3.items():
        assert len(alpha2) == 2 and len(alpha3) == 3, (alpha2, alpha3)
        assert alpha2.isascii() and alpha2.isalpha() and alpha2.isupper()
        assert alpha3.isascii() and alpha3.isalpha() and alpha3.isupper()


@pytest.mark.parametrize(
    ("alpha2", "alpha3"),
    [("ZA", "ZAF"), ("GB", "GBR"), ("NA", "NAM"), ("ZW", "ZWE"), ("CD", "COD"), ("XK", "XKX"), ("SS", "SSD")],
)
def test_known_pairs(alpha2: str, alpha3: str) -> None:
    assert ALPHA2_TO_ALPHA3[alpha2] == alpha3
    assert is_country_code(alpha2) and is_country_code(alpha3)


@pytest.mark.parametrize(
    "code",
    ["za", "Zaf", "", "Z", "ZAFR", "UK", "EU", "XY", "XX", "ZA ", " ZA", "\uff3a\uff21"],
    ids=["lower", "mixed", "empty", "one", "four", "UK-not-assigned", "EU-reserved", "XY", "XX", "trailing", "leading",
         "fullwidth"],
)  # fmt: skip
def test_anything_else_is_not_a_country_code(code: str) -> None:
    assert not is_country_code(code)
