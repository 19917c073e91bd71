"""Salted field hashing: how a credential document becomes one 32-byte credential hash.

What is hashed
--------------
Every top-level member of the document **except** ``proof`` (``@context``, ``type``, ``id``, ``issuer``,
``validFrom``, ``validUntil`` when present, ``credentialSubject``, ``credentialSchema``). The document is flattened
into *fields*: every value reachable through JSON objects that is not itself an object, addressed by its RFC 6901
JSON pointer (``/credentialSubject/learner/name``; ``~`` is written ``~0`` and ``/`` is written ``~1``). Arrays are
atomic: an array is one field, hashed whole (``/type``, ``/@context``, ``/credentialSubject/competencies``).
Empty objects are refused (they would carry no field and so could be added or dropped unnoticed).

Because ``/credentialSchema/id`` (which names the credential type and its version) and ``/type`` are fields, the
type and version are bound into the credential hash.

The hashes
----------
* salt: 32 fresh random bytes per field (:func:`secrets.token_bytes`), written ``"0x" + 64 lowercase hex``;
* field hash = ``keccak256(JCS([path, "0x" + salt_hex, value]))`` with JCS = RFC 8785 (``rfc8785`` library);
* credential hash = ``keccak256(JCS(fieldHashes))``: the RFC 8785 form of the object that maps every field's path to
  its field hash (``"0x"`` + 64 lowercase hex), i.e. exactly the proof's ``fieldHashes`` member.

The salt makes a hidden field's hash useless for guessing its value (a 13-digit ID number could otherwise be
brute-forced from its hash). The credential hash commits to the *paths* as well as the hashes: a hidden field's path
is recomputed by nobody (its salt is not shown), so without this a holder could rename a hidden field, e.g. pass off
a deleted ``/validUntil`` as a hidden learner field (format v1 hashed the sorted field hashes alone and allowed that;
v1 is no longer accepted). JCS sorts the members, so the credential hash does not depend on field order.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import rfc8785

from node.credentials.errors import InvalidFieldError
from node.credentials.keccak import keccak256, to_hex

SALT_BYTES = 32
EXCLUDED_MEMBERS: frozenset[str] = frozenset({"proof"})
"""Top-level members that are not hashed: the proof carries the hashes, so it cannot be part of them."""


def escape_token(token: str) -> str:
    """One RFC 6901 reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def split_pointer(path: str) -> list[str]:
    """The unescaped tokens of a JSON pointer (``""`` is the whole document)."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise InvalidFieldError(
            f"'{path}' is not a JSON pointer; field paths start with '/', e.g. '/credentialSubject/learner/name'."
        )
    return [unescape_token(t) for t in path[1:].split("/")]


_CANONICAL_POINTER = re.compile(r"(?:/(?:[^~/]|~[01])*)+")


def is_canonical_pointer(path: object) -> bool:
    """True for a JSON pointer to a member (not the whole document) with every ``~`` written ``~0`` or ``~1``."""
    return isinstance(path, str) and _CANONICAL_POINTER.fullmatch(path) is not None


def join_pointer(tokens: Iterable[str]) -> str:
    return "".join("/" + escape_token(t) for t in tokens)


def flatten(document: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of ``document``: JSON pointer → value (scalar or whole array), ``proof`` left out."""
    fields: dict[str, Any] = {}
    for key, value in document.items():
        if key in EXCLUDED_MEMBERS:
            continue
        _walk("/" + escape_token(_key(key, "")), value, fields)
    return fields


def _key(key: object, parent: str) -> str:
    if not isinstance(key, str):
        raise InvalidFieldError(f"{parent or '/'}: member name {key!r} is not a string; JSON keys are strings.")
    return key


def _walk(path: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        if not value:
            raise InvalidFieldError(
                f"{path}: an empty object cannot be hashed (it holds no field); remove it or give it a value."
            )
        for key, child in value.items():
            _walk(path + "/" + escape_token(_key(key, path)), child, out)
    else:
        out[path] = value


def new_salt() -> bytes:
    """A fresh 32-byte salt from the operating system's CSPRNG."""
    return secrets.token_bytes(SALT_BYTES)


_JSON_SAFE_INT = 2**53
_dumps_simple = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_dumps_sorted = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True).encode


