"""What verification needs to know about the chain, as one protocol with two sources.

- :class:`RpcChainView` asks the contracts' views over JSON-RPC (``credreg verify FILE --rpc-url``: no service).
- The indexer's mirror (``node/workers/indexer.py``) answers from state it keeps in step with the chain's events,
  so the verify endpoint needs no RPC per request; ``as_of()`` says how fresh it is.

Both return the same records (``node.chain.registry``), so one verdict function serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from node.chain.registry import (
    AnchorRecord,
    BodyRecord,
    ChainBlock,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
    RegistryClient,
)
from node.errors import ContractRevertError


@dataclass(frozen=True)
class AnchorTx:
    """Where the chain says a root was anchored: the transaction and block of its ``CredentialAnchored`` log."""

    tx_hash: str
    """0x-prefixed lowercase hex."""
    block_number: int


@dataclass(frozen=True)
class LeafState:
    """The effective status of (root, credential): the more severe of the root's and the credential's own."""

    status: CredentialStatus
    reason_code: int
    since: int
    replacement_root: bytes | None = None
    replacement_hash: bytes | None = None


class ChainView(Protocol):
    chain_id: int
    registry_address: str

    def as_of(self) -> ChainBlock: ...

    def anchor(self, root: bytes) -> AnchorRecord | None:
        """The anchor record, or None when the root was never anchored."""

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        """Effective status of an anchored (root, credential); the proof is already checked by the caller."""

    def key(self, key_id: int) -> KeyRecord | None: ...

    def issuer(self, issuer_id: int) -> IssuerRecord | None: ...

    def issuer_types(self, issuer_id: int) -> list[bytes]: ...

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        """Every registered identity (metadata URI) the issuer has held, oldest first: the one it was accredited
        with, then each ``IssuerMetadataUpdated``, so the current one is last; empty when the view does not know the
        issuer's history (verification then compares with the current identity only)."""

    def body(self, body_id: int) -> BodyRecord | None: ...

    # --- added for verification (node/services/verification/) -------------------------------------------------

    def body_types(self, body_id: int) -> list[bytes]:
        """The credential types a body is accredited for (the scope its issuers' scopes are drawn from)."""

    def block(self, number: int) -> ChainBlock | None:
        """A block of the chain as this view knows it, or None when it does not know that block (not an error:
        verification then only skips comparing the bundle's block with the anchor time)."""

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        """The transaction and block that anchored ``root`` (from its log), or None when this view cannot say (a
        checkpoint made before it recorded them): the verdict then does not mention the bundle's transaction."""

    def snapshot(self) -> ChainView:
        """A view whose every answer is as of one block, ``as_of()`` of the returned view.

        Verification takes one snapshot per bundle (or per batch) so that a verdict never mixes two chain states;
        a view that is already consistent (an in-memory mirror updated under a lock, a checkpoint) returns itself.
        """


class RpcChainView:
    """ChainView over the contracts' view functions (one or more eth_calls per question)."""

    def __init__(self, client: RegistryClient, pinned: ChainBlock | None = None) -> None:
        self._client = client
        self._pinned = pinned
        self.chain_id = client.manifest.chain_id
        self.registry_address = client.manifest.registry

    def as_of(self) -> ChainBlock:
        if self._pinned is not None:
            return self._pinned
        block = self._client.block("latest")
        assert block is not None  # a chain always has a latest block
        return block

    def snapshot(self) -> RpcChainView:
        """Pin every read to the latest block now (eth_call at that block number)."""
        if self._pinned is not None:
            return self
        latest = self.as_of()
        return RpcChainView(self._client.at_block(latest.number), latest)

    def block(self, number: int) -> ChainBlock | None:
        return self._client.block(number)

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        record = self.anchor(root)
        if record is None:
            return None
        logs = self._client.anchor_logs(root, record.anchored_at)
        last = self.as_of().number
        found = [log for log in logs if log.block_number <= last]
        return AnchorTx(found[0].tx_hash.lower(), found[0].block_number) if found else None

    def body_types(self, body_id: int) -> list[bytes]:
        try:
            return self._client.body_types(body_id)
        except ContractRevertError:
            return []

    def anchor(self, root: bytes) -> AnchorRecord | None:
        record = self._client.anchor_of(root)
        return record if record.exists else None

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        status, reason, since = self._client.status_of(root, credential_hash, proof)
        replacement_root: bytes | None = None
        replacement_hash: bytes | None = None
        if status is CredentialStatus.SUPERSEDED:
            replacement_root, replacement_hash = self._client.replacement_of(root, credential_hash)
            if replacement_root == b"\0" * 32:
                replacement_root, replacement_hash = self._client.replacement_of(root, b"\0" * 32)
        return LeafState(status, reason, since, replacement_root, replacement_hash)

    def key(self, key_id: int) -> KeyRecord | None:
        try:
            record = self._client.key_by_id(key_id)
        except ContractRevertError:
            return None
        return record if record.issuer_id else None

    def key_of(self, address: str) -> KeyRecord | None:
        """A signing key by its address (issuance asks for the key the node anchors with); None when unknown."""
        try:
            record = self._client.key_of(address)
        except (ContractRevertError, ValueError):  # ValueError: not an address at all
            return None
        return record if record.issuer_id else None

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        try:
            return self._client.issuer_of(issuer_id)
        except ContractRevertError:
            return None

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return self._client.issuer_types(issuer_id)

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        """One eth_getLogs of the issuer's IssuerAccredited and IssuerMetadataUpdated logs (filtered by the indexed
        issuerId) from the deploy block to the pinned block; split into halves only while the node refuses a range
        (nodes cap eth_getLogs ranges, Besu at 5,000 blocks by default)."""
        return self._client.issuer_identities(issuer_id, self._pinned.number if self._pinned is not None else None)

    def body(self, body_id: int) -> BodyRecord | None:
        try:
            return self._client.body_of(body_id)
        except ContractRevertError:
            return None
