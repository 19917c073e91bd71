"""W3C Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (VC Data Integrity EdDSA Cryptosuites v1.0).

Sign: the document without ``proof`` is checked in JSON-LD safe mode (:func:`node.interop.contexts.expand_strict`),
canonicalised with RDFC-1.0 (pyld's URDNA2015, offline loader), the proof options (the proof without
``proofValue``, with the document's ``@context``) likewise; ``hashData = SHA-256(proof options) ‖ SHA-256(document)``;
``proofValue = "z" + base58btc(Ed25519 signature of hashData)``.

**Proof sets.** A proof is always computed over the document with its whole ``proof`` member removed, so an
``eddsa-rdfc-2022`` proof and credreg's ``CredregMerkleAnchor2026`` proof are independent members of one proof set
(VC Data Integrity §2.1.1): the anchor proof can be added or completed (the ``anchor`` once the batch is on chain)
after the signature without breaking it, and the other way round. How a document carries both is the caller's
choice (docs/spec/interop.md, "Proof set"):

- :func:`add_to_proof_set` makes ``proof`` an array ``[<existing proof(s)>, <new proof>]`` — the standard shape
  Digital Bazaar's and the DCC's verifiers read;
- :func:`create_proof` alone returns the proof object, for a caller that keeps ``proof`` as it is today (an object
  ``node.credentials.proof`` parses strictly) and carries the signature elsewhere until the strict reader accepts
  the array.

:func:`verify_document` checks every ``eddsa-rdfc-2022`` proof found in ``proof`` (an object or an array) and ignores
proofs of other types (a verifier that knows them, ours, checks them itself).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld  # type: ignore[import-untyped]

from node.interop import did
from node.interop.contexts import document_loader, expand_strict
from node.interop.multiformats import MultibaseError, b58decode, b58encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"

Loader = Callable[[str, Any], dict[str, Any]]
KeyResolver = Callable[[str, str], bytes]
"""(verificationMethod, proofPurpose) → 32-byte Ed25519 public key; raises if the method is not allowed."""


class ProofError(ValueError):
    """A Data Integrity proof is malformed, or cannot be created."""


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def canonize(document: Mapping[str, Any], loader: Loader | None = None) -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` after a safe-mode check (offline)."""
    load = loader or document_loader()
    expand_strict(document, loader=load)
    text: str = jsonld.normalize(
        dict(document),
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": load, "base": None},
    )
    return text


def _unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}


def hash_data(document: Mapping[str, Any], proof_options: Mapping[str, Any], loader: Loader | None = None) -> bytes:
    """``SHA-256(canonical proof options) ‖ SHA-256(canonical unsecured document)`` (64 bytes)."""
    if "@context" not in document:
        raise ProofError("The document has no @context; a Data Integrity proof needs one.")
    options = {k: copy.deepcopy(v) for k, v in proof_options.items() if k != "proofValue"}
    options["@context"] = copy.deepcopy(document["@context"])
    proof_hash = hashlib.sha256(canonize(options, loader).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canonize(_unsecured(document), loader).encode("utf-8")).digest()
    return proof_hash + doc_hash


def format_created(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ProofError("created must have a time zone.")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_proof(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str | None = None,
    created: dt.datetime | None = None,
    proof_purpose: str = "assertionMethod",
    loader: Loader | None = None,
) -> dict[str, Any]:
    """An ``eddsa-rdfc-2022`` proof over ``document`` (any existing ``proof`` is left out of what is signed).

    ``verification_method`` defaults to the key's did:key method; ``created`` to now (to the second).
    """
    method = verification_method or did.verification_method_id(did.did_key(public_key_bytes(key)))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_created(created or dt.datetime.now(dt.UTC)),
        "verificationMethod": method,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(hash_data(document, proof, loader))
    proof["proofValue"] = "z" + b58encode(signature)
    return proof


def proofs_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The proof set: ``proof`` as a list (empty if absent)."""
    raw = document.get("proof")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(p, Mapping) for p in items):
        raise ProofError("/proof must be an object or an array of objects.")
    return list(items)


def add_to_proof_set(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` whose ``proof`` is the array of its existing proof(s) followed by ``proof``."""
    result = _unsecured(document)
    result["proof"] = [copy.deepcopy(dict(p)) for p in proofs_of(document)] + [copy.deepcopy(dict(proof))]
    return result


def sign(document: Mapping[str, Any], key: Ed25519PrivateKey, **options: Any) -> dict[str, Any]:
    """``document`` with an ``eddsa-rdfc-2022`` proof added to its proof set (see :func:`create_proof`)."""
    return add_to_proof_set(document, create_proof(document, key, **options))


@dataclass(frozen=True)
class ProofResult:
    verification_method: str
    verified: bool
    message: str


def default_key_resolver(verification_method: str, proof_purpose: str) -> bytes:
    """did:key only, resolved offline."""
    return did.public_key_for(verification_method, proof_purpose)


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    resolve_key: KeyResolver = default_key_resolver,
    expected_purpose: str = "assertionMethod",
    loader: Loader | None = None,
) -> ProofResult:
    """Check one ``eddsa-rdfc-2022`` proof over ``document`` (its ``proof`` member is ignored)."""
    method = str(proof.get("verificationMethod", ""))
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofResult(method, False, f"Not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}.")
    if proof.get("proofPurpose") != expected_purpose:
        return ProofResult(method, False, f"proofPurpose is {proof.get('proofPurpose')!r}, not {expected_purpose!r}.")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return ProofResult(method, False, "proofValue must be a base58btc multibase string ('z…').")
    try:
        signature = b58decode(value[1:])
        public_key = Ed25519PublicKey.from_public_bytes(resolve_key(method, expected_purpose))
        data = hash_data(document, proof, loader)
    except (MultibaseError, ValueError) as exc:
        return ProofResult(method, False, f"The proof cannot be checked: {exc}")
    if len(signature) != 64:
        return ProofResult(method, False, "An Ed25519 signature is 64 bytes.")
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return ProofResult(method, False, "The signature does not match the document: it was changed or not signed.")
    return ProofResult(method, True, "The issuer's eddsa-rdfc-2022 signature matches the document.")


def verify_document(
    document: Mapping[str, Any],
    *,
    resolve_key: KeyResolver = default_key_resolver,
    loader: Loader | None = None,
) -> list[ProofResult]:
    """Every ``eddsa-rdfc-2022`` proof in the proof set, checked; proofs of other types are not looked at."""
    return [
        verify_proof(document, p, resolve_key=resolve_key, loader=loader)
        for p in proofs_of(document)
        if p.get("type") == PROOF_TYPE and p.get("cryptosuite") == CRYPTOSUITE
    ]
