"""The credential document (W3C Verifiable Credentials 2.0 shape), selective disclosure and integrity checks.

A document as built by :func:`build_document`::

    {
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/credreg/contexts/v1"],
      "type": ["VerifiableCredential", "FormalQualificationCredential"],
      "id": "urn:uuid:…",
      "issuer": {"id": "did:web:uni.example.ac.za", "name": "University of Example"},
      "validFrom": "2026-11-22T08:00:00Z",
      "validUntil": "…",                                   # optional
      "credentialSubject": {…the issuer's validated input…},
      "credentialSchema": {"id": "https://w3id.org/credreg/schemas/formal-qualification/v1", "type": "JsonSchema"},
      "proof": {…see node.credentials.proof…}
    }

Everything but ``proof`` is hashed (see :mod:`node.credentials.hashing`). Only the fields under
``/credentialSubject`` that the type's disclosure policy names can be hidden (:mod:`node.credentials.disclosure`):
the rest (issuer, type and version, validity, the claim itself) is what every verifier needs to judge it.
Reading a holder's file strictly is :mod:`node.credentials.reader`'s job.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from node.credentials.disclosure import policy_for
from node.credentials.errors import BundleFormatError, DisclosureError, InvalidFieldError
from node.credentials.hashing import (
    bytes32_from_hex,
    credential_hash,
    field_hash,
    flatten,
    hash_fields,
    salt_fields,
    split_pointer,
)
from node.credentials.keccak import to_hex
from node.credentials.merkle import leaf_hash, process_proof
from node.credentials.proof import HASH_ALGORITHM, PROOF_TYPE, ProofModel
from node.credentials.types import CredentialType, get_type, type_for_schema_id

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDREG_CONTEXT = "https://w3id.org/credreg/contexts/v1"
SUBJECT = "/credentialSubject"

_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(?:[/?#]\S*)?$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/\S*)?$")
_URN_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --- building ---------------------------------------------------------------------------------------------------


def format_datetime(moment: dt.datetime) -> str:
    """An XML Schema ``dateTime`` in UTC to the second (``2026-11-22T08:00:00Z``); naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidFieldError("Give validFrom/validUntil with a time zone (e.g. datetime.now(UTC)).")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_document(
    type_name: str,
    subject: Mapping[str, Any],
    *,
    issuer_id: str,
    issuer_name: str | None = None,
    version: int | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """Validate ``subject`` against its type, then build and seal a document (a fresh salt for every field).

    ``version`` defaults to the newest version of the type; ``valid_from`` to now; ``credential_id`` to a fresh
    ``urn:uuid``. Raises ``CredentialValidationError`` (422) naming every bad field.
    """
    credential_type = get_type(type_name, version)
    credential_type.validate(subject)
    if not (_DID.fullmatch(issuer_id) or _HTTPS_URL.fullmatch(issuer_id)):
        raise InvalidFieldError(
            f"/issuer/id: {issuer_id!r} is neither a DID (did:web:example.ac.za) nor an https URL; give one of these."
        )
    if credential_id is None:
        credential_id = f"urn:uuid:{uuid.uuid4()}"
    elif not _URN_UUID.fullmatch(credential_id):
        raise InvalidFieldError(f"/id: {credential_id!r} must be a lowercase urn:uuid:… identifier.")
    start = valid_from if valid_from is not None else dt.datetime.now(dt.UTC)
    issuer: dict[str, Any] = {"id": issuer_id}
    if issuer_name is not None:
        if not issuer_name.strip():
            raise InvalidFieldError("/issuer/name: must not be blank; leave it out or give the issuer's name.")
        issuer["name"] = issuer_name
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, CREDREG_CONTEXT],
        "type": ["VerifiableCredential", credential_type.vc_type],
        "id": credential_id,
        "issuer": issuer,
        "validFrom": format_datetime(start),
    }
    if valid_until is not None:
        if valid_until <= start:
            raise InvalidFieldError("/validUntil: must be later than validFrom.")
        document["validUntil"] = format_datetime(valid_until)
    document["credentialSubject"] = copy.deepcopy(dict(subject))
    document["credentialSchema"] = {"id": credential_type.schema_id, "type": "JsonSchema"}
    return seal(document)


