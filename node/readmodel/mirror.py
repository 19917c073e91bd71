"""The mirror: the registry's state kept in memory in step with its events, answering ChainView in microseconds.

The indexer (``node/workers/indexer.py``) is the only writer: it applies each range of blocks it indexed (events
plus the records it read with view calls), then publishes the range's last block as ``as_of()``. Readers (request
threads) never lock. Every entry is a short chain of versions, each stamped with the block that produced it, and a
read resolves the newest version at or before the block it reads at:

- :class:`MirrorChainView` reads at ``as_of()`` at the time of the call, so a half-applied range is never visible;
- :meth:`MirrorChainView.snapshot` pins one block for a whole verdict (verification takes one per bundle);
- a reorganisation is undone by dropping the versions newer than the fork block (a journal of recent writes says
  which), so no stored event has to be replayed unless the fork is deeper than :data:`HISTORY_BLOCKS`.

Older versions are dropped once a newer one is :data:`HISTORY_BLOCKS` blocks old, so memory stays one entry per
record (plus the recent changes).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from node.chain.records import ChainBlock
from node.chain.registry import (
    AccreditationStatus,
    AnchorRecord,
    BodyRecord,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
)
from node.credentials.hash32 import Hash32
from node.credentials.keccak import to_hex
from node.errors import ContractNotFoundError
from node.readmodel.chainview import AnchorTx, ChainView, LeafState

T = TypeVar("T")

HISTORY_BLOCKS = 128
"""How far back (in blocks) the mirror can answer a pinned read or undo a reorganisation without a rebuild."""

ZERO32 = Hash32(bytes(32))
ZERO_HASH = ZERO32.hex0x

Word = tuple[int, int, int]
"""A status word as the contract keeps it: (status, reason code, since). (0, 0, 0): never changed."""
ZERO_WORD: Word = (0, 0, 0)

LIFECYCLE_STATUS = {
    "CredentialRevoked": CredentialStatus.REVOKED,
    "CredentialSuspended": CredentialStatus.SUSPENDED,
    "CredentialReinstated": CredentialStatus.ACTIVE,
    "CredentialSuperseded": CredentialStatus.SUPERSEDED,
}
"""The lifecycle events (root level when credentialHash is 0) and the status each one sets."""

ANCHOR_EVENT = "CredentialAnchored"
IDENTITY_EVENTS = ("IssuerAccredited", "IssuerMetadataUpdated")
"""The events that give an issuer a registered identity (``metadataURI``): its first one, then each change."""
TIMESTAMP_ARG = "blockTimestamp"
"""The key under which the indexer stores an event's block timestamp with its arguments."""


