"""The node on PostgreSQL end to end (issue 14: ``CREDREG_DATABASE_URL=postgresql+psycopg://…``): a Node opened on a
fresh PostgreSQL schema against a real anvil issues credentials through IssuanceService, the batcher anchors them
(exactly once, nonces from the store), the bundle is read back and verified, revoked through LifecycleService, and
the indexer stores the chain's events in PostgreSQL and answers GET /v1/events' query from them. Then the HTTP API
over a node on PostgreSQL (in-process chain): issuing one and in bulk with client references, the anchored bundle,
a share link's ciphertext (BYTEA) through create, open and revoke, and /metrics' counts.

No PostgreSQL server: skipped with one line (see ``postgres_server`` in tests/conftest.py); under CI=true: fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from fastapi.testclient import TestClient
from web3 import EthereumTesterProvider, Web3

from node.api.schemas.shares import b64url_encode
from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import Settings
from node.credentials.items import IssueItem
from node.main import create_app
from node.readmodel.chainview import RpcChainView
from node.readmodel.mirror import MirrorChainView
from node.runtime import Node
from node.services.bootstrap import DemoIssuer, ensure_demo_issuer
from node.services.events import EventsService
from node.services.issuance import IssuanceService
from node.services.lifecycle import Actor, LifecycleAction, LifecycleService
from node.services.verification import VerificationService
from node.store import AnchoringState, Principal, alembic_config
from node.workers.batcher import Batcher
from node.workers.indexer import Indexer
from tests.api.conftest import add_issuer, api_settings, fake_anchor
from tests.drills.chaincheck import all_anchored, assert_exactly_once, assert_no_nonce_gap, wait_for

FQ = "formal-qualification"


@pytest.fixture
def pg_node(anvil: Devnet, settings: Settings, postgres_url: str) -> Iterator[tuple[Node, DemoIssuer]]:
    """A deployed registry on anvil and a node on it whose store is a fresh PostgreSQL schema."""
    settings.database_url = postgres_url
    settings.batch_max_size = 4
    settings.batch_max_wait_ms = 300
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        yield node, ensure_demo_issuer(node)
    finally:
        node.close()


def _item(n: int, **changes: Any) -> IssueItem:
    subject = {
        "learner": {"name": f"Learner {n}", "identity": {"type": "passport", "number": f"P{n:07d}", "country": "ZA"}},
        "qualification": {"id": "SAQA-1", "title": "Diploma", "nqfLevel": 6, "credits": 360},
        "institution": "TVET College",
        "awardDate": "2026-11-20",
    }
    return IssueItem(type_name=FQ, subject=subject, **changes)


def _anchor_everything(node: Node) -> None:
    batcher = Batcher(node, poll_interval_s=0.02)
    node.workers.batcher = batcher  # stopped by node.close() even when the test fails
    batcher.start()
    try:
        wait_for(lambda: all_anchored(node.store), 30, "every credential anchored")
    finally:
        batcher.stop()
        node.workers.batcher = None


@pytest.mark.anvil
def test_issue_anchor_verify_revoke_and_index_on_postgresql(pg_node: tuple[Node, DemoIssuer]) -> None:
    node, demo = pg_node
    store = node.store
    assert store.dialect_name == "postgresql" and store.url == node.settings.database_url
    assert store.schema_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    principal = store.authenticate(demo.api_key)
    assert isinstance(principal, Principal) and principal.issuer_id == demo.issuer_id

    # issue: ten credentials (three batches of at most 4), one under a client reference that a retry reuses
    issuance = IssuanceService(node)
    accepted = issuance.submit(principal, [_item(n) for n in range(9)] + [_item(9, client_ref="grad-2026/9")])
    assert len({a.id for a in accepted}) == 10
    retried = issuance.submit(principal, [_item(9, client_ref="grad-2026/9")])
    assert retried[0].id == accepted[-1].id
    assert store.pending_count(demo.issuer_id) == 10

    # anchor: the real batcher, its nonces reserved in PostgreSQL
    _anchor_everything(node)
    once = assert_exactly_once(node, [a.id for a in accepted])
    assert (once.credentials, once.batches) == (10, 3)
    assert assert_no_nonce_gap(node, demo.signer) == 3

    # read the bundle back and verify it against the chain
    verifier = VerificationService(RpcChainView(node.registry), node.chain_id, node.manifest.registry)
    first, second = (issuance.get(principal, a.id) for a in accepted[:2])
    assert first.status is AnchoringState.ANCHORED and first.bundle is not None and second.bundle is not None
    assert verifier.verify(first.bundle).valid
    assert verifier.verify(second.bundle).valid

    # revoke one: the chain says so, the verdict follows, the other stays valid
    revoked = LifecycleService(node).act_on_credential(Actor.of(principal), accepted[0].id, LifecycleAction.REVOKE, 2)
    assert revoked.status == "revoked"
    verdict = verifier.verify(first.bundle)
    assert not verdict.valid and verdict.failure is not None and verdict.failure.name == "status"
    assert verifier.verify(second.bundle).valid
    assert_no_nonce_gap(node, demo.signer)

    # index: the chain's events land in PostgreSQL, once, and the mirror they feed gives the same verdicts
    indexer = Indexer(node, MirrorChainView(node.chain_id, node.manifest.registry))
    assert indexer.poll_once() > 0
    assert indexer.poll_once() == 0  # nothing new: nothing stored twice
    events = EventsService(store)
    anchored = events.query(name="CredentialAnchored", issuer_id=demo.issuer_id).items
    assert sorted(e.root for e in anchored) == sorted(str(b.root) for b in store.batches_with_status())
    (revocation,) = events.query(name="CredentialRevoked").items
    assert revocation.root == revoked.root and revocation.issuer_id == demo.issuer_id
    assert revocation.args["credentialHash"] == revoked.credential_hash
    mirrored = VerificationService(indexer.mirror, node.chain_id, node.manifest.registry)
    assert [v.valid for v in mirrored.verify_many([first.bundle, second.bundle]).verdicts] == [False, True]


@pytest.fixture
def pg_api(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Node, TestClient]]:
    """The API over a node on an in-process chain (see tests/api/conftest.py) whose store is PostgreSQL."""
    settings = api_settings(tmp_path / "data").model_copy(update={"database_url": postgres_url})
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    deployer = Account.from_key(w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    deploy(w3, deployer, settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, w3=w3)
    try:
        with TestClient(create_app(settings, node=node)) as client:
            yield node, client
    finally:
        node.close()


def test_the_api_on_postgresql(pg_api: tuple[Node, TestClient]) -> None:
    node, client = pg_api
    assert node.store.dialect_name == "postgresql"
    issuer = add_issuer(node)
    subject = _item(0).subject
    one = client.post("/v1/credentials", json={"type": FQ, "credentialSubject": subject}, headers=issuer.headers)
    assert one.status_code == 202, one.text
    bulk = {"credentials": [{"type": FQ, "credentialSubject": subject, "clientRef": f"r-{n}"} for n in range(50)]}
    ids = client.post("/v1/credentials/bulk", json=bulk, headers=issuer.headers).json()["ids"]
    assert len(set(ids)) == 50
    assert client.post("/v1/credentials/bulk", json=bulk, headers=issuer.headers).json()["ids"] == ids
    read = client.get(f"/v1/credentials/{ids[7]}", headers=issuer.headers).json()
    assert read["status"] == "pending" and read.get("bundle") is None

    batch = fake_anchor(node.store, issuer.issuer_id)
    assert batch.leaf_count == 51
    anchored = client.get(f"/v1/credentials/{ids[7]}", headers=issuer.headers).json()
    assert anchored["status"] == "anchored"
    assert anchored["bundle"]["proof"]["anchor"]["merkleRoot"] == batch.root

    ciphertext = b64url_encode(bytes(range(256)) + b"an encrypted bundle")
    created = client.post("/v1/shares", json={"ciphertext": ciphertext, "expiresInSeconds": 600, "maxOpens": 2})
    assert created.status_code == 201, created.text
    share = f"/v1/shares/{created.json()['id']}"
    assert client.get(share).json()["ciphertext"] == ciphertext
    holder = {"X-Holder-Token": created.json()["holderToken"]}
    assert client.delete(share, headers=holder).json()["state"] == "revoked"
    assert client.get(share).status_code == 410

    metrics = client.get("/metrics").text
    assert 'credreg_credentials{status="anchored"} 51.0' in metrics
