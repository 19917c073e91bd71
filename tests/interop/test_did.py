"""did:key for Ed25519: the did:key spec's test vectors, the DID document, and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.interop import did
from node.interop.contexts import expand_strict
from node.interop.dataintegrity import public_key_bytes
from node.interop.multiformats import b58decode, b58encode

VECTORS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "vectors" / "did-key-ed25519.json").read_text())[
    "vectors"
]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["did"][-6:])
def test_spec_vector_seed_to_did(vector: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["seed"]))
    public = public_key_bytes(key)
    assert b58encode(public) == vector["publicKeyBase58"]
    assert did.did_key(public) == vector["did"]
    assert did.parse_did_key(vector["did"]) == b58decode(vector["publicKeyBase58"])


def test_did_document_shape_and_expansion() -> None:
    identifier = VECTORS[0]["did"]
    document = did.did_document(identifier)
    method_id = f"{identifier}#{identifier.removeprefix('did:key:')}"
    assert document["id"] == identifier
    assert document["verificationMethod"] == [
        {
            "id": method_id,
            "type": "Multikey",
            "controller": identifier,
            "publicKeyMultibase": identifier.removeprefix("did:key:"),
        }
    ]
    for relationship in did.RELATIONSHIPS:
        assert document[relationship] == [method_id]
    expand_strict(document)


def test_resolve_a_did_url_gives_the_method() -> None:
    identifier = VECTORS[1]["did"]
    method = did.resolve(did.verification_method_id(identifier))
    assert method["type"] == "Multikey" and method["controller"] == identifier
    assert did.resolve(identifier)["id"] == identifier
    with pytest.raises(did.DidError, match="one verification method"):
        did.resolve(identifier + "#other")


@pytest.mark.parametrize(
    "bad",
    [
        "did:web:uni.example.ac.za",
        "did:key:",
        "did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",  # no multibase prefix
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1, not Ed25519
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",  # 0 is not base58
    ],
)
def test_refuses_what_is_not_an_ed25519_did_key(bad: str) -> None:
    with pytest.raises(did.DidError):
        did.parse_did_key(bad)


def test_public_key_for_checks_the_purpose() -> None:
    method = did.verification_method_id(VECTORS[2]["did"])
    assert did.public_key_for(method) == b58decode(VECTORS[2]["publicKeyBase58"])
    with pytest.raises(did.DidError, match="keyAgreement"):
        did.public_key_for(method, "keyAgreement")
