"""One 32-byte hash type: Merkle roots, credential hashes, leaves, transaction and block hashes, type ids.

A :class:`Hash32` *is* ``bytes`` (web3 encodes it as a ``bytes32``, it compares and hashes equal to the same
bytes, it keys the same dict entries), checked to be exactly 32 bytes when made. Text comes in through
:meth:`Hash32.from_hex` (``0x`` and 64 hex digits, either case) and goes out through :attr:`Hash32.hex0x` or
``str()``: ``0x`` and lowercase, the way the chain, the store and the JS tooling print it.
"""

from __future__ import annotations

from typing import Final

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")


class Hash32(bytes):
    """Exactly 32 bytes; immutable. ``Hash32(b)`` checks the length, ``Hash32.from_hex(text)`` parses."""

    __slots__ = ()

    def __new__(cls, value: bytes | bytearray | memoryview) -> Hash32:
        if type(value) is cls:
            return value
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"a 32-byte hash is made from bytes, not {type(value).__name__}; use Hash32.from_hex")
        made = super().__new__(cls, value)
        if len(made) != 32:
            raise ValueError(f"a 32-byte hash must be exactly 32 bytes; got {len(made)}")
        return made

    @classmethod
    def from_hex(cls, text: str) -> Hash32:
        """``0x`` followed by exactly 64 hex digits (upper or lower case); ``ValueError`` for anything else."""
        if not isinstance(text, str):
            raise TypeError(f"a 32-byte hash in hex is text, not {type(text).__name__}")
        if len(text) != 66 or text[:2] != "0x" or not _HEX_DIGITS.issuperset(text[2:]):
            raise ValueError(f"a 32-byte hash is 0x followed by 64 hex digits; got {text!r:.80}")
        return cls(bytes.fromhex(text[2:]))

    @classmethod
    def of(cls, value: Hash32 | bytes | str) -> Hash32:
        """Whatever form a hash arrives in (``0x``-hex text or 32 bytes) as a :class:`Hash32`."""
        return cls.from_hex(value) if isinstance(value, str) else cls(value)

    @property
    def hex0x(self) -> str:
        """``0x`` and 64 lowercase hex digits."""
        return "0x" + self.hex()

    def __str__(self) -> str:
        return "0x" + self.hex()

    def __repr__(self) -> str:
        return f"Hash32.from_hex('0x{self.hex()}')"
