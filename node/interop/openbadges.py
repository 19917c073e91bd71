"""Open Badges 3.0: a credreg micro-credential (or formal qualification) as an ``OpenBadgeCredential``.

Contexts: VC 2.0 + Open Badges ``context-3.0.3.json`` (both from packages; see :mod:`node.interop.contexts`).
The mapping (docs/spec/interop.md, "Open Badges"):

==========================================  ==================================================================
credreg                                     Open Badges 3.0
==========================================  ==================================================================
issuer id / name                            ``issuer`` (``Profile``)
title / qualification.title                 ``credentialSubject.achievement.name`` and the credential's ``name``
micro-credential                            ``achievementType`` ``MicroCredential``
formal qualification, NQF level             ``Certificate`` (≤ 5), ``Diploma`` (6), ``Degree`` (7 to 10)
competencies                                ``achievement.criteria.narrative`` (a Markdown list)
credits (or hours / 10, NQF convention)     ``achievement.creditsAvailable`` and ``credentialSubject.creditsEarned``
qualification.id (SAQA)                     ``alignment``: the SAQA qualification (``targetCode``)
nqfLevel                                    ``alignment``: the NQF level
learner name / identity number              ``credentialSubject.identifier``: name in clear, the number salted and
                                            SHA-256-hashed (``IdentityObject``, ``hashed: true``)
awardDate                                   ``awardedDate`` (midnight UTC)
==========================================  ==================================================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from node.interop.contexts import OPEN_BADGES_V3_URL, VC_V2_URL

SAQA_QUALIFICATION_URL = "https://allqs.saqa.org.za/showQualification.php?id={id}"
NQF_LEVEL_URL = "https://w3id.org/credreg/nqf/level/{level}"
NQF_FRAMEWORK = "South African National Qualifications Framework (NQF)"
ACHIEVEMENT_NAMESPACE = uuid.UUID("6c1b3f5e-7d1a-4c55-9a43-2f0d1c7e9b10")
HOURS_PER_CREDIT = 10


class OpenBadgeError(ValueError):
    """The credreg document cannot be expressed as an Open Badge (unsupported type)."""


def achievement_type_for_level(level: int) -> str:
    if level <= 5:
        return "Certificate"
    if level == 6:
        return "Diploma"
    return "Degree"


def _day(date: str) -> str:
    return dt.date.fromisoformat(date).strftime("%Y-%m-%dT00:00:00Z")


def _identity_hash(number: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((number + salt).encode("utf-8")).hexdigest()


def _alignments(qualification_id: str | None, level: int | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if qualification_id is not None:
        out.append(
            {
                "type": ["Alignment"],
                "targetName": f"SAQA qualification {qualification_id}",
                "targetUrl": SAQA_QUALIFICATION_URL.format(id=qualification_id),
                "targetCode": qualification_id,
                "targetFramework": "SAQA National Learners' Records Database",
                "targetType": "ext:SAQAQualification",
            }
        )
    if level is not None:
        out.append(
            {
                "type": ["Alignment"],
                "targetName": f"NQF Level {level}",
                "targetUrl": NQF_LEVEL_URL.format(level=level),
                "targetCode": str(level),
                "targetFramework": NQF_FRAMEWORK,
                "targetType": "ext:NQFLevel",
            }
        )
    return out


def to_open_badge(
    document: Mapping[str, Any],
    *,
    identity_salt: str | None = None,
    credential_id: str | None = None,
    credential_status: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` for a credreg micro-credential or formal-qualification document.

    ``identity_salt`` salts the learner's identity number hash (fresh random if not given; keep it to let a
    relying party check the number). Sign the result with :func:`node.interop.dataintegrity.sign`.
    """
    types = document.get("type", [])
    subject: Mapping[str, Any] = document["credentialSubject"]
    issuer: Mapping[str, Any] = document["issuer"]
    if "MicroCredential" in types:
        name = str(subject["title"])
        achievement_type = "MicroCredential"
        credits = subject.get("credits", subject["hours"] / HOURS_PER_CREDIT)
        level = subject.get("nqfLevel")
        qualification_id = None
        lines = [f"- {c}" for c in subject.get("competencies", [])]
        narrative = f"Completed {subject['hours']} notional hours with {subject['provider']}"
        narrative += ", demonstrating:\n" + "\n".join(lines) if lines else "."
        description = f"{name}: a micro-credential from {subject['provider']}."
    elif "FormalQualificationCredential" in types:
        qualification: Mapping[str, Any] = subject["qualification"]
        name = str(qualification["title"])
        level = int(qualification["nqfLevel"])
        achievement_type = achievement_type_for_level(level)
        credits = qualification["credits"]
        qualification_id = str(qualification["id"])
        narrative = f"Met the requirements of SAQA qualification {qualification_id} at {subject['institution']}."
        description = f"{name} (NQF level {level}, {credits} credits), awarded by {subject['institution']}."
    else:
        raise OpenBadgeError(f"credreg maps micro-credentials and formal qualifications to Open Badges, not {types}.")
    salt = identity_salt if identity_salt is not None else secrets.token_hex(16)
    identity: Mapping[str, Any] = subject["learner"]["identity"]
    identity_type = "nationalIdentityNumber" if identity["type"] == "za-id" else f"ext:{identity['type']}"
    achievement_key = f"{issuer['id']}|{achievement_type}|{name}"
    achievement: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid5(ACHIEVEMENT_NAMESPACE, achievement_key)}",
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": name,
        "description": description,
        "criteria": {"narrative": narrative},
        "creditsAvailable": float(credits),
    }
    alignment = _alignments(qualification_id, level)
    if alignment:
        achievement["alignment"] = alignment
    badge: dict[str, Any] = {
        "@context": [VC_V2_URL, OPEN_BADGES_V3_URL],
        "id": credential_id or document.get("id") or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": issuer["id"], "type": ["Profile"], "name": issuer.get("name", issuer["id"])},
        "validFrom": document["validFrom"],
    }
    if "validUntil" in document:
        badge["validUntil"] = document["validUntil"]
    badge["awardedDate"] = _day(str(subject["awardDate"]))
    badge["credentialSubject"] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": str(subject["learner"]["name"]),
                "identityType": "name",
                "hashed": False,
            },
            {
                "type": "IdentityObject",
                "identityHash": _identity_hash(str(identity["number"]), salt),
                "identityType": identity_type,
                "hashed": True,
                "salt": salt,
            },
        ],
        "achievement": achievement,
        "creditsEarned": float(credits),
    }
    if credential_status:
        badge["credentialStatus"] = credential_status
    return badge
