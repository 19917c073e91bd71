"""From a chain log to the event the indexer stores: its arguments as JSON, the anchor record folded into
``CredentialAnchored``, ``root`` and ``issuer_id`` filled; and which accreditation records a run of events touched.

Pure over what it is given (the logs, the anchor records read for them, the mirror's answers): the loop that reads the
chain and writes the store and the mirror is :mod:`node.workers.indexer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from node.chain.registry import AnchorRecord, ChainLog
from node.credentials.hash32 import Hash32
from node.credentials.keccak import to_hex
from node.readmodel.mirror import (
    ANCHOR_EVENT,
    LIFECYCLE_STATUS,
    TIMESTAMP_ARG,
    IndexedEvent,
    MirrorChainView,
    anchor_args,
)
from node.store import NewEvent
from node.store._base import record_of


def jsonable(value: Any) -> Any:
    """An event argument as JSON: bytes as 0x hex, sequences as lists, numbers, strings and booleans as they are."""
    if isinstance(value, bytes | bytearray):
        return to_hex(bytes(value))
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


def new_event(
    entry: ChainLog,
    timestamp: int,
    anchors: Mapping[bytes, AnchorRecord],
    issuer_of_root: Callable[[bytes], int | None],
) -> NewEvent:
    """The stored form of one log: ``anchors`` holds the anchor records of the range's new roots (every
    ``CredentialAnchored`` root must be there); a lifecycle event of an older root asks ``issuer_of_root``."""
    args: dict[str, Any] = {name: jsonable(value) for name, value in entry.args.items()}
    args[TIMESTAMP_ARG] = timestamp
    root = args.get("root") if isinstance(args.get("root"), str) else None
    issuer = args.get("issuerId")
    issuer_id = issuer if isinstance(issuer, int) and not isinstance(issuer, bool) else None
    if entry.name == ANCHOR_EVENT:
        record = anchors[bytes(entry.args["root"])]
        args.update(anchor_args(record))
        issuer_id = record.issuer_id
    elif entry.name in LIFECYCLE_STATUS and root is not None:
        root_hash = Hash32.from_hex(root)
        anchored = anchors.get(root_hash)
        issuer_id = anchored.issuer_id if anchored else issuer_of_root(root_hash)
    return record_of(NewEvent, entry, args=args, root=root.lower() if root else None, issuer_id=issuer_id)


class Touched:
    """Accreditation records that events changed, to read again: note() each event, then expand() once (a body's
    or an issuer's change also moves its keys' effective windows)."""

    def __init__(self) -> None:
        self.bodies: set[int] = set()
        self.issuers: set[int] = set()
        self.keys: set[str] = set()
        self.block = 0
        """The last block whose events touched a record (what the re-read records are stamped with)."""
        self._body_issuers: dict[int, set[int]] = {}
        self._issuer_keys: dict[int, set[str]] = {}

    @classmethod
    def by(cls, events: Iterable[IndexedEvent], mirror: MirrorChainView) -> Touched:
        """The records ``events`` touched, expanded through ``mirror``."""
        touched = cls()
        for event in events:
            touched.note(event)
        return touched.expand(mirror)

    def __bool__(self) -> bool:
        return bool(self.bodies or self.issuers or self.keys)

    def note(self, event: IndexedEvent) -> None:
        name, args = event.name, event.args
        if not name.startswith(("Body", "Issuer", "Key")):
            return
        self.block = max(self.block, event.block_number)
        if name.startswith("Body"):
            self.bodies.add(int(args["bodyId"]))
        elif name.startswith("Issuer"):
            self.issuers.add(int(args["issuerId"]))
            if name == "IssuerAccredited":
                self._body_issuers.setdefault(int(args["bodyId"]), set()).add(int(args["issuerId"]))
        else:
            self.keys.add(str(args["key"]))
            self._issuer_keys.setdefault(int(args["issuerId"]), set()).add(str(args["key"]))

    def expand(self, mirror: MirrorChainView) -> Touched:
        for body_id in self.bodies:
            self.issuers |= mirror.issuers_of_body(body_id) | self._body_issuers.get(body_id, set())
        for issuer_id in self.issuers:
            self.keys |= mirror.keys_of_issuer(issuer_id) | self._issuer_keys.get(issuer_id, set())
        return self
