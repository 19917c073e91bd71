"""node/credentials/keccak.py: one keccak-256 (Ethereum's, not NIST SHA3-256) whichever backend is installed."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from eth_utils.crypto import keccak as eth_keccak
from hypothesis import given
from hypothesis import strategies as st

from node.credentials import keccak as module
from node.credentials.keccak import keccak256, to_hex

EMPTY = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
ABC = "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_known_digests_and_not_sha3() -> None:
    assert to_hex(keccak256(b"")) == EMPTY
    assert to_hex(keccak256(b"abc")) == ABC
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()  # the padding differs: this is not NIST SHA3
    assert len(keccak256(b"x" * 1000)) == 32


def backend_without(blocked: set[str], monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], bytes]:
    """The backend _pick_backend chooses when the modules in ``blocked`` are not installed."""
    real = importlib.import_module

    def fake(name: str, *args: Any) -> Any:
        if name in blocked:
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)  # the one module keccak.py imports through
    return module._pick_backend()


@pytest.mark.parametrize(
    ("blocked", "chosen"),
    [(set(), "_pysha3"), ({"sha3"}, "_pycryptodome"), ({"sha3", "Crypto.Hash.keccak"}, "_eth_hash")],
    ids=["safe-pysha3", "pycryptodome", "eth-hash"],
)
def test_every_backend_computes_the_same_function(
    blocked: set[str], chosen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backend_without(blocked, monkeypatch)
    assert backend.__name__ == chosen
    assert to_hex(backend(b"")) == EMPTY
    assert to_hex(backend(b"abc")) == ABC
    for size in (1, 31, 32, 33, 135, 136, 137, 1000):  # around the 136-byte rate, where padding changes
        data = bytes(range(256))[:size] * (1 + size // 256)
        assert backend(data) == eth_keccak(data), size


@given(st.binary(max_size=300))
def test_matches_eth_utils_on_any_input(data: bytes) -> None:
    assert keccak256(data) == eth_keccak(data)


def test_to_hex_is_0x_and_lowercase() -> None:
    assert to_hex(b"\xab\xcd\x00") == "0xabcd00"
    assert to_hex(b"") == "0x"
