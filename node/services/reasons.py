"""Reason codes for credential status changes: on chain a uint16, here their meaning (shared by lifecycle and
verification, so a verdict can say why in words)."""

from __future__ import annotations

from enum import IntEnum


class ReasonCode(IntEnum):
    """Why a credential's status changed: recorded on chain as a uint16 next to the status."""

    ISSUED_IN_ERROR = 1
    FRAUD = 2
    DATA_CORRECTION = 3
    DISCIPLINARY = 4
    ADMINISTRATIVE_HOLD = 5
    UNDER_INVESTIGATION = 6
    HOLD_LIFTED = 7
    RESULT_CHANGED = 8
    REISSUED = 9
    ACCREDITATION_WITHDRAWN = 10
    LEARNER_REQUEST = 11
    OTHER = 99


REASON_CODES: dict[int, str] = {
    ReasonCode.ISSUED_IN_ERROR: "issued in error",
    ReasonCode.FRAUD: "fraud or misrepresentation",
    ReasonCode.DATA_CORRECTION: "data correction (a corrected credential replaces it)",
    ReasonCode.DISCIPLINARY: "disciplinary action",
    ReasonCode.ADMINISTRATIVE_HOLD: "administrative hold (e.g. unpaid fees, a pending appeal)",
    ReasonCode.UNDER_INVESTIGATION: "under investigation",
    ReasonCode.HOLD_LIFTED: "hold lifted / investigation closed",
    ReasonCode.RESULT_CHANGED: "assessment result changed (re-marking, appeal upheld)",
    ReasonCode.REISSUED: "replaced by an upgraded or re-issued credential",
    ReasonCode.ACCREDITATION_WITHDRAWN: "issuer's accreditation withdrawn for this credential",
    ReasonCode.LEARNER_REQUEST: "at the learner's request",
    ReasonCode.OTHER: "other (explained in the off-chain note)",
}
"""What each reason code means (verifiers show the text next to the status)."""


def reason_text(code: int) -> str:
    """The meaning of ``code``, or a plain "reason code N" for a code this node does not know."""
    return f"{REASON_CODES[code]}, reason code {code}" if code in REASON_CODES else f"reason code {code}"