def seal(document: Mapping[str, Any], salts: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """A copy of ``document`` with a fresh (unanchored) proof: salts, field hashes and credential hash.

    ``salts`` (path → 32 bytes) reuses given salts instead of fresh ones (tests, re-sealing); it must cover every
    field. Any existing ``proof`` is replaced.
    """
    body = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    fields = flatten(body)
    used = salt_fields(fields) if salts is None else {p: salts[p] for p in fields if p in salts}
    hashes = hash_fields(fields, used)
    body["proof"] = {
        "type": PROOF_TYPE,
        "hashAlgorithm": HASH_ALGORITHM,
        "credentialHash": to_hex(credential_hash(hashes)),
        "fieldHashes": {p: to_hex(hashes[p]) for p in sorted(hashes)},
        "salts": {p: to_hex(used[p]) for p in sorted(used)},
    }
    return body


# --- reading ----------------------------------------------------------------------------------------------------


def parse_proof(document: Mapping[str, Any]) -> ProofModel:
    """The document's proof, shape-checked; ``BundleFormatError`` says what is wrong with it."""
    raw = document.get("proof")
    if not isinstance(raw, Mapping):
        raise BundleFormatError("The credential has no 'proof' object; use the bundle file the issuer gave you.")
    try:
        return ProofModel.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"/proof/{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise BundleFormatError(
            f"The credential's proof is malformed ({problems}). Use the unmodified bundle file from the issuer."
        ) from None


def stated_credential_hash(document: Mapping[str, Any]) -> bytes:
    """The credential hash the proof states (not recomputed; see :func:`compute_credential_hash`)."""
    return bytes32_from_hex(parse_proof(document).credential_hash, "/proof/credentialHash")


def compute_credential_hash(document: Mapping[str, Any]) -> bytes:
    """Recompute the credential hash from the shown fields with their salts and the hidden fields' hashes."""
    proof = parse_proof(document)
    fields = flatten(document)
    salts = {p: bytes32_from_hex(s, f"/proof/salts/{p}") for p, s in proof.salts.items()}
    if set(fields) != set(salts):
        raise InvalidFieldError(
            "The shown fields and the salts in the proof do not correspond; run verify_integrity() to see which."
        )
    hashes = hash_fields(fields, salts)
    for path, stated in proof.field_hashes.items():
        if path not in hashes:
            hashes[path] = bytes32_from_hex(stated, f"/proof/fieldHashes/{path}")
    return credential_hash(hashes)


def credential_type_of(document: Mapping[str, Any]) -> CredentialType:
    """The credential type and version named by ``/credentialSchema/id`` (cross-checked with ``/type``)."""
    schema = document.get("credentialSchema")
    schema_id = schema.get("id") if isinstance(schema, Mapping) else None
    if not isinstance(schema_id, str):
        raise BundleFormatError("/credentialSchema/id is missing; the credential does not say which type it is.")
    credential_type = type_for_schema_id(schema_id)
    types = document.get("type")
    if not isinstance(types, list) or credential_type.vc_type not in types:
        raise BundleFormatError(
            f"/type must include {credential_type.vc_type!r} to match /credentialSchema/id {schema_id!r}."
        )
    return credential_type


# --- selective disclosure ---------------------------------------------------------------------------------------


def hidden_fields(document: Mapping[str, Any]) -> list[str]:
    """Paths of the fields hidden in ``document`` (a hash in the proof, no salt, no value)."""
    proof = parse_proof(document)
    return sorted(set(proof.field_hashes) - set(proof.salts))


def disclose(bundle: Mapping[str, Any], hide: Iterable[str]) -> dict[str, Any]:
    """A copy of ``bundle`` with the fields at ``hide`` removed, value and salt; their field hashes stay.

    A path may name one field or an object (all fields under it are hidden). Only fields the credential type's
    disclosure policy lets a holder hide can be hidden (:mod:`node.credentials.disclosure`; never the issuer, type,
    validity or schema). Hiding an already hidden field is a no-op; a path that matches no field is an error. Objects
    left empty by hiding are removed too.
    """
    proof = parse_proof(bundle)
    shown = set(proof.salts)
    known = set(proof.field_hashes)
    policy = policy_for(credential_type_of(bundle))
    to_hide: set[str] = set()
    for path in hide:
        split_pointer(path)  # refuses a path that is not a JSON pointer
        if path != SUBJECT and not path.startswith(SUBJECT + "/"):
            raise DisclosureError(
                f"{path or '/'}: only fields under {SUBJECT} can be hidden; the issuer, type, validity and schema "
                "are what a verifier needs to judge the credential."
            )
        matches = {f for f in known if f == path or f.startswith(path + "/")}
        if not matches:
            inside = [f for f in known if path.startswith(f + "/")]
            if inside:
                raise DisclosureError(
                    f"{path}: is inside {inside[0]}, which is a single value (text, number or list) and is shown "
                    f"or hidden whole; hide {inside[0]}."
                )
            choices = ", ".join(sorted(f for f in shown if policy.may_hide(f)))
            raise DisclosureError(f"{path}: there is no such field in this credential. Fields you can hide: {choices}.")
        refused = sorted(f for f in matches & shown if not policy.may_hide(f))
        if refused:
            choices = ", ".join(sorted(f for f in shown if policy.may_hide(f))) or "none"
            raise DisclosureError(
                f"{path}: {', '.join(refused)} cannot be hidden in a {policy.type_name} v{policy.version} credential "
                f"(it is what the credential claims; a verifier would refuse it). Fields you can hide: {choices}."
            )
        to_hide |= matches & shown
    result = copy.deepcopy(dict(bundle))
    for path in sorted(to_hide):
        _remove(result, split_pointer(path))
        del result["proof"]["salts"][path]
    return result


