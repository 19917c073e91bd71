"""The contracts' plain values: the open end of a window and the status enums (no web3: the error table reads them)."""

from __future__ import annotations

from enum import IntEnum

OPEN_END = 2**40 - 1
"""uint40 max: the contracts' "no end" for validity windows."""


class CredentialStatus(IntEnum):
    ACTIVE = 0
    SUSPENDED = 1
    SUPERSEDED = 2
    REVOKED = 3


class Validity(IntEnum):
    VALID = 0
    UNKNOWN_ROOT = 1
    NOT_IN_TREE = 2
    NOT_YET_ANCHORED = 3
    KEY_COMPROMISED = 4
    REVOKED = 5
    SUPERSEDED = 6
    SUSPENDED = 7
    EXPIRED = 8


class AccreditationStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    WITHDRAWN = 3


__all__ = ["OPEN_END", "AccreditationStatus", "CredentialStatus", "Validity"]
