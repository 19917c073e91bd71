"""Accreditation, judged once: may this issuer, under its body, vouch for a credential of type T at NQF level L at
time t, and if not, why? Pure functions over the registry's records (``node.chain.registry``); no chain access.

Issuance (``node/services/issuance_rules.py``) asks before it accepts a credential (an anchor yet to be made, from
now on); verification asks about an anchor that exists (made at its anchor time). The rules are the registry's
own (``contracts/registry``), so what issuance accepts is what the contract lets the batcher anchor and what
verification then calls accredited:

- the issuer and its body exist, and both are accredited for the credential type (the issuer's scope of types is
  drawn from its body's);
- the credential's NQF level, when it has one (the type's disclosure policy names the field, ``levelField``), is at
  most the issuer's maximum and its body's;
- the time lies in both accreditation windows (``validFrom <= t < validUntil``; an end of 0 or ``OPEN_END`` is open);
- both are active: for an anchor yet to be made, *now*; for an anchor that exists, a suspension or withdrawal
  only counts if it came strictly before the anchor time (the contract refuses an anchor after a status change in
  the same second, so a change in the anchor's own second came after it);
- the signing key belongs to the issuer, was not cut off (compromised) at or before t, and t is in its window (for
  an existing anchor only the start counts: retirement is not retroactive, a compromise cut-off is); for an anchor
  yet to be made, t must also lie in the key's *effective* window, the registry's own narrowing of the key's window
  by the issuer's and the body's (what the contract checks when it anchors).

Each refusal has a stable ``code`` (the verification check codes where they exist) and a sentence that names
records and times, never a submitted value. Callers add their own advice (issuance: what the issuer should do;
verification: what the verifier should conclude).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from node.chain.registry import OPEN_END, AccreditationStatus, BodyRecord, IssuerRecord, KeyRecord
from node.credentials.disclosure import policy_for
from node.credentials.errors import UnknownCredentialTypeError
from node.credentials.types import CredentialType, type_id_bytes32

Party = Literal["issuer", "body", "key"]


@dataclass(frozen=True)
class Refusal:
    """Why an accreditation does not cover a credential: a stable code, whose record it is, and a sentence."""

    code: str
    """ISSUER_UNKNOWN, BODY_UNKNOWN, TYPE_OUT_OF_SCOPE, LEVEL_OUT_OF_SCOPE, NOT_ACTIVE, OUTSIDE_WINDOW,
    KEY_UNKNOWN, KEY_MISMATCH, KEY_COMPROMISED, KEY_NOT_VALID, KEY_RETIRED, KEY_NOT_EFFECTIVE."""
    party: Party
    message: str
    """A sentence of facts from the registry (ids, identities, levels, times); never a submitted value."""


def level_pointer(credential_type: CredentialType) -> str | None:
    """The JSON pointer of the type's NQF level field (its disclosure policy's ``levelField``), or None for a type
    without one."""
    try:
        return policy_for(credential_type).level_field
    except UnknownCredentialTypeError:
        return None


def nqf_level(credential_type: CredentialType, subject: object) -> int | None:
    """The NQF level a ``credentialSubject`` gives, or None (no level field, absent, or not a whole number: the
    type's schema reports a malformed one)."""
    pointer = level_pointer(credential_type)
    if pointer is None or not pointer.startswith("/credentialSubject/"):
        return None
    value: Any = subject
    for token in pointer.split("/")[2:]:
        if not isinstance(value, Mapping):
            return None
        value = value.get(token)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def within(t: int, start: int, end: int) -> bool:
    """``start <= t < end``; an end of 0 or ``OPEN_END`` is open."""
    return start <= t and (end in (0, OPEN_END) or t < end)


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def until_text(timestamp: int) -> str:
    return "no end" if timestamp in (0, OPEN_END) else when(timestamp)


def _issuer_name(issuer: IssuerRecord) -> str:
    return f"issuer #{issuer.issuer_id} ({issuer.metadata_uri})"


def _body_name(body: BodyRecord) -> str:
    return f"body #{body.body_id} ({body.metadata_uri})"


def scope_refusal(
    issuer: IssuerRecord | None,
    issuer_types: Collection[bytes],
    body: BodyRecord | None,
    body_types: Collection[bytes],
    type_name: str,
    level: int | None,
) -> Refusal | None:
    """Is the credential type in the issuer's and its body's scope, and the level within the issuer's maximum?

    ``issuer_types`` / ``body_types`` are the bytes32 type ids the registry lists (``issuerTypes``, ``bodyTypes``);
    ``level`` None skips the level (a type without one, or a level the holder hid). Checked in this order:
    issuer known, issuer's types, body known, body's types, level against the issuer's maximum, then the body's.
    """
    if issuer is None or issuer.status is AccreditationStatus.NONE:
        return Refusal("ISSUER_UNKNOWN", "issuer", "the issuer is not in the registry")
    type_id = type_id_bytes32(type_name)
    if type_id not in issuer_types:
        return Refusal(
            "TYPE_OUT_OF_SCOPE", "issuer", f"{_issuer_name(issuer)} is not accredited for {type_name} credentials"
        )
    if body is None or body.status is AccreditationStatus.NONE:
        return Refusal(
            "BODY_UNKNOWN",
            "body",
            f"body #{issuer.body_id}, which accredited {_issuer_name(issuer)}, is not in the registry",
        )
    if type_id not in body_types:
        return Refusal(
            "TYPE_OUT_OF_SCOPE",
            "body",
            f"{_body_name(body)}, which accredited {_issuer_name(issuer)}, is not itself accredited for {type_name} "
            "credentials",
        )
    if level is not None and level > issuer.max_level:
        return Refusal(
            "LEVEL_OUT_OF_SCOPE",
            "issuer",
            f"the level is above NQF level {issuer.max_level}, the highest {_issuer_name(issuer)} is accredited for",
        )
    if level is not None and level > body.max_level:
        return Refusal(
            "LEVEL_OUT_OF_SCOPE",
            "body",
            f"the level is above NQF level {body.max_level}, the highest {_body_name(body)}, which accredited "
            f"{_issuer_name(issuer)}, is accredited for",
        )
    return None


def standing_refusal(
    issuer: IssuerRecord | None, body: BodyRecord | None, at: int, *, anchored: bool = False
) -> Refusal | None:
    """Were the issuer and its body accredited (window and status) at ``at``?

    ``anchored=False``: an anchor yet to be made at ``at`` or later (issuance): both must be active now.
    ``anchored=True``: an anchor that exists at ``at`` (verification): a status change counts only if it came strictly
    before ``at``; a later suspension or withdrawal is not retroactive.
    """
    if issuer is None or issuer.status is AccreditationStatus.NONE:
        return Refusal("ISSUER_UNKNOWN", "issuer", "the issuer is not in the registry")
    if body is None or body.status is AccreditationStatus.NONE:
        return Refusal(
            "BODY_UNKNOWN",
            "body",
            f"body #{issuer.body_id}, which accredited {_issuer_name(issuer)}, is not in the registry",
        )
    parties: tuple[tuple[Party, str, IssuerRecord | BodyRecord], ...] = (
        ("issuer", _issuer_name(issuer), issuer),
        ("body", _body_name(body), body),
    )
    for party, name, record in parties:
        if not within(at, record.valid_from, record.valid_until):
            return Refusal(
                "OUTSIDE_WINDOW",
                party,
                f"{name} is accredited from {when(record.valid_from)} to {until_text(record.valid_until)}, which "
                f"does not cover {when(at)}",
            )
        if record.status is not AccreditationStatus.ACTIVE and (not anchored or record.status_changed_at < at):
            return Refusal(
                "NOT_ACTIVE", party, f"{name} is {record.status.name.lower()} since {when(record.status_changed_at)}"
            )
    return None


def key_refusal(
    key: KeyRecord | None, issuer_id: int, at: int, *, anchored: bool = False, address: str | None = None
) -> Refusal | None:
    """May ``key`` anchor for issuer ``issuer_id`` at ``at`` (``anchored`` as in :func:`standing_refusal`)?

    ``address``, when given, is the key the anchor names (the record must be that key's).
    """
    if key is None or key.issuer_id == 0:
        return Refusal("KEY_UNKNOWN", "key", "the signing key is not in the registry")
    if key.issuer_id != issuer_id or (address is not None and key.key.lower() != address.lower()):
        return Refusal(
            "KEY_MISMATCH", "key", f"the signing key {address or key.key} is not a key of issuer #{issuer_id}"
        )
    if key.compromised_at and key.compromised_at <= at:
        return Refusal(
            "KEY_COMPROMISED",
            "key",
            f"the signing key {key.key} was declared compromised from {when(key.compromised_at)}",
        )
    if at < key.valid_from:
        return Refusal("KEY_NOT_VALID", "key", f"the signing key {key.key} is valid only from {when(key.valid_from)}")
    if anchored:
        return None
    if not within(at, key.valid_from, key.valid_until):
        return Refusal("KEY_RETIRED", "key", f"the signing key {key.key} was retired on {when(key.valid_until)}")
    if not key.effective_from <= at < key.effective_until:
        if key.effective_until <= key.effective_from:
            window = "at no time now (its issuer or its body is not active)"
        else:
            window = f"only from {when(key.effective_from)} to {until_text(key.effective_until)}"
        return Refusal(
            "KEY_NOT_EFFECTIVE",
            "key",
            f"the registry lets the signing key {key.key} anchor {window} (the key's window narrowed by its "
            "issuer's and body's)",
        )
    return None


def accreditation_refusal(
    issuer: IssuerRecord | None,
    issuer_types: Collection[bytes],
    body: BodyRecord | None,
    body_types: Collection[bytes],
    type_name: str,
    level: int | None,
    at: int,
    *,
    anchored: bool = False,
) -> Refusal | None:
    """The first reason why the issuer's accreditation does not cover a ``type_name`` credential at ``level`` at
    time ``at`` (scope, then standing), or None when it does. The signing key is judged apart (:func:`key_refusal`).
    """
    return scope_refusal(issuer, issuer_types, body, body_types, type_name, level) or standing_refusal(
        issuer, body, at, anchored=anchored
    )
