"""Versioned credential types: each one a JSON Schema (Draft 2020-12) for the issuer's ``credentialSubject``.

==============================  =======  ======================================  =====================================
name                            version  VC type                                 schema id
==============================  =======  ======================================  =====================================
formal-qualification            1        FormalQualificationCredential           .../schemas/formal-qualification/v1
micro-credential                1        MicroCredential                         .../schemas/micro-credential/v1
recognition-of-prior-learning   1        RecognitionOfPriorLearningCredential    .../schemas/recognition-of-prior-
                                                                                 learning/v1
==============================  =======  ======================================  =====================================

Schemas live in ``node/credentials/schemas/`` (shared blocks such as the learner identity in ``common.v1.json``).
Credits follow the NQF convention: 1 credit = 10 notional hours (:func:`notional_hours`).

On chain a type is ``bytes32 keccak256("credreg:type:" + name)`` (:func:`type_id_bytes32`); the version is not in
the type id, it is in the schema id (``/credentialSchema/id``), which is a hashed field of every credential.

Validation collects *every* error and raises :class:`~node.credentials.errors.CredentialValidationError` (HTTP 422)
whose ``errors`` are ``FieldError(path, rule, message)`` with ``path`` a JSON pointer into the document, e.g.
``/credentialSubject/learner/identity/number: not a valid South African ID number (Luhn check digit fails)``.
Messages never quote the submitted value (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from node.credentials.countries import is_country_code
from node.credentials.errors import CredentialValidationError, FieldError, UnknownCredentialTypeError
from node.credentials.hashing import escape_token
from node.credentials.identity import za_id_problem
from node.credentials.keccak import keccak256

SCHEMA_DIR = Path(__file__).with_name("schemas")
SCHEMA_BASE = "https://w3id.org/credreg/schemas/"
TYPE_ID_PREFIX = "credreg:type:"
HOURS_PER_CREDIT = 10
SUBJECT_POINTER = "/credentialSubject"

_SCHEMA_ID = re.compile(r"^https://w3id\.org/credreg/schemas/(?P<name>[a-z0-9-]+)/v(?P<version>[1-9][0-9]*)$")


def type_id_bytes32(name: str) -> bytes:
    """The on-chain id of a credential type: ``keccak256("credreg:type:" + name)`` (UTF-8), 32 bytes."""
    return keccak256((TYPE_ID_PREFIX + name).encode("utf-8"))


def notional_hours(credits: int) -> int:
    """Notional learning hours of ``credits`` NQF credits (1 credit = 10 hours)."""
    return credits * HOURS_PER_CREDIT


def schema_id(name: str, version: int) -> str:
    return f"{SCHEMA_BASE}{name}/v{version}"


def parse_schema_id(value: str) -> tuple[str, int] | None:
    """``(name, version)`` from a credreg schema id, or ``None`` if it is not one."""
    match = _SCHEMA_ID.fullmatch(value)
    if match is None:
        return None
    return match["name"], int(match["version"])


@dataclass(frozen=True)
class CredentialType:
    """One version of one credential type."""

    name: str
    version: int
    vc_type: str
    schema: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def schema_id(self) -> str:
        return schema_id(self.name, self.version)

    @property
    def type_id(self) -> bytes:
        return type_id_bytes32(self.name)

    @property
    def title(self) -> str:
        return str(self.schema.get("title", self.name))

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def resolved_schema(self) -> Mapping[str, Any]:
        """The ``credentialSubject`` schema with every ``$ref`` replaced by what it names (no references left)."""
        return _resolved(self.name, self.version)

    def check(self, subject: object) -> list[FieldError]:
        """Every broken rule of ``subject`` (the ``credentialSubject``), sorted by path; empty when valid.

        A compiled validator (jsonschema-rs) answers valid/invalid first; only an invalid subject goes through
        ``jsonschema`` to collect every error as a sentence. Both run the same schema and the same format checks.
        """
        if _fast_validator(self.name, self.version).is_valid(subject):
            return []
        return _collect_errors(_validator(self.name, self.version), subject)

    def validate(self, subject: object) -> None:
        """Raise :class:`CredentialValidationError` listing every broken rule, or return quietly."""
        errors = self.check(subject)
        if errors:
            raise CredentialValidationError(errors, self.label)


_VC_TYPES: dict[str, str] = {
    "formal-qualification": "FormalQualificationCredential",
    "micro-credential": "MicroCredential",
    "recognition-of-prior-learning": "RecognitionOfPriorLearningCredential",
}


@cache
def _load_types() -> dict[tuple[str, int], CredentialType]:
    types: dict[tuple[str, int], CredentialType] = {}
    for path in sorted(SCHEMA_DIR.glob("*.v*.json")):
        name, _, version_text = path.name.removesuffix(".json").rpartition(".v")
        if name == "common":
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        version = int(version_text)
        if schema.get("$id") != schema_id(name, version):
            raise UnknownCredentialTypeError(f"Schema file {path.name} has $id {schema.get('$id')!r}; fix the file.")
        types[(name, version)] = CredentialType(name, version, _VC_TYPES[name], schema)
    return types


@cache
def schema_documents() -> dict[str, Mapping[str, Any]]:
    """Every schema file of :data:`SCHEMA_DIR` by its ``$id`` (read once)."""
    documents: dict[str, Mapping[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        documents[contents["$id"]] = contents
    return documents


def _inline_refs(node: Any, base: str) -> Any:
    """Replace every ``$ref`` by the schema it names (our schemas have no cycles).

    Validation then never resolves a reference at run time, which halves its cost; error paths and the
    ``errorMessage`` annotations are unchanged because the referenced subschemas are copied as they are.
    """
    if isinstance(node, list):
        return [_inline_refs(item, base) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        url, _, fragment = ref.partition("#")
        target_base = url or base
        target: Any = schema_documents()[target_base]
        for token in fragment.split("/")[1:]:
            target = target[token]
        merged = dict(_inline_refs(target, target_base))
        merged.update({k: _inline_refs(v, base) for k, v in node.items() if k != "$ref"})
        return merged
    return {k: _inline_refs(v, base) for k, v in node.items() if k != "$defs"}


def _check_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", instance):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        dt.date.fromisoformat(instance)
    except ValueError:
        raise ValueError("is not a real calendar date (YYYY-MM-DD)") from None
    return True


def _check_za_id(instance: object) -> bool:
    # Only judged once it has the right shape; the pattern reports a wrong length or non-digits.
    if not isinstance(instance, str) or not re.fullmatch(r"[0-9]{13}", instance):
        return True
    problem = za_id_problem(instance)
    if problem is not None:
        raise ValueError(problem)
    return True


def _check_country(instance: object) -> bool:
    if isinstance(instance, str) and not is_country_code(instance):
        raise ValueError("must be an ISO 3166-1 country code in capitals, two or three letters (ZA or ZAF)")
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_check_date)
    checker.checks("za-id-number", raises=ValueError)(_check_za_id)
    checker.checks("iso3166-country", raises=ValueError)(_check_country)
    return checker


def _passes(check: Callable[[object], bool]) -> Callable[[object], bool]:
    def answer(instance: object) -> bool:
        try:
            return check(instance)
        except ValueError:
            return False

    return answer


@cache
def _resolved(name: str, version: int) -> Mapping[str, Any]:
    schema = _load_types()[(name, version)].schema
    resolved: Mapping[str, Any] = _inline_refs(schema, schema["$id"])
    return resolved


@cache
def _fast_validator(name: str, version: int) -> Any:
    formats = {
        "date": _passes(_check_date),
        "za-id-number": _passes(_check_za_id),
        "iso3166-country": _passes(_check_country),
    }
    return jsonschema_rs.Draft202012Validator(
        dict(_resolved(name, version)), formats=formats, validate_formats=True, ignore_unknown_formats=False
    )


@cache
def _validator(name: str, version: int) -> Draft202012Validator:
    return Draft202012Validator(_resolved(name, version), format_checker=_format_checker())


def known_types() -> list[CredentialType]:
    """Every credential type and version this node knows, sorted by name then version."""
    return [t for _, t in sorted(_load_types().items())]


def get_type(name: str, version: int | None = None) -> CredentialType:
    """The type ``name`` at ``version`` (the newest version when ``None``); a clear error if unknown."""
    types = _load_types()
    versions = sorted(v for (n, v) in types if n == name)
    if not versions:
        raise UnknownCredentialTypeError(
            f"Unknown credential type {name!r}. Known types: {_known_list()}. Use one of these names."
        )
    if version is None:
        version = versions[-1]
    found = types.get((name, version))
    if found is None:
        raise UnknownCredentialTypeError(
            f"Credential type {name!r} has no version {version!r}; known versions: "
            f"{', '.join(str(v) for v in versions)}. Known types: {_known_list()}."
        )
    return found


def type_for_schema_id(value: str) -> CredentialType:
    """The type a document's ``credentialSchema.id`` names."""
    parsed = parse_schema_id(value)
    if parsed is None:
        raise UnknownCredentialTypeError(
            f"{value!r} is not a credreg schema id (expected {SCHEMA_BASE}<type>/v<version>). "
            f"Known types: {_known_list()}."
        )
    return get_type(*parsed)


