"""IRegistryAnchors: anchoring a root (by the issuer key, compactly by type index, or by signature)."""

from __future__ import annotations

from web3.contract.contract import ContractFunction

from node.chain.bindings.base import Writes


class AnchorWrites(Writes):
    """Anchoring; ``expires_at`` 0 never expires."""

    def anchor(self, root: bytes, leaf_count: int, credential_type: bytes, expires_at: int) -> ContractFunction:
        return self._fn("anchor", root, leaf_count, credential_type, expires_at)

    def anchor_single(self, root: bytes, type_id: int) -> ContractFunction:
        """A one-credential batch (leafCount 1, no expiry) of the type registered at index ``type_id``."""
        return self._fn("anchorSingle", root, type_id)

    def anchor_by_sig(
        self,
        root: bytes,
        leaf_count: int,
        credential_type: bytes,
        expires_at: int,
        deadline: int,
        v: int,
        r: bytes,
        s: bytes,
    ) -> ContractFunction:
        """A delegated anchor: (v, r, s) from :func:`node.chain.anchorsig.sign_anchor`."""
        return self._fn("anchorBySig", root, leaf_count, credential_type, expires_at, deadline, v, r, s)
