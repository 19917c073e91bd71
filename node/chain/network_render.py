"""Pure renderers for the Besu QBFT network files: RLP and the QBFT ``extraData``, genesis, TOML, YAML, compose.

Nothing here touches the disk; :mod:`node.chain.network` decides what is written where. The formats follow the Besu
documentation (``docs/private-networks/how-to/configure/consensus/qbft.md`` in hyperledger/besu-docs):

* ``extraData`` is ``RLP([32 bytes vanity, [validator addresses], no vote, round 0, no seals])``; the published
  example encodes "no vote" as the empty list (``c0``), round 0 as the empty string (``80``) and no seals as ``c0``.
* The TOML and YAML writers cover only the value types these files use (strings, integers, booleans, lists and
  tables of them); strings are written as JSON strings, which both formats read as the same text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

from node.errors import ValidationFailedError

RlpItem: TypeAlias = bytes | Sequence["RlpItem"]
Scalar: TypeAlias = str | int | bool | None
Doc: TypeAlias = Scalar | Sequence["Doc"] | Mapping[str, "Doc"]

BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
"""The mixHash Besu's QBFT genesis files carry ("Istanbul block identification", the Besu docs)."""

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


# --- RLP and extraData ----------------------------------------------------------------------------------------------


def rlp_encode(item: RlpItem) -> bytes:
    """Recursive Length Prefix encoding (the Ethereum yellow paper, appendix B) of bytes and lists of them."""
    if isinstance(item, bytes | bytearray):
        raw = bytes(item)
        if len(raw) == 1 and raw[0] < 0x80:
            return raw
        return _length_prefix(len(raw), 0x80) + raw
    payload = b"".join(rlp_encode(part) for part in item)
    return _length_prefix(len(payload), 0xC0) + payload


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def address_bytes(address: str) -> bytes:
    """A 0x-prefixed 20-byte hex address as bytes; anything else is refused with what was expected."""
    if not _ADDRESS.match(address):
        raise ValidationFailedError(f"{address!r} is not an address: expected 0x followed by 40 hex digits.")
    return bytes.fromhex(address[2:])


def qbft_extra_data(validators: Sequence[str], vanity: bytes = bytes(32)) -> str:
    """The genesis ``extraData`` of a QBFT network with block-header validator selection, as 0x-prefixed hex.

    The validators are encoded in the order given (``besu rlp encode --type=QBFT_EXTRA_DATA`` does the same);
    the generator passes them sorted ascending, as the Besu documentation asks for.
    """
    if len(vanity) != 32:
        raise ValidationFailedError(f"the extraData vanity must be 32 bytes, not {len(vanity)}.")
    encoded = rlp_encode([vanity, [address_bytes(a) for a in validators], [], b"", []])
    return "0x" + encoded.hex()


# --- genesis --------------------------------------------------------------------------------------------------------


def genesis(*, chain_id: int, block_period_s: int, validators: Sequence[str]) -> dict[str, Doc]:
    """A zero-fee QBFT genesis: London (base fee pinned at 0 by ``zeroBaseFee``), Shanghai and Cancun from the start.

    Cancun because the contracts are compiled for evm "cancun"; no later milestone, so the chain's EVM stays the one
    the contracts were built and measured for. Validators are sorted ascending before encoding.
    """
    return {
        "config": {
            "chainId": chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "cancunTime": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": block_period_s,
                "epochlength": 30000,
                "requesttimeoutseconds": max(4, 2 * block_period_s),
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": "0x1fffffffffffff",
        "difficulty": "0x1",
        "mixHash": BFT_MIX_HASH,
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {},
        "extraData": qbft_extra_data(sorted_addresses(validators)),
    }


def sorted_addresses(addresses: Sequence[str]) -> list[str]:
    """Addresses in ascending order of their bytes (the order Besu's documentation asks for in extraData)."""
    return sorted(addresses, key=lambda a: address_bytes(a))


# --- TOML -----------------------------------------------------------------------------------------------------------


def toml_text(values: Mapping[str, Scalar | Sequence[str]], header: str = "") -> str:
    """Flat TOML (``key=value`` lines) as Besu's config and permissions files use it; strings as JSON strings."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for key, value in values.items():
        lines.append(f"{key}={_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Scalar | Sequence[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        raise ValidationFailedError("TOML has no null: leave the key out instead.")
    if not value:
        return "[]"
    return "[\n" + "".join(f"  {json.dumps(item)},\n" for item in value) + "]"


# --- YAML -----------------------------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def yaml_text(doc: Mapping[str, Doc], header: str = "") -> str:
    """Block-style YAML of mappings, lists and scalars; strings double-quoted (JSON strings are YAML strings)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.extend(_yaml_mapping(doc, 0))
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) else json.dumps(key)


def _yaml_mapping(doc: Mapping[str, Doc], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in doc.items():
        head = f"{pad}{_yaml_key(key)}:"
        if isinstance(value, Mapping):
            lines.extend([f"{head} {{}}"] if not value else [head, *_yaml_mapping(value, indent + 2)])
        elif isinstance(value, list | tuple):
            lines.extend([f"{head} []"] if not value else [head, *_yaml_sequence(value, indent + 2)])
        else:
            lines.append(f"{head} {_yaml_scalar(value)}")  # type: ignore[arg-type]  # str is a Sequence to mypy
    return lines


def _yaml_sequence(items: Sequence[Doc], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for item in items:
        if isinstance(item, Mapping) and item:
            nested = _yaml_mapping(item, indent + 2)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        elif isinstance(item, list | tuple):
            raise ValidationFailedError("nested YAML sequences are not used by these files.")
        else:
            lines.append(f"{pad}- {_yaml_scalar(item)}")  # type: ignore[arg-type]
    return lines
