"""W3C Bitstring Status List v1.0: the bitstring, its encoding, random index allocation, and the two JSON shapes.

- The bitstring: index 0 is the left-most (most significant) bit of the first byte; ``statusSize`` 1 (one bit per
  credential: revocation or suspension, one list per purpose). Lists are at least :data:`MIN_LENGTH` (131,072) entries
  long (16 KiB), the spec's minimum for herd privacy.
- ``encodedList``: multibase ``u`` + base64url (no padding) of the GZIP-compressed bitstring.
- Indexes are drawn at random (``secrets``) among the free ones, so an index says nothing about issue order.
- :func:`status_list_credential` builds the (unsigned) ``BitstringStatusListCredential``; sign it with
  :func:`node.interop.dataintegrity.sign`. :func:`status_entry` builds a credential's ``BitstringStatusListEntry``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import secrets
from collections.abc import Collection, Iterable
from typing import Any, Literal

from node.interop.contexts import VC_V2_URL
from node.interop.multiformats import MultibaseError, decode_multibase, multibase_b64url

MIN_LENGTH = 131_072
"""Entries in a list at the least (16 KiB of bits): W3C Bitstring Status List v1.0 §6.1 (herd privacy)."""
MAX_ENCODED_CHARS = 1_000_000
"""Refuse to decode a list whose text is longer (a list of 131,072 zero bits encodes to a few dozen characters)."""
MAX_LENGTH = 16 * 1024 * 1024 * 8
"""Refuse a decoded bitstring longer than 16 MiB (a GZIP bomb)."""

Purpose = Literal["revocation", "suspension", "refresh", "message"]


class StatusListError(ValueError):
    """A list that cannot be read, an index out of range, or no free index left."""


class BitstringStatusList:
    """A mutable bitstring of ``length`` one-bit entries (all 0 = no credential revoked/suspended)."""

    def __init__(self, length: int = MIN_LENGTH, bits: bytes | None = None) -> None:
        if length < MIN_LENGTH or length % 8:
            raise StatusListError(f"A status list has at least {MIN_LENGTH} entries and a whole number of bytes.")
        self.length = length
        self._bits = bytearray(bits) if bits is not None else bytearray(length // 8)
        if len(self._bits) != length // 8:
            raise StatusListError("The bitstring does not have length/8 bytes.")

    def _check(self, index: int) -> None:
        if not 0 <= index < self.length:
            raise StatusListError(f"Index {index} is outside the list (0 … {self.length - 1}).")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def set_indices(self) -> list[int]:
        """Every index whose bit is 1, ascending."""
        out: list[int] = []
        for byte_index, byte in enumerate(self._bits):
            if byte:
                out.extend(byte_index * 8 + bit for bit in range(8) if byte & (0x80 >> bit))
        return out

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """``encodedList``: ``u`` + base64url(GZIP(bitstring)), no padding. Deterministic (GZIP mtime 0)."""
        return multibase_b64url(gzip.compress(bytes(self._bits), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: str) -> BitstringStatusList:
        """Read an ``encodedList`` (refuses a non-``u`` multibase, bad GZIP, and oversize lists)."""
        if len(encoded) > MAX_ENCODED_CHARS:
            raise StatusListError("The encoded list is too long.")
        if not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url ('u…').")
        try:
            compressed = decode_multibase(encoded)
            with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:
                bits = stream.read(MAX_LENGTH // 8 + 1)
        except (MultibaseError, OSError, EOFError, ValueError) as exc:
            raise StatusListError(f"encodedList is not GZIP in base64url: {exc}") from None
        if len(bits) > MAX_LENGTH // 8:
            raise StatusListError("The decoded list is larger than credreg reads.")
        return cls(len(bits) * 8, bits)


def allocate_indices(count: int, taken: Collection[int], length: int = MIN_LENGTH) -> list[int]:
    """``count`` distinct random indexes in ``[0, length)`` not in ``taken`` (cryptographically random)."""
    free = length - len(taken)
    if count > free:
        raise StatusListError(f"Only {free} free entries are left in this list; open a new list.")
    chosen: set[int] = set()
    while len(chosen) < count:
        index = secrets.randbelow(length)
        if index not in taken:
            chosen.add(index)
    return sorted(chosen, key=lambda _: secrets.randbits(32))


def status_entry(list_credential_url: str, index: int, purpose: Purpose) -> dict[str, Any]:
    """A credential's ``credentialStatus`` entry pointing at ``index`` of the list at ``list_credential_url``."""
    if index < 0:
        raise StatusListError("A status list index is not negative.")
    return {
        "id": f"{list_credential_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_url,
    }


def status_entries(lists: Iterable[tuple[str, int, Purpose]]) -> list[dict[str, Any]]:
    """Several entries (e.g. one revocation and one suspension entry), as ``credentialStatus`` takes them."""
    return [status_entry(url, index, purpose) for url, index, purpose in lists]


def status_list_credential(
    url: str,
    *,
    issuer_id: str,
    purpose: Purpose,
    status_list: BitstringStatusList,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` published at ``url`` (``ttl`` in milliseconds, optional)."""
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        if ttl_ms <= 0:
            raise StatusListError("ttl is a positive number of milliseconds.")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2_URL],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _when(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = _when(valid_until)
    credential["credentialSubject"] = subject
    return credential


def read_status(list_credential: dict[str, Any], entry: dict[str, Any]) -> bool:
    """The bit an entry points at in a (verified) list credential; checks the entry and list agree."""
    subject = list_credential.get("credentialSubject", {})
    if entry.get("statusListCredential") != list_credential.get("id"):
        raise StatusListError("The entry names another status list credential.")
    if entry.get("statusPurpose") != subject.get("statusPurpose"):
        raise StatusListError("The entry's statusPurpose differs from the list's.")
    raw = entry.get("statusListIndex")
    if not isinstance(raw, str) or not raw.isdigit() or (raw != "0" and raw.startswith("0")):
        raise StatusListError("statusListIndex must be a decimal integer in a string.")
    return BitstringStatusList.decode(str(subject.get("encodedList", ""))).get(int(raw))


def _when(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise StatusListError("Give times with a time zone.")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
