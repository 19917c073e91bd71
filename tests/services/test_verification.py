"""Verification on a real chain (anvil, automine): the verdict matrix, offline checkpoints, the `credreg verify` CLI.

One anvil per module (started on a free loopback port, stopped at the end); every test anchors its own roots, so the
tests do not depend on each other's state. Lifecycle and accreditation acts go straight to the contracts through the
acting key's TxManager.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet
from node.chain.registry import OPEN_END, type_id
from node.chain.signers import DEV_BODY_ADMIN, DEV_ISSUER, dev_account
from node.chain.txmanager import TxManager
from node.cli import app
from node.config import Settings
from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, make_bundles
from node.credentials.document import build_document, disclose, seal
from node.errors import (
    ChainMismatchError,
    CheckpointCoverageError,
    CheckpointSignatureError,
    CheckpointUntrustedSignerError,
    ContractRevertError,
    ValidationFailedError,
)
from node.readmodel.chainview import RpcChainView
from node.readmodel.checkpoint import create_checkpoint, load_checkpoint, verify_offline
from node.runtime import Node
from node.services.bootstrap import DEMO_ISSUER_URI, ensure_demo_issuer
from node.services.verification import CheckStatus, Verdict, VerificationService
from tests.api.conftest import write_call
from tests.conftest import start_devnet
from tests.samples import VALID

pytestmark = pytest.mark.anvil

FORMAL = "formal-qualification"
CHECKS = ("format", "disclosure", "integrity", "chain", "anchor", "issuer", "key", "status", "expiry", "schema")
"""Every check, in the order a verdict lists them."""
SUBJECTS: dict[str, dict[str, Any]] = {
    # a passport rather than an SA ID: the disclosure tests below hide and show its country
    FORMAL: {
        **VALID[FORMAL],
        "learner": {"name": "Thandiwe Nkosi", "identity": {"type": "passport", "number": "A1234567", "country": "ZA"}},
    },
    "micro-credential": VALID["micro-credential"],
}


@dataclass
class Issuer:
    issuer_id: int
    uri: str
    key: LocalAccount
    tm: TxManager


@dataclass
class World:
    """A deployment on anvil with the demo issuer, and helpers to issue, anchor and act on credentials."""

    devnet: Devnet
    node: Node
    demo: Issuer
    admin_tm: TxManager
    api_key: str
    """The demo issuer's API key."""
    _issuers: int = field(default=0)

    @property
    def registry(self) -> str:
        return self.node.manifest.registry

    def service(self, **kwargs: Any) -> VerificationService:
        return VerificationService(RpcChainView(self.node.registry), self.node.chain_id, self.registry, **kwargs)

    def verify(self, bundle: Any, **kwargs: Any) -> Verdict:
        return self.service(**kwargs).verify(bundle)

    def now(self) -> int:
        return self.node.registry.latest_timestamp()

    def document(self, type_name: str = FORMAL, issuer: Issuer | None = None, **kwargs: Any) -> dict[str, Any]:
        uri = (issuer or self.demo).uri
        return build_document(type_name, SUBJECTS[type_name], issuer_id=uri, **kwargs)

    def anchor(
        self,
        documents: list[dict[str, Any]],
        issuer: Issuer | None = None,
        type_name: str = FORMAL,
        expires_at: int = 0,
    ) -> list[dict[str, Any]]:
        tree = batch_tree(documents)
        fn = self.node.registry.anchor_fn(tree.root, len(documents), type_id(type_name), expires_at)
        receipt = (issuer or self.demo).tm.transact(fn)
        info = AnchorInfo(self.node.chain_id, self.registry, bytes(receipt["transactionHash"]), receipt["blockNumber"])
        return make_bundles(documents, tree, info)

    def issue(self, n: int = 1, issuer: Issuer | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        return self.anchor([self.document(issuer=issuer) for _ in range(n)], issuer=issuer, **kwargs)

    def act(self, tm: TxManager, name: str, *args: Any) -> None:
        tm.transact(write_call(self.node.registry, name, *args))

    def new_issuer(self, max_level: int = 10, types: tuple[str, ...] = (FORMAL, "micro-credential")) -> Issuer:
        """A fresh issuer of the demo body with one fresh, funded signing key."""
        self._issuers += 1
        uri = f"did:web:issuer-{self._issuers}.credreg.test"
        registry = self.node.registry
        receipt = self.admin_tm.transact(
            registry.writes.accredit_issuer(
                1,
                [type_id(t) for t in types],
                max_level,
                self.now() - 60,
                OPEN_END,
                uri,
                keccak(text=uri),
            )
        )
        issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
        return self.add_key(issuer_id, uri)

    def add_key(self, issuer_id: int, uri: str) -> Issuer:
        """A fresh, funded signing key for the issuer (from now on)."""
        key: LocalAccount = Account.create()
        self.node.w3.provider.make_request("anvil_setBalance", [key.address, hex(10**20)])  # type: ignore[arg-type]
        self.act(self.admin_tm, "addIssuerKey", issuer_id, key.address, self.now() - 60, OPEN_END)
        return Issuer(issuer_id, uri, key, self.node.signers.manager(key))


def hash_of(bundle: dict[str, Any]) -> bytes:
    return bytes.fromhex(bundle["proof"]["credentialHash"][2:])


def root_of(bundle: dict[str, Any]) -> bytes:
    return bytes.fromhex(bundle["proof"]["anchor"]["merkleRoot"][2:])


def failing(verdict: Verdict) -> tuple[str, str]:
    failure = verdict.failure
    assert failure is not None, verdict.model_dump_json(indent=1)
    return failure.name.value, failure.code


def statuses(verdict: Verdict) -> dict[str, str]:
    return {c.name.value: c.status.value for c in verdict.checks}


@contextmanager
def open_world(tmp: Path, **settings: Any) -> Iterator[World]:
    """Anvil (automine) + deployment + node + demo issuer, torn down on exit; ``settings`` override Settings."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("CREDREG_"):
                mp.delenv(name)
        node_settings = Settings(**{"data_dir": tmp / "data", "devnet_port": 0, "confirmations": 0, **settings})
        devnet = start_devnet(tmp / "anvil", block_time_s=None, snapshot_interval_s=None)
        try:
            deploy(connect(devnet.url), dev_account(0), node_settings.manifest_path, node_settings.artifacts_dir)
            node = Node.open(node_settings, rpc_url=devnet.url)
            try:
                demo = ensure_demo_issuer(node)
                key = dev_account(DEV_ISSUER)
                issuer = Issuer(demo.issuer_id, DEMO_ISSUER_URI, key, node.signers.manager(key))
                admin_tm = node.signers.manager(dev_account(DEV_BODY_ADMIN))
                yield World(devnet, node, issuer, admin_tm, demo.api_key)
            finally:
                node.close()
        finally:
            devnet.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("verification")) as w:
        yield w


# --- the verdict matrix -----------------------------------------------------------------------------------------


def test_genuine_credential_is_valid_with_every_check_listed(world: World) -> None:
    [bundle] = world.issue()
    verdict = world.verify(bundle)
    assert verdict.valid, verdict.summary
    assert [c.name.value for c in verdict.checks] == list(CHECKS)
    assert set(statuses(verdict).values()) == {"VALID"}
    assert verdict.summary.startswith("Valid: a formal-qualification credential of Thandiwe Nkosi (qualification ")
    assert f"issued by issuer #{world.demo.issuer_id} ({DEMO_ISSUER_URI}), accredited by body #" in verdict.summary
    assert [c.label for c in verdict.claims][:4] == ["Learner", "Qualification", "Qualification id", "NQF level"]
    assert {c.path: c.value for c in verdict.claims}["/credentialSubject/qualification/nqfLevel"] == 7
    assert verdict.anchor is not None and verdict.anchor.issuer_id == world.demo.issuer_id
    assert verdict.anchor.signing_key == world.demo.key.address
    assert verdict.issuer is not None and verdict.issuer.identity == DEMO_ISSUER_URI
    assert verdict.credential_status is not None and verdict.credential_status.status == "active"
    assert verdict.as_of_block is not None and verdict.as_of_block.number >= bundle["proof"]["anchor"]["blockNumber"]
    assert verdict.credential_hash == bundle["proof"]["credentialHash"]
    assert "is the one the bundle gives" in verdict.check("anchor").message
    anchor = bundle["proof"]["anchor"]
    assert (verdict.anchor.transaction_hash, verdict.anchor.block_number) == (
        anchor["transactionHash"],
        anchor["blockNumber"],
    )


@pytest.mark.parametrize(
    ("member", "value"), [("transactionHash", "0x" + "5e" * 32), ("blockNumber", 1), ("blockNumber", 10**9)]
)
def test_the_verdict_never_repeats_unchecked_transaction_details(world: World, member: str, value: Any) -> None:
    # the transaction and block are not hashed: a holder can write anything there. The verdict gives the chain's
    # record of the anchor and says the bundle's is wrong; it never repeats the bundle's claim as a fact
    [bundle] = world.issue()
    genuine = world.verify(bundle).anchor
    assert genuine is not None
    altered = copy.deepcopy(bundle)
    altered["proof"]["anchor"][member] = value
    verdict = world.verify(altered)
    assert verdict.valid, verdict.summary
    assert verdict.anchor is not None
    assert (verdict.anchor.transaction_hash, verdict.anchor.block_number) == (
        genuine.transaction_hash,
        genuine.block_number,
    )
    assert "the bundle's transaction details are wrong" in verdict.check("anchor").message
    assert "NQF level 7 is within it" in verdict.check("issuer").message
    # the file's text verifies the same, and the JSON uses camelCase names
    assert world.verify(dumps_bundle(bundle)).valid
    assert "asOfBlock" in verdict.model_dump(by_alias=True)


def test_one_tampered_field_fails_integrity_and_skips_the_rest(world: World) -> None:
    [bundle] = world.issue()
    forged = copy.deepcopy(bundle)
    forged["credentialSubject"]["qualification"]["title"] = "Doctor of Medicine"
    verdict = world.verify(forged)
    assert not verdict.valid
    assert failing(verdict) == ("integrity", "FIELDS_ALTERED")
    assert verdict.check("integrity").fields == ["/credentialSubject/qualification/title"]
    skipped = {n for n, s in statuses(verdict).items() if s == "SKIPPED"}
    assert skipped == set(CHECKS[CHECKS.index("anchor") :])  # every check after the chain's
    assert verdict.check("anchor").message.startswith("Not checked:")


def test_hidden_fields_still_verify(world: World) -> None:
    [bundle] = world.issue()
    shown = disclose(bundle, ["/credentialSubject/learner/identity", "/credentialSubject/qualification/credits"])
    verdict = world.verify(shown)
    assert verdict.valid, verdict.summary
    assert verdict.hidden_fields == [
        "/credentialSubject/learner/identity/country",
        "/credentialSubject/learner/identity/number",
        "/credentialSubject/learner/identity/type",
        "/credentialSubject/qualification/credits",
    ]
    schema = verdict.check("schema")
    assert (schema.status, schema.code) == (CheckStatus.VALID, "OK_SHOWN_FIELDS")
    assert "were not checked" in schema.message
    # a formal qualification's level decides the issuer's scope: its policy does not let a holder hide it
    no_level = copy.deepcopy(bundle)
    del no_level["credentialSubject"]["qualification"]["nqfLevel"]
    del no_level["proof"]["salts"]["/credentialSubject/qualification/nqfLevel"]
    assert failing(world.verify(no_level)) == ("disclosure", "DISCLOSURE_NOT_ALLOWED")


def test_a_hidden_level_is_said_to_be_uncompared(world: World) -> None:
    # a micro-credential's policy lets the holder hide its NQF level; the verdict then says it was not compared
    subject = {**SUBJECTS["micro-credential"], "nqfLevel": 5}
    document = build_document("micro-credential", subject, issuer_id=world.demo.uri)
    [bundle] = world.anchor([document], type_name="micro-credential")
    verdict = world.verify(disclose(bundle, ["/credentialSubject/nqfLevel"]))
    assert verdict.valid, verdict.summary
    assert "hid the credential's NQF level, so it was not compared" in verdict.check("issuer").message
    assert any("hid the NQF level" in n for n in verdict.notices)
    assert "/credentialSubject/nqfLevel" not in {c.path for c in verdict.claims}
    shown = world.verify(bundle)
    assert "NQF level 5 is within it" in shown.check("issuer").message
    assert {c.path: c.value for c in shown.claims}["/credentialSubject/nqfLevel"] == 5


def test_a_proof_of_another_leaf_fails_the_merkle_check(world: World) -> None:
    first, second = world.issue(2)
    mixed = copy.deepcopy(first)
    mixed["proof"]["anchor"]["merkleProof"] = second["proof"]["anchor"]["merkleProof"] + ["0x" + "00" * 32]
    verdict = world.verify(mixed)
    assert failing(verdict) == ("integrity", "MERKLE_PROOF_INVALID")


@pytest.mark.parametrize(
    ("field_name", "value", "code"),
    [("chainId", 1, "WRONG_CHAIN"), ("registry", "0x" + "ab" * 20, "WRONG_REGISTRY")],
)
def test_another_chain_or_registry_is_never_valid(world: World, field_name: str, value: Any, code: str) -> None:
    [bundle] = world.issue()
    moved = copy.deepcopy(bundle)
    moved["proof"]["anchor"][field_name] = value  # the anchor is not hashed: integrity still passes
    verdict = world.verify(moved)
    assert not verdict.valid
    assert failing(verdict) == ("chain", code)
    assert statuses(verdict)["integrity"] == "VALID"
    assert statuses(verdict)["anchor"] == "SKIPPED"


def test_a_root_that_was_never_anchored(world: World) -> None:
    documents = [world.document()]
    tree = batch_tree(documents)
    info = AnchorInfo(world.node.chain_id, world.registry, b"\x01" * 32, 1)
    [bundle] = make_bundles(documents, tree, info)
    verdict = world.verify(bundle)
    assert failing(verdict) == ("anchor", "ROOT_NOT_ANCHORED")
    far = copy.deepcopy(bundle)
    far["proof"]["anchor"]["blockNumber"] = 10**9
    assert failing(world.verify(far)) == ("anchor", "ANCHOR_NOT_YET_SEEN")
    # a document that was never given an anchor at all
    verdict = world.verify(documents[0])
    assert failing(verdict) == ("integrity", "NOT_ANCHORED")
    assert statuses(verdict)["chain"] == "SKIPPED"


def test_a_schema_version_this_node_does_not_know_is_never_valid(world: World) -> None:
    # without the version's policy the verifier cannot tell its level field, what may be hidden or its rules: an
    # issuer could claim any level through an unknown version. It says so and refuses to call it valid
    document = world.document()
    document["credentialSchema"]["id"] = document["credentialSchema"]["id"].replace("/v1", "/v9")
    [bundle] = world.anchor([seal(document)])
    verdict = world.verify(bundle)
    assert failing(verdict) == ("format", "UNKNOWN_TYPE")
    assert "formal-qualification v9" in verdict.summary and "Update the verifier" in verdict.summary


def test_revoked_at_the_root_and_at_one_leaf(world: World) -> None:
    tm = world.demo.tm
    batch = world.issue(2)
    world.act(tm, "revokeCredential", root_of(batch[0]), hash_of(batch[0]), 7)
    verdict = world.verify(batch[0])
    assert failing(verdict) == ("status", "REVOKED")
    assert verdict.credential_status is not None
    assert (verdict.credential_status.scope, verdict.credential_status.reason_code) == ("credential", 7)
    assert "hold lifted / investigation closed, reason code 7" in verdict.check("status").message  # said in words
    assert world.verify(batch[1]).valid, "the other credential of the batch is untouched"

    whole = world.issue(2)
    world.act(tm, "revokeRoot", root_of(whole[0]), 9)
    for bundle in whole:
        verdict = world.verify(bundle)
        assert failing(verdict) == ("status", "REVOKED")
        assert verdict.credential_status is not None and verdict.credential_status.scope == "root"
        assert "whole batch" in verdict.check("status").message


def test_suspended_then_reinstated(world: World) -> None:
    tm = world.demo.tm
    [bundle] = world.issue()
    world.act(tm, "suspendCredential", root_of(bundle), hash_of(bundle), 3)
    verdict = world.verify(bundle)
    assert failing(verdict) == ("status", "SUSPENDED")
    assert "may be reinstated" in verdict.check("status").message
    world.node.w3.provider.make_request("evm_increaseTime", [2])  # type: ignore[arg-type]
    world.act(tm, "reinstateCredential", root_of(bundle), hash_of(bundle), 4)
    verdict = world.verify(bundle)
    assert verdict.valid, verdict.summary
    assert verdict.check("status").code == "REINSTATED"


def test_superseded_shows_the_replacement(world: World) -> None:
    [old] = world.issue()
    [new] = world.issue()
    world.act(world.demo.tm, "supersedeCredential", root_of(old), hash_of(old), root_of(new), hash_of(new), 2)
    verdict = world.verify(old)
    assert failing(verdict) == ("status", "SUPERSEDED")
    facts = verdict.credential_status
    assert facts is not None
    assert (facts.replacement_root, facts.replacement_hash) == (
        new["proof"]["anchor"]["merkleRoot"],
        new["proof"]["credentialHash"],
    )
    assert new["proof"]["credentialHash"] in verdict.check("status").message
    assert world.verify(new).valid


def test_expired_on_chain_and_by_its_valid_until(world: World) -> None:
    [on_chain] = world.issue(expires_at=world.now() + 3600)
    assert world.verify(on_chain).valid
    later = time.time() + 7200
    verdict = world.verify(on_chain, clock=lambda: later)
    assert failing(verdict) == ("expiry", "EXPIRED")
    assert "recorded on chain" in verdict.check("expiry").message

    import datetime as dt

    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    [dated] = world.anchor([world.document(valid_until=until)])
    assert world.verify(dated).valid
    verdict = world.verify(dated, clock=lambda: later)
    assert failing(verdict) == ("expiry", "EXPIRED")
    assert verdict.check("expiry").fields == ["/validUntil"]


def test_issuer_suspended_after_anchoring_stays_valid_but_cannot_anchor_after(world: World) -> None:
    issuer = world.new_issuer()
    [bundle] = world.issue(issuer=issuer)
    world.act(world.admin_tm, "suspendIssuer", issuer.issuer_id, 5)
    verdict = world.verify(bundle)
    assert verdict.valid, verdict.summary
    check = verdict.check("issuer")
    assert check.code == "ACCREDITATION_CHANGED_AFTER_ANCHOR"
    assert "suspended" in check.message and "not retroactive" in check.message
    assert verdict.issuer is not None and verdict.issuer.status == "suspended"
    # before: a suspended issuer's anchor is refused by the contract itself, so no such bundle can exist
    with pytest.raises(ContractRevertError) as refused:
        world.issue(issuer=issuer)
    assert refused.value.error_name is not None and "CredentialRegistry" in refused.value.error_name


def test_key_cut_off_after_the_anchor_keeps_it_valid_before_makes_it_invalid(world: World) -> None:
    issuer = world.new_issuer()
    [early] = world.issue(issuer=issuer)
    early_at = world.now()
    world.node.w3.provider.make_request("evm_increaseTime", [10])  # type: ignore[arg-type]
    world.act(world.admin_tm, "cutOffIssuerKey", issuer.issuer_id, issuer.key.address, early_at + 5)
    verdict = world.verify(early)
    assert verdict.valid, verdict.summary
    assert "after this anchor" in verdict.check("key").message

    second = world.add_key(issuer.issuer_id, issuer.uri)
    [late] = world.issue(issuer=second)
    anchored_at = world.node.registry.anchor_of(root_of(late)).anchored_at
    world.act(world.admin_tm, "cutOffIssuerKey", issuer.issuer_id, second.key.address, anchored_at - 1)
    verdict = world.verify(late)
    assert failing(verdict) == ("key", "KEY_COMPROMISED")
    assert "re-issue" in verdict.check("key").message


def test_issuer_identity_type_and_level_must_match_the_anchor(world: World) -> None:
    # the document names another issuer than the one that anchored it
    impostor = build_document(FORMAL, SUBJECTS[FORMAL], issuer_id="did:web:famous-university.example")
    [bundle] = world.anchor([impostor])
    assert failing(world.verify(bundle)) == ("issuer", "ISSUER_MISMATCH")
    # anchored as a micro-credential, claims to be a formal qualification
    [mistyped] = world.anchor([world.document()], type_name="micro-credential")
    assert failing(world.verify(mistyped)) == ("issuer", "TYPE_MISMATCH")
    # an issuer accredited up to level 5 cannot vouch for a level-7 qualification
    low = world.new_issuer(max_level=5)
    [high] = world.issue(issuer=low)
    verdict = world.verify(high)
    assert failing(verdict) == ("issuer", "LEVEL_OUT_OF_SCOPE")
    assert verdict.check("issuer").fields == ["/credentialSubject/qualification/nqfLevel"]


def test_malformed_input_gives_a_verdict_not_an_error(world: World) -> None:
    for junk in ({}, {"@context": ["https://www.w3.org/ns/credentials/v2"]}, "not json", b"[1]"):
        verdict = world.verify(junk)
        assert not verdict.valid
        assert failing(verdict)[0] == "format"
        assert [c.status for c in verdict.checks[1:]] == [CheckStatus.SKIPPED] * 9


def test_batch_shares_one_snapshot_and_is_capped(world: World) -> None:
    bundles = world.issue(3)
    result = world.service().verify_many([*bundles, {"nope": 1}])
    assert (result.count, result.valid_count) == (4, 3)
    assert result.as_of_block is not None
    assert {v.as_of_block for v in result.verdicts} == {result.as_of_block}
    with pytest.raises(ValidationFailedError, match="at most 1,000"):
        world.service().verify_many([{}] * 1001)
    with pytest.raises(ChainMismatchError):
        VerificationService(RpcChainView(world.node.registry), 1, world.registry)


# --- offline: signed checkpoints --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpointed(world: World) -> dict[str, Any]:
    """Three bundles (the last one revoked) and a checkpoint over them signed by a fresh key, made while the chain is
    reachable; and one more bundle the checkpoint does not cover."""
    batch = world.issue(3)
    world.act(world.demo.tm, "revokeCredential", root_of(batch[2]), hash_of(batch[2]), 11)
    signer: LocalAccount = Account.create()
    checkpoint, verdicts = create_checkpoint(RpcChainView(world.node.registry), batch, signer)
    assert [v.valid for v in verdicts] == [True, True, False]
    return {"bundles": batch, "signer": signer.address, "text": checkpoint.to_json(), "other": world.issue(1)[0]}


def test_checkpoint_round_trip_with_no_network(checkpointed: dict[str, Any], no_network: None) -> None:
    checkpoint = load_checkpoint(checkpointed["text"], checkpointed["signer"])
    bundles = checkpointed["bundles"]
    verdicts = verify_offline(bundles, checkpoint)
    assert [v.valid for v in verdicts] == [True, True, False]
    assert failing(verdicts[2]) == ("status", "REVOKED")
    assert all(v.as_of_block is not None and v.as_of_block.number == checkpoint.block.number for v in verdicts)
    hidden = disclose(bundles[0], ["/credentialSubject/learner"])
    assert verify_offline([hidden], checkpoint)[0].valid, "selective disclosure works offline too"
    statement = checkpoint.statement()
    assert f"as of block {checkpoint.block.number}" in statement
    assert checkpointed["signer"] in statement
    assert "not visible offline" in statement


def test_a_bundle_the_checkpoint_does_not_cover_is_a_clear_error(
    checkpointed: dict[str, Any], no_network: None
) -> None:
    checkpoint = load_checkpoint(checkpointed["text"], checkpointed["signer"])
    with pytest.raises(CheckpointCoverageError, match="not covered by the checkpoint"):
        verify_offline([checkpointed["other"]], checkpoint)


@pytest.mark.parametrize("edit", ["unrevoke", "block", "signer"])
def test_a_tampered_checkpoint_is_refused(checkpointed: dict[str, Any], edit: str) -> None:
    data = json.loads(checkpointed["text"])
    if edit == "unrevoke":  # turn the revoked credential's status back to active
        revoked = checkpointed["bundles"][2]["proof"]
        data["facts"]["leafStates"][revoked["anchor"]["merkleRoot"]][revoked["credentialHash"]]["status"] = 0
    elif edit == "block":  # claim a later block (fresher than it is)
        data["block"]["number"] += 100
    else:  # name another signer
        data["signer"] = Account.create().address
    with pytest.raises(CheckpointSignatureError, match="altered after it was signed"):
        load_checkpoint(json.dumps(data), checkpointed["signer"])


def test_an_untrusted_signer_is_refused(checkpointed: dict[str, Any]) -> None:
    with pytest.raises(CheckpointUntrustedSignerError, match="not by"):
        load_checkpoint(checkpointed["text"], Account.create().address)
    # an edited checkpoint re-signed by whoever edited it is consistent, but still not from the trusted signer
    from node.readmodel.checkpoint import sign_checkpoint

    data = json.loads(checkpointed["text"])
    data.pop("signature")
    forger: LocalAccount = Account.create()
    forged = sign_checkpoint(data, forger).to_json()
    assert load_checkpoint(forged, forger.address).signer == forger.address
    with pytest.raises(CheckpointUntrustedSignerError):
        load_checkpoint(forged, checkpointed["signer"])


# --- the CLI ----------------------------------------------------------------------------------------------------


def test_cli_verifies_online_then_offline_against_a_dead_rpc(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, revoked = world.issue(2)
    world.act(world.demo.tm, "revokeCredential", root_of(revoked), hash_of(revoked), 4)
    files = []
    for i, bundle in enumerate((good, revoked)):
        path = tmp_path / f"bundle{i}.json"
        path.write_text(dumps_bundle(bundle))
        files.append(str(path))
    runner = CliRunner()
    url, chain = world.devnet.url, str(world.node.chain_id)

    trusted = runner.invoke(
        app, ["verify", files[0], "--rpc-url", url, "--registry", world.registry, "--chain-id", chain]
    )
    assert trusted.exit_code == 0, trusted.output
    assert "VALID" in trusted.output and "given with --registry" in trusted.output
    assert "Qualification: Bachelor of Commerce" in trusted.output  # the main claims, as shown
    assert "note: The credential's own text names the institution" in " ".join(trusted.output.split())
    forged = json.loads(dumps_bundle(good))
    title = "/credentialSubject/qualification/title"
    del forged["credentialSubject"]["qualification"]["title"], forged["proof"]["salts"][title]  # not hideable
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    refused = runner.invoke(app, ["verify", str(tmp_path / "forged.json"), "--rpc-url", url])
    assert refused.exit_code == 3, refused.output
    assert "DISCLOSURE_NOT_ALLOWED" in refused.output or "may not hide it" in " ".join(refused.output.split())
    own = runner.invoke(app, ["verify", files[0], "--rpc-url", url])
    assert own.exit_code == 0, own.output
    assert "taken from the bundle itself" in own.output
    wrong_chain = runner.invoke(app, ["verify", files[0], "--rpc-url", url, "--chain-id", "1"])
    assert wrong_chain.exit_code == 1 and "chain 1" in wrong_chain.output

    checkpoint = tmp_path / "checkpoint.json"
    made = runner.invoke(app, ["checkpoint", "create", *files, "--rpc-url", url, "--out", str(checkpoint)])
    assert made.exit_code == 0, made.output
    signer = dev_account(0).address
    assert signer in made.output and "DEVNET" in made.output

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("offline verification tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    offline = ["--checkpoint", str(checkpoint), "--trust-signer", signer, "--rpc-url", dead]
    result = runner.invoke(app, ["verify", files[0], *offline])
    assert result.exit_code == 0, result.output
    assert "according to the checkpoint signed by" in result.output and "not visible offline" in result.output
    as_json = runner.invoke(app, ["verify", *files, *offline, "--json"])
    assert as_json.exit_code == 3, as_json.output  # one of them is not valid
    report = json.loads(as_json.stdout)
    assert [r["verdict"]["valid"] for r in report["results"]] == [True, False]
    assert report["results"][1]["verdict"]["checks"][7]["code"] == "REVOKED"
    assert report["checkpoint"]["signer"] == signer
    untrusted = runner.invoke(
        app, ["verify", files[0], "--checkpoint", str(checkpoint), "--trust-signer", world.demo.key.address]
    )
    assert untrusted.exit_code == 1
    assert "not by" in untrusted.output
