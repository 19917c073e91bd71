"""Signed checkpoints: what the chain said about some bundles at one block, so they can be verified with no network.

``credreg checkpoint create BUNDLE... --rpc-url URL --out FILE`` verifies the bundles once against the chain through a
:class:`RecordingChainView` (a snapshot at one block), and writes every answer the verification needed (anchor
records, leaf states, key / issuer / body records and scopes, an issuer's identity history when a bundle names another
identity than its current one, the anchor blocks, the anchoring transactions) together with that block's number,
hash and time. The signer signs the canonical JSON (RFC 8785) of all of it with EIP-191 (``personal_sign``), so the
file is bound to that block and that signer::

    {
      "format": "credreg-checkpoint/v1",
      "chainId": 472019, "registry": "0x…",
      "block": {"number": 1234, "hash": "0x…", "timestamp": 1795334400},
      "createdAt": 1795334401,
      "signer": "0x…",
      "facts": {"anchors": {…}, "leafStates": {…}, "keys": {…}, "issuers": {…}, "issuerTypes": {…},
                "issuerIdentities": {…}, "bodies": {…}, "bodyTypes": {…}, "blocks": {…}},
      "signature": "0x…"                 # over the canonical JSON of everything above
    }

``credreg verify FILE --checkpoint CP --trust-signer ADDR`` then needs no network at all: :class:`CheckpointChainView`
answers the verification service from the file (after the signature and the signer are checked), and refuses any
question the checkpoint did not record. What such a verdict proves is said by :meth:`Checkpoint.statement`: valid as of
that block according to that signer; later revocations are not visible.

``issuerIdentities`` (every identity an issuer has held, oldest first) came later in the same format: a checkpoint
without it still loads, and its issuers are then known by their current identity only (a bundle naming a former one
fails the issuer check with a message that says to verify it against the chain or a newer checkpoint).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any, TypeVar

import rfc8785
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from node.chain.records import ChainBlock
from node.chain.registry import AnchorRecord, BodyRecord, IssuerRecord, KeyRecord
from node.credentials.hash32 import Hash32
from node.credentials.keccak import to_hex
from node.errors import (
    CheckpointCoverageError,
    CheckpointError,
    CheckpointSignatureError,
    CheckpointUntrustedSignerError,
    ValidationFailedError,
)
from node.readmodel.chainview import AnchorTx, ChainView, LeafState
from node.services.verification import MAX_BATCH, Verdict, VerificationService

FORMAT = "credreg-checkpoint/v1"
MAX_CHECKPOINT_BYTES = 256 * 1024 * 1024
R = TypeVar("R")

Bundle = Mapping[str, Any] | str | bytes


# --- recording and replaying chain answers ---------------------------------------------------------------------


def encode_record(record: object) -> dict[str, Any]:
    """A record (frozen dataclass of node.chain.registry / chainview) as JSON: bytes as 0x hex, enums as ints."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, bytes):
            value = to_hex(value)
        elif isinstance(value, IntEnum):
            value = int(value)
        out[f.name] = value
    return out


