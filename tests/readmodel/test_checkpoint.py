"""node/readmodel/checkpoint.py without a chain: a recording view keeps every answer, the signed file carries them,
and the checkpoint view replays exactly those answers (and refuses any other question); a file that was altered,
signed by someone else or damaged is refused.

(Creating and verifying checkpoints of real bundles on a real chain, and the CLI: tests/services/test_verification.py.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account

from node.chain.registry import AccreditationStatus, BodyRecord, CredentialStatus, IssuerRecord, KeyRecord
from node.errors import (
    CheckpointCoverageError,
    CheckpointError,
    CheckpointSignatureError,
    CheckpointUntrustedSignerError,
    ValidationFailedError,
)
from node.readmodel.checkpoint import (
    FORMAT,
    CheckpointChainView,
    RecordingChainView,
    encode_record,
    load_checkpoint,
    sign_checkpoint,
)
from node.readmodel.mirror import Accreditation, MirrorChainView
from tests.readmodel.test_mirror import KEY, LEAF, OTHER, ROOT, T0, act, anchored, h, mirror_with, ref

SIGNER = Account.from_key("0x" + "11" * 32)


def chain() -> MirrorChainView:
    """A root anchored at block 5 whose leaf was revoked at block 6, one body, issuer and key."""
    mirror = mirror_with(anchored(ROOT, 5), act("CredentialRevoked", ROOT, 6, LEAF, reason=3))
    body = BodyRecord(1, KEY, 10, AccreditationStatus.ACTIVE, 0, 2**40 - 1, T0, "did:web:body")
    issuer = IssuerRecord(1, 1, 10, AccreditationStatus.ACTIVE, False, 0, 2**40 - 1, T0, h(5), "did:web:uni")
    key = KeyRecord(KEY, 1, 1, 0, 2**40 - 1, 0, 0, 2**40 - 1)
    mirror.set_accreditation(Accreditation(6, {1: body}, {1: [h(77)]}, {1: issuer}, {1: [h(77), h(78)]}, {KEY: key}))
    mirror.publish(ref(7))
    return mirror


def ask(view: Any) -> list[object]:
    """Every question verification asks about the bundle of (ROOT, LEAF) and its issuer."""
    return [
        view.anchor(ROOT),
        view.leaf_state(ROOT, LEAF, []),
        view.leaf_state(ROOT, OTHER, []),
        view.key(1),
        view.issuer(1),
        view.issuer_types(1),
        view.issuer_identities(1),
        view.body(1),
        view.body_types(1),
        view.block(5),
        view.anchor_transaction(ROOT),
    ]


def signed(mirror: MirrorChainView, account: Any = SIGNER) -> tuple[str, list[object]]:
    recorder = RecordingChainView(mirror)
    answers = ask(recorder)
    payload = {
        "format": FORMAT,
        "chainId": mirror.chain_id,
        "registry": mirror.registry_address,
        "block": encode_record(recorder.as_of()),
        "createdAt": T0 + 100,
        "facts": recorder.facts(),
    }
    return sign_checkpoint(payload, account).to_json(), answers


def test_the_checkpoint_replays_every_recorded_answer() -> None:
    mirror = chain()
    text, answers = signed(mirror)
    assert answers == ask(mirror)
    checkpoint = load_checkpoint(text, SIGNER.address)
    assert (checkpoint.signer, checkpoint.chain_id, checkpoint.block) == (SIGNER.address, 472019, ref(7))
    assert checkpoint.roots == 1
    view = CheckpointChainView(checkpoint)
    assert ask(view) == answers
    revoked = view.leaf_state(ROOT, LEAF, [])
    assert (revoked.status, revoked.reason_code) == (CredentialStatus.REVOKED, 3)
    assert view.issuer_types(1) == [h(77), h(78)]
    assert view.as_of() == ref(7) and view.snapshot() is view


def test_a_question_the_checkpoint_did_not_record_is_refused() -> None:
    view = CheckpointChainView(load_checkpoint(signed(chain())[0], SIGNER.address))
    for question in (
        lambda: view.anchor(OTHER),
        lambda: view.leaf_state(OTHER, LEAF, []),
        lambda: view.key(2),
        lambda: view.issuer(2),
        lambda: view.body_types(2),
    ):
        with pytest.raises(CheckpointCoverageError, match="not covered by the checkpoint"):
            question()
    assert view.block(6) is None and view.anchor_transaction(OTHER) is None  # allowed unknowns


def test_an_altered_checkpoint_is_refused() -> None:
    data = json.loads(signed(chain())[0])
    data["facts"]["leafStates"]["0x" + ROOT.hex()]["0x" + LEAF.hex()]["status"] = int(CredentialStatus.ACTIVE)
    with pytest.raises(CheckpointSignatureError, match="altered after it was signed"):
        load_checkpoint(json.dumps(data), SIGNER.address)


def test_another_signer_is_not_trusted() -> None:
    other = Account.from_key("0x" + "22" * 32)
    with pytest.raises(CheckpointUntrustedSignerError, match="whom you trust"):
        load_checkpoint(signed(chain(), other)[0], SIGNER.address)
    with pytest.raises(ValidationFailedError, match="not an address"):
        load_checkpoint(signed(chain())[0], "me")


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["facts"]["issuerTypes"].update({"1": ["0x1234"]}), "a type id is not hex"),
        (lambda d: d["facts"]["issuerTypes"].update({"1": "0x" + "00" * 32}), "a scope is not a list"),
        (lambda d: d["facts"]["anchors"]["0x" + ROOT.hex()].update(root="0x12"), "record does not fit"),
        (lambda d: d["facts"]["keys"].update({"1": {"key": KEY}}), "record does not fit"),
        (lambda d: d["facts"].update(bodies=[]), "facts.bodies is not an object"),
    ],
)
def test_a_damaged_checkpoint_signed_as_such_is_refused(edit: Any, words: str) -> None:
    """Damage the signer signed (a bug, not a forgery) is still refused, naming what is wrong."""
    data = json.loads(signed(chain())[0])
    del data["signature"]
    edit(data)
    text = sign_checkpoint(data, SIGNER).to_json()
    with pytest.raises(CheckpointError, match=words):
        CheckpointChainView(load_checkpoint(text, SIGNER.address))


def test_not_a_checkpoint() -> None:
    for text in ("nope", "[]", json.dumps({"format": "other"})):
        with pytest.raises(CheckpointError):
            load_checkpoint(text, SIGNER.address)
    with pytest.raises(CheckpointSignatureError, match="not signed"):
        load_checkpoint(json.dumps({"format": FORMAT}), SIGNER.address)
