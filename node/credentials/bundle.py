"""The holder's file: the credential document with its proof completed after anchoring.

Batcher flow::

    tree = batch_tree(documents)                 # credential hashes in batch order
    # ... anchor tree.root on chain, wait for confirmations ...
    bundles = make_bundles(documents, tree, AnchorInfo(chain_id, registry, tx_hash, block_number))
    text = dumps_bundle(bundles[0])              # hand to the holder

The raw dict is the source of truth (it is what is hashed); :func:`loads_bundle` reads a holder's file the one strict
way (:mod:`node.credentials.reader`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.credentials.document import parse_proof, stated_credential_hash
from node.credentials.errors import BundleFormatError
from node.credentials.keccak import to_hex
from node.credentials.merkle import MerkleTree
from node.credentials.proof import AnchorModel
from node.credentials.reader import read_bundle


@dataclass(frozen=True)
class AnchorInfo:
    """Where a batch root was anchored: the same for every credential of the batch."""

    chain_id: int
    registry: str
    transaction_hash: bytes
    block_number: int


def batch_tree(documents: Sequence[Mapping[str, Any]]) -> MerkleTree:
    """The Merkle tree over the documents' credential hashes, in the given order."""
    return MerkleTree([stated_credential_hash(d) for d in documents])


def attach_anchor(
    document: Mapping[str, Any], merkle_root: bytes, merkle_proof: Sequence[bytes], anchor: AnchorInfo
) -> dict[str, Any]:
    """A copy of ``document`` whose proof carries the anchor (root, Merkle proof, chain id, registry, tx, block)."""
    bundle = copy.deepcopy(dict(document))
    parse_proof(bundle)  # refuse to anchor something without a valid proof
    raw = {
        "merkleRoot": to_hex(merkle_root),
        "merkleProof": [to_hex(p) for p in merkle_proof],
        "chainId": anchor.chain_id,
        "registry": anchor.registry,
        "transactionHash": to_hex(anchor.transaction_hash),
        "blockNumber": anchor.block_number,
    }
    try:
        AnchorModel.model_validate(raw)
    except ValueError as exc:
        raise BundleFormatError(f"The anchor details are not valid: {exc}") from None
    bundle["proof"]["anchor"] = raw
    return bundle


def make_bundles(documents: Sequence[Mapping[str, Any]], tree: MerkleTree, anchor: AnchorInfo) -> list[dict[str, Any]]:
    """One bundle per document (same order as the tree was built), all proofs computed in one pass."""
    if len(documents) != len(tree):
        raise BundleFormatError(
            f"{len(documents)} documents but the tree has {len(tree)} leaves; build the tree from these documents."
        )
    proofs = tree.proofs()
    bundles = []
    for i, document in enumerate(documents):
        if stated_credential_hash(document) != tree.credential_hash(i):
            raise BundleFormatError(f"Document {i} is not leaf {i} of the tree; keep the batch order.")
        bundles.append(attach_anchor(document, tree.root, proofs[i], anchor))
    return bundles


def dumps_bundle(bundle: Mapping[str, Any]) -> str:
    """The bundle as UTF-8 JSON text (indented for people; hashing does not depend on layout)."""
    return json.dumps(bundle, ensure_ascii=False, indent=2, allow_nan=False)


def loads_bundle(text: str | bytes) -> dict[str, Any]:
    """Parse a bundle file the one strict way (:func:`node.credentials.reader.read_bundle`) and return its object;
    :class:`~node.credentials.reader.BundleReadError` (a ``BundleFormatError``) says what is wrong."""
    return read_bundle(text).document