def _decode(cls: type[R], data: object) -> R:
    """The inverse of :func:`encode_record` (types from the dataclass's annotations); CheckpointError if it does not
    fit."""
    if not isinstance(data, Mapping):
        raise CheckpointError(f"the checkpoint is damaged: a {cls.__name__} is not an object. Create it again.")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    try:
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            hint, value = hints[f.name], data[f.name]
            options = typing.get_args(hint) or (hint,)
            if value is None and type(None) in options:
                kwargs[f.name] = None
            elif bytes in options:
                kwargs[f.name] = Hash32.from_hex(str(value))
            elif isinstance(hint, type) and issubclass(hint, IntEnum):
                kwargs[f.name] = hint(value)
            elif isinstance(hint, type) and isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
                kwargs[f.name] = value
            else:
                raise TypeError(f"{f.name} is not a {hint}")
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"the checkpoint is damaged: a {cls.__name__} record does not fit ({exc}). Create it again."
        ) from None
    return cls(**kwargs)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a record class (resolving them is slower than decoding a record)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class RecordingChainView:
    """Passes every question to one snapshot of ``inner`` and records the answer (the facts a checkpoint holds)."""

    def __init__(self, inner: ChainView) -> None:
        self._inner = inner.snapshot()
        self.chain_id = inner.chain_id
        self.registry_address = inner.registry_address
        self._as_of = self._inner.as_of()
        self.anchors: dict[str, dict[str, Any] | None] = {}
        self.leaf_states: dict[str, dict[str, dict[str, Any]]] = {}
        self.keys: dict[str, dict[str, Any] | None] = {}
        self.issuers: dict[str, dict[str, Any] | None] = {}
        self.issuer_types_: dict[str, list[str]] = {}
        self.issuer_identities_: dict[str, list[str]] = {}
        self.bodies: dict[str, dict[str, Any] | None] = {}
        self.body_types_: dict[str, list[str]] = {}
        self.blocks: dict[str, dict[str, Any]] = {}
        self.anchor_txs: dict[str, dict[str, Any] | None] = {}

    def facts(self) -> dict[str, Any]:
        return {
            "anchors": self.anchors,
            "leafStates": self.leaf_states,
            "keys": self.keys,
            "issuers": self.issuers,
            "issuerTypes": self.issuer_types_,
            "issuerIdentities": self.issuer_identities_,
            "bodies": self.bodies,
            "bodyTypes": self.body_types_,
            "blocks": self.blocks,
            "anchorTransactions": self.anchor_txs,
        }

    def as_of(self) -> ChainBlock:
        return self._as_of

    def snapshot(self) -> RecordingChainView:
        return self

    def anchor(self, root: bytes) -> AnchorRecord | None:
        return _kept(self.anchors, to_hex(root), self._inner.anchor(root))

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        state = self._inner.leaf_state(root, credential_hash, proof)
        self.leaf_states.setdefault(to_hex(root), {})[to_hex(credential_hash)] = encode_record(state)
        return state

    def key(self, key_id: int) -> KeyRecord | None:
        return _kept(self.keys, str(key_id), self._inner.key(key_id))

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        return _kept(self.issuers, str(issuer_id), self._inner.issuer(issuer_id))

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return _kept_types(self.issuer_types_, str(issuer_id), self._inner.issuer_types(issuer_id))

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        identities = self._inner.issuer_identities(issuer_id)
        self.issuer_identities_[str(issuer_id)] = list(identities)
        return identities

    def body(self, body_id: int) -> BodyRecord | None:
        return _kept(self.bodies, str(body_id), self._inner.body(body_id))

    def body_types(self, body_id: int) -> list[bytes]:
        return _kept_types(self.body_types_, str(body_id), self._inner.body_types(body_id))

    def block(self, number: int) -> ChainBlock | None:
        block = self._inner.block(number)
        if block is not None:
            self.blocks[str(number)] = encode_record(block)
        return block

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        return _kept(self.anchor_txs, to_hex(root), self._inner.anchor_transaction(root))


def _kept(table: dict[str, dict[str, Any] | None], key: str, record: R) -> R:
    """Record one answer (a record, or ``None`` for "no such record") under ``key`` and pass it on."""
    table[key] = encode_record(record) if record is not None else None
    return record


def _kept_types(table: dict[str, list[str]], key: str, types: list[bytes]) -> list[bytes]:
    table[key] = [to_hex(t) for t in types]
    return types


