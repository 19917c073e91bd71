"""Small helpers the governance rooms share: moments, credential type ids, addresses, status words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from web3.types import TxReceipt

from node.chain.errors import ACCREDITATION_WORDS, STATUS_WORDS
from node.chain.registry import (
    OPEN_END,
    AccreditationStatus,
    CredentialStatus,
    type_id,
)
from node.credentials.types import known_types
from node.errors import (
    ValidationFailedError,
)
from node.store.records import IssuerStatus


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _dt_or_open(seconds: int) -> datetime | None:
    return None if seconds == 0 or seconds >= OPEN_END else _dt(seconds)


def _type_names() -> dict[bytes, str]:
    return {type_id(t.name): t.name for t in known_types()}


def type_ids(names: Sequence[str]) -> list[bytes]:
    """Credential types by name (``formal-qualification``) or as 0x bytes32 hex; 422 for an unknown name."""
    known = {t.name for t in known_types()}
    out: list[bytes] = []
    for name in names:
        if name.startswith("0x") and len(name) == 66:
            try:
                out.append(bytes.fromhex(name[2:]))
            except ValueError as exc:
                raise ValidationFailedError(f"credentialTypes: {name} is not 32 bytes of hex") from exc
        elif name in known:
            out.append(type_id(name))
        else:
            raise ValidationFailedError(
                f"credentialTypes: unknown type {name!r}; use one of {', '.join(sorted(known))} or a 0x bytes32 id"
            )
    if not out:
        raise ValidationFailedError("credentialTypes: name at least one credential type")
    return out


def address(value: str, what: str) -> str:
    if not is_address(value):
        raise ValidationFailedError(f"{what}: {value!r} is not an Ethereum address (0x + 40 hex digits)")
    return str(to_checksum_address(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _tx_of(receipt: TxReceipt) -> tuple[str, int]:
    return "0x" + bytes(receipt["transactionHash"]).hex(), int(receipt["blockNumber"])


def _status_word(status: AccreditationStatus) -> str:
    return ACCREDITATION_WORDS[status]


def _node_status(status: AccreditationStatus) -> IssuerStatus:
    if status is AccreditationStatus.SUSPENDED:
        return IssuerStatus.SUSPENDED
    if status is AccreditationStatus.WITHDRAWN:
        return IssuerStatus.REVOKED
    return IssuerStatus.ACTIVE


def status_word(status: CredentialStatus) -> str:
    return STATUS_WORDS[status]
