"""Merkle trees that match OpenZeppelin's ``StandardMerkleTree`` with leaf encoding ``["bytes32"]`` byte for byte.

The construction (``@openzeppelin/merkle-tree`` 1.0.x, ``core.ts`` / ``merkletree.ts``), mirrored here:

* leaf = ``keccak256(keccak256(abi.encode(bytes32 credentialHash)))``; ``abi.encode`` of one ``bytes32`` is the
  32 bytes themselves, so leaf = ``keccak256(keccak256(credentialHash))``. The double hash keeps a 64-byte inner node
  from ever passing as a leaf (second-preimage attack).
* leaves are sorted ascending by hash (stable sort; ``sortLeaves: true`` is the library default);
* the tree is a complete binary tree in one array of ``2n - 1`` nodes: sorted leaf ``k`` sits at ``2n - 2 - k``, node
  ``i`` has children ``2i + 1`` and ``2i + 2``, the root is node 0;
* an inner node = ``keccak256(min(a, b) ‖ max(a, b))`` (sorted pair), which is what Solidity's
  ``MerkleProof.verify`` expects. A proof is the list of siblings from the leaf up.

Index arguments (``proof(i)``, ``leaf(i)``) are positions in the *input* order, like the JS ``getProof(i)``.
A tree of one leaf has root == leaf and an empty proof.

A batch stores its tree as :meth:`MerkleTree.nodes`; :class:`StoredTree` reads that blob back (root, sorted leaves, a
member's proof) without the credential hashes, and both walk a proof up the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from node.credentials.errors import MerkleTreeError
from node.credentials.hash32 import Hash32
from node.credentials.keccak import keccak256, to_hex

LEAF_ENCODING: tuple[str, ...] = ("bytes32",)
MAX_BATCH_LEAVES = 65_536
"""The largest batch the node anchors in one root (proof length 16). Bigger trees work; they are just not tested."""


def leaf_hash(credential_hash: bytes) -> bytes:
    """The StandardMerkleTree leaf of one credential hash (32 bytes in, 32 bytes out)."""
    _check_bytes32(credential_hash, "credential hash")
    return keccak256(keccak256(credential_hash))


def node_hash(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes: keccak256 of the pair in ascending byte order."""
    return keccak256(a + b if a <= b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Fold ``proof`` onto ``leaf`` and return the root it leads to (``MerkleProof.processProof``)."""
    _check_bytes32(leaf, "leaf")
    computed = leaf
    for sibling in proof:
        _check_bytes32(sibling, "proof element")
        computed = keccak256(computed + sibling if computed <= sibling else sibling + computed)
    return computed


def verify(root: bytes, credential_hash: bytes, proof: Sequence[bytes]) -> bool:
    """True when ``proof`` proves ``credential_hash`` is a leaf of the tree with ``root``."""
    _check_bytes32(root, "root")
    return process_proof(leaf_hash(credential_hash), proof) == root


class MerkleTree:
    """A StandardMerkleTree over credential hashes (``bytes32`` each), built once, queried many times."""

    __slots__ = ("_credential_hashes", "_tree", "_tree_index")

    def __init__(self, credential_hashes: Sequence[bytes], *, sort_leaves: bool = True) -> None:
        n = len(credential_hashes)
        if n == 0:
            raise MerkleTreeError("A Merkle tree needs at least one credential hash; the batch is empty.")
        for h in credential_hashes:
            _check_bytes32(h, "credential hash")
        self._credential_hashes: tuple[bytes, ...] = tuple(credential_hashes)
        k = keccak256
        leaves = [k(k(h)) for h in self._credential_hashes]
        order = sorted(range(n), key=leaves.__getitem__) if sort_leaves else range(n)
        size = 2 * n - 1
        tree: list[bytes] = [b""] * size
        tree_index = [0] * n
        last = size - 1
        for position, value_index in enumerate(order):
            tree[last - position] = leaves[value_index]
            tree_index[value_index] = last - position
        for i in range(n - 2, -1, -1):
            a = tree[2 * i + 1]
            b = tree[2 * i + 2]
            tree[i] = k(a + b if a <= b else b + a)
        self._tree = tree
        self._tree_index = tree_index

    def __len__(self) -> int:
        return len(self._credential_hashes)

    @property
    def root(self) -> bytes:
        """The 32-byte root anchored on chain."""
        return self._tree[0]

    def credential_hash(self, index: int) -> bytes:
        """The credential hash given at position ``index``."""
        self._check_index(index)
        return self._credential_hashes[index]

    def leaf(self, index: int) -> bytes:
        """The (double-hashed) leaf of the credential at position ``index``."""
        self._check_index(index)
        return self._tree[self._tree_index[index]]

    def index_of(self, credential_hash: bytes) -> int:
        """The input position of ``credential_hash`` (the first one, if it was given twice)."""
        try:
            return self._credential_hashes.index(credential_hash)
        except ValueError:
            raise MerkleTreeError(
                f"The credential hash {to_hex(credential_hash)} is not in this batch; "
                "check that the bundle belongs to this anchor."
            ) from None

    def proof(self, index: int) -> list[bytes]:
        """The siblings from the leaf of the credential at ``index`` up to (not including) the root."""
        self._check_index(index)
        return _siblings(self._tree.__getitem__, self._tree_index[index])

    def proofs(self) -> list[list[bytes]]:
        """Every proof at once, in input order: one pass over the tree, each node's proof shared by its children."""
        tree = self._tree
        # path[i] = siblings from node i up to the root; parents come before children in the array.
        path: list[tuple[bytes, ...]] = [()] * len(tree)
        for i in range(1, len(tree)):
            path[i] = (tree[i + 1 if i % 2 else i - 1], *path[(i - 1) // 2])
        return [list(path[t]) for t in self._tree_index]

    def nodes(self) -> bytes:
        """The whole tree as one blob: ``2n - 1`` nodes of 32 bytes in array order (what a batch stores)."""
        return b"".join(self._tree)

    def dump(self) -> dict[str, Any]:
        """The tree in the JS library's ``standard-v1`` format (``StandardMerkleTree.load`` reads it)."""
        return {
            "format": "standard-v1",
            "leafEncoding": list(LEAF_ENCODING),
            "tree": [to_hex(node) for node in self._tree],
            "values": [
                {"value": [to_hex(h)], "treeIndex": t}
                for h, t in zip(self._credential_hashes, self._tree_index, strict=True)
            ],
        }

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self._credential_hashes):
            raise MerkleTreeError(
                f"Index {index} is out of range: this tree has {len(self._credential_hashes)} credentials "
                f"(indexes 0 to {len(self._credential_hashes) - 1})."
            )


class StoredTree:
    """A tree as a batch stores it (:meth:`MerkleTree.nodes`: ``2n - 1`` nodes of 32 bytes, the root first, the
    sorted leaves last in descending order): its root, its leaves and any member's proof, with no hashing beyond the
    member's leaf. The credential hashes themselves are not in it."""

    __slots__ = ("_nodes", "_size")

    def __init__(self, nodes: bytes) -> None:
        if not nodes or len(nodes) % 32 or (len(nodes) // 32) % 2 == 0:
            raise MerkleTreeError(f"A stored tree must hold an odd number of 32-byte nodes; got {len(nodes)} bytes.")
        self._nodes = bytes(nodes)
        self._size = len(nodes) // 32

    def __len__(self) -> int:
        """How many credentials the tree holds."""
        return (self._size + 1) // 2

    @property
    def root(self) -> Hash32:
        return Hash32(self._nodes[:32])

    def sorted_leaves(self) -> list[bytes]:
        """The leaves in ascending order (the order :class:`MerkleTree` sorts them into)."""
        size = self._size
        return [self._node(i) for i in range(size - 1, size - 1 - len(self), -1)]

    def proof(self, credential_hash: bytes) -> list[Hash32]:
        """The siblings from the leaf of ``credential_hash`` up to the root (the leaf is found by binary search)."""
        size, n = self._size, len(self)
        leaf = leaf_hash(credential_hash)
        # sorted leaf k (ascending) is node size - 1 - k
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._node(size - 1 - mid) < leaf:
                lo = mid + 1
            else:
                hi = mid
        if lo == n or self._node(size - 1 - lo) != leaf:
            raise MerkleTreeError(
                f"The credential hash {to_hex(credential_hash)} is not in this batch; "
                "check that the credential belongs to this anchor."
            )
        return [Hash32(node) for node in _siblings(self._node, size - 1 - lo)]

    def _node(self, i: int) -> bytes:
        return self._nodes[i * 32 : i * 32 + 32]


def proof_from_nodes(nodes: bytes, credential_hash: bytes) -> list[Hash32]:
    """The proof of ``credential_hash`` in a tree stored as :meth:`MerkleTree.nodes` (:meth:`StoredTree.proof`)."""
    return StoredTree(nodes).proof(credential_hash)


def _siblings(node: Callable[[int], bytes], i: int) -> list[bytes]:
    """The proof of tree node ``i``: its sibling, its parent's sibling, ... up to (not including) the root."""
    proof: list[bytes] = []
    while i > 0:
        proof.append(node(i + 1 if i % 2 else i - 1))
        i = (i - 1) // 2
    return proof


def _check_bytes32(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise MerkleTreeError(f"Each {what} must be exactly 32 bytes; got {value!r:.80}.")
