"""From a chain log to the stored event (no chain): JSON arguments, the anchor record folded in, root and issuer
filled; and the accreditation records a run of events touched."""

from __future__ import annotations

from typing import Any

import pytest

from node.chain.registry import AnchorRecord, ChainLog, CredentialStatus
from node.readmodel.mirror import MirrorChainView, anchor_args
from node.store import NewEvent
from node.workers.indexer_events import Touched, jsonable, new_event

KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ROOT = bytes([7]) * 32
LEAF = bytes([8]) * 32


def log(name: str, args: dict[str, Any], block: int = 5) -> ChainLog:
    return ChainLog("registry", name, args, block, "0x" + "ab" * 32, None, "0x" + "cd" * 32, 3)


def anchor(issuer_id: int = 4) -> AnchorRecord:
    return AnchorRecord(ROOT, issuer_id, 2, KEY, 100, 3, bytes([9]) * 32, 0, CredentialStatus.ACTIVE, 0, 100)


def test_jsonable() -> None:
    value = {"b": b"\x01\x02", "l": (1, [b"\xff"], True), "n": None, "s": "x", 3: 2**70, "o": CredentialStatus.ACTIVE}
    assert jsonable(value) == {"b": "0x0102", "l": [1, ["0xff"], True], "n": None, "s": "x", "3": 2**70, "o": 0}
    assert jsonable(bytearray(b"\x0a")) == "0x0a"
    assert jsonable(1.5) == "1.5"


def test_an_anchor_carries_its_record() -> None:
    record = anchor()
    event = new_event(log("CredentialAnchored", {"root": ROOT}), 1234, {ROOT: record}, lambda _: None)
    assert event == NewEvent(
        block_number=5,
        block_hash="0x" + "ab" * 32,
        tx_hash="0x" + "cd" * 32,
        log_index=3,
        name="CredentialAnchored",
        args={"root": "0x" + ROOT.hex(), "blockTimestamp": 1234, **anchor_args(record)},
        root="0x" + ROOT.hex(),
        issuer_id=4,
    )


def test_a_lifecycle_event_is_filed_under_its_roots_issuer() -> None:
    args = {"root": ROOT, "credentialHash": LEAF, "reasonCode": 1}
    asked: list[bytes] = []

    def issuer_of_root(root: bytes) -> int | None:
        asked.append(root)
        return 9

    in_range = new_event(log("CredentialRevoked", args), 1, {ROOT: anchor(6)}, issuer_of_root)
    assert (in_range.issuer_id, in_range.root, asked) == (6, "0x" + ROOT.hex(), [])
    older = new_event(log("CredentialRevoked", args), 1, {}, issuer_of_root)
    assert (older.issuer_id, asked) == (9, [ROOT])
    assert older.args["credentialHash"] == "0x" + LEAF.hex()


def test_an_accreditation_event_keeps_its_issuer() -> None:
    event = new_event(log("IssuerSuspended", {"issuerId": 12, "reasonCode": 2}), 7, {}, lambda _: None)
    assert (event.issuer_id, event.root, event.args) == (
        12,
        None,
        {"issuerId": 12, "reasonCode": 2, "blockTimestamp": 7},
    )
    flag = new_event(log("Odd", {"issuerId": True}), 7, {}, lambda _: None)
    assert flag.issuer_id is None


def test_an_anchor_without_its_record_is_a_bug() -> None:
    with pytest.raises(KeyError):
        new_event(log("CredentialAnchored", {"root": ROOT}), 1, {}, lambda _: None)


def stored(name: str, block: int, **args: Any) -> NewEvent:
    return NewEvent(block, "0x" + "00" * 32, "0x" + "11" * 32, 0, name, args)


def test_touched_records() -> None:
    mirror = MirrorChainView(1, "0x" + "00" * 20)
    events = [
        stored("CredentialAnchored", 3, root="0x" + ROOT.hex()),
        stored("BodySuspended", 4, bodyId=1),
        stored("IssuerAccredited", 6, issuerId=2, bodyId=1),
        stored("KeyAdded", 5, issuerId=2, key=KEY),
        stored("IssuerSuspended", 2, issuerId=3),
    ]
    touched = Touched.by(events, mirror)
    assert touched
    assert (touched.bodies, touched.issuers, touched.keys, touched.block) == ({1}, {2, 3}, {KEY}, 6)
    assert not Touched.by([stored("CredentialAnchored", 3, root="0x" + ROOT.hex())], mirror)
