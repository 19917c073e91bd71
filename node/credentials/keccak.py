"""One fast keccak-256 for the whole package.

Picks the quickest backend installed (``safe-pysha3`` ≈ 0.8 µs per 64-byte hash, then pycryptodome ≈ 4 µs, then
``eth_hash``). Every backend computes the same function; only the speed differs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _pick_backend() -> Callable[[bytes], bytes]:
    try:
        sha3: Any = importlib.import_module("sha3")
    except ImportError:
        pass
    else:
        new_sha3 = sha3.keccak_256

        def _pysha3(data: bytes) -> bytes:
            digest: bytes = new_sha3(data).digest()
            return digest

        return _pysha3
    try:
        crypto_keccak: Any = importlib.import_module("Crypto.Hash.keccak")
    except ImportError:
        pass
    else:
        new_keccak = crypto_keccak.new

        def _pycryptodome(data: bytes) -> bytes:
            digest: bytes = new_keccak(digest_bits=256, data=data).digest()
            return digest

        return _pycryptodome
    eth_hash_auto: Any = importlib.import_module("eth_hash.auto")
    eth_keccak = eth_hash_auto.keccak

    def _eth_hash(data: bytes) -> bytes:
        digest: bytes = eth_keccak(data)
        return digest

    return _eth_hash


keccak256: Callable[[bytes], bytes] = _pick_backend()
"""keccak-256 (Ethereum's, not NIST SHA3-256) of ``data``: 32 bytes."""


def to_hex(data: bytes) -> str:
    """``0x``-prefixed lowercase hex, the way the chain and the JS tooling print bytes."""
    return "0x" + data.hex()
