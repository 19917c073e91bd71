"""The shape of the ``proof`` member of a credreg credential (pydantic models used to check it).

The raw JSON dict stays the source of truth for hashing; these models only say whether its shape is right.

.. code-block:: json

    "proof": {
      "type": "CredregMerkleAnchor2026",
      "hashAlgorithm": "credreg-salted-fields-keccak256-jcs-v2",
      "credentialHash": "0x…32 bytes…",
      "fieldHashes": {"/credentialSubject/learner/name": "0x…", "…": "…"},   // every field, shown or hidden
      "salts": {"/credentialSubject/learner/name": "0x…", "…": "…"},         // shown fields only
      "anchor": {                                                            // absent until anchored
        "merkleRoot": "0x…", "merkleProof": ["0x…"], "chainId": 472019,
        "registry": "0x…20 bytes…", "transactionHash": "0x…", "blockNumber": 12
      }
    }

A field is *hidden* when it has a field hash but no salt (and is absent from the document). Hashes and salts are
written in one form only: ``0x`` and lowercase hex (the credential hash is computed over the ``fieldHashes`` text).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PROOF_TYPE = "CredregMerkleAnchor2026"
HASH_ALGORITHM = "credreg-salted-fields-keccak256-jcs-v2"
MAX_FIELDS = 512
"""Most fields one credential may have (the types have a few dozen)."""

Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]
"""A 32-byte value: 0x and 64 lowercase hex digits (one form per value)."""
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]


class AnchorModel(BaseModel):
    """Where and how the credential's Merkle root was anchored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, strict=True)

    merkle_root: Hex32 = Field(alias="merkleRoot")
    merkle_proof: list[Hex32] = Field(alias="merkleProof", max_length=64)
    chain_id: int = Field(alias="chainId", ge=1)
    registry: Address
    transaction_hash: Hex32 = Field(alias="transactionHash")
    block_number: int = Field(alias="blockNumber", ge=0)


class ProofModel(BaseModel):
    """The ``proof`` member: hashes and salts, and the anchor once there is one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, strict=True)

    type: Literal["CredregMerkleAnchor2026"]
    hash_algorithm: Literal["credreg-salted-fields-keccak256-jcs-v2"] = Field(alias="hashAlgorithm")
    credential_hash: Hex32 = Field(alias="credentialHash")
    field_hashes: dict[str, Hex32] = Field(alias="fieldHashes", min_length=1, max_length=MAX_FIELDS)
    salts: dict[str, Hex32] = Field(max_length=MAX_FIELDS)
    anchor: AnchorModel | None = None