def _simple(value: Any) -> bool:
    """True for values whose RFC 8785 form equals Python's compact JSON: text without lone surrogates, whole numbers
    within ±2^53, true/false, null, and lists of these (no floats, no objects)."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_JSON_SAFE_INT < value < _JSON_SAFE_INT
    if isinstance(value, str):
        return value.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return all(_simple(v) for v in value)
    return False


def canonical_field(path: str, salt: bytes, value: Any) -> bytes:
    """The exact bytes that are hashed for one field: ``JCS([path, "0x"+salt, value])``.

    The common values (text, whole numbers, booleans, null, lists of these) have the same canonical form in Python's
    compact JSON, which is several times faster than the general JCS library; everything else goes through
    ``rfc8785``. A property test holds the two equal.
    """
    if len(salt) != SALT_BYTES:
        raise InvalidFieldError(f"{path}: the salt must be {SALT_BYTES} bytes, not {len(salt)}.")
    triple = [path, to_hex(salt), value]
    if _simple(path) and _simple(value):
        return _dumps_simple(triple).encode("utf-8")
    try:
        return rfc8785.dumps(triple)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise InvalidFieldError(
            f"{path}: this value cannot be canonicalised as JSON ({exc}); use text, a whole number within "
            "±2^53, true/false, null or a list of these."
        ) from exc


def field_hash(path: str, salt: bytes, value: Any) -> bytes:
    """keccak256 of the canonical ``[path, salt, value]`` triple (32 bytes)."""
    return keccak256(canonical_field(path, salt, value))


def credential_hash(field_hashes: Mapping[str, bytes]) -> bytes:
    """The credential hash: keccak256 of the RFC 8785 form of ``{path: "0x" + hex(field hash)}`` over every field.

    Member names that are all ASCII sort the same by UTF-16 code units (JCS) as by Python's string order, and Python's
    compact JSON writes them as JCS does; anything else goes through ``rfc8785``. A property test holds the two equal.
    """
    if not field_hashes:
        raise InvalidFieldError("A credential needs at least one field to hash.")
    for h in field_hashes.values():
        if len(h) != 32:
            raise InvalidFieldError("Every field hash must be 32 bytes.")
    members = {path: to_hex(h) for path, h in field_hashes.items()}
    if all(path.isascii() for path in members):
        return keccak256(_dumps_sorted(members).encode("utf-8"))
    try:
        return keccak256(rfc8785.dumps(members))
    except rfc8785.CanonicalizationError as exc:
        raise InvalidFieldError(f"A field path cannot be canonicalised as JSON ({exc}).") from exc


def hash_fields(fields: Mapping[str, Any], salts: Mapping[str, bytes]) -> dict[str, bytes]:
    """Field hash of every field; ``salts`` must hold exactly one salt per field."""
    missing = sorted(set(fields) - set(salts))
    if missing:
        raise InvalidFieldError(f"No salt for field(s) {', '.join(missing)}; every hashed field needs one.")
    return {path: field_hash(path, salts[path], value) for path, value in fields.items()}


def salt_fields(fields: Iterable[str]) -> dict[str, bytes]:
    """A fresh salt for each field path."""
    return {path: new_salt() for path in fields}


def bytes32_from_hex(value: object, what: str) -> bytes:
    """Parse a ``0x``-prefixed 64-hex-digit string; the error names ``what`` and the expected form."""
    if isinstance(value, str) and len(value) == 66 and value[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidFieldError(f"{what} must be 0x followed by 64 hex digits (32 bytes); got {str(value)[:80]!r}.")


@lru_cache(maxsize=4096)
def issuer_metadata_hash(identity: str, name: str) -> bytes:
    """The ``metadataHash`` an issuer is accredited with: ``keccak256(JCS({"id": identity, "name": name}))``.

    The registry stores only this hash beside the identity (a DID or https profile), never the name itself; a
    credential whose ``issuer`` object is exactly ``{"id": identity, "name": name}`` thereby shows the issuer's
    registered name, and a verifier confirms it by hashing it again.
    """
    try:
        return keccak256(rfc8785.dumps({"id": identity, "name": name}))
    except rfc8785.CanonicalizationError as exc:
        raise InvalidFieldError(f"The issuer's name cannot be canonicalised as JSON ({exc}).") from exc