def validate_subject(name: str, version: int | None, subject: object) -> CredentialType:
    """Validate an issuer's ``credentialSubject`` against its type; return the type on success."""
    credential_type = get_type(name, version)
    credential_type.validate(subject)
    return credential_type


def _known_list() -> str:
    return ", ".join(t.label for t in known_types())


# --- turning jsonschema's errors into sentences ---------------------------------------------------------------

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object with named fields",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}


def _pointer(parts: Any) -> str:
    return SUBJECT_POINTER + "".join("/" + escape_token(str(p)) for p in parts)


def _custom_message(error: ValidationError) -> str | None:
    schema = error.schema
    if isinstance(schema, Mapping):
        messages = schema.get("errorMessage")
        if isinstance(messages, Mapping) and isinstance(error.validator, str):
            custom = messages.get(error.validator)
            if isinstance(custom, str):
                return custom
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _messages(error: ValidationError) -> list[FieldError]:
    path = _pointer(error.absolute_path)
    keyword = str(error.validator)
    value = error.validator_value
    instance = error.instance
    custom = _custom_message(error)
    if keyword == "required" and isinstance(instance, Mapping):
        return [FieldError(f"{path}/{escape_token(p)}", "required", "is required") for p in value if p not in instance]
    if keyword == "additionalProperties" and isinstance(instance, Mapping) and isinstance(error.schema, Mapping):
        known = error.schema.get("properties", {})
        return [
            FieldError(
                f"{path}/{escape_token(str(k))}",
                "additionalProperties",
                "is not a field of this credential type; remove it (or check its spelling)",
            )
            for k in instance
            if k not in known
        ]
    if custom is not None:
        return [FieldError(path, keyword, custom)]
    message: str
    if keyword == "format":
        rule = str(value)
        message = str(error.cause) if error.cause is not None else f"is not a valid {value}"
        return [FieldError(path, rule, message)]
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        message = "must be " + " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
    elif keyword == "minLength":
        message = "must not be empty" if value == 1 else f"must be at least {_plural(value, 'character')} long"
    elif keyword == "maxLength":
        message = f"must be at most {_plural(value, 'character')} long"
    elif keyword == "minimum":
        message = f"must be at least {value}"
    elif keyword == "maximum":
        message = f"must be at most {value}"
    elif keyword == "enum":
        message = "must be one of: " + ", ".join(json.dumps(v) for v in value)
    elif keyword == "const":
        message = f"must be {json.dumps(value)}"
    elif keyword == "minItems":
        message = f"must list at least {_plural(value, 'item')}"
    elif keyword == "maxItems":
        message = f"must list at most {_plural(value, 'item')}"
    elif keyword == "uniqueItems":
        message = "must not list the same item twice"
    elif keyword == "pattern":
        message = "is not in the expected format"
    elif keyword in ("anyOf", "oneOf"):
        message = "does not match any of the allowed forms"
    elif keyword == "not":
        message = "is not allowed here; remove it"
    else:
        message = f"breaks the rule {keyword!r}"
    return [FieldError(path, keyword, message)]


def _collect_errors(validator: Draft202012Validator, subject: object) -> list[FieldError]:
    seen: dict[tuple[str, str, str], FieldError] = {}
    for error in validator.iter_errors(subject):
        for item in _messages(error):
            seen.setdefault((item.path, item.rule, item.message), item)
    # An empty value also fails its "not blank" pattern; saying "must not be empty" once is enough.
    empty = {e.path for e in seen.values() if e.rule == "minLength"}
    kept = [e for e in seen.values() if not (e.rule == "pattern" and e.path in empty)]
    return sorted(kept, key=lambda e: (e.path, e.rule))