class CheckpointChainView:
    """A ChainView answered from a checked checkpoint, with no network; an unrecorded question is refused."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.checkpoint = checkpoint
        self.chain_id = checkpoint.chain_id
        self.registry_address = checkpoint.registry
        facts = checkpoint.payload["facts"]
        self._anchors = _table(facts, "anchors", AnchorRecord)
        self._keys = _table(facts, "keys", KeyRecord)
        self._issuers = _table(facts, "issuers", IssuerRecord)
        self._bodies = _table(facts, "bodies", BodyRecord)
        self._blocks = {k: _decode(ChainBlock, v) for k, v in _section(facts, "blocks").items()}
        self._issuer_types = {k: _hex_list(v) for k, v in _section(facts, "issuerTypes").items()}
        self._body_types = {k: _hex_list(v) for k, v in _section(facts, "bodyTypes").items()}
        self._issuer_identities: dict[str, tuple[str, ...]] | None = None  # None: an older checkpoint, without them
        if "issuerIdentities" in facts:
            self._issuer_identities = {k: _str_tuple(v) for k, v in _section(facts, "issuerIdentities").items()}
        # absent in checkpoints made before they were recorded: the verdict then does not mention the transaction
        self._anchor_txs = _table(facts, "anchorTransactions", AnchorTx) if "anchorTransactions" in facts else {}
        self._leaf_states: dict[str, dict[str, LeafState]] = {
            root: {h: _decode(LeafState, s) for h, s in _mapping(states, "leafStates").items()}
            for root, states in _section(facts, "leafStates").items()
        }

    def as_of(self) -> ChainBlock:
        return self.checkpoint.block

    def snapshot(self) -> CheckpointChainView:
        return self

    def anchor(self, root: bytes) -> AnchorRecord | None:
        return self._get(self._anchors, to_hex(root), f"the anchor of root {to_hex(root)}")

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        states = self._leaf_states.get(to_hex(root), {})
        state = states.get(to_hex(credential_hash))
        if state is None:
            raise self._uncovered(f"the status of credential {to_hex(credential_hash)}")
        return state

    def key(self, key_id: int) -> KeyRecord | None:
        return self._get(self._keys, str(key_id), f"signing key #{key_id}")

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        return self._get(self._issuers, str(issuer_id), f"issuer #{issuer_id}")

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return self._get(self._issuer_types, str(issuer_id), f"the scope of issuer #{issuer_id}")

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        """As recorded; empty for a checkpoint made before identities were recorded (its issuers are known by their
        current identity only, and verification says so)."""
        if self._issuer_identities is None:
            return ()
        return self._get(self._issuer_identities, str(issuer_id), f"the identities of issuer #{issuer_id}")

    def body(self, body_id: int) -> BodyRecord | None:
        return self._get(self._bodies, str(body_id), f"body #{body_id}")

    def body_types(self, body_id: int) -> list[bytes]:
        return self._get(self._body_types, str(body_id), f"the scope of body #{body_id}")

    def block(self, number: int) -> ChainBlock | None:
        return self._blocks.get(str(number))  # unknown is an allowed answer: the comparison is only skipped

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        return self._anchor_txs.get(to_hex(root))  # unknown is an allowed answer: the verdict then does not say

    def _get(self, table: Mapping[str, R], key: str, what: str) -> R:
        if key not in table:
            raise self._uncovered(what)
        return table[key]

    def _uncovered(self, what: str) -> CheckpointCoverageError:
        cp = self.checkpoint
        return CheckpointCoverageError(
            f"this bundle is not covered by the checkpoint: it does not record {what} (it was made for "
            f"{len(_section(cp.payload['facts'], 'anchors'))} other root(s) at block {cp.block.number}). Create a "
            "checkpoint that includes this bundle: `credreg checkpoint create BUNDLE... --rpc-url URL --out FILE`."
        )


def _section(facts: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return _mapping(facts.get(name), name)


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CheckpointError(f"the checkpoint is damaged: facts.{name} is not an object. Create it again.")
    return value


def _table(facts: Mapping[str, Any], name: str, cls: type[R]) -> dict[str, R | None]:
    return {k: (_decode(cls, v) if v is not None else None) for k, v in _section(facts, name).items()}


def _str_tuple(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckpointError(
            "the checkpoint is damaged: an issuer's identities are not a list of URIs. Create it again."
        )
    return tuple(value)


def _hex_list(value: object) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckpointError("the checkpoint is damaged: a scope is not a list of type ids. Create it again.")
    try:
        return [Hash32.from_hex(v) for v in value]
    except ValueError:
        raise CheckpointError("the checkpoint is damaged: a type id is not hex. Create it again.") from None


# --- the signed file --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose signature has been checked (see :func:`load_checkpoint`), or that was just signed."""

    payload: dict[str, Any]
    """Everything that is signed (all but ``signature``)."""
    signature: str

    @property
    def signer(self) -> str:
        return str(self.payload["signer"])

    @property
    def chain_id(self) -> int:
        return int(self.payload["chainId"])

    @property
    def registry(self) -> str:
        return str(self.payload["registry"])

    @cached_property
    def block(self) -> ChainBlock:
        return _decode(ChainBlock, self.payload["block"])

    @property
    def created_at(self) -> int:
        return int(self.payload["createdAt"])

    @property
    def roots(self) -> int:
        return len(self.payload["facts"]["anchors"])

    def to_json(self) -> str:
        return json.dumps({**self.payload, "signature": self.signature}, indent=1, sort_keys=True) + "\n"

    def age_s(self, now: float | None = None) -> int:
        return max(0, int((time.time() if now is None else now) - self.block.timestamp))

    def statement(self, now: float | None = None) -> str:
        """What an offline verdict from this checkpoint proves, and how fresh it is."""
        block = self.block
        return (
            f"as of block {block.number} ({_when(block.timestamp)}, {_age(self.age_s(now))} ago) according to the "
            f"checkpoint signed by {self.signer}; revocations, suspensions and other changes after that block are "
            "not visible offline."
        )


