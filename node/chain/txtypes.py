"""The transaction manager's values: a call to send, a signed transaction, receipt lookups, resync reports, the
retry policy, and the nonce stores (:class:`NonceStore` and its in-memory default).

No RPC here: :mod:`node.chain.txmanager` does the sending; these are what it takes and gives back.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol

from web3.contract.contract import ContractFunction
from web3.types import Nonce, TxParams, TxReceipt, Wei

from node.errors import TransactionError

# --- values -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One contract call to send: target, calldata, value; ``gas`` skips estimation; ``abi`` decodes reverts."""

    to: str
    data: str
    value: int = 0
    gas: int | None = None
    abi: list[dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, fn: ContractFunction, *, value: int = 0, gas: int | None = None) -> Call:
        """A bound contract function (``contract.functions.f(args)``) as a Call; encodes locally, no RPC."""
        if fn.address is None:
            raise TransactionError(f"{fn!r} is not bound to a contract address: bind the contract to its address.")
        # every field given, so build_transaction only encodes (no fee, gas or chain-id lookups)
        placeholders: TxParams = {
            "gas": 1,
            "maxFeePerGas": Wei(1),
            "maxPriorityFeePerGas": Wei(1),
            "chainId": 1,
            "value": Wei(value),
            "nonce": Nonce(0),
        }
        tx = fn.build_transaction(placeholders)
        abi = [dict(entry) for entry in fn.contract_abi]
        return cls(to=str(tx["to"]), data=str(tx["data"]), value=value, gas=gas, abi=abi)


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready to persist and (re)send as is. Every field is JSON-safe."""

    sender: str
    nonce: int
    tx_hash: str
    raw_tx: str
    gas: int
    chain_id: int
    to: str
    data: str
    value: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Its fields by name (all JSON-safe): what :meth:`from_dict` reads back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTx:
        return cls(
            sender=str(data["sender"]),
            nonce=int(data["nonce"]),
            tx_hash=str(data["tx_hash"]),
            raw_tx=str(data["raw_tx"]),
            gas=int(data["gas"]),
            chain_id=int(data["chain_id"]),
            to=str(data["to"]),
            data=str(data["data"]),
            value=int(data.get("value", 0)),
        )


class TxState(Enum):
    MINED = "mined"
    PENDING = "pending"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TxLookup:
    state: TxState
    receipt: TxReceipt | None = None


@dataclass(frozen=True)
class ResyncReport:
    """What :meth:`TxManager.resync` did: re-sent, found consumed/refused, gap-filled, and the next nonce."""

    resent: tuple[SignedTx, ...]
    consumed: tuple[SignedTx, ...]
    rejected: tuple[SignedTx, ...]
    filled: tuple[int, ...]
    next_nonce: int


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for RPC faults: delays grow from ``initial_s`` by ``multiplier`` up to ``max_s``, with jitter."""

    total_s: float = 60.0
    initial_s: float = 0.1
    max_s: float = 4.0
    multiplier: float = 2.0


# --- nonce stores -------------------------------------------------------------------------------------------------


class NonceStore(Protocol):
    """Where a key's next nonce lives. ``node.store``'s ChainRepository implements the same three methods."""

    def next_nonce(self, address: str, chain_pending_nonce: int) -> int:
        """Reserve and return max(stored next nonce, ``chain_pending_nonce``); store it plus one."""
        ...

    def set_nonce(self, address: str, next_nonce: int) -> None:
        """Force the next nonce (resync)."""
        ...

    def get_nonce(self, address: str) -> int | None:
        """The next nonce the store would hand out, or None if it never handed one out."""
        ...

    def release_nonce(self, address: str, nonce: int) -> bool:
        """Take back ``nonce`` if it is the last one handed out (next nonce == nonce + 1); True if it was."""
        ...


class MemoryNonceStore:
    """The default NonceStore: a dict behind a lock (lost on restart; ``resync`` then starts from the chain)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def next_nonce(self, address: str, chain_pending_nonce: int) -> int:
        key = address.lower()
        with self._lock:
            reserved = max(self._next.get(key, 0), chain_pending_nonce)
            self._next[key] = reserved + 1
            return reserved

    def set_nonce(self, address: str, next_nonce: int) -> None:
        with self._lock:
            self._next[address.lower()] = next_nonce

    def get_nonce(self, address: str) -> int | None:
        with self._lock:
            return self._next.get(address.lower())

    def release_nonce(self, address: str, nonce: int) -> bool:
        key = address.lower()
        with self._lock:
            if self._next.get(key) != nonce + 1:
                return False
            self._next[key] = nonce
            return True
