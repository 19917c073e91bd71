"""Sample inputs shared across the suite: a valid credentialSubject for each credential type, and South African ID
numbers made with our own Luhn (written independently of node.credentials.identity)."""

from __future__ import annotations

from typing import Any


def luhn_digit(body: str) -> str:
    """The Luhn check digit for ``body`` (written independently of node.credentials.identity)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return str((10 - total % 10) % 10)


def za_id(birth: str = "900214", sequence: str = "5123", citizen: str = "0") -> str:
    body = birth + sequence + citizen + "8"
    return body + luhn_digit(body)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


LEARNER: dict[str, Any] = {"name": "Thandiwe Nkosi", "identity": {"type": "za-id", "number": za_id()}}

VALID: dict[str, dict[str, Any]] = {
    "formal-qualification": {
        "learner": LEARNER,
        "qualification": {"id": "94738", "title": "Bachelor of Commerce", "nqfLevel": 7, "credits": 360},
        "institution": "University of Example",
        "awardDate": "2025-04-12",
    },
    "micro-credential": {
        "learner": {"name": "Jan de Wet", "identity": {"type": "passport", "number": "M12345678", "country": "NAM"}},
        "title": "Solar PV installation basics",
        "provider": "Example Skills Academy",
        "hours": 40,
        "competencies": ["Size a small PV system", "Install panels safely"],
        "awardDate": "2025-09-30",
    },
    "recognition-of-prior-learning": {
        "learner": LEARNER,
        "recognised": {"kind": "module", "id": "ACC101", "title": "Introductory Accounting"},
        "nqfLevel": 5,
        "credits": 12,
        "assessmentDate": "2025-06-01",
        "assessorInstitution": "Example TVET College",
    },
}


def numbered_subject(n: int, *, prefix: str = "P", institution: str = "Example College") -> dict[str, Any]:
    """The ``n``-th of many distinct formal-qualification subjects (a passport number of its own), for bulk runs."""
    return {
        "learner": {
            "name": f"Learner {n}",
            "identity": {"type": "passport", "number": f"{prefix}{n:07d}", "country": "ZA"},
        },
        "qualification": {"id": "SAQA-1", "title": "Diploma", "nqfLevel": 6, "credits": 360},
        "institution": institution,
        "awardDate": "2026-11-20",
    }
