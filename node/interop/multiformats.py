"""The few multiformats pieces credreg needs: base58btc, multibase (``z`` base58btc, ``u`` base64url) and the
Ed25519 multicodec prefixes (public key ``0xed01``, private key ``0x1300``)."""

from __future__ import annotations

import base64

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}

ED25519_PUB = b"\xed\x01"
"""Multicodec ``ed25519-pub`` (0xed, varint-encoded as 0xed 0x01)."""
ED25519_PRIV = b"\x80\x26"
"""Multicodec ``ed25519-priv`` (0x1300, varint-encoded as 0x80 0x26)."""


class MultibaseError(ValueError):
    """Not a well-formed multibase / multicodec value."""


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_ALPHABET[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        digit = _INDEX.get(ch)
        if digit is None:
            raise MultibaseError(f"{ch!r} is not a base58btc character.")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_b58(data: bytes) -> str:
    """``z`` + base58btc."""
    return "z" + b58encode(data)


def multibase_b64url(data: bytes) -> str:
    """``u`` + base64url without padding."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_multibase(text: str) -> bytes:
    """Bytes of a ``z`` (base58btc) or ``u`` (base64url, no padding) multibase string."""
    if text.startswith("z"):
        return b58decode(text[1:])
    if text.startswith("u"):
        body = text[1:]
        if "=" in body or not all(c.isalnum() or c in "-_" for c in body):
            raise MultibaseError("a 'u' multibase value must be base64url without padding.")
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    raise MultibaseError(f"unsupported multibase prefix {text[:1]!r} (credreg reads 'z' and 'u').")


def ed25519_public_multibase(public_key: bytes) -> str:
    """A Multikey ``publicKeyMultibase``: ``z`` + base58btc(0xed01 ‖ 32-byte key)."""
    if len(public_key) != 32:
        raise MultibaseError("an Ed25519 public key is 32 bytes.")
    return multibase_b58(ED25519_PUB + public_key)


def ed25519_public_from_multibase(value: str) -> bytes:
    if not value.startswith("z"):
        raise MultibaseError("an Ed25519 Multikey is base58btc ('z…').")
    raw = decode_multibase(value)
    if raw[:2] != ED25519_PUB or len(raw) != 34:
        raise MultibaseError("not an Ed25519 public key (multicodec 0xed01 and 32 bytes).")
    return raw[2:]


def ed25519_secret_from_multibase(value: str) -> bytes:
    """The 32-byte seed of a Multikey ``secretKeyMultibase`` (multicodec 0x1300)."""
    raw = decode_multibase(value)
    if raw[:2] != ED25519_PRIV or len(raw) != 34:
        raise MultibaseError("not an Ed25519 secret key (multicodec 0x1300 and 32 bytes).")
    return raw[2:]
