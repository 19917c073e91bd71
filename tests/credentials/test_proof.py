"""node/credentials/proof.py: the shape of a credential's ``proof`` member, one written form per value."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from node.credentials.document import build_document
from node.credentials.proof import HASH_ALGORITHM, MAX_FIELDS, PROOF_TYPE, AnchorModel, ProofModel
from tests.interop.conftest import ANCHOR, sample_document


@pytest.fixture
def proof() -> dict[str, Any]:
    document = sample_document("formal-qualification", anchored=True)
    return copy.deepcopy(document["proof"])


def test_a_built_and_anchored_documents_proof_has_the_shape(proof: dict[str, Any]) -> None:
    model = ProofModel.model_validate(proof)
    assert (model.type, model.hash_algorithm) == (PROOF_TYPE, HASH_ALGORITHM)
    assert model.credential_hash == proof["credentialHash"]
    assert set(model.field_hashes) == set(proof["fieldHashes"]) and set(model.salts) <= set(model.field_hashes)
    assert model.anchor == AnchorModel.model_validate(ANCHOR)
    assert model.anchor is not None and model.anchor.chain_id == 472019


def test_an_unanchored_proof_has_no_anchor() -> None:
    document = build_document(
        "micro-credential", sample_document("micro-credential")["credentialSubject"], issuer_id="did:web:x.test"
    )
    assert ProofModel.model_validate(document["proof"]).anchor is None


UPPER = "0x" + "AB" * 32


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda p: p.update(type="DataIntegrityProof"), "type"),
        (lambda p: p.update(hashAlgorithm="credreg-salted-fields-keccak256-v1"), "hashAlgorithm"),
        (lambda p: p.update(credentialHash=UPPER), "credentialHash"),  # one form only: lowercase
        (lambda p: p.update(credentialHash=p["credentialHash"][2:]), "credentialHash"),  # no 0x
        (lambda p: p.update(credentialHash=p["credentialHash"] + "00"), "credentialHash"),  # 33 bytes
        (lambda p: p.update(fieldHashes={}), "fieldHashes"),
        (lambda p: p["fieldHashes"].update({"/x": UPPER}), "fieldHashes"),
        (lambda p: p["salts"].update({"/x": "0x00"}), "salts"),
        (lambda p: p.update(extra=1), "extra"),  # no member of its own
        (lambda p: p["anchor"].update(chainId="472019"), "chainId"),  # strict: a number, not text
        (lambda p: p["anchor"].update(chainId=0), "chainId"),
        (lambda p: p["anchor"].update(blockNumber=-1), "blockNumber"),
        (lambda p: p["anchor"].update(blockNumber=True), "blockNumber"),
        (lambda p: p["anchor"].update(registry="0x" + "ab" * 19), "registry"),
        (lambda p: p["anchor"].update(merkleProof=["0x" + "22" * 32] * 65), "merkleProof"),
        (lambda p: p["anchor"].update(transactionHash=None), "transactionHash"),
        (lambda p: p["anchor"].pop("merkleRoot"), "merkleRoot"),
        (lambda p: p["anchor"].update(by="me"), "by"),
    ],
)
def test_a_proof_of_another_shape_is_refused_naming_the_member(proof: dict[str, Any], edit: Any, where: str) -> None:
    edit(proof)
    with pytest.raises(ValidationError) as caught:
        ProofModel.model_validate(proof)
    assert where in {str(part) for error in caught.value.errors() for part in error["loc"]}


def test_at_most_max_fields_hashes_and_salts(proof: dict[str, Any]) -> None:
    hashes = {f"/f{i}": "0x" + f"{i:064x}" for i in range(MAX_FIELDS)}
    assert len(ProofModel.model_validate(proof | {"fieldHashes": hashes, "salts": hashes}).field_hashes) == MAX_FIELDS
    too_many = hashes | {"/one-more": "0x" + "00" * 32}
    for member in ("fieldHashes", "salts"):
        with pytest.raises(ValidationError, match=member):
            ProofModel.model_validate(proof | {member: too_many})


def test_the_models_are_frozen(proof: dict[str, Any]) -> None:
    model = ProofModel.model_validate(proof)
    with pytest.raises(ValidationError):
        model.credential_hash = "0x" + "00" * 32  # type: ignore[misc]
