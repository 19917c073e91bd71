"""Credential lifecycle through the API on a real anvil: revoke / suspend / reinstate / supersede of one credential and
of a whole batch, by the issuer's own key and through governance, checked against the contract's views afterwards.

The helpers at the top (a deployed node on an automining anvil, issuers, anchored batches) are shared with
tests/services/test_governance.py and tests/api/test_authz.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.chain.keystore import new_keystore
from node.chain.registry import CredentialStatus, Validity, type_id
from node.chain.signers import dev_account
from node.chain.txmanager import Call
from node.config import Settings
from node.credentials.merkle import MerkleTree
from node.main import create_app
from node.runtime import Node
from node.store import ApiKeyRole, NewCredential
from node.workers.batcher import record_tree
from tests.conftest import start_devnet

NODE_BACKENDS = ("sqlite", "postgresql")  # this module's node runs once per database (tests/conftest.py)

FORMAL = "formal-qualification"
PASSPHRASE = "lifecycle-test-passphrase"
ANCHOR_VERSION = "anchored-by-test"
"""The type version of credentials these helpers anchor: claimed apart from anything else pending."""

# --- shared helpers ------------------------------------------------------------------------------------------------


def node_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test node: confirmations 0 (the devnet automines), a keystore passphrase for test keys."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "devnet_port": 0,
        "confirmations": 0,
        "keystore_passphrase": SecretStr(PASSPHRASE),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def clean_env() -> Iterator[None]:
    import os

    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("CREDREG_"):
                mp.delenv(name)
        yield


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    """An automining anvil (a block per transaction, no interval): fast, and no block without a transaction."""
    devnet = start_devnet(tmp_path_factory.mktemp("anvil"), block_time_s=None, snapshot_interval_s=None)
    try:
        yield devnet
    finally:
        devnet.stop()


@dataclass
class Kit:
    """One deployed registry and a node on it, with handy actors."""

    node: Node
    client: TestClient
    keys_dir: Path
    governor_key: str
    admin_key: str
    body_id: int = 0
    issuers: dict[str, int] = field(default_factory=dict)
    issuer_keys: dict[int, str] = field(default_factory=dict)

    @property
    def w3(self) -> Web3:
        return self.node.w3

    def headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def new_signer(self, fund: bool = True) -> tuple[str, str]:
        """A fresh key in an encrypted keystore (cheap KDF), funded on the devnet: (address, keystore path)."""
        path = self.keys_dir / f"{secrets.token_hex(6)}.json"
        address = new_keystore(path, PASSPHRASE, kdf="pbkdf2", kdf_cost=1)
        if fund:
            self.w3.provider.make_request("anvil_setBalance", [address, hex(10**20)])  # type: ignore[arg-type]
        return address, str(path)

    def admin_tm(self) -> Any:
        return self.node.signers.manager(dev_account(1))

    def accredit_issuer(self, name: str, *, register: bool = True, key: bool = True) -> tuple[int, str, str]:
        """Accredit an issuer under the kit's body with the body admin key (dev account 1), add a fresh signing key
        and record it on the node. Returns (issuer id, signer, keystore path)."""
        registry = self.node.registry
        now = registry.latest_timestamp()
        uri = f"did:web:{name.lower().replace(' ', '-')}.example"
        receipt = self.admin_tm().transact(
            registry.writes.accredit_issuer(self.body_id, [type_id(FORMAL)], 8, now, 0, uri, keccak(text=uri))
        )
        issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
        signer, path = self.new_signer()
        if key:
            self.admin_tm().transact(registry.writes.add_issuer_key(issuer_id, signer, now, 0))
        if register:
            self.node.store.upsert_issuer(
                issuer_id, name=name, metadata_uri=uri, signer_address=signer, keystore_path=path
            )
        return issuer_id, signer, path

    def issuer_api_key(self, issuer_id: int) -> str:
        return self.node.store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label="test")

    def anchor(self, issuer_id: int, n: int = 3) -> Anchored:
        """n credentials of the issuer in the outbox, batched, anchored by its signing key, confirmed (as the batcher
        would do it)."""
        store = self.node.store
        items = [
            NewCredential(
                type_name=FORMAL,
                type_version=ANCHOR_VERSION,
                credential_hash="0x" + secrets.token_bytes(32).hex(),
                document={"n": i},
            )
            for i in range(n)
        ]
        ids = store.add_credentials(issuer_id, items)
        claimed = store.claim_batch(issuer_id, n, type_name=FORMAL, type_version=ANCHOR_VERSION)
        assert claimed is not None
        batch = record_tree(store, claimed.batch_id, claimed.credential_hashes, FORMAL)
        hashes = {cid: bytes.fromhex(item.credential_hash[2:]) for cid, item in zip(ids, items, strict=True)}
        order = list(ids)
        tree = MerkleTree([hashes[cid] for cid in order])
        assert batch.root == "0x" + tree.root.hex()
        issuer = store.get_issuer(issuer_id)
        tm = self.node.signers.manager(self.node.signers.account_for(issuer.signer_address, issuer.keystore_path))
        signed = tm.prepare(Call.of(self.node.registry.anchor_fn(tree.root, n, type_id(FORMAL))))
        store.mark_signed(claimed.batch_id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)
        tm.send(signed)
        receipt = tm.wait(signed)
        store.mark_confirmed(
            claimed.batch_id, signed.tx_hash, int(receipt["blockNumber"]), "0x" + bytes(receipt["blockHash"]).hex()
        )
        members = {c.id for c in store.list_credentials(batch_id=claimed.batch_id, limit=n)}
        assert members == set(ids), "the batch holds exactly the credentials just written"
        return Anchored(self, claimed.batch_id, tree.root, order, hashes, tree, order)

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@dataclass
class Anchored:
    kit: Kit
    batch_id: int
    root: bytes
    ids: list[str]
    hashes: dict[str, bytes]
    tree: MerkleTree
    order: list[str]

    def proof(self, credential_id: str) -> list[bytes]:
        return self.tree.proof(self.order.index(credential_id))

    def status(self, credential_id: str) -> CredentialStatus:
        status, _, _ = self.kit.node.registry.status_of(
            self.root, self.hashes[credential_id], self.proof(credential_id)
        )
        return status

    def valid_at(self, credential_id: str, t: int | None = None) -> tuple[bool, Validity]:
        registry = self.kit.node.registry
        when = registry.latest_timestamp() if t is None else t
        return registry.is_valid_at(self.root, self.hashes[credential_id], self.proof(credential_id), when)


def make_kit(
    chain: Devnet,
    data_dir: Path,
    *,
    governors: list[str] | None = None,
    threshold: int = 1,
    reuse: bool = False,
    **settings: Any,
) -> Kit:
    """Deploy afresh on ``chain`` (unless ``reuse``: the manifest is in ``data_dir`` already), open a node and, with
    k == 1, accredit a body whose admin is dev account 1 (a key the devnet node holds)."""
    s = node_settings(data_dir, **settings)
    if not reuse:
        deploy(
            connect(chain.url),
            Account.from_key(DEV_PRIVATE_KEYS[0]),
            s.manifest_path,
            s.artifacts_dir,
            fresh=True,
            governors=governors,
            threshold=threshold,
        )
    node = Node.open(s, rpc_url=chain.url)
    client = TestClient(create_app(s, node=node))
    client.app.state.node = node  # type: ignore[attr-defined]  # no lifespan: no background services in these tests
    keys_dir = data_dir / "keys"
    kit = Kit(
        node=node,
        client=client,
        keys_dir=keys_dir,
        governor_key=node.store.create_api_key(ApiKeyRole.GOVERNOR, label="governor"),
        admin_key=node.store.create_api_key(ApiKeyRole.ADMIN, label="admin"),
    )
    if threshold == 1 and not reuse:
        registry = node.registry
        gov = node.signers.manager(node.signers.governor())
        receipt_fn = registry.writes.accredit_body(
            dev_account(1).address,
            [type_id(FORMAL)],
            10,
            registry.latest_timestamp() - 3600,
            0,
            "did:web:body",
        )
        proposal_id, _ = registry.propose(gov, receipt_fn, registry.latest_timestamp() + 3600)
        registry.execute_proposal(gov, proposal_id)
        kit.body_id = registry.body_count()
    return kit


# --- fixtures of this module ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kit(
    chain: Devnet, clean_env: None, tmp_path_factory: pytest.TempPathFactory, node_database: Callable[[], str | None]
) -> Iterator[Kit]:
    kit = make_kit(chain, tmp_path_factory.mktemp("lifecycle"), database_url=node_database())
    issuer_id, _, _ = kit.accredit_issuer("Lifecycle University")
    kit.issuers["main"] = issuer_id
    kit.issuer_keys[issuer_id] = kit.issuer_api_key(issuer_id)
    try:
        yield kit
    finally:
        kit.node.close()


def _post(kit: Kit, path: str, body: dict[str, Any], api_key: str) -> Any:
    return kit.client.post(path, json=body, headers=kit.headers(api_key))


# --- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.anvil
def test_issuer_revokes_one_credential_and_verification_sees_it_from_that_block(kit: Kit) -> None:
    issuer_id = kit.issuers["main"]
    batch = kit.anchor(issuer_id)
    target, neighbour = batch.ids[0], batch.ids[1]
    before = kit.node.registry.latest_timestamp()
    kit.advance(5)

    response = _post(
        kit, f"/v1/credentials/{target}/revoke", {"reasonCode": 2, "note": "committee"}, kit.issuer_keys[issuer_id]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "revoked" and body["reason"] == "fraud or misrepresentation"
    assert body["note"] == "committee" and body["scope"] == "credential" and body["batchId"] == batch.batch_id
    assert body["act"]["via"] == "issuer-key" and body["act"]["executed"] is True
    receipt = kit.w3.eth.get_transaction_receipt(body["act"]["txHash"])
    assert receipt["blockNumber"] == body["act"]["blockNumber"] and receipt["status"] == 1
    assert batch.status(target) is CredentialStatus.REVOKED
    assert batch.valid_at(target) == (False, Validity.REVOKED)
    assert batch.valid_at(target, before) == (True, Validity.VALID)  # the past does not change
    assert batch.valid_at(neighbour) == (True, Validity.VALID)  # scoped to (root, credential)
    # the note never reaches the chain
    tx = kit.w3.eth.get_transaction(body["act"]["txHash"])
    assert b"committee" not in bytes(tx["input"])


@pytest.mark.anvil
def test_revoking_twice_is_a_409_with_a_sentence_and_sends_nothing(kit: Kit) -> None:
    issuer_id = kit.issuers["main"]
    batch = kit.anchor(issuer_id, 1)
    key = kit.issuer_keys[issuer_id]
    assert _post(kit, f"/v1/credentials/{batch.ids[0]}/revoke", {"reasonCode": 1}, key).status_code == 200
    block = kit.w3.eth.block_number

    again = _post(kit, f"/v1/credentials/{batch.ids[0]}/revoke", {"reasonCode": 1}, key)

    assert again.status_code == 409
    assert again.json()["error"] == "InvalidTransitionError"
    assert "revoked, and that is final" in again.json()["detail"]
    assert kit.w3.eth.block_number == block  # refused before anything was sent


@pytest.mark.anvil
def test_suspend_then_reinstate_and_reinstating_an_active_credential_is_refused(kit: Kit) -> None:
    issuer_id = kit.issuers["main"]
    batch = kit.anchor(issuer_id, 2)
    key, cid = kit.issuer_keys[issuer_id], batch.ids[0]

    active = _post(kit, f"/v1/credentials/{cid}/reinstate", {"reasonCode": 7}, key)
    assert active.status_code == 409 and "only a suspended credential can be reinstated" in active.json()["detail"]

    suspended = _post(kit, f"/v1/credentials/{cid}/suspend", {"reasonCode": 5}, key)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert batch.valid_at(cid) == (False, Validity.SUSPENDED)
    twice = _post(kit, f"/v1/credentials/{cid}/suspend", {"reasonCode": 5}, key)
    assert twice.status_code == 409 and "suspended already" in twice.json()["detail"]

    reinstated = _post(kit, f"/v1/credentials/{cid}/reinstate", {"reasonCode": 7}, key)
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "active"
    assert batch.valid_at(cid) == (True, Validity.VALID)


@pytest.mark.anvil
def test_supersede_points_verifiers_at_the_replacement(kit: Kit) -> None:
    issuer_id = kit.issuers["main"]
    old, new = kit.anchor(issuer_id, 2), kit.anchor(issuer_id, 1)
    key = kit.issuer_keys[issuer_id]

    missing = _post(kit, f"/v1/credentials/{old.ids[0]}/supersede", {"reasonCode": 3}, key)
    assert missing.status_code == 422  # replacementId is required

    response = _post(
        kit, f"/v1/credentials/{old.ids[0]}/supersede", {"reasonCode": 3, "replacementId": new.ids[0]}, key
    )

    assert response.status_code == 200, response.text
    assert response.json()["replacement"]["credentialId"] == new.ids[0]
    assert old.status(old.ids[0]) is CredentialStatus.SUPERSEDED
    assert old.valid_at(old.ids[0]) == (False, Validity.SUPERSEDED)
    rr, rh = kit.node.registry.view(
        kit.node.registry.registry.functions.replacementOf(old.root, old.hashes[old.ids[0]]).call
    )
    assert (bytes(rr), bytes(rh)) == (new.root, new.hashes[new.ids[0]])
    assert old.valid_at(old.ids[1]) == (True, Validity.VALID)


@pytest.mark.anvil
def test_a_credential_not_anchored_yet_is_a_409_that_says_to_wait(kit: Kit) -> None:
    issuer_id, _, _ = kit.accredit_issuer("Pending Academy")  # its pending credential stays out of other batches
    kit.issuer_keys[issuer_id] = kit.issuer_api_key(issuer_id)
    [cid] = kit.node.store.add_credentials(
        issuer_id,
        [NewCredential(type_name=FORMAL, type_version="1", credential_hash="0x" + "ab" * 32, document={})],
    )
    response = _post(kit, f"/v1/credentials/{cid}/revoke", {"reasonCode": 1}, kit.issuer_keys[issuer_id])
    assert response.status_code == 409
    assert response.json()["error"] == "CredentialNotAnchoredError"
    assert "wait until GET /v1/credentials/" in response.json()["detail"] and "anchored" in response.json()["detail"]


@pytest.mark.anvil
def test_a_governor_acts_through_governance_on_any_issuers_credential(kit: Kit) -> None:
    batch = kit.anchor(kit.issuers["main"], 1)
    proposals_before = kit.node.registry.proposal_count()

    response = _post(kit, f"/v1/credentials/{batch.ids[0]}/suspend", {"reasonCode": 6}, kit.governor_key)

    assert response.status_code == 200, response.text
    act = response.json()["act"]
    assert act["via"] == "governance" and act["executed"] is True
    assert act["proposal"]["function"] == "suspendCredential" and act["proposal"]["state"] == "executed"
    assert kit.node.registry.proposal_count() == proposals_before + 1
    assert batch.status(batch.ids[0]) is CredentialStatus.SUSPENDED
    # an invalid transition through governance is refused before anything is proposed
    again = _post(kit, f"/v1/credentials/{batch.ids[0]}/suspend", {"reasonCode": 6}, kit.admin_key)
    assert again.status_code == 409 and again.json()["error"] == "InvalidTransitionError"
    assert kit.node.registry.proposal_count() == proposals_before + 1


@pytest.mark.anvil
def test_whole_batch_suspend_reinstate_supersede_and_revoke(kit: Kit) -> None:
    issuer_id = kit.issuers["main"]
    batch, replacement, other = kit.anchor(issuer_id, 3), kit.anchor(issuer_id, 2), kit.anchor(issuer_id, 2)
    key = kit.issuer_keys[issuer_id]

    suspended = _post(kit, f"/v1/batches/{batch.batch_id}/suspend", {"reasonCode": 5}, key)
    assert suspended.status_code == 200 and suspended.json()["scope"] == "batch"
    assert all(batch.valid_at(c) == (False, Validity.SUSPENDED) for c in batch.ids)
    assert _post(kit, f"/v1/batches/{batch.batch_id}/reinstate", {"reasonCode": 7}, key).status_code == 200
    assert all(batch.valid_at(c) == (True, Validity.VALID) for c in batch.ids)

    superseded = _post(
        kit,
        f"/v1/batches/{batch.batch_id}/supersede",
        {"reasonCode": 9, "replacementBatchId": replacement.batch_id},
        key,
    )
    assert superseded.status_code == 200, superseded.text
    assert all(batch.valid_at(c) == (False, Validity.SUPERSEDED) for c in batch.ids)
    assert kit.node.registry.anchor_of(batch.root).status is CredentialStatus.SUPERSEDED

    revoked = _post(kit, f"/v1/batches/{other.batch_id}/revoke", {"reasonCode": 1}, key)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert all(other.valid_at(c) == (False, Validity.REVOKED) for c in other.ids)
    assert all(replacement.valid_at(c) == (True, Validity.VALID) for c in replacement.ids)


@pytest.mark.anvil
def test_unknown_reason_codes_and_foreign_credentials_are_refused(kit: Kit) -> None:
    batch = kit.anchor(kit.issuers["main"], 1)
    key = kit.issuer_keys[kit.issuers["main"]]
    assert _post(kit, f"/v1/credentials/{batch.ids[0]}/revoke", {"reasonCode": 12345}, key).status_code == 422
    other_id, _, _ = kit.accredit_issuer("Other College")
    other_key = kit.issuer_api_key(other_id)
    foreign = _post(kit, f"/v1/credentials/{batch.ids[0]}/revoke", {"reasonCode": 1}, other_key)
    assert foreign.status_code == 404  # another issuer's credential is not found, never revealed
    assert batch.status(batch.ids[0]) is CredentialStatus.ACTIVE
