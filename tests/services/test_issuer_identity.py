"""An issuer that changes its registered identity (``setIssuerMetadata`` → IssuerMetadataUpdated) keeps the
credentials it issued under the old one valid, in every way the node verifies: over RPC, from the indexer's mirror and
offline from a signed checkpoint. An identity the anchoring issuer never held, including one another issuer holds or
held, still fails ISSUER_MISMATCH.

One anvil (automine) for the module; the story is set up once and every mode verifies the same bundles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from node.credentials.document import build_document
from node.readmodel.chainview import RpcChainView
from node.readmodel.checkpoint import create_checkpoint, load_checkpoint, sign_checkpoint, verify_offline
from node.readmodel.mirror import MirrorChainView
from node.services.verification import Verdict, VerificationService
from node.workers.indexer import Indexer
from tests.services.test_anchor_logs import cap_log_ranges
from tests.services.test_verification import FORMAL, SUBJECTS, Issuer, World, open_world

pytestmark = pytest.mark.anvil

NEVER = "did:web:never-registered.example"


@dataclass(frozen=True)
class Case:
    valid: bool
    code: str
    """The issuer check's code."""
    words: str = ""
    """What the issuer check's message must say."""


@dataclass
class Story:
    """Issuer A renamed itself (first → renamed); then issuer B took A's first identity over."""

    world: World
    a_first: Issuer
    a_renamed: Issuer
    b_first: Issuer
    b_now: Issuer
    changed_at: int
    """The block of A's change."""
    bundles: dict[str, dict[str, Any]]
    expected: dict[str, Case]


def rename(world: World, issuer: Issuer, uri: str) -> int:
    """The issuer's body changes its registered identity on chain; returns the block."""
    receipt = world.admin_tm.transact(
        world.node.registry.writes.set_issuer_metadata(issuer.issuer_id, uri, keccak(text=uri))
    )
    assert world.node.registry.registry_events(receipt, "IssuerMetadataUpdated")
    return int(receipt["blockNumber"])


def naming(world: World, uri: str, anchored_by: Issuer) -> dict[str, Any]:
    """A genuine bundle anchored by ``anchored_by`` whose document names ``uri`` as its issuer."""
    [bundle] = world.anchor([build_document(FORMAL, SUBJECTS[FORMAL], issuer_id=uri)], issuer=anchored_by)
    return bundle


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    with open_world(tmp_path_factory.mktemp("issuer-identity")) as world:
        a_first, b_first = world.new_issuer(), world.new_issuer()
        bundles = {
            "a before": world.issue(issuer=a_first)[0],
            "b before": world.issue(issuer=b_first)[0],
        }
        a_renamed = replace(a_first, uri="did:web:renamed-university.credreg.test")
        changed_at = rename(world, a_first, a_renamed.uri)
        b_now = replace(b_first, uri=a_first.uri)
        rename(world, b_first, b_now.uri)  # B takes over the identity A left
        bundles |= {
            "a after": world.issue(issuer=a_renamed)[0],
            "b after": world.issue(issuer=b_now)[0],
            "a forged": naming(world, NEVER, a_renamed),
            "a names b's former identity": naming(world, b_first.uri, a_renamed),
            "b names a's current identity": naming(world, a_renamed.uri, b_now),
        }
        former = "under its former identity {}; it is registered as {} now"
        never = "which has never been registered under that identity"
        expected = {
            "a before": Case(True, "FORMER_IDENTITY", former.format(a_first.uri, a_renamed.uri)),
            "b before": Case(True, "FORMER_IDENTITY", former.format(b_first.uri, b_now.uri)),
            "a after": Case(True, "OK", f"Issued by issuer #{a_first.issuer_id} ({a_renamed.uri})"),
            "b after": Case(True, "OK", f"Issued by issuer #{b_first.issuer_id} ({b_now.uri})"),
            "a forged": Case(False, "ISSUER_MISMATCH", never),
            "a names b's former identity": Case(False, "ISSUER_MISMATCH", never),
            "b names a's current identity": Case(False, "ISSUER_MISMATCH", never),
        }
        yield Story(world, a_first, a_renamed, b_first, b_now, changed_at, bundles, expected)


def mirror_of(world: World) -> MirrorChainView:
    indexer = Indexer(world.node, MirrorChainView(world.node.chain_id, world.registry))
    indexer.poll_once()
    return indexer.mirror


