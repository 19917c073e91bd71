"""The Merkle tree matches OpenZeppelin's StandardMerkleTree (the JS library itself is the oracle)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.credentials.errors import MerkleTreeError
from node.credentials.keccak import keccak256, to_hex
from node.credentials.merkle import (
    MerkleTree,
    StoredTree,
    leaf_hash,
    node_hash,
    process_proof,
    proof_from_nodes,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]
ORACLE = Path(__file__).with_name("oz_merkle.js")
OZ_PACKAGE = ROOT / "node_modules" / "@openzeppelin" / "merkle-tree"


def hashes(n: int, seed: str = "h") -> list[bytes]:
    return [keccak256(f"{seed}{i}".encode()) for i in range(n)]


def run_oracle(trees: list[list[bytes]]) -> list[dict[str, Any]]:
    # A hard requirement, not a skip: `make test` runs `npm ci`, which installs the pinned devDependency.
    assert OZ_PACKAGE.is_dir(), "node_modules/@openzeppelin/merkle-tree is missing: run `npm ci` in the repo root"
    node = shutil.which("node")
    assert node is not None, "Node.js is required for the StandardMerkleTree compatibility test"
    payload = json.dumps({"trees": [[to_hex(h) for h in t] for t in trees]})
    done = subprocess.run(
        [node, str(ORACLE)], input=payload, capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)["trees"]
    return result


def test_root_and_every_proof_match_the_js_library() -> None:
    sizes = [1, 2, 3, 7, 16, 33]
    trees = [hashes(n, seed=f"size{n}-") for n in sizes]
    # also a batch with a duplicate hash: both leaves stay, like in the JS library
    trees.append([*hashes(4, "dup"), hashes(1, "dup")[0]])
    expected = run_oracle(trees)
    for credential_hashes, js in zip(trees, expected, strict=True):
        tree = MerkleTree(credential_hashes)
        assert to_hex(tree.root) == js["root"]
        all_proofs = tree.proofs()
        for i, h in enumerate(credential_hashes):
            assert [to_hex(p) for p in tree.proof(i)] == js["proofs"][i]
            assert all_proofs[i] == tree.proof(i)
            assert verify(tree.root, h, tree.proof(i))
        assert tree.dump() == js["dump"]


def test_tree_of_one_has_root_equal_to_leaf_and_empty_proof() -> None:
    [h] = hashes(1)
    tree = MerkleTree([h])
    assert tree.root == leaf_hash(h) == keccak256(keccak256(h))
    assert tree.proof(0) == []
    assert tree.proofs() == [[]]
    assert verify(tree.root, h, [])


def test_node_hash_is_order_independent() -> None:
    a, b = hashes(2)
    assert node_hash(a, b) == node_hash(b, a) == keccak256(min(a, b) + max(a, b))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_every_proof_verifies_and_a_wrong_one_does_not(credential_hashes: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(credential_hashes)
    proofs = tree.proofs()
    for i, h in enumerate(credential_hashes):
        assert process_proof(tree.leaf(i), proofs[i]) == tree.root
        assert verify(tree.root, h, proofs[i])
    stranger = data.draw(st.binary(min_size=32, max_size=32).filter(lambda x: x not in credential_hashes))
    i = data.draw(st.integers(0, len(credential_hashes) - 1))
    assert not verify(tree.root, stranger, proofs[i])
    if proofs[i]:
        broken = [*proofs[i]]
        broken[0] = bytes([broken[0][0] ^ 1]) + broken[0][1:]
        assert not verify(tree.root, credential_hashes[i], broken)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_a_stored_tree_gives_every_credential_its_proof(credential_hashes: list[bytes]) -> None:
    """A batch stores only the tree's nodes; the proof read back from them is the tree's own proof."""
    tree = MerkleTree(credential_hashes)
    nodes = tree.nodes()
    assert len(nodes) == (2 * len(credential_hashes) - 1) * 32 and nodes[:32] == tree.root
    for i, h in enumerate(credential_hashes):
        proof = proof_from_nodes(nodes, h)
        assert verify(tree.root, h, proof)
        if credential_hashes.count(h) == 1:
            assert proof == tree.proof(i)


def test_a_stored_tree_refuses_a_stranger_and_a_malformed_blob() -> None:
    hs = hashes(7)
    nodes = MerkleTree(hs).nodes()
    for stranger in (keccak256(b"nope"), b"\x00" * 32, b"\xff" * 32):
        with pytest.raises(MerkleTreeError, match="not in this batch"):
            proof_from_nodes(nodes, stranger)
    for bad in (b"", nodes[:-1], nodes[:64]):
        with pytest.raises(MerkleTreeError, match="odd number of 32-byte nodes"):
            proof_from_nodes(bad, hs[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_a_stored_tree_knows_its_root_and_leaves(credential_hashes: list[bytes]) -> None:
    tree = MerkleTree(credential_hashes)
    stored = StoredTree(tree.nodes())
    assert len(stored) == len(tree)
    assert stored.root == tree.root
    assert stored.root.hex0x == "0x" + tree.root.hex()
    assert stored.sorted_leaves() == sorted(leaf_hash(h) for h in credential_hashes)
    for i, h in enumerate(credential_hashes):
        assert stored.proof(h) == proof_from_nodes(tree.nodes(), h)
        if credential_hashes.count(h) == 1:
            assert stored.proof(h) == tree.proof(i)


def test_a_stored_tree_refuses_a_malformed_blob() -> None:
    for bad in (b"", b"\x00" * 31, b"\x00" * 64):
        with pytest.raises(MerkleTreeError, match="odd number of 32-byte nodes"):
            StoredTree(bad)


def test_index_of_and_credential_hash() -> None:
    hs = hashes(5)
    tree = MerkleTree(hs)
    assert tree.index_of(hs[3]) == 3
    assert tree.credential_hash(3) == hs[3]
    assert len(tree) == 5
    with pytest.raises(MerkleTreeError, match="not in this batch"):
        tree.index_of(keccak256(b"nope"))


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(MerkleTreeError, match="at least one"):
        MerkleTree([])
    with pytest.raises(MerkleTreeError, match="32 bytes"):
        MerkleTree([b"short"])
    with pytest.raises(MerkleTreeError, match="out of range"):
        MerkleTree(hashes(3)).proof(3)


def test_65536_leaves_build_fast_and_all_proofs_verify() -> None:
    hs = hashes(65_536)
    start = time.perf_counter()
    tree = MerkleTree(hs)
    built = time.perf_counter() - start
    proofs = tree.proofs()
    assert all(len(p) == 16 for p in proofs)
    for i in range(0, 65_536, 4099):
        assert verify(tree.root, hs[i], proofs[i])
    budget = float(os.environ.get("CREDREG_MERKLE_BUDGET_S", "5"))  # ~0.3 s locally; generous for slow CI
    assert built < budget
