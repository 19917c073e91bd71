"""An in-memory chain for verification tests that need thousands of verdicts: no anvil, no RPC.

:class:`FakeChain` keeps the records the registry's views return (``node.chain.registry``) in dicts and answers the
:class:`~node.readmodel.chainview.ChainView` protocol from them, so the real :class:`VerificationService` judges
bundles against it exactly as against the mirror or RPC. It anchors real Merkle trees of real sealed documents
(:meth:`issue`), and its lifecycle and accreditation acts change the records the way the contracts would (revoke,
suspend, supersede at root or leaf level; key compromise; issuer out of scope). :meth:`facts` writes its state in
the checkpoint ``facts`` shape (``node/readmodel/checkpoint.py``), so the same state can be a test vector.

It is a test double of the chain's *answers*, not of the contracts' rules: the contract tests (tests/contracts) and
the anvil-backed verification tests check that the real chain answers the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from node.chain.records import ChainBlock
from node.chain.registry import (
    OPEN_END,
    AccreditationStatus,
    AnchorRecord,
    BodyRecord,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
)
from node.credentials.bundle import AnchorInfo, batch_tree, make_bundles
from node.credentials.document import build_document
from node.credentials.hashing import issuer_metadata_hash
from node.credentials.keccak import keccak256, to_hex
from node.credentials.types import type_id_bytes32
from node.readmodel.chainview import AnchorTx, LeafState
from node.readmodel.checkpoint import encode_record

CHAIN_ID = 472019
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
START = 1_795_000_000
"""Block time of block 1 (2026-11-18); one block per second after it."""


@dataclass
class FakeIssuer:
    issuer_id: int
    uri: str
    key_id: int
    key: str
    name: str | None = None


@dataclass
class FakeChain:
    """A registry's state, block by block (one block per act), answering the ChainView protocol."""

    chain_id: int = CHAIN_ID
    registry_address: str = REGISTRY
    number: int = 1
    anchors: dict[bytes, AnchorRecord] = field(default_factory=dict)
    leaves: dict[bytes, list[bytes]] = field(default_factory=dict)
    leaf_states: dict[tuple[bytes, bytes], LeafState] = field(default_factory=dict)
    anchor_blocks: dict[bytes, int] = field(default_factory=dict)
    keys: dict[int, KeyRecord] = field(default_factory=dict)
    issuers: dict[int, IssuerRecord] = field(default_factory=dict)
    issuer_scope: dict[int, list[bytes]] = field(default_factory=dict)
    identities: dict[int, tuple[str, ...]] = field(default_factory=dict)
    bodies: dict[int, BodyRecord] = field(default_factory=dict)
    body_scope: dict[int, list[bytes]] = field(default_factory=dict)

    in_memory = True
    """The verification service answers on the event loop (no I/O)."""

    # --- time -----------------------------------------------------------------------------------------------------

    @property
    def now(self) -> int:
        return START + self.number - 1

    def mine(self, seconds: int = 1) -> int:
        """Move on ``seconds`` blocks (one per second); returns the new block time."""
        self.number += seconds
        return self.now

    # --- accreditation ----------------------------------------------------------------------------------------------

    def add_body(self, types: tuple[str, ...], max_level: int = 10) -> int:
        body_id = len(self.bodies) + 1
        self.bodies[body_id] = BodyRecord(
            body_id,
            "0x" + "0b" * 20,
            max_level,
            AccreditationStatus.ACTIVE,
            START - 1000,
            OPEN_END,
            START - 1000,
            f"did:web:body{body_id}.credreg.test",
        )
        self.body_scope[body_id] = [type_id_bytes32(t) for t in types]
        return body_id

    def add_issuer(
        self, body_id: int, types: tuple[str, ...], max_level: int = 10, name: str | None = None
    ) -> FakeIssuer:
        """An issuer accredited by ``body_id`` with one signing key; ``name`` is its registered name, bound by its
        metadata hash as the node accredits issuers (None: no name registered, a zero hash)."""
        issuer_id = len(self.issuers) + 1
        uri = f"did:web:issuer{issuer_id}.credreg.test"
        metadata_hash = issuer_metadata_hash(uri, name) if name is not None else b"\0" * 32
        self.issuers[issuer_id] = IssuerRecord(
            issuer_id,
            body_id,
            max_level,
            AccreditationStatus.ACTIVE,
            False,
            START - 1000,
            OPEN_END,
            START - 1000,
            metadata_hash,
            uri,
        )
        self.issuer_scope[issuer_id] = [type_id_bytes32(t) for t in types]
        self.identities[issuer_id] = (uri,)
        key_id = len(self.keys) + 1
        key = "0x" + keccak256(f"key{key_id}".encode()).hex()[-40:]
        self.keys[key_id] = KeyRecord(key, issuer_id, key_id, START - 1000, OPEN_END, 0, START - 1000, OPEN_END)
        return FakeIssuer(issuer_id, uri, key_id, key, name)

    def set_issuer(self, issuer_id: int, **changes: Any) -> None:
        self.issuers[issuer_id] = dataclasses.replace(self.issuers[issuer_id], **changes)

    def set_key(self, key_id: int, **changes: Any) -> None:
        self.keys[key_id] = dataclasses.replace(self.keys[key_id], **changes)

    # --- anchoring and the lifecycle ----------------------------------------------------------------------------------

    def issue(
        self,
        issuer: FakeIssuer,
        type_name: str,
        subjects: list[Mapping[str, Any]],
        *,
        valid_until: int | None = None,
        expires_at: int = 0,
    ) -> list[dict[str, Any]]:
        """Seal one document per subject, anchor their tree in a new block, return the holders' bundles."""
        start = dt.datetime.fromtimestamp(self.now, dt.UTC)
        until = dt.datetime.fromtimestamp(valid_until, dt.UTC) if valid_until else None
        documents = [
            build_document(
                type_name, s, issuer_id=issuer.uri, issuer_name=issuer.name, valid_from=start, valid_until=until
            )
            for s in subjects
        ]
        return self.anchor_documents(issuer, documents, type_name, expires_at=expires_at)

    def anchor_documents(
        self, issuer: FakeIssuer, documents: list[dict[str, Any]], type_name: str, *, expires_at: int = 0
    ) -> list[dict[str, Any]]:
        """Anchor the tree of sealed ``documents`` in a new block as ``type_name``, by ``issuer``'s current key, the
        way the registry records an ``anchor``; return the holders' bundles, in the documents' order."""
        anchored_at = self.mine()
        tree = batch_tree(documents)
        root = tree.root
        self.anchors[root] = AnchorRecord(
            root,
            issuer.issuer_id,
            issuer.key_id,
            issuer.key,
            anchored_at,
            len(documents),
            type_id_bytes32(type_name),
            expires_at,
            CredentialStatus.ACTIVE,
            0,
            0,
        )
        self.leaves[root] = [tree.credential_hash(i) for i in range(len(documents))]
        self.anchor_blocks[root] = self.number
        tx = keccak256(b"tx" + root)
        return make_bundles(documents, tree, AnchorInfo(self.chain_id, self.registry_address, tx, self.number))

    def set_status(
        self,
        root: bytes,
        credential_hash: bytes | None,
        status: CredentialStatus,
        reason: int = 1,
        replacement: tuple[bytes, bytes] | None = None,
    ) -> None:
        """A lifecycle act in a new block: on the whole root (``credential_hash`` None) or on one credential."""
        since = self.mine()
        state = LeafState(status, reason, since, *(replacement or (None, None)))
        if credential_hash is None:
            record = self.anchors[root]
            self.anchors[root] = dataclasses.replace(record, status=status, reason_code=reason, status_since=since)
            for leaf in self.leaves[root]:
                self.leaf_states[(root, leaf)] = state
        else:
            self.leaf_states[(root, credential_hash)] = state

    # --- the ChainView protocol ---------------------------------------------------------------------------------------

    def as_of(self) -> ChainBlock:
        return self.block(self.number) or ChainBlock(self.number, "0x" + "00" * 32, self.now)

    def snapshot(self) -> FakeChain:
        return self

    def anchor(self, root: bytes) -> AnchorRecord | None:
        return self.anchors.get(root)

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        state = self.leaf_states.get((root, credential_hash))
        if state is not None:
            return state
        record = self.anchors[root]
        return LeafState(record.status, record.reason_code, record.status_since or record.anchored_at)

    def key(self, key_id: int) -> KeyRecord | None:
        return self.keys.get(key_id)

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        return self.issuers.get(issuer_id)

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return list(self.issuer_scope.get(issuer_id, []))

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        return self.identities.get(issuer_id, ())

    def body(self, body_id: int) -> BodyRecord | None:
        return self.bodies.get(body_id)

    def body_types(self, body_id: int) -> list[bytes]:
        return list(self.body_scope.get(body_id, []))

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        block = self.anchor_blocks.get(root)
        return AnchorTx(to_hex(keccak256(b"tx" + root)), block) if block is not None else None

    def block(self, number: int) -> ChainBlock | None:
        if not 1 <= number <= self.number:
            return None
        return ChainBlock(number, to_hex(keccak256(number.to_bytes(8, "big"))), START + number - 1)

    # --- the state as checkpoint facts (for the test vectors, tests/vectors) ------------------------------------------

    def facts(self) -> dict[str, Any]:
        """Every record this chain holds, in the checkpoint ``facts`` shape (``node/readmodel/checkpoint.py``): what
        :class:`~node.readmodel.checkpoint.CheckpointChainView` answers from. Leaf states are the effective state of
        every leaf of every root; blocks are every block up to the current one."""
        return {
            "anchors": {to_hex(root): _encode(record) for root, record in self.anchors.items()},
            "leafStates": {
                to_hex(root): {to_hex(leaf): _encode(self.leaf_state(root, leaf, [])) for leaf in leaves}
                for root, leaves in self.leaves.items()
            },
            "keys": {str(key_id): _encode(record) for key_id, record in self.keys.items()},
            "issuers": {str(issuer_id): _encode(record) for issuer_id, record in self.issuers.items()},
            "issuerTypes": {str(i): [to_hex(t) for t in types] for i, types in self.issuer_scope.items()},
            "issuerIdentities": {str(i): list(uris) for i, uris in self.identities.items()},
            "bodies": {str(body_id): _encode(record) for body_id, record in self.bodies.items()},
            "bodyTypes": {str(b): [to_hex(t) for t in types] for b, types in self.body_scope.items()},
            "blocks": {str(n): _encode(self.block(n)) for n in range(1, self.number + 1)},
            "anchorTransactions": {to_hex(root): _encode(self.anchor_transaction(root)) for root in self.anchors},
        }


def _encode(record: object) -> Any:
    """A record (frozen dataclass) as the checkpoint writes it: bytes as 0x hex, enums as ints; None stays None."""
    return None if record is None else encode_record(record)