def _remove(document: dict[str, Any], tokens: list[str]) -> None:
    parents: list[dict[str, Any]] = [document]
    node: Any = document
    for token in tokens[:-1]:
        node = node[token]
        parents.append(node)
    del parents[-1][tokens[-1]]
    # drop the objects the removal left empty (never the document itself)
    for depth in range(len(parents) - 1, 0, -1):
        if parents[depth]:
            break
        del parents[depth - 1][tokens[depth - 1]]


# --- integrity --------------------------------------------------------------------------------------------------

CheckName = Literal["format", "fields", "credentialHash", "merkleProof"]
CheckStatus = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class IntegrityCheck:
    """One step of the integrity check, with a sentence saying what it found."""

    name: CheckName
    status: CheckStatus
    message: str
    fields: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class IntegrityResult:
    """Outcome of :func:`verify_integrity`: every check in order, and what was shown and hidden."""

    checks: tuple[IntegrityCheck, ...]
    credential_hash: bytes | None = None
    merkle_root: bytes | None = None
    shown_fields: tuple[str, ...] = ()
    hidden_fields: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No check failed (a check is only skipped on purpose, e.g. the anchor when it is not required)."""
        return self.failure is None

    @property
    def failure(self) -> IntegrityCheck | None:
        """The first check that failed (the reason to show a person), if any."""
        return next((c for c in self.checks if c.status == "failed"), None)

    @property
    def message(self) -> str:
        failure = self.failure
        if failure is not None:
            return failure.message
        return "The credential is intact: every shown field matches its hash and the hash is in the anchored batch."

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "credentialHash": to_hex(self.credential_hash) if self.credential_hash else None,
            "merkleRoot": to_hex(self.merkle_root) if self.merkle_root else None,
            "shownFields": list(self.shown_fields),
            "hiddenFields": list(self.hidden_fields),
            "checks": [
                {"name": c.name, "status": c.status, "message": c.message, "fields": list(c.fields)}
                for c in self.checks
            ],
        }


def verify_integrity(
    bundle: Mapping[str, Any],
    *,
    require_anchor: bool = True,
    proof: ProofModel | None = None,
    fields: Mapping[str, Any] | None = None,
) -> IntegrityResult:
    """Check a (possibly partly hidden) bundle against itself: fields → credential hash → Merkle proof → root.

    Does not look at the chain: whether the root is anchored, by whom, and the credential's status are the
    verifier service's next steps. With ``require_anchor=False`` an unanchored document can pass. ``proof`` and
    ``fields`` may be given when the caller has already read them from ``bundle`` (the strict reader has).
    """
    skipped_hash = IntegrityCheck("credentialHash", "skipped", "Not checked: the proof could not be read.")
    skipped_merkle = IntegrityCheck("merkleProof", "skipped", "Not checked: the proof could not be read.")
    try:
        proof = proof if proof is not None else parse_proof(bundle)
        fields = fields if fields is not None else flatten(bundle)
        salts = {p: bytes32_from_hex(v, f"/proof/salts/{p}") for p, v in proof.salts.items()}
        stated_fields = {p: bytes32_from_hex(v, f"/proof/fieldHashes/{p}") for p, v in proof.field_hashes.items()}
        stated_hash = bytes32_from_hex(proof.credential_hash, "/proof/credentialHash")
    except (BundleFormatError, InvalidFieldError) as exc:
        fmt = IntegrityCheck("format", "failed", exc.detail)
        skipped_fields = IntegrityCheck("fields", "skipped", "Not checked: the credential could not be read.")
        return IntegrityResult((fmt, skipped_fields, skipped_hash, skipped_merkle))
    stray_salts = sorted(set(salts) - set(stated_fields))
    if stray_salts:
        fmt = IntegrityCheck(
            "format",
            "failed",
            f"The proof has salts for fields it has no hash for ({', '.join(stray_salts)}); "
            "the proof was edited. Ask the holder for the original bundle.",
            tuple(stray_salts),
        )
        skipped_fields = IntegrityCheck("fields", "skipped", "Not checked: the proof is inconsistent.")
        return IntegrityResult((fmt, skipped_fields, skipped_hash, skipped_merkle))
    checks: list[IntegrityCheck] = [IntegrityCheck("format", "passed", "The credential and its proof are well formed.")]
    hidden = tuple(sorted(set(stated_fields) - set(salts)))
    shown = tuple(sorted(fields))

    # fields: each shown value, hashed with its salt, must give the hash the issuer made
    added = sorted(set(fields) - set(salts))
    missing = sorted(set(salts) - set(fields))
    computed: dict[str, bytes] = {}
    changed: list[str] = []
    for path in sorted(set(fields) & set(salts)):
        computed[path] = field_hash(path, salts[path], fields[path])
        if computed[path] != stated_fields[path]:
            changed.append(path)
    problems: list[str] = []
    if changed:
        problems.append(
            f"The value of {_names(changed)} does not match what the issuer hashed: "
            f"{'it was' if len(changed) == 1 else 'they were'} changed after issuance."
        )
    if added:
        problems.append(f"{_names(added)} {'is' if len(added) == 1 else 'are'} not part of the issued credential.")
    if missing:
        problems.append(
            f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} missing but not properly hidden "
            "(a salt is still in the proof); hide fields with the disclosure tool instead of deleting them."
        )
    if problems:
        concerned = changed + added + missing
        checks.append(IntegrityCheck("fields", "failed", " ".join(problems), tuple(concerned[:MAX_NAMED])))
    else:
        checks.append(
            IntegrityCheck(
                "fields",
                "passed",
                f"All {len(shown)} shown fields match their hashes; {len(hidden)} field(s) are hidden.",
            )
        )

    # credential hash: recomputed shown hashes + stated hidden hashes, sorted, hashed
    recomputed: bytes | None = None
    if added or missing:
        checks.append(IntegrityCheck("credentialHash", "skipped", "Not checked: the fields do not line up."))
    else:
        recomputed = credential_hash({**computed, **{p: stated_fields[p] for p in hidden}})
        if recomputed == stated_hash:
            checks.append(
                IntegrityCheck("credentialHash", "passed", "The fields add up to the credential hash in the proof.")
            )
        else:
            checks.append(
                IntegrityCheck(
                    "credentialHash",
                    "failed",
                    "The fields do not add up to the credential hash in the proof: the credential or its proof "
                    "was altered after issuance.",
                )
            )

    # Merkle proof: the stated credential hash must lead to the stated root
    root: bytes | None = None
    if proof.anchor is None:
        status: CheckStatus = "failed" if require_anchor else "skipped"
        checks.append(
            IntegrityCheck(
                "merkleProof",
                status,
                "The credential has not been anchored yet (no anchor in its proof); "
                "ask the issuer for the bundle issued after anchoring.",
            )
        )
    else:
        root = bytes32_from_hex(proof.anchor.merkle_root, "/proof/anchor/merkleRoot")
        siblings = [bytes32_from_hex(s, "/proof/anchor/merkleProof") for s in proof.anchor.merkle_proof]
        if process_proof(leaf_hash(stated_hash), siblings) == root:
            checks.append(
                IntegrityCheck("merkleProof", "passed", "The Merkle proof leads from the credential hash to the root.")
            )
        else:
            checks.append(
                IntegrityCheck(
                    "merkleProof",
                    "failed",
                    "The Merkle proof does not lead from the credential hash to the root in the bundle: "
                    "the proof or root was altered, or belongs to another credential.",
                )
            )
    return IntegrityResult(tuple(checks), recomputed, root, shown, hidden)


MAX_NAMED = 20
"""Most field paths one sentence names (a file of thousands of stray fields must not make a megabyte verdict)."""


def _names(paths: list[str]) -> str:
    if len(paths) <= MAX_NAMED:
        return ", ".join(paths)
    return ", ".join(paths[:MAX_NAMED]) + f" and {len(paths) - MAX_NAMED:,} more"