def _canonical(payload: Mapping[str, Any]) -> bytes:
    try:
        return rfc8785.dumps(payload)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"the checkpoint is damaged: it cannot be canonicalised ({exc}). Create it again."
        ) from None


def sign_checkpoint(payload: dict[str, Any], account: LocalAccount) -> Checkpoint:
    payload = {**payload, "signer": account.address}
    signed = account.sign_message(encode_defunct(primitive=_canonical(payload)))
    return Checkpoint(payload, "0x" + bytes(signed.signature).hex())


def create_checkpoint(
    view: ChainView,
    bundles: Sequence[Bundle],
    account: LocalAccount,
    *,
    clock: Callable[[], float] = time.time,
) -> tuple[Checkpoint, list[Verdict]]:
    """Verify ``bundles`` once against one snapshot of ``view`` and sign every chain answer that took.

    Returns the checkpoint and the verdicts (as of the checkpoint's block) so the caller can say what it covers.
    """
    if not bundles:
        raise ValidationFailedError("give at least one bundle: a checkpoint records what the chain says about them.")
    recorder = RecordingChainView(view)
    service = VerificationService(recorder, view.chain_id, view.registry_address, clock=clock)
    verdicts = [v for chunk in _chunks(bundles) for v in service.verify_many(chunk).verdicts]
    payload = {
        "format": FORMAT,
        "chainId": view.chain_id,
        "registry": to_checksum_address(view.registry_address),
        "block": encode_record(recorder.as_of()),
        "createdAt": int(clock()),
        "facts": recorder.facts(),
    }
    return sign_checkpoint(payload, account), verdicts


def load_checkpoint(text: str | bytes, trust_signer: str) -> Checkpoint:
    """Parse a checkpoint file, check its signature and that ``trust_signer`` made it; refuse it otherwise."""
    if not is_address(trust_signer):
        raise ValidationFailedError(
            f"--trust-signer {trust_signer!r} is not an address: give the 0x… address whose checkpoints you trust."
        )
    if len(text) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError("the checkpoint file is too large (over 256 MB); split the bundles over several.")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"the checkpoint is not valid JSON ({exc}); use the file `checkpoint create` wrote."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(
            f"this is not a credreg checkpoint (format {FORMAT!r} expected); use the file `checkpoint create` wrote."
        )
    signature = data.pop("signature", None)
    if not isinstance(signature, str) or not isinstance(data.get("signer"), str):
        raise CheckpointSignatureError("the checkpoint is not signed (no signature or signer); it cannot be trusted.")
    try:
        recovered = Account.recover_message(encode_defunct(primitive=_canonical(data)), signature=signature)
    except (ValueError, TypeError) as exc:
        raise CheckpointSignatureError(
            f"the checkpoint's signature is malformed ({type(exc).__name__}); it cannot be trusted. Get the original."
        ) from None
    named = str(data["signer"])
    if recovered.lower() != named.lower():
        raise CheckpointSignatureError(
            f"the checkpoint was altered after it was signed: its signature does not match its contents and the "
            f"signer it names ({named}). Do not use it; get the original file or create a new checkpoint."
        )
    if recovered.lower() != trust_signer.lower():
        raise CheckpointUntrustedSignerError(
            f"the checkpoint is signed by {to_checksum_address(recovered)}, not by {to_checksum_address(trust_signer)} "
            "whom you trust (--trust-signer). Use a checkpoint made by a signer you trust."
        )
    checkpoint = Checkpoint(data, signature)
    try:
        checkpoint.chain_id, checkpoint.registry, checkpoint.block, checkpoint.created_at  # noqa: B018 - shape check
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("the checkpoint is damaged: chainId, registry, block or createdAt is missing.") from None
    return checkpoint


def verify_offline(
    bundles: Sequence[Bundle], checkpoint: Checkpoint, *, clock: Callable[[], float] = time.time
) -> list[Verdict]:
    """Verdicts from a checked checkpoint alone (no network); uncovered bundles raise CheckpointCoverageError."""
    view = CheckpointChainView(checkpoint)
    service = VerificationService(view, checkpoint.chain_id, checkpoint.registry, clock=clock)
    return [v for chunk in _chunks(bundles) for v in service.verify_many(chunk).verdicts]


def _chunks(bundles: Sequence[Bundle]) -> list[Sequence[Bundle]]:
    return [bundles[i : i + MAX_BATCH] for i in range(0, len(bundles), MAX_BATCH)]


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
