"""The credential model: W3C VC 2.0 documents, salted field hashing (RFC 8785 JCS + keccak256), Merkle trees
compatible with OpenZeppelin's StandardMerkleTree, selective disclosure and bundles. Pure: no chain, SQL or HTTP."""

from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, loads_bundle, make_bundles
from node.credentials.document import build_document, disclose, verify_integrity
from node.credentials.merkle import MerkleTree
from node.credentials.types import get_type, known_types, type_id_bytes32

__all__ = [
    "AnchorInfo",
    "MerkleTree",
    "batch_tree",
    "build_document",
    "disclose",
    "dumps_bundle",
    "get_type",
    "known_types",
    "loads_bundle",
    "make_bundles",
    "type_id_bytes32",
    "verify_integrity",
]
