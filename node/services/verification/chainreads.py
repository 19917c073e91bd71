"""One verification run's view of the chain: one snapshot, every record asked at most once."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from node.chain.records import ChainBlock
from node.chain.registry import (
    AnchorRecord,
    BodyRecord,
    IssuerRecord,
    KeyRecord,
)
from node.readmodel.chainview import AnchorTx, ChainView, LeafState

# --- reading the chain once per run -----------------------------------------------------------------------------


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class _Reader:
    """One verification run's view of the chain: one snapshot, every record asked at most once."""

    def __init__(self, view: ChainView) -> None:
        self.view = view.snapshot()
        self.as_of = self.view.as_of()
        self._memo: dict[tuple[str, Hashable], Any] = {}

    def _once(self, kind: str, key: K, fn: Callable[[K], T]) -> T:
        slot = (kind, key)
        if slot not in self._memo:
            self._memo[slot] = fn(key)
        result: T = self._memo[slot]
        return result

    def anchor(self, root: bytes) -> AnchorRecord | None:
        return self._once("anchor", root, self.view.anchor)

    def key(self, key_id: int) -> KeyRecord | None:
        return self._once("key", key_id, self.view.key)

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        return self._once("issuer", issuer_id, self.view.issuer)

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return self._once("issuer_types", issuer_id, self.view.issuer_types)

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        return self._once("issuer_identities", issuer_id, self.view.issuer_identities)

    def body(self, body_id: int) -> BodyRecord | None:
        return self._once("body", body_id, self.view.body)

    def body_types(self, body_id: int) -> list[bytes]:
        return self._once("body_types", body_id, self.view.body_types)

    def block(self, number: int) -> ChainBlock | None:
        return self._once("block", number, self.view.block)

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        return self._once("anchor_tx", root, self.view.anchor_transaction)

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        return self.view.leaf_state(root, credential_hash, proof)
