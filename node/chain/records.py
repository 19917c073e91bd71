"""The registry's records as the node reads them: anchors, keys, issuers, bodies, proposals, blocks, logs.

Plain frozen dataclasses (no web3): the views' tuples become these in one place (the ``*_record`` functions below), so
the RPC client, the multicall reads and the indexer's mirror all return the same types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

from node.chain.values import AccreditationStatus, CredentialStatus


@dataclass(frozen=True)
class AnchorRecord:
    root: bytes
    issuer_id: int
    key_id: int
    key: str
    anchored_at: int
    leaf_count: int
    credential_type: bytes
    expires_at: int
    status: CredentialStatus
    reason_code: int
    status_since: int

    @property
    def exists(self) -> bool:
        return self.issuer_id != 0


@dataclass(frozen=True)
class AnchorLog:
    """Where a root was anchored: the transaction and block of its CredentialAnchored log, and who sent it."""

    root: bytes
    tx_hash: str
    block_number: int
    block_hash: str
    sender: str
    nonce: int


@dataclass(frozen=True)
class KeyRecord:
    key: str
    issuer_id: int
    key_id: int
    valid_from: int
    valid_until: int
    compromised_at: int
    effective_from: int
    effective_until: int


@dataclass(frozen=True)
class IssuerRecord:
    issuer_id: int
    body_id: int
    max_level: int
    status: AccreditationStatus
    held_by_governance: bool
    valid_from: int
    valid_until: int
    status_changed_at: int
    metadata_hash: bytes
    metadata_uri: str


@dataclass(frozen=True)
class BodyRecord:
    body_id: int
    admin: str
    max_level: int
    status: AccreditationStatus
    valid_from: int
    valid_until: int
    status_changed_at: int
    metadata_uri: str


@dataclass(frozen=True)
class ProposalRecord:
    proposal_id: int
    proposer: str
    target: str
    deadline: int
    executed: bool
    data: bytes
    approvals: int
    """Approvals by current governors."""


def type_id(name: str) -> bytes:
    """The bytes32 id of a credential type on chain: keccak256("credreg:type:<name>")."""
    return keccak(text=f"credreg:type:{name}")


@dataclass(frozen=True)
class ChainBlock:
    """A block as the node knows it: the RPC client's headers, the indexer's cursor, the verifier's "as of"."""

    number: int
    hash: str
    """0x-prefixed lowercase hex."""
    timestamp: int


@dataclass(frozen=True)
class ChainLog:
    """One decoded event of the registry or the governance contract, as eth_getLogs returned it."""

    contract: str
    """REGISTRY or GOVERNANCE."""
    name: str
    args: dict[str, Any]
    """Decoded by the ABI (bytes, ints, checksummed addresses, lists)."""
    block_number: int
    block_hash: str
    block_timestamp: int | None
    """From the log when the node includes it (anvil, geth >= 1.16); else None and the caller reads the header."""
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class AccreditationReads:
    """Body, issuer and key records read together at one block (records as the views return them)."""

    bodies: dict[int, BodyRecord]
    body_types: dict[int, list[bytes]]
    issuers: dict[int, IssuerRecord]
    issuer_types: dict[int, list[bytes]]
    keys: dict[str, KeyRecord]


def anchor_record(root: bytes, r: Any) -> AnchorRecord:
    """``anchorOf(root)``'s tuple as an AnchorRecord."""
    return AnchorRecord(root, r[0], r[1], r[2], r[3], r[4], bytes(r[5]), r[6], CredentialStatus(r[7]), r[8], r[9])


def issuer_record(issuer_id: int, r: Any) -> IssuerRecord:
    """``issuerOf(issuerId)``'s tuple as an IssuerRecord."""
    return IssuerRecord(issuer_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6], bytes(r[7]), r[8])


def body_record(body_id: int, r: Any) -> BodyRecord:
    """``bodyOf(bodyId)``'s tuple as a BodyRecord."""
    return BodyRecord(body_id, r[0], r[1], AccreditationStatus(r[2]), r[3], r[4], r[5], r[6])