def signed_checkpoint(story: Story) -> tuple[str, LocalAccount]:
    signer: LocalAccount = Account.create()
    checkpoint, _ = create_checkpoint(RpcChainView(story.world.node.registry), list(story.bundles.values()), signer)
    return checkpoint.to_json(), signer


def assert_verdicts(story: Story, verdicts: list[Verdict]) -> None:
    for (name, case), verdict in zip(story.expected.items(), verdicts, strict=True):
        check = verdict.check("issuer")
        assert (verdict.valid, check.code) == (case.valid, case.code), f"{name}: {verdict.summary}"
        assert case.words in check.message, f"{name}: {check.message}"
        if not case.valid:
            assert check.fields == ["/issuer/id"] and verdict.failure == check, name


@pytest.mark.parametrize("mode", ["rpc", "mirror", "checkpoint"])
def test_credentials_under_a_former_identity_stay_valid_and_forged_ones_do_not(
    story: Story, mode: str, request: pytest.FixtureRequest
) -> None:
    world, bundles = story.world, [story.bundles[name] for name in story.expected]
    if mode == "rpc":
        verdicts = world.service().verify_many(bundles).verdicts
    elif mode == "mirror":
        service = VerificationService(mirror_of(world), world.node.chain_id, world.registry)
        verdicts = service.verify_many(bundles).verdicts
    else:
        text, signer = signed_checkpoint(story)
        request.getfixturevalue("no_network")
        verdicts = verify_offline(bundles, load_checkpoint(text, signer.address))
    assert_verdicts(story, verdicts)
    valid_before = verdicts[0]
    assert valid_before.issuer is not None and valid_before.issuer.identity == story.a_renamed.uri
    assert f"({story.a_first.uri}, registered as {story.a_renamed.uri} now)" in valid_before.summary


def test_the_views_know_every_identity_an_issuer_held_as_of_their_block(story: Story) -> None:
    world, a, b = story.world, story.a_first, story.b_first
    rpc_view, mirror = RpcChainView(world.node.registry), mirror_of(world)
    assert rpc_view.issuer_identities(a.issuer_id) == (a.uri, story.a_renamed.uri)
    assert rpc_view.issuer_identities(b.issuer_id) == (b.uri, a.uri)
    assert rpc_view.issuer_identities(999) == ()
    for issuer_id in (a.issuer_id, b.issuer_id, 999):
        assert mirror.issuer_identities(issuer_id) == rpc_view.issuer_identities(issuer_id)
    # pinned before the change: the first identity only (a snapshot never mixes two chain states)
    header = world.node.registry.block(story.changed_at - 1)
    assert header is not None
    before = RpcChainView(world.node.registry.at_block(header.number), header)
    assert before.issuer_identities(a.issuer_id) == (a.uri,)


def test_an_older_checkpoint_without_identities_loads_and_knows_the_current_identity_only(
    story: Story, no_network: None
) -> None:
    text, signer = signed_checkpoint(story)
    payload = json.loads(text)
    payload.pop("signature")
    assert payload["facts"].pop("issuerIdentities"), "the new checkpoint records the identities it needed"
    older = load_checkpoint(sign_checkpoint(payload, signer).to_json(), signer.address)
    before, after, forged = verify_offline(
        [story.bundles["a before"], story.bundles["a after"], story.bundles["a forged"]], older
    )
    assert after.valid, after.summary
    assert not forged.valid and forged.check("issuer").code == "ISSUER_MISMATCH"
    check = before.check("issuer")
    assert not before.valid and check.code == "ISSUER_MISMATCH"
    assert "knows only its current identity" in check.message and "new checkpoint" in check.message


def test_a_node_that_caps_log_ranges_is_asked_for_smaller_ones(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes cap eth_getLogs ranges (Besu: 5,000 blocks by default): the history is read in halves while refused."""
    client, cap = story.world.node.registry, 3
    asked = cap_log_ranges(client.w3, cap, monkeypatch)
    a = story.a_first
    assert RpcChainView(client).issuer_identities(a.issuer_id) == (a.uri, story.a_renamed.uri)
    served = [(first, last) for first, last in asked if last - first + 1 <= cap]
    assert len(asked) > len(served) > 1
    covered = sorted(block for first, last in served for block in range(first, last + 1))
    assert covered == list(range(client.manifest.deploy_block, covered[-1] + 1)), "a gap or an overlap"
