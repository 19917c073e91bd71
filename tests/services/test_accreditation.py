"""The shared accreditation judgement (node/services/accreditation.py): pure, over registry records.

Issuance asks about an anchor yet to be made (``anchored=False``); verification about one that exists at its anchor
time (``anchored=True``): a status change counts only strictly before it, and a key's retirement is not retroactive.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from node.chain.registry import OPEN_END, AccreditationStatus, BodyRecord, IssuerRecord, KeyRecord, type_id
from node.credentials.types import get_type
from node.services.accreditation import (
    accreditation_refusal,
    key_refusal,
    level_pointer,
    nqf_level,
    scope_refusal,
    standing_refusal,
    within,
)
from tests.samples import VALID

FQ, MICRO, RPL = "formal-qualification", "micro-credential", "recognition-of-prior-learning"
T = 1_800_000_000
ISSUER = IssuerRecord(
    7, 3, 6, AccreditationStatus.ACTIVE, False, T - 1000, OPEN_END, T - 1000, b"", "did:web:c.example"
)
BODY = BodyRecord(3, "0x" + "aa" * 20, 10, AccreditationStatus.ACTIVE, 0, OPEN_END, T - 2000, "did:web:b.example")
KEY = KeyRecord("0x" + "bb" * 20, 7, 11, T - 1000, OPEN_END, 0, T - 1000, OPEN_END)
TYPES = [type_id(FQ), type_id(RPL)]
BODY_TYPES = [type_id(FQ), type_id(MICRO), type_id(RPL)]


def test_the_level_field_of_each_type_comes_from_its_disclosure_policy() -> None:
    fq, micro, rpl = (get_type(name) for name in (FQ, MICRO, RPL))
    assert level_pointer(fq) == "/credentialSubject/qualification/nqfLevel"
    assert level_pointer(micro) == level_pointer(rpl) == "/credentialSubject/nqfLevel"
    assert nqf_level(fq, VALID[FQ]) == 7
    assert nqf_level(rpl, VALID[RPL]) == 5
    assert nqf_level(micro, VALID[MICRO]) is None  # optional there
    assert nqf_level(fq, {"qualification": {"nqfLevel": True}}) is None
    assert nqf_level(fq, {"qualification": "x"}) is None


def test_scope_type_then_level() -> None:
    assert scope_refusal(ISSUER, TYPES, BODY, BODY_TYPES, FQ, 6) is None
    assert scope_refusal(ISSUER, TYPES, BODY, BODY_TYPES, FQ, None) is None
    level = scope_refusal(ISSUER, TYPES, BODY, BODY_TYPES, FQ, 7)
    assert level is not None and (level.code, level.party) == ("LEVEL_OUT_OF_SCOPE", "issuer")
    out = scope_refusal(ISSUER, TYPES, BODY, BODY_TYPES, MICRO, None)
    assert out is not None and (out.code, out.party) == ("TYPE_OUT_OF_SCOPE", "issuer")
    body_level = scope_refusal(ISSUER, TYPES, replace(BODY, max_level=5), BODY_TYPES, FQ, 6)
    assert body_level is not None and (body_level.code, body_level.party) == ("LEVEL_OUT_OF_SCOPE", "body")
    body_out = scope_refusal(ISSUER, TYPES, BODY, [type_id(FQ)], RPL, None)
    assert body_out is not None and (body_out.code, body_out.party) == ("TYPE_OUT_OF_SCOPE", "body")
    unknown = scope_refusal(None, [], None, [], FQ, 1)
    assert unknown is not None and unknown.code == "ISSUER_UNKNOWN"
    assert accreditation_refusal(ISSUER, TYPES, None, [], FQ, 1, T) == scope_refusal(ISSUER, TYPES, None, [], FQ, 1)


def test_windows_are_half_open_and_an_end_of_zero_is_open() -> None:
    assert within(10, 10, 20) and not within(20, 10, 20) and not within(9, 10, 20)
    assert within(10**9, 0, 0) and within(10**9, 0, OPEN_END)
    ended = replace(ISSUER, valid_until=T)
    refusal = standing_refusal(ended, BODY, T)
    assert refusal is not None and (refusal.code, refusal.party) == ("OUTSIDE_WINDOW", "issuer")
    assert standing_refusal(ended, BODY, T - 1) is None
    late_body = replace(BODY, valid_from=T + 1)
    refusal = standing_refusal(ISSUER, late_body, T)
    assert refusal is not None and (refusal.code, refusal.party) == ("OUTSIDE_WINDOW", "body")


@pytest.mark.parametrize("status", [AccreditationStatus.SUSPENDED, AccreditationStatus.WITHDRAWN])
def test_a_status_change_refuses_a_new_anchor_but_not_an_earlier_one(status: AccreditationStatus) -> None:
    changed = replace(ISSUER, status=status, status_changed_at=T)
    for at in (T - 10, T, T + 10):  # an anchor yet to be made: any non-active status refuses it
        refusal = standing_refusal(changed, BODY, at)
        assert refusal is not None and (refusal.code, refusal.party) == ("NOT_ACTIVE", "issuer")
        assert status.name.lower() in refusal.message
    assert standing_refusal(changed, BODY, T - 10, anchored=True) is None  # anchored before: not retroactive
    assert standing_refusal(changed, BODY, T, anchored=True) is None  # the same second: the anchor came first
    assert standing_refusal(changed, BODY, T + 1, anchored=True) is not None
    body = replace(BODY, status=status, status_changed_at=T)
    refusal = standing_refusal(ISSUER, body, T)
    assert refusal is not None and (refusal.code, refusal.party) == ("NOT_ACTIVE", "body")


def test_the_signing_key() -> None:
    assert key_refusal(KEY, 7, T) is None
    assert key_refusal(KEY, 7, T, address=KEY.key.upper().replace("0X", "0x")) is None
    codes = {
        "unknown": key_refusal(None, 7, T),
        "mismatch": key_refusal(KEY, 8, T),
        "other address": key_refusal(KEY, 7, T, address="0x" + "cc" * 20),
        "compromised": key_refusal(replace(KEY, compromised_at=T, effective_until=T), 7, T),
        "not yet": key_refusal(KEY, 7, T - 1001),
        "retired": key_refusal(replace(KEY, valid_until=T, effective_until=T), 7, T),
        "not effective": key_refusal(replace(KEY, effective_until=0), 7, T),
    }
    assert {name: r.code if r else None for name, r in codes.items()} == {
        "unknown": "KEY_UNKNOWN",
        "mismatch": "KEY_MISMATCH",
        "other address": "KEY_MISMATCH",
        "compromised": "KEY_COMPROMISED",
        "not yet": "KEY_NOT_VALID",
        "retired": "KEY_RETIRED",
        "not effective": "KEY_NOT_EFFECTIVE",
    }
    # an existing anchor: retirement after it is not retroactive, a compromise cut-off at or before it is
    assert key_refusal(replace(KEY, valid_until=T), 7, T + 5, anchored=True) is None
    compromised = key_refusal(replace(KEY, compromised_at=T), 7, T, anchored=True)
    assert compromised is not None and compromised.code == "KEY_COMPROMISED"
    assert key_refusal(replace(KEY, compromised_at=T + 1), 7, T, anchored=True) is None
