"""OpenZeppelin StandardMerkleTree over one `bytes32` column, in Python (for tests and the gas bench).

leaf = keccak256(bytes.concat(keccak256(abi.encode(bytes32)))), leaves sorted, pairs sorted, the tree laid out as an
array exactly like @openzeppelin/merkle-tree (so proofs match the JS library's).
"""

from __future__ import annotations

from eth_utils import keccak


def leaf_of(credential_hash: bytes) -> bytes:
    return keccak(keccak(credential_hash.rjust(32, b"\0")))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


class StandardMerkleTree:
    def __init__(self, credential_hashes: list[bytes]) -> None:
        if not credential_hashes:
            raise ValueError("a tree needs at least one credential hash")
        self.values = list(credential_hashes)
        leaves = sorted((leaf_of(h), i) for i, h in enumerate(credential_hashes))
        n = len(leaves)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self.index_of: dict[int, int] = {}
        for k, (leaf, i) in enumerate(leaves):
            self.tree[len(self.tree) - 1 - k] = leaf
            self.index_of[i] = len(self.tree) - 1 - k
        for i in range(n - 2, -1, -1):
            self.tree[i] = hash_pair(self.tree[2 * i + 1], self.tree[2 * i + 2])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        return self.proof_of_node(self.index_of[value_index])

    def proof_of_node(self, i: int) -> list[bytes]:
        """The path from tree[i] (a leaf or an internal node) up to the root."""
        proof: list[bytes] = []
        while i > 0:
            sibling = i - 1 if i % 2 == 0 else i + 1
            proof.append(self.tree[sibling])
            i = (i - 1) // 2
        return proof


def process_proof(leaf: bytes, proof: list[bytes]) -> bytes:
    node = leaf
    for p in proof:
        node = hash_pair(node, p)
    return node
