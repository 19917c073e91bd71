"""The mirror alone (no chain): the contract's effective-status rule, publication, snapshots, rollbacks, rebuilds,
and lock-free readers never seeing a half-applied block."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from node.chain.records import ChainBlock
from node.chain.registry import (
    AccreditationStatus,
    AnchorRecord,
    BodyRecord,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
)
from node.errors import ContractNotFoundError
from node.readmodel.chainview import LeafState
from node.readmodel.mirror import HISTORY_BLOCKS, Accreditation, MirrorChainView, anchor_args, anchor_record_of
from node.store import NewEvent

ZERO = "0x" + "00" * 32
KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
T0 = 1_800_000_000


def h(n: int) -> bytes:
    return n.to_bytes(32, "big")


def hx(value: bytes) -> str:
    return "0x" + value.hex()


def ref(block: int) -> ChainBlock:
    return ChainBlock(block, hx(h(10_000 + block)), T0 + block)


def record(root: bytes, block: int) -> AnchorRecord:
    return AnchorRecord(root, 1, 1, KEY, T0 + block, 4, h(77), 0, CredentialStatus.ACTIVE, 0, T0 + block)


def anchored(root: bytes, block: int) -> NewEvent:
    args: dict[str, Any] = {"root": hx(root), **anchor_args(record(root, block)), "blockTimestamp": T0 + block}
    return NewEvent(block, ref(block).hash, hx(h(block)), 0, "CredentialAnchored", args, hx(root), 1)


def act(
    name: str, root: bytes, block: int, leaf: bytes | None = None, reason: int = 1, extra: dict[str, Any] | None = None
) -> NewEvent:
    args = {
        "root": hx(root),
        "credentialHash": hx(leaf) if leaf else ZERO,
        "reasonCode": reason,
        "blockTimestamp": T0 + block,
        **(extra or {}),
    }
    return NewEvent(block, ref(block).hash, hx(h(block) + b"x"), 1, name, args, hx(root), 1)


def mirror_with(*events: NewEvent) -> MirrorChainView:
    mirror = MirrorChainView(472019, "0x5FbDB2315678afecb367f032d93F642f64180aa3", ref(0))
    for event in events:
        mirror.apply([event])
        mirror.publish(ref(event.block_number))
    return mirror


ROOT, LEAF, OTHER = h(1), h(2), h(3)


# --- statusOf's rule --------------------------------------------------------------------------------------------


def test_a_credential_never_touched_is_active_since_its_anchor() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.ACTIVE, 0, T0 + 5)


def test_the_more_severe_of_root_and_leaf_wins_and_a_tie_goes_to_the_root() -> None:
    mirror = mirror_with(
        anchored(ROOT, 5),
        act("CredentialSuspended", ROOT, 6, LEAF, reason=3),
        act("CredentialRevoked", ROOT, 7, reason=4),
    )
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.REVOKED, 4, T0 + 7)
    tie = mirror_with(
        anchored(ROOT, 5),
        act("CredentialSuspended", ROOT, 6, LEAF, reason=3),
        act("CredentialSuspended", ROOT, 7, reason=4),
    )
    assert tie.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.SUSPENDED, 4, T0 + 7)
    assert tie.leaf_state(ROOT, OTHER, []) == LeafState(CredentialStatus.SUSPENDED, 4, T0 + 7)
    assert tie.anchor(ROOT) == AnchorRecord(ROOT, 1, 1, KEY, T0 + 5, 4, h(77), 0, CredentialStatus.SUSPENDED, 4, T0 + 7)


def test_between_two_active_words_the_later_reinstatement_speaks() -> None:
    mirror = mirror_with(
        anchored(ROOT, 5),
        act("CredentialSuspended", ROOT, 6, reason=1),
        act("CredentialSuspended", ROOT, 7, LEAF, reason=2),
        act("CredentialReinstated", ROOT, 8, reason=3),
    )
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.SUSPENDED, 2, T0 + 7)
    assert mirror.leaf_state(ROOT, OTHER, []) == LeafState(CredentialStatus.ACTIVE, 3, T0 + 8)
    mirror.apply([act("CredentialReinstated", ROOT, 9, LEAF, reason=4)])
    mirror.publish(ref(9))
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.ACTIVE, 4, T0 + 9)


def test_a_superseded_credential_points_at_its_own_replacement_before_the_roots() -> None:
    extra_leaf = {"replacementRoot": hx(h(50)), "replacementHash": hx(h(51))}
    extra_root = {"replacementRoot": hx(h(60)), "replacementHash": ZERO}
    mirror = mirror_with(
        anchored(ROOT, 5),
        act("CredentialSuperseded", ROOT, 6, LEAF, reason=5, extra=extra_leaf),
        act("CredentialSuperseded", ROOT, 7, reason=6, extra=extra_root),
    )
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.SUPERSEDED, 6, T0 + 7, h(50), h(51))
    assert mirror.leaf_state(ROOT, OTHER, []) == LeafState(CredentialStatus.SUPERSEDED, 6, T0 + 7, h(60), h(0))


def test_an_unknown_root_is_refused_like_the_contract_refuses_it() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    with pytest.raises(ContractNotFoundError) as refused:
        mirror.leaf_state(OTHER, LEAF, [])
    assert refused.value.error_name == "CredentialRegistryUnknownRoot"
    assert mirror.anchor(OTHER) is None


def test_anchor_arguments_round_trip() -> None:
    original = record(ROOT, 9)
    assert anchor_record_of({"root": hx(ROOT), **anchor_args(original)}) == original
    assert anchor_record_of({"root": hx(ROOT)}) is None


# --- publication, snapshots, rollbacks ------------------------------------------------------------------------


def test_applied_events_stay_invisible_until_their_block_is_published() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    mirror.apply([anchored(OTHER, 6), act("CredentialRevoked", ROOT, 6, LEAF)])
    assert mirror.anchor(OTHER) is None
    assert mirror.leaf_state(ROOT, LEAF, []).status is CredentialStatus.ACTIVE
    assert mirror.block(6) is None
    mirror.publish(ref(6))
    assert mirror.anchor(OTHER) is not None
    assert mirror.leaf_state(ROOT, LEAF, []).status is CredentialStatus.REVOKED
    assert mirror.as_of() == ref(6)
    assert mirror.block(5) == ref(5)


def test_a_snapshot_keeps_answering_as_of_its_block() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    snapshot = mirror.snapshot()
    mirror.apply([act("CredentialRevoked", ROOT, 6, LEAF), anchored(OTHER, 6)])
    mirror.publish(ref(6))
    assert snapshot.as_of() == ref(5) and snapshot.snapshot() is snapshot
    assert snapshot.leaf_state(ROOT, LEAF, []).status is CredentialStatus.ACTIVE
    assert snapshot.anchor(OTHER) is None
    assert mirror.leaf_state(ROOT, LEAF, []).status is CredentialStatus.REVOKED


def test_a_rollback_undoes_exactly_the_blocks_after_the_fork() -> None:
    mirror = mirror_with(
        anchored(ROOT, 5),
        act("CredentialSuspended", ROOT, 6, LEAF, reason=2),
        anchored(OTHER, 7),
        act("CredentialRevoked", ROOT, 8, LEAF, reason=3),
    )
    assert mirror.rollback(ref(6))
    assert mirror.as_of() == ref(6)
    assert mirror.anchor(OTHER) is None
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(CredentialStatus.SUSPENDED, 2, T0 + 6)
    assert mirror.block(7) is None
    mirror.apply([anchored(h(9), 7)])  # the new branch
    mirror.publish(ref(7))
    assert mirror.anchor(h(9)) is not None and mirror.anchor(OTHER) is None
    assert mirror.rollback(ref(4))
    assert mirror.anchor(ROOT) is None


def test_a_fork_older_than_the_history_asks_for_a_rebuild() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    far = 5 + HISTORY_BLOCKS + 10
    mirror.apply([act("CredentialRevoked", ROOT, far, LEAF)])
    mirror.publish(ref(far))
    assert not mirror.rollback(ref(6))
    assert mirror.rollback(ref(far - 1))
    assert mirror.leaf_state(ROOT, LEAF, []).status is CredentialStatus.ACTIVE
    mirror.reset(ref(5), [anchored(ROOT, 5)], None)
    assert mirror.as_of() == ref(5) and mirror.anchor(ROOT) is not None


def test_history_stays_bounded_for_an_entry_changed_many_times() -> None:
    mirror = mirror_with(anchored(ROOT, 1))
    block = 2
    for _ in range(200):
        for name in ("CredentialSuspended", "CredentialReinstated"):
            mirror.apply([act(name, ROOT, block, LEAF)])
            mirror.publish(ref(block))
            block += 1
    state = mirror._state
    depth, entry = 0, state.leaves[(ROOT, LEAF)]
    while entry is not None:
        depth, entry = depth + 1, entry.prev  # type: ignore[assignment]
    assert depth <= HISTORY_BLOCKS + 2
    assert len(state.journal) <= 3 * (HISTORY_BLOCKS + 2)
    # the oldest block it still promises to roll back to answers right (even blocks suspend, odd ones reinstate)
    oldest = state.journal_floor
    assert not mirror.rollback(ref(oldest - 1))
    assert mirror.rollback(ref(oldest))
    expected = CredentialStatus.SUSPENDED if oldest % 2 == 0 else CredentialStatus.ACTIVE
    assert mirror.leaf_state(ROOT, LEAF, []) == LeafState(expected, 1, T0 + oldest)


# --- accreditation records --------------------------------------------------------------------------------------


def test_accreditation_records_unknown_ones_as_none_and_index_keys_by_issuer() -> None:
    mirror = mirror_with(anchored(ROOT, 5))
    body = BodyRecord(1, KEY, 10, AccreditationStatus.ACTIVE, 0, 2**40 - 1, T0, "did:web:body")
    issuer = IssuerRecord(1, 1, 10, AccreditationStatus.ACTIVE, False, 0, 2**40 - 1, T0, h(5), "did:web:uni")
    unknown = IssuerRecord(2, 0, 0, AccreditationStatus.NONE, False, 0, 0, 0, h(0), "")
    key = KeyRecord(KEY, 1, 1, 0, 2**40 - 1, 0, 0, 2**40 - 1)
    mirror.set_accreditation(
        Accreditation(6, {1: body}, {1: [h(77)]}, {1: issuer, 2: unknown}, {1: [h(77)], 2: []}, {KEY.lower(): key})
    )
    assert mirror.issuer(1) is None  # stamped block 6, not published yet
    mirror.publish(ref(6))
    assert (mirror.body(1), mirror.issuer(1), mirror.key(1)) == (body, issuer, key)
    assert mirror.issuer(2) is None and mirror.issuer_types(1) == [h(77)] and mirror.body_types(1) == [h(77)]
    assert mirror.issuers_of_body(1) == {1} and mirror.keys_of_issuer(1) == {KEY}
    assert mirror.key_of(KEY.upper().replace("0X", "0x")) == key and mirror.key_of("0x" + "99" * 20) is None
    gone = KeyRecord("0x" + "00" * 20, 0, 0, 0, 0, 0, 0, 0)
    mirror.set_accreditation(Accreditation(7, {}, {}, {}, {}, {KEY: gone}))
    mirror.publish(ref(7))
    assert mirror.key(1) is None and mirror.key_of(KEY) is None


# --- issuer identities ------------------------------------------------------------------------------------------


def identity(name: str, issuer_id: int, uri: str, block: int) -> NewEvent:
    """IssuerAccredited (its first identity) or IssuerMetadataUpdated (a new one), as the indexer stores them."""
    args: dict[str, Any] = {
        "issuerId": issuer_id,
        "metadataURI": uri,
        "metadataHash": ZERO,
        "blockTimestamp": T0 + block,
    }
    if name == "IssuerAccredited":
        args |= {"bodyId": 1, "maxLevel": 10, "validFrom": 0, "validUntil": 2**40 - 1, "credentialTypes": [hx(h(77))]}
    return NewEvent(block, ref(block).hash, hx(h(block) + b"i"), issuer_id, name, args, None, issuer_id)


def test_an_issuers_identities_follow_its_events_oldest_first_and_each_issuer_keeps_its_own() -> None:
    mirror = mirror_with(
        identity("IssuerAccredited", 1, "did:web:a", 5),
        identity("IssuerAccredited", 2, "did:web:b", 5),
        identity("IssuerMetadataUpdated", 1, "did:web:a2", 6),
        identity("IssuerMetadataUpdated", 2, "did:web:a", 7),  # B takes over A's first identity
    )
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2")
    assert mirror.issuer_identities(2) == ("did:web:b", "did:web:a")
    assert mirror.issuer_identities(3) == ()
    snapshot = mirror.snapshot()
    mirror.apply([identity("IssuerMetadataUpdated", 1, "did:web:a3", 8)])
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2"), "not published yet"
    mirror.publish(ref(8))
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2", "did:web:a3")
    assert snapshot.issuer_identities(1) == ("did:web:a", "did:web:a2"), "a snapshot answers as of its block"


def test_a_rollback_undoes_an_identity_change_and_a_rebuild_replays_them() -> None:
    events = [
        identity("IssuerAccredited", 1, "did:web:a", 5),
        identity("IssuerMetadataUpdated", 1, "did:web:a2", 6),
        identity("IssuerMetadataUpdated", 1, "did:web:orphan", 8),
    ]
    mirror = mirror_with(*events)
    assert mirror.rollback(ref(7))
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2")
    mirror.apply([identity("IssuerMetadataUpdated", 1, "did:web:a3", 8)])  # the new branch
    mirror.publish(ref(8))
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2", "did:web:a3")
    assert mirror.rollback(ref(5))
    assert mirror.issuer_identities(1) == ("did:web:a",)
    mirror.reset(ref(8), events, None)
    assert mirror.issuer_identities(1) == ("did:web:a", "did:web:a2", "did:web:orphan")


# --- lock-free readers ----------------------------------------------------------------------------------------


def test_readers_never_see_a_block_that_is_not_published() -> None:
    """One writer anchors one root per block and publishes; readers check that exactly the roots at or below their
    snapshot's block are visible, and a revocation exactly from its block on."""
    mirror = mirror_with()
    blocks = 3000
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            snapshot = mirror.snapshot()
            at = snapshot.as_of().number
            k = rng.randint(1, blocks)
            visible = snapshot.anchor(h(k)) is not None
            if visible != (k <= at):
                problems.append(f"root {k} visible={visible} as of block {at}")
            if at >= 2 and k <= at:
                revoked = snapshot.leaf_state(h(k), LEAF, []).status is CredentialStatus.REVOKED
                if revoked != (k + 1 <= at):
                    problems.append(f"root {k} revoked={revoked} as of block {at}")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for block in range(1, blocks + 1):
            events = [anchored(h(block), block)]
            if block > 1:
                events.append(act("CredentialRevoked", h(block - 1), block, LEAF))
            mirror.apply(events)
            mirror.publish(ref(block))
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not problems, problems[:5]
