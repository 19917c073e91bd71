"""``did:key`` for Ed25519 issuer keys: make, parse and resolve offline (the did:key method spec, Multikey form).

``did:key:z6Mk…`` is ``did:key:`` + multibase base58btc(multicodec 0xed01 ‖ 32-byte public key). Its DID document is
generated from the identifier alone (no network, no registry): one ``Multikey`` verification method whose fragment
is the same multibase string, named in ``authentication``, ``assertionMethod``, ``capabilityDelegation`` and
``capabilityInvocation``. The chain says whether that key speaks for an accredited issuer (docs/spec/interop.md).
"""

from __future__ import annotations

from typing import Any

from node.interop.contexts import DID_V1_URL, MULTIKEY_V1_URL
from node.interop.multiformats import MultibaseError, ed25519_public_from_multibase, ed25519_public_multibase

PREFIX = "did:key:"
RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityDelegation", "capabilityInvocation")


class DidError(ValueError):
    """Not a did:key credreg can resolve (only Ed25519 keys are supported)."""


def did_key(public_key: bytes) -> str:
    """The did:key of a 32-byte Ed25519 public key."""
    return PREFIX + ed25519_public_multibase(public_key)


def parse_did_key(did: str) -> bytes:
    """The Ed25519 public key a did:key names (a DID URL's path, query and fragment are ignored)."""
    if not did.startswith(PREFIX):
        raise DidError(f"{did!r} is not a did:key.")
    identifier = did[len(PREFIX) :].split("#", 1)[0].split("?", 1)[0].split("/", 1)[0]
    try:
        return ed25519_public_from_multibase(identifier)
    except MultibaseError as exc:
        raise DidError(f"{did!r}: {exc}") from None


def verification_method_id(did: str) -> str:
    """``did:key:z6Mk…#z6Mk…``: the key's verification method, as a proof's ``verificationMethod`` names it."""
    parse_did_key(did)
    base = did.split("#", 1)[0]
    return f"{base}#{base[len(PREFIX) :]}"


def verification_method(did: str) -> dict[str, Any]:
    """The ``Multikey`` verification method of a did:key."""
    public_key = parse_did_key(did)
    base = did.split("#", 1)[0]
    return {
        "id": verification_method_id(base),
        "type": "Multikey",
        "controller": base,
        "publicKeyMultibase": ed25519_public_multibase(public_key),
    }


def did_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key, generated offline."""
    method = verification_method(did)
    document: dict[str, Any] = {
        "@context": [DID_V1_URL, MULTIKEY_V1_URL],
        "id": method["controller"],
        "verificationMethod": [method],
    }
    for relationship in RELATIONSHIPS:
        document[relationship] = [method["id"]]
    return document


def resolve(did_url: str) -> dict[str, Any]:
    """Dereference a did:key DID (→ its DID document) or DID URL with the key's fragment (→ the method)."""
    document = did_document(did_url)
    if "#" not in did_url:
        return document
    method: dict[str, Any] = document["verificationMethod"][0]
    if did_url != method["id"]:
        raise DidError(f"{did_url!r}: a did:key has one verification method, {method['id']!r}.")
    return {"@context": document["@context"], **method}


def public_key_for(verification_method_url: str, proof_purpose: str = "assertionMethod") -> bytes:
    """The public key behind a proof's ``verificationMethod``, checked to be allowed for ``proof_purpose``."""
    document = did_document(verification_method_url)
    if verification_method_url not in document.get(proof_purpose, []):
        raise DidError(f"{verification_method_url!r} is not authorised for {proof_purpose} in its DID document.")
    return parse_did_key(verification_method_url)
