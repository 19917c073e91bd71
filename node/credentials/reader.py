"""The strict reader: one reading of a credential bundle, shared by every path that judges one.

``POST /v1/verify``, ``/v1/verify/batch``, ``credreg verify`` (over RPC or from a checkpoint) and anything that
reads a holder's file later call :func:`read_bundle`. It refuses, with a stable code and a sentence:

==========================  ===========================================================================================
TOO_LARGE / TOO_DEEP        over :data:`MAX_BUNDLE_BYTES`, or nested deeper than :data:`MAX_DEPTH`
MALFORMED                   not UTF-8 JSON (a byte-order mark, NaN, trailing data), not an object, a member missing
DUPLICATE_MEMBER            a member name repeated in any object (JSON parsers disagree on which one wins)
INVALID_UNICODE             a lone surrogate (``"\\ud800"``) in any string or member name
NON_CANONICAL_VALUE         a value whose JSON text is not its one canonical form: any number with a fraction or
                            exponent, ``-0``, an integer beyond ±2^53, a date-time not written ``YYYY-MM-DDTHH:MM:SSZ``,
                            ``@context`` / ``type`` / ``credentialSchema`` other than the exact values of the type
UNKNOWN_MEMBER              a top-level member, or a member of ``issuer`` or ``credentialSchema``, that credreg never
                            writes (it would be hashed, and so claimed, with no rule to judge it)
UNSUPPORTED_FORMAT          a proof format (``hashAlgorithm``) this verifier does not accept (v1 did not bind hidden
                            fields' paths)
MALFORMED_PROOF             the ``proof`` member has the wrong shape (hex case, lengths, unknown members)
UNKNOWN_TYPE                a ``credentialSchema.id`` that is not a credreg schema id or names a type or version this
                            verifier does not know (it cannot judge it), or ``type`` that disagrees
DISCLOSURE_NOT_ALLOWED      a hidden field the type's policy does not let a holder hide (never ``@context``,
                            ``type``, ``id``, ``issuer``, ``validFrom``, ``validUntil``, ``credentialSchema``)
HIDDEN_FIELD_UNKNOWN        a hidden field the type's schema does not define at that place
HIDDEN_FIELD_COLLISION      a hidden field that is also shown, or contains or sits inside a shown field
==========================  ===========================================================================================

What it returns, :class:`ReadBundle`, is the one place that says what the document claims (type, issuer, validity,
level, the main claims): later checks read claims from it, never from the raw document, and never from what a hidden
field claims to be. Whether the shown values match their hashes is the integrity check's job
(:func:`node.credentials.document.verify_integrity`); the reader only decides that there is one way to read them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from node.credentials.disclosure import DisclosurePolicy, HiddenFieldProblem, hidden_field_problems, policy_for
from node.credentials.document import CREDREG_CONTEXT, MAX_NAMED, VC_CONTEXT, parse_proof
from node.credentials.errors import BundleFormatError, InvalidFieldError, UnknownCredentialTypeError
from node.credentials.hashing import flatten
from node.credentials.proof import HASH_ALGORITHM, ProofModel
from node.credentials.types import CredentialType, parse_schema_id, type_for_schema_id

MAX_BUNDLE_BYTES = 256 * 1024
"""A bundle is a few kilobytes (the largest a type allows, 100 competencies of 300 characters, is ~120 KB)."""

MAX_DEPTH = 16
"""Deepest nesting of objects and arrays (a credreg document nests five deep)."""

MAX_SAFE_INTEGER = 2**53 - 1
"""Integers beyond ±(2^53 - 1) have no one reading across JSON implementations (I-JSON, RFC 7493)."""

TOP_LEVEL = frozenset(
    {"@context", "type", "id", "issuer", "validFrom", "validUntil", "credentialSubject", "credentialSchema", "proof"}
)
REQUIRED = ("@context", "type", "id", "issuer", "validFrom", "credentialSubject", "credentialSchema", "proof")
ISSUER_MEMBERS = frozenset({"id", "name"})
SCHEMA_MEMBERS = frozenset({"id", "type"})

_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_URN_UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _few(names: Sequence[str]) -> str:
    shown = ", ".join(str(n)[:80] for n in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED:,} more" if len(names) > MAX_NAMED else "")


class BundleReadError(BundleFormatError):
    """A bundle the strict reader refuses: ``code`` is stable (the module's table), ``fields`` the paths concerned."""

    def __init__(self, code: str, detail: str, fields: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.code = code
        self.fields = tuple(fields[:MAX_NAMED])


@dataclass(frozen=True)
class ShownClaim:
    """One of the type's main claims as the document shows it."""

    label: str
    path: str
    value: Any


@dataclass(frozen=True)
class ReadBundle:
    """A bundle read the one strict way, and what its document claims."""

    document: dict[str, Any]
    proof: ProofModel
    type_name: str
    type_version: int
    credential_type: CredentialType
    policy: DisclosurePolicy
    credential_id: str
    issuer_ref: str
    issuer_name: str | None
    valid_from: int
    valid_until: int | None
    shown_fields: tuple[str, ...]
    hidden_fields: tuple[str, ...]
    fields: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    """Every shown field: path → value (what the hash is computed over)."""

    @property
    def type_label(self) -> str:
        return f"{self.type_name} v{self.type_version}"

    def value(self, path: str) -> Any:
        """The shown value at ``path`` (a field path of :attr:`shown_fields`), or ``None`` when it is not shown."""
        return self.fields.get(path)

    @property
    def level(self) -> int | None:
        """The NQF level the document shows (None when absent, hidden, or the type has no level field)."""
        value = self.value(self.policy.level_field) if self.policy.level_field else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def level_hidden(self) -> bool:
        field = self.policy.level_field
        return field is not None and field in self.hidden_fields

    @property
    def issuer_text(self) -> tuple[str, str] | None:
        """(path, value) of the issuer's free-text name of itself in the subject (e.g. ``institution``), when shown."""
        field = self.policy.issuer_text_field
        value = self.value(field) if field else None
        return (field, value) if field and isinstance(value, str) else None

    def claims(self) -> list[ShownClaim]:
        """The type's main claims that are shown, in the policy's order."""
        fields = self.fields
        return [ShownClaim(c.label, c.path, fields[c.path]) for c in self.policy.claims if c.path in fields]


def read_bundle(bundle: Mapping[str, Any] | str | bytes, *, disclosure: bool = True) -> ReadBundle:
    """Read a bundle (the file's bytes or text, or an already parsed object) strictly; :class:`BundleReadError` else.

    ``disclosure=False`` leaves the judgement of hidden fields to the caller (:func:`judge_disclosure`): the verifier
    reports it as a check of its own.
    """
    if isinstance(bundle, Mapping):
        try:
            text: str | bytes = json.dumps(bundle, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            raise BundleReadError(
                "MALFORMED", "The bundle is not a JSON object that can be read; upload the .json bundle file."
            ) from None
    else:
        text = bundle
    read = read_document(parse_json(text))
    if disclosure:
        judge_disclosure(read)
    return read


# --- the one JSON parser ----------------------------------------------------------------------------------------


def parse_json(data: str | bytes) -> dict[str, Any]:
    """Parse a bundle's JSON text the one strict way (see the module's table); the result is a JSON object."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleReadError(
            "TOO_LARGE",
            f"The file is too large to be a credential bundle (over {MAX_BUNDLE_BYTES // 1024} KiB); "
            "upload the .json bundle file the issuer gave you.",
        )
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise BundleReadError(
                "INVALID_UNICODE", "The file is not UTF-8 text; upload the .json bundle file unchanged."
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        raise BundleReadError("MALFORMED", "The file starts with a byte-order mark, which JSON does not allow.")
    if nesting_depth(text) > MAX_DEPTH:  # before parsing: a deep enough nest overflows the C stack of json.loads
        raise BundleReadError("TOO_DEEP", f"The file nests deeper than {MAX_DEPTH} levels: not a bundle.")
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_object,
            parse_float=_no_fraction,
            parse_int=_integer,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise BundleReadError(
            "TOO_DEEP", f"The file nests deeper than {MAX_DEPTH} levels; it is not a bundle."
        ) from None
    except json.JSONDecodeError as exc:
        raise BundleReadError(
            "MALFORMED", f"The file is not valid JSON ({exc.msg} at character {exc.pos}); upload the .json bundle file."
        ) from None
    if not isinstance(parsed, dict):
        raise BundleReadError("MALFORMED", "A credential bundle is a JSON object; this file holds something else.")
    if _ESCAPED_SURROGATE.search(text) is not None or not text.isascii():  # only then can a string hold a surrogate
        _check_tree(parsed, 1, True)
    return parsed


_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_STRING_LITERAL_BYTES = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_BRACKET_BYTES = re.compile(rb"[\[\]{}]")


def nesting_depth(text: str | bytes) -> int:
    """How deep arrays and objects nest in JSON ``text``, counted without parsing it (strings are skipped); when the
    text has at most :data:`MAX_DEPTH` opening brackets, that count (an upper bound) is returned without a scan.

    ``json.loads`` recurses in C once per level and is bounded only by the interpreter's recursion limit, which
    py_ecc (through web3) raises to 100,000: a text of 80,000 ``[`` then overflows the C stack and kills the process.
    Every JSON body a client sends is measured with this first. An upper bound is cheap (the count of opening
    brackets), so ordinary documents are never scanned.
    """
    if isinstance(text, str):
        opens = text.count("[") + text.count("{")
        if opens <= MAX_DEPTH:
            return opens
        brackets = _BRACKET.findall(_STRING_LITERAL.sub("", text))
        steps = [1 if b in "[{" else -1 for b in brackets]
    else:
        opens = text.count(b"[") + text.count(b"{")
        if opens <= MAX_DEPTH:
            return opens
        found = _BRACKET_BYTES.findall(_STRING_LITERAL_BYTES.sub(b"", text))
        steps = [1 if b in (b"[", b"{") else -1 for b in found]
    return max(accumulate(steps), default=0)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = dict(pairs)
    if len(result) != len(pairs):
        counts = Counter(k for k, _ in pairs)
        repeated = next(k for k, n in counts.items() if n > 1)
        raise BundleReadError(
            "DUPLICATE_MEMBER",
            f"The bundle repeats the member name {repeated!r} in one object; a credential file never does (JSON "
            "readers disagree on which one counts). Use the original file.",
        )
    return result


def _no_fraction(text: str) -> Any:
    raise BundleReadError(
        "NON_CANONICAL_VALUE",
        f"The number {text[:40]} has a fraction or an exponent; every number in a credential is a whole number "
        "written in digits only. Use the original file.",
    )


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 16:  # beyond 2^53 whatever the digits (and int() refuses over 4,300 of them)
        raise BundleReadError(
            "NON_CANONICAL_VALUE",
            f"The number {text[:40]}… is beyond ±(2^53 - 1), which JSON readers do not read alike; it is not a bundle.",
        )
    value = int(text)
    if text == "-0":
        raise BundleReadError("NON_CANONICAL_VALUE", "The number -0 is not written in its one form (0).")
    if abs(value) > MAX_SAFE_INTEGER:
        raise BundleReadError(
            "NON_CANONICAL_VALUE",
            f"The number {text[:40]} is beyond ±(2^53 - 1), which JSON readers do not read alike; it is not a bundle.",
        )
    return value


def _no_constant(name: str) -> Any:
    raise BundleReadError("MALFORMED", f"The file contains {name}, which is not valid JSON.")


def _check_tree(node: Any, depth: int, check_text: bool) -> None:
    if depth > MAX_DEPTH:
        raise BundleReadError("TOO_DEEP", f"The file nests deeper than {MAX_DEPTH} levels; it is not a bundle.")
    if isinstance(node, dict):
        for key, child in node.items():
            if check_text:
                _check_text(key)
            if isinstance(child, dict | list):
                _check_tree(child, depth + 1, check_text)
            elif check_text and isinstance(child, str):
                _check_text(child)
    elif isinstance(node, list):
        for child in node:
            if isinstance(child, dict | list):
                _check_tree(child, depth + 1, check_text)
            elif check_text and isinstance(child, str):
                _check_text(child)


def _check_text(text: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BundleReadError(
            "INVALID_UNICODE",
            "The file holds text with a lone surrogate (an escape such as \\ud800 that is half of a character); "
            "it is not valid Unicode. Use the original file.",
        ) from None


# --- what the document claims ----------------------------------------------------------------------------------


def read_document(document: dict[str, Any]) -> ReadBundle:
    """Judge a parsed document's shape, canonical values and disclosure; say what it claims."""
    unknown = sorted(set(document) - TOP_LEVEL)
    if unknown:
        raise BundleReadError(
            "UNKNOWN_MEMBER",
            f"The credential has member(s) credreg never writes: {_few(unknown)}. Use the original file.",
            [f"/{k}" for k in unknown[:MAX_NAMED]],
        )
    for name in REQUIRED:
        if name not in document:
            raise BundleReadError(
                "MALFORMED", f"The credential has no {name!r}; use the bundle file the issuer gave you.", [f"/{name}"]
            )
    proof = _proof(document)
    credential_type, type_name, version = _credential_type(document)
    credential_id = document["id"]
    if not (isinstance(credential_id, str) and _URN_UUID.fullmatch(credential_id)):
        raise BundleReadError("NON_CANONICAL_VALUE", "/id must be a lowercase urn:uuid: identifier.", ["/id"])
    issuer_ref, issuer_name = _issuer(document["issuer"])
    valid_from = _datetime(document["validFrom"], "/validFrom")
    valid_until = _datetime(document["validUntil"], "/validUntil") if "validUntil" in document else None
    subject = document["credentialSubject"]
    if not isinstance(subject, dict):
        raise BundleReadError(
            "MALFORMED", "/credentialSubject must be an object of named fields.", ["/credentialSubject"]
        )
    try:
        fields = flatten(document)
    except InvalidFieldError as exc:  # an empty object: it holds no field to hash
        raise BundleReadError("MALFORMED", exc.detail) from None
    hidden = tuple(sorted(set(proof.field_hashes) - set(proof.salts)))
    policy = policy_for(credential_type)
    return ReadBundle(
        document=document,
        proof=proof,
        type_name=type_name,
        type_version=version,
        credential_type=credential_type,
        policy=policy,
        credential_id=credential_id,
        issuer_ref=issuer_ref,
        issuer_name=issuer_name,
        valid_from=valid_from,
        valid_until=valid_until,
        shown_fields=tuple(sorted(fields)),
        hidden_fields=hidden,
        fields=fields,
    )


def _proof(document: Mapping[str, Any]) -> ProofModel:
    raw = document.get("proof")
    if (
        isinstance(raw, Mapping)
        and raw.get("hashAlgorithm") != HASH_ALGORITHM
        and isinstance(raw.get("hashAlgorithm"), str)
    ):
        raise BundleReadError(
            "UNSUPPORTED_FORMAT",
            f"The credential's proof is in format {str(raw['hashAlgorithm'])[:80]!r}; this verifier accepts "
            f"{HASH_ALGORITHM!r} only (earlier formats did not bind hidden fields). Ask the issuer to re-issue it.",
            ["/proof/hashAlgorithm"],
        )
    try:
        return parse_proof(document)
    except BundleFormatError as exc:
        raise BundleReadError("MALFORMED_PROOF", exc.detail, ["/proof"]) from None


def _only_members(value: Mapping[str, Any], members: frozenset[str], pointer: str) -> None:
    """Refuse an object at ``pointer`` with members credreg never writes there."""
    extra = sorted(set(value) - members)
    if extra:
        raise BundleReadError(
            "UNKNOWN_MEMBER",
            f"{pointer} has member(s) credreg never writes: {_few(extra)}.",
            [f"{pointer}/{k}" for k in extra],
        )


def _credential_type(document: Mapping[str, Any]) -> tuple[CredentialType, str, int]:
    schema = document["credentialSchema"]
    if not isinstance(schema, Mapping) or not isinstance(schema.get("id"), str):
        raise BundleReadError(
            "MALFORMED", "/credentialSchema/id is missing; the credential does not say its type.", ["/credentialSchema"]
        )
    _only_members(schema, SCHEMA_MEMBERS, "/credentialSchema")
    if schema.get("type") != "JsonSchema":
        raise BundleReadError(
            "NON_CANONICAL_VALUE", '/credentialSchema/type must be "JsonSchema".', ["/credentialSchema/type"]
        )
    parsed = parse_schema_id(schema["id"])
    if parsed is None:
        raise BundleReadError(
            "UNKNOWN_TYPE",
            f"/credentialSchema/id {str(schema['id'])[:120]!r} is not a credreg schema id "
            "(https://w3id.org/credreg/schemas/<type>/v<version>).",
            ["/credentialSchema/id"],
        )
    name, version = parsed
    try:
        credential_type = type_for_schema_id(schema["id"])
    except UnknownCredentialTypeError:
        # a type or version this verifier does not know: it cannot say which field decides the issuer's scope, what a
        # holder may hide or what the rules are, so it cannot judge the credential (it must not call it valid)
        raise BundleReadError(
            "UNKNOWN_TYPE",
            f"This is a {name} v{version} credential, a type or version this verifier does not know, so it cannot "
            "judge it (which field is the level, what may be hidden, which rules apply). Update the verifier.",
            ["/credentialSchema/id"],
        ) from None
    types = document["type"]
    expected_types = ["VerifiableCredential", credential_type.vc_type]
    if types != expected_types:
        raise BundleReadError(
            "UNKNOWN_TYPE", f"/type must be {json.dumps(expected_types)} to match /credentialSchema/id.", ["/type"]
        )
    if document["@context"] != [VC_CONTEXT, CREDREG_CONTEXT]:
        raise BundleReadError(
            "NON_CANONICAL_VALUE",
            f"/@context must be exactly {json.dumps([VC_CONTEXT, CREDREG_CONTEXT])}: this is not a credreg credential.",
            ["/@context"],
        )
    return credential_type, name, version


def _issuer(issuer: object) -> tuple[str, str | None]:
    if not isinstance(issuer, Mapping) or not isinstance(issuer.get("id"), str) or not issuer["id"]:
        raise BundleReadError(
            "MALFORMED", "/issuer must be an object with the issuer's 'id'; use the original bundle file.", ["/issuer"]
        )
    _only_members(issuer, ISSUER_MEMBERS, "/issuer")
    name = issuer.get("name")
    if "name" in issuer and not isinstance(name, str):
        raise BundleReadError("MALFORMED", "/issuer/name must be text.", ["/issuer/name"])
    return issuer["id"], name


def _datetime(value: object, path: str) -> int:
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            return int(dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())
        except ValueError:
            pass
    raise BundleReadError(
        "NON_CANONICAL_VALUE",
        f"{path} must be a real UTC date-time written YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-11-22T08:00:00Z), its one form.",
        [path],
    )


def judge_disclosure(read: ReadBundle) -> None:
    """Refuse hidden fields the type's disclosure policy and schema do not allow (:class:`BundleReadError`)."""
    if not read.hidden_fields:
        return
    problems = hidden_field_problems(read.credential_type, read.policy, read.hidden_fields, read.shown_fields)
    if problems:
        raise _disclosure_error(problems)


def _disclosure_error(problems: list[HiddenFieldProblem]) -> BundleReadError:
    first = problems[0]
    text = "; ".join(p.message for p in problems[:5]) + (
        f"; and {len(problems) - 5:,} more hidden fields" if len(problems) > 5 else ""
    )
    return BundleReadError(
        first.code,
        f"The holder's disclosure is not allowed: {text}. Ask the holder for a bundle made with the disclosure tool.",
        [p.path for p in problems],
    )
