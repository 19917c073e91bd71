"""Bundles: anchoring a batch, strict (de)serialisation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from node.credentials.bundle import AnchorInfo, attach_anchor, batch_tree, dumps_bundle, loads_bundle, make_bundles
from node.credentials.document import build_document, verify_integrity
from node.credentials.errors import BundleFormatError
from node.credentials.merkle import StoredTree
from tests.samples import VALID

ANCHOR = AnchorInfo(472_019, "0x" + "ab" * 20, bytes(range(32)), 99)


def batch(n: int) -> list[dict[str, Any]]:
    return [
        build_document(
            "recognition-of-prior-learning", VALID["recognition-of-prior-learning"], issuer_id="did:web:tvet.example"
        )
        for _ in range(n)
    ]


def test_bundles_round_trip_through_json_and_verify() -> None:
    docs = batch(4)
    bundles = make_bundles(docs, batch_tree(docs), ANCHOR)
    for b in bundles:
        anchor = b["proof"]["anchor"]
        assert anchor["chainId"] == 472_019
        assert anchor["blockNumber"] == 99
        assert anchor["transactionHash"] == "0x" + bytes(range(32)).hex()
        assert len(anchor["merkleProof"]) == 2
        again = loads_bundle(dumps_bundle(b))
        assert again == b
        assert verify_integrity(again).ok


def test_a_bundle_from_the_stored_tree_is_the_batch_bundle_byte_for_byte() -> None:
    """What a holder gets later (the proof read from the batch's stored nodes, then attach_anchor) is exactly what
    make_bundles gave at anchoring time."""
    docs = batch(5)
    tree = batch_tree(docs)
    stored = StoredTree(tree.nodes())
    for doc, made in zip(docs, make_bundles(docs, tree, ANCHOR), strict=True):
        proof = stored.proof(bytes.fromhex(doc["proof"]["credentialHash"][2:]))
        assert dumps_bundle(attach_anchor(doc, stored.root, proof, ANCHOR)) == dumps_bundle(made)


def test_documents_must_be_given_in_tree_order() -> None:
    docs = batch(2)
    tree = batch_tree(docs)
    with pytest.raises(BundleFormatError, match="batch order"):
        make_bundles(list(reversed(docs)), tree, ANCHOR)
    with pytest.raises(BundleFormatError, match="1 documents but the tree has 2"):
        make_bundles(docs[:1], tree, ANCHOR)


def test_bad_anchor_details_are_refused() -> None:
    [doc] = batch(1)
    with pytest.raises(BundleFormatError, match="anchor details"):
        attach_anchor(doc, b"\x00" * 32, [], AnchorInfo(472_019, "not-an-address", b"\x00" * 32, 1))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"a": 1, "a": 2}', "repeats the member name 'a'"),
        ('{"x": NaN}', "NaN"),
        ('{"@context": ["https://example.org"]}', "has no 'type'"),
    ],
)
def test_loads_bundle_is_strict(text: str, words: str) -> None:
    with pytest.raises(BundleFormatError, match=words):
        loads_bundle(text)


def test_loads_bundle_checks_the_proof_shape() -> None:
    docs = batch(1)
    [b] = make_bundles(docs, batch_tree(docs), ANCHOR)
    b["proof"]["anchor"]["chainId"] = "472019"
    with pytest.raises(BundleFormatError, match="/proof/anchor/chainId"):
        loads_bundle(json.dumps(b))
    del b["proof"]
    with pytest.raises(BundleFormatError, match="no 'proof'"):
        loads_bundle(json.dumps(b))
