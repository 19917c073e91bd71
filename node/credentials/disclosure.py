"""Disclosure policies: which fields a holder may hide, per credential type and version.

A policy is declared beside its type's schema, in ``schemas/disclosure/<type>.v<version>.json``::

    {
      "type": "formal-qualification", "version": 1,
      "hideable": ["/credentialSubject/learner", "/credentialSubject/awardDate"],   // a field, or everything under
      "levelField": "/credentialSubject/qualification/nqfLevel",                    // decides accreditation scope
      "issuerTextField": "/credentialSubject/institution",                          // the issuer's own free text
      "claims": [{"label": "Learner", "path": "/credentialSubject/learner/name"}]   // what a verdict shows first
    }

Only fields under ``/credentialSubject`` can ever be hideable: ``@context``, ``type``, ``id``, ``issuer``,
``validFrom``, ``validUntil`` and ``credentialSchema`` are what every verifier needs, so a policy file that lists one
of them is refused when it is loaded. The level field decides the issuer's accreditation scope: it is hideable only
when a policy says so, and a verdict then says that the level was not compared.

:func:`hidden_field_problems` is the verifier's rule for a hidden field (a hash in the proof, no salt, no value): the
policy allows hiding it, the type's schema has a non-object field at that place, and it does not collide with, contain
or sit inside a shown field. The credential hash commits to every field's path (see :mod:`node.credentials.hashing`),
so a hidden field's path is what the issuer hashed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from node.credentials.errors import UnknownCredentialTypeError
from node.credentials.hashing import is_canonical_pointer, split_pointer
from node.credentials.types import SCHEMA_DIR, SUBJECT_POINTER, CredentialType

POLICY_DIR = SCHEMA_DIR / "disclosure"


@dataclass(frozen=True)
class Claim:
    """One of a type's main claims: a label for people and the field that holds it."""

    label: str
    path: str


@dataclass(frozen=True)
class DisclosurePolicy:
    """What a holder may hide of one credential type and version."""

    type_name: str
    version: int
    hideable: tuple[str, ...]
    level_field: str | None
    issuer_text_field: str | None
    claims: tuple[Claim, ...]

    def may_hide(self, path: str) -> bool:
        """True when ``path`` is a hideable pointer or lies under one."""
        return any(path == h or path.startswith(h + "/") for h in self.hideable)

    @property
    def level_hideable(self) -> bool:
        return self.level_field is not None and self.may_hide(self.level_field)


@dataclass(frozen=True)
class HiddenFieldProblem:
    """Why one hidden field is not acceptable: a stable code, the field, and a sentence."""

    code: str
    path: str
    message: str


def policy_for(credential_type: CredentialType) -> DisclosurePolicy:
    """The disclosure policy of ``credential_type``; a type without one cannot be issued or verified."""
    policy = _policies().get((credential_type.name, credential_type.version))
    if policy is None:
        raise UnknownCredentialTypeError(
            f"{credential_type.label} has no disclosure policy (schemas/disclosure/{credential_type.name}."
            f"v{credential_type.version}.json); add one."
        )
    return policy


def hidden_field_problems(
    credential_type: CredentialType, policy: DisclosurePolicy, hidden: Iterable[str], shown: Iterable[str]
) -> list[HiddenFieldProblem]:
    """Every problem of the hidden fields of a document of ``credential_type`` (empty: the disclosure is allowed)."""
    shown_set = set(shown)
    problems: list[HiddenFieldProblem] = []
    for path in sorted(hidden):
        if not is_canonical_pointer(path):
            problems.append(
                HiddenFieldProblem(
                    "HIDDEN_FIELD_UNKNOWN", path, f"{path!r} is not a field path in its one canonical JSON pointer form"
                )
            )
        elif not (path.startswith(SUBJECT_POINTER + "/") and policy.may_hide(path)):
            problems.append(
                HiddenFieldProblem(
                    "DISCLOSURE_NOT_ALLOWED",
                    path,
                    f"{path} is hidden, but a holder may not hide it in a {credential_type.label} credential "
                    f"(hideable: {', '.join(policy.hideable) or 'nothing'})",
                )
            )
        elif not _schema_has_field(credential_type.resolved_schema, split_pointer(path)[1:]):
            problems.append(
                HiddenFieldProblem(
                    "HIDDEN_FIELD_UNKNOWN",
                    path,
                    f"{path} is hidden, but {credential_type.label} has no such field (a hidden field must be one "
                    "its schema defines, holding text, a number or a list)",
                )
            )
        else:
            clash = _collision(path, shown_set)
            if clash is not None:
                problems.append(
                    HiddenFieldProblem(
                        "HIDDEN_FIELD_COLLISION", path, f"{path} is hidden, but {clash} is shown: one field is both"
                    )
                )
    return problems


def _collision(path: str, shown: set[str]) -> str | None:
    if path in shown:
        return path
    for other in shown:
        if other.startswith(path + "/") or path.startswith(other + "/"):
            return other
    return None


def _schema_has_field(schema: Mapping[str, Any], tokens: list[str]) -> bool:
    """True when the subject schema defines a field at ``tokens`` that is not an object (fields are leaves)."""
    node: Any = schema
    for token in tokens:
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping) or token not in properties:
            return False
        node = properties[token]
    return isinstance(node, Mapping) and node.get("type") != "object" and "properties" not in node


@cache
def _policies() -> dict[tuple[str, int], DisclosurePolicy]:
    policies: dict[tuple[str, int], DisclosurePolicy] = {}
    for path in sorted(POLICY_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        policy = _policy(raw, path.name)
        policies[(policy.type_name, policy.version)] = policy
    return policies


def _policy(raw: Mapping[str, Any], source: str) -> DisclosurePolicy:
    hideable = tuple(raw.get("hideable", ()))
    for pointer in hideable:
        if not (
            isinstance(pointer, str) and pointer.startswith(SUBJECT_POINTER + "/") and is_canonical_pointer(pointer)
        ):
            raise UnknownCredentialTypeError(
                f"{source}: hideable entry {pointer!r} is not a field under {SUBJECT_POINTER}; only subject fields "
                "may ever be hidden. Fix the file."
            )
    claims = tuple(Claim(str(c["label"]), str(c["path"])) for c in raw.get("claims", ()))
    return DisclosurePolicy(
        type_name=str(raw["type"]),
        version=int(raw["version"]),
        hideable=hideable,
        level_field=raw.get("levelField"),
        issuer_text_field=raw.get("issuerTextField"),
        claims=claims,
    )