class IndexedEvent(Protocol):
    """What the mirror needs of an event: a stored :class:`~node.store.Event` or a :class:`~node.store.NewEvent`."""

    @property
    def block_number(self) -> int: ...

    @property
    def block_hash(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def args(self) -> Mapping[str, Any]: ...

    @property
    def tx_hash(self) -> str: ...


class _V(Generic[T]):
    """One version of an entry: its value from ``block`` on, and the version before it."""

    __slots__ = ("block", "prev", "value")

    def __init__(self, block: int, value: T, prev: _V[T] | None) -> None:
        self.block = block
        self.value = value
        self.prev = prev


def _at(entry: _V[T] | None, block: int) -> T | None:
    """The value of an entry as of ``block`` (None when it did not exist then)."""
    while entry is not None and entry.block > block:
        entry = entry.prev
    return None if entry is None else entry.value


def _types(entry: _V[tuple[bytes, ...]] | None, block: int) -> list[bytes]:
    """A scope (type ids) as of ``block``: empty when none was recorded."""
    types = _at(entry, block)
    return list(types) if types else []


@dataclass(frozen=True, slots=True)
class _Root:
    record: AnchorRecord
    """The anchor record with the root-level status folded in (as ``anchorOf`` answers)."""
    word: Word
    """The root's raw status word ((0, 0, 0) until its first lifecycle act), for the effective-status rule."""


@dataclass(frozen=True, slots=True)
class Accreditation:
    """Records read with view calls after accreditation events; None as a value means "no such record" (any more)."""

    block: int
    """The block the records are stamped with: the last block whose events touched them."""
    bodies: Mapping[int, BodyRecord | None]
    body_types: Mapping[int, list[bytes]]
    issuers: Mapping[int, IssuerRecord | None]
    issuer_types: Mapping[int, list[bytes]]
    keys: Mapping[str, KeyRecord | None]
    """By key address (any case)."""


class _State:
    """Every entry of one mirror. Writers mutate it in place (one thread); readers resolve versions at a block."""

    def __init__(self, as_of: ChainBlock) -> None:
        self.as_of = as_of
        self.roots: dict[bytes, _V[_Root]] = {}
        self.leaves: dict[tuple[bytes, bytes], _V[Word]] = {}
        self.replacements: dict[tuple[bytes, bytes], _V[tuple[bytes, bytes]]] = {}
        self.keys: dict[int, _V[KeyRecord | None]] = {}
        self.key_ids: dict[str, int] = {}
        self.issuers: dict[int, _V[IssuerRecord | None]] = {}
        self.issuer_types: dict[int, _V[tuple[bytes, ...]]] = {}
        self.issuer_identities: dict[int, _V[tuple[str, ...]]] = {}
        """Every identity an issuer has held, oldest first (from its events, so a rollback undoes a change)."""
        self.bodies: dict[int, _V[BodyRecord | None]] = {}
        self.body_types: dict[int, _V[tuple[bytes, ...]]] = {}
        self.blocks: dict[int, _V[ChainBlock]] = {}
        self.anchor_txs: dict[bytes, _V[AnchorTx]] = {}
        """Where each root was anchored (its CredentialAnchored log's transaction and block)."""
        self.journal: deque[tuple[int, dict[Any, _V[Any]], Any]] = deque()
        """(block, table, key) of every write in the last HISTORY_BLOCKS blocks: what a rollback undoes."""
        self.journal_floor = 0
        """Writes at or above this block are all in the journal (older ones were pruned)."""

    def put(self, table: dict[Any, _V[T]], key: Any, block: int, value: T) -> None:
        old = table.get(key)
        new = _V(block, value, old.prev if old is not None and old.block == block else old)
        # the newest version at or before block - HISTORY_BLOCKS answers every read the mirror still serves (pinned
        # reads and rollbacks reach back no further): forget the ones before it
        floor, entry = block - HISTORY_BLOCKS, new.prev
        while entry is not None:
            if entry.block <= floor:
                entry.prev = None
                break
            entry = entry.prev
        table[key] = new
        self.journal.append((block, table, key))

    def prune(self, head: int) -> None:
        floor = head - HISTORY_BLOCKS
        while self.journal and self.journal[0][0] < floor:
            self.journal.popleft()
        self.journal_floor = max(self.journal_floor, floor)

    def rollback(self, fork: int) -> bool:
        """Drop every version newer than block ``fork``; False when the journal does not reach back that far."""
        if fork < self.journal_floor:
            return False
        while self.journal and self.journal[-1][0] > fork:
            _, table, key = self.journal.pop()
            entry = table.get(key)
            while entry is not None and entry.block > fork:
                entry = entry.prev
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
        return True


def effective_state(root: _Root, leaf: Word, replacement: tuple[bytes, bytes] | None) -> LeafState:
    """``statusOf``'s rule: the more severe of the root's and the credential's word; between two Active words the
    later one (its reason is the latest reinstatement's); since = anchor time while neither ever changed."""
    root_word = root.word
    word = leaf if leaf[0] > root_word[0] else root_word
    if word[0] == 0:
        word = root_word if root_word[2] > leaf[2] else leaf
    status = CredentialStatus(word[0])
    since = root.record.anchored_at if word == ZERO_WORD else word[2]
    if status is CredentialStatus.SUPERSEDED and replacement is not None:
        return LeafState(status, word[1], since, replacement[0], replacement[1])
    return LeafState(status, word[1], since)


class _Reads:
    """ChainView reads over a state at one block (the subclass says which)."""

    chain_id: int
    registry_address: str

    def _pin(self) -> tuple[_State, int]:
        raise NotImplementedError

    def anchor(self, root: bytes) -> AnchorRecord | None:
        state, block = self._pin()
        entry = _at(state.roots.get(root), block)
        return None if entry is None else entry.record

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        """Effective status of (root, credential); the caller checked the proof (the mirror does not)."""
        state, block = self._pin()
        entry = _at(state.roots.get(root), block)
        if entry is None:
            raise ContractNotFoundError(
                f"the root {to_hex(root)} is not anchored (as of block {block}): check the bundle's root, or wait "
                "for the anchor to be mined and indexed.",
                "CredentialRegistryUnknownRoot",
                (root,),
            )
        leaf = _at(state.leaves.get((root, credential_hash)), block) or ZERO_WORD
        replacement = None
        if max(leaf[0], entry.word[0]) == CredentialStatus.SUPERSEDED:
            replacement = _at(state.replacements.get((root, credential_hash)), block) or _at(
                state.replacements.get((root, ZERO32)), block
            )
        return effective_state(entry, leaf, replacement)

    def key(self, key_id: int) -> KeyRecord | None:
        state, block = self._pin()
        return _at(state.keys.get(key_id), block)

    def key_of(self, address: str) -> KeyRecord | None:
        """A signing key by its address (issuance asks for the key the node anchors with); None when unknown."""
        state, block = self._pin()
        key_id = state.key_ids.get(address.lower())
        return None if key_id is None else _at(state.keys.get(key_id), block)

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        state, block = self._pin()
        return _at(state.issuers.get(issuer_id), block)

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        state, block = self._pin()
        return _types(state.issuer_types.get(issuer_id), block)

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        state, block = self._pin()
        return _at(state.issuer_identities.get(issuer_id), block) or ()

    def body(self, body_id: int) -> BodyRecord | None:
        state, block = self._pin()
        return _at(state.bodies.get(body_id), block)

    def body_types(self, body_id: int) -> list[bytes]:
        state, block = self._pin()
        return _types(state.body_types.get(body_id), block)

    def block(self, number: int) -> ChainBlock | None:
        """A block the mirror indexed (one with registry or governance events, or the end of an indexed range)."""
        state, block = self._pin()
        if number > block:
            return None
        return _at(state.blocks.get(number), block)

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        state, block = self._pin()
        return _at(state.anchor_txs.get(root), block)


class MirrorSnapshot(_Reads):
    """Every answer as of one block (the mirror's ``as_of()`` when the snapshot was taken)."""

    def __init__(self, state: _State, as_of: ChainBlock, chain_id: int, registry_address: str) -> None:
        self._state = state
        self._as_of = as_of
        self.chain_id = chain_id
        self.registry_address = registry_address

    def _pin(self) -> tuple[_State, int]:
        return self._state, self._as_of.number

    def as_of(self) -> ChainBlock:
        return self._as_of

    def snapshot(self) -> MirrorSnapshot:
        return self


class MirrorChainView(_Reads):
    """ChainView from memory (see the module docstring). Reads are lock-free; one indexer thread writes."""

    in_memory = True
    """Answers from memory (no I/O): the API may run verdicts on its event loop instead of a worker thread."""

    def __init__(self, chain_id: int, registry_address: str, as_of: ChainBlock | None = None) -> None:
        self.chain_id = chain_id
        self.registry_address = registry_address
        self._state = _State(as_of or ChainBlock(0, ZERO_HASH, 0))

    def _pin(self) -> tuple[_State, int]:
        state = self._state
        return state, state.as_of.number

    def as_of(self) -> ChainBlock:
        """The last block whose events are all applied (the end of the last indexed range)."""
        return self._state.as_of

    def snapshot(self) -> MirrorSnapshot:
        state = self._state
        return MirrorSnapshot(state, state.as_of, self.chain_id, self.registry_address)

    # --- the indexer's side (one writer thread) -----------------------------------------------------------------

    def apply(self, events: Iterable[IndexedEvent]) -> None:
        """Apply events in chain order. Nothing shows before :meth:`publish` moves ``as_of`` past their blocks."""
        state = self._state
        for event in events:
            self._apply(state, event)

    def _apply(self, state: _State, event: IndexedEvent) -> None:
        args, block = event.args, event.block_number
        timestamp = args.get(TIMESTAMP_ARG)
        if isinstance(timestamp, int):
            known = state.blocks.get(block)
            if known is None or known.block != block or known.value.hash != event.block_hash:
                state.put(state.blocks, block, block, ChainBlock(block, event.block_hash, timestamp))
        name = event.name
        if name == ANCHOR_EVENT:
            record = anchor_record_of(args)
            if record is not None:
                state.put(state.roots, record.root, block, _Root(record, ZERO_WORD))
                state.put(state.anchor_txs, record.root, block, AnchorTx(event.tx_hash.lower(), block))
            return
        if name in IDENTITY_EVENTS:
            issuer_id, uri = int(args["issuerId"]), str(args["metadataURI"])
            held = () if name == IDENTITY_EVENTS[0] else _at(state.issuer_identities.get(issuer_id), block) or ()
            state.put(state.issuer_identities, issuer_id, block, (*held, uri))
            return
        to = LIFECYCLE_STATUS.get(name)
        if to is None or not isinstance(timestamp, int):
            return
        root = Hash32.from_hex(args["root"])
        entry = _at(state.roots.get(root), block)
        if entry is None:  # a lifecycle act needs an anchored root: this one was never indexed (cannot happen)
            return
        credential_hash = Hash32.from_hex(args["credentialHash"])
        reason = int(args["reasonCode"])
        word: Word = (int(to), reason, timestamp)
        if credential_hash == ZERO32:
            record = replace(entry.record, status=to, reason_code=reason, status_since=timestamp)
            state.put(state.roots, root, block, _Root(record, word))
        else:
            state.put(state.leaves, (root, credential_hash), block, word)
        if to is CredentialStatus.SUPERSEDED:
            replacement = (Hash32.from_hex(args["replacementRoot"]), Hash32.from_hex(args["replacementHash"]))
            state.put(state.replacements, (root, credential_hash), block, replacement)

    def set_accreditation(self, records: Accreditation) -> None:
        """Store records read after accreditation events (stamped with ``records.block``)."""
        state, block = self._state, records.block
        for body_id, body in records.bodies.items():
            state.put(state.bodies, body_id, block, body if body and body.status != AccreditationStatus.NONE else None)
        for body_id, types in records.body_types.items():
            state.put(state.body_types, body_id, block, tuple(types))
        for issuer_id, issuer in records.issuers.items():
            known = issuer if issuer and issuer.status != AccreditationStatus.NONE else None
            state.put(state.issuers, issuer_id, block, known)
        for issuer_id, types in records.issuer_types.items():
            state.put(state.issuer_types, issuer_id, block, tuple(types))
        for address, key in records.keys.items():
            key_id = key.key_id if key is not None and key.issuer_id else state.key_ids.get(address.lower())
            if key_id is None:
                continue
            state.key_ids[address.lower()] = key_id
            state.put(state.keys, key_id, block, key if key is not None and key.issuer_id else None)

    def record_block(self, ref: ChainBlock) -> None:
        state = self._state
        state.put(state.blocks, ref.number, ref.number, ref)

    def publish(self, as_of: ChainBlock) -> None:
        """Make everything applied up to block ``as_of`` visible, and forget history older than HISTORY_BLOCKS."""
        state = self._state
        state.put(state.blocks, as_of.number, as_of.number, as_of)
        state.as_of = as_of
        state.prune(as_of.number)

    def rollback(self, fork: ChainBlock) -> bool:
        """Undo everything after block ``fork`` (a reorganisation). False: too deep, rebuild with :meth:`reset`."""
        state = self._state
        if fork.number < state.journal_floor:
            return False
        state.as_of = fork  # readers see the fork block's state from now on, while the newer versions are dropped
        return state.rollback(fork.number)

    def reset(self, as_of: ChainBlock, events: Iterable[IndexedEvent], records: Accreditation | None) -> None:
        """Rebuild from stored events (start-up, or a fork deeper than the history) and swap it in at once."""
        fresh = MirrorChainView(self.chain_id, self.registry_address, as_of)
        fresh.apply(events)
        if records is not None:
            fresh.set_accreditation(records)
        self.adopt(fresh)

    def adopt(self, other: MirrorChainView) -> None:
        """Take over another mirror's state in one step (built aside while this one kept answering)."""
        other.publish(other.as_of())
        self._state = other._state

    # --- what the indexer must read after accreditation events -------------------------------------------------

    def issuers_of_body(self, body_id: int) -> set[int]:
        state = self._state
        issuers = {i: _at(v, 2**63) for i, v in state.issuers.items()}
        return {i for i, record in issuers.items() if record is not None and record.body_id == body_id}

    def keys_of_issuer(self, issuer_id: int) -> set[str]:
        state = self._state
        found = set()
        for entry in state.keys.values():
            record = _at(entry, 2**63)
            if record is not None and record.issuer_id == issuer_id:
                found.add(record.key)
        return found

    def issuer_of_root(self, root: bytes) -> int | None:
        """The issuer of an anchored root, applied or not yet published (to file its events under the issuer)."""
        entry = _at(self._state.roots.get(root), 2**63)
        return None if entry is None else entry.record.issuer_id


ANCHOR_FIELDS = ("issuerId", "keyId", "key", "anchoredAt", "leafCount", "credentialType", "expiresAt")
"""What the indexer adds to a CredentialAnchored event's arguments (read with ``anchorOf`` when it was indexed)."""


def anchor_record_of(args: Mapping[str, Any]) -> AnchorRecord | None:
    """The anchor record (root Active) stored with a CredentialAnchored event; None if the event lacks it."""
    if any(field not in args for field in ANCHOR_FIELDS):
        return None
    anchored_at = int(args["anchoredAt"])
    return AnchorRecord(
        root=Hash32.from_hex(args["root"]),
        issuer_id=int(args["issuerId"]),
        key_id=int(args["keyId"]),
        key=str(args["key"]),
        anchored_at=anchored_at,
        leaf_count=int(args["leafCount"]),
        credential_type=Hash32.from_hex(args["credentialType"]),
        expires_at=int(args["expiresAt"]),
        status=CredentialStatus.ACTIVE,
        reason_code=0,
        status_since=anchored_at,
    )


def anchor_args(record: AnchorRecord) -> dict[str, Any]:
    """The anchor record as JSON-able event arguments (the inverse of :func:`anchor_record_of`)."""
    return {
        "issuerId": record.issuer_id,
        "keyId": record.key_id,
        "key": record.key,
        "anchoredAt": record.anchored_at,
        "leafCount": record.leaf_count,
        "credentialType": Hash32(record.credential_type).hex0x,
        "expiresAt": record.expires_at,
    }


if TYPE_CHECKING:  # both readers satisfy the protocol verification is written against (checked by mypy)
    _live: ChainView = MirrorChainView(0, "")
    _pinned: ChainView = _live.snapshot()
