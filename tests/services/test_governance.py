"""Governance and accreditation through the API on a real anvil: bodies, issuers (by the body admin key or through
governance), suspension, key rotation and compromise cut-off, and k-of-n proposals with two governors on two nodes.
Contract state is checked with the registry's views afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.chain.registry import AccreditationStatus, CredentialStatus, Validity, type_id
from node.chain.signers import dev_account
from node.errors import ContractRevertError, InvalidTransitionError, ProposalStateError
from node.services.governance import explain
from node.store import IssuerStatus
from tests.services.test_lifecycle import FORMAL, Kit, chain, clean_env, make_kit

__all__ = ["chain", "clean_env"]  # fixtures shared with test_lifecycle


@pytest.fixture(scope="module")
def kit(chain: Devnet, clean_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    kit = make_kit(chain, tmp_path_factory.mktemp("governance"))
    try:
        yield kit
    finally:
        kit.node.close()


def _post(kit: Kit, path: str, body: dict[str, Any], api_key: str | None = None) -> Any:
    return kit.client.post(path, json=body, headers=kit.headers(api_key or kit.governor_key))


def _accredit(kit: Kit, name: str, **extra: Any) -> dict[str, Any]:
    signer, keystore = kit.new_signer()
    body = {
        "bodyId": kit.body_id,
        "name": name,
        "metadataUri": f"did:web:{name.lower().replace(' ', '-')}.example",
        "signerAddress": signer,
        "keystorePath": keystore,
        "credentialTypes": [FORMAL],
        "maxLevel": 7,
        **extra,
    }
    response = _post(kit, "/v1/issuers", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    result["signer"] = signer
    return result


# --- contract errors in words (no chain) ---------------------------------------------------------------------------


def test_contract_refusals_become_the_nodes_errors_with_a_sentence() -> None:
    raw = ContractRevertError("raw", "CredentialRegistryInvalidTransition", (b"\1" * 32, b"\2" * 32, 3, 3))
    mapped = explain(raw, "credential X")
    assert isinstance(mapped, InvalidTransitionError) and mapped.status_code == 409
    assert mapped.detail.startswith("credential X is revoked, and that is final")
    approvals = explain(ContractRevertError("raw", "RegistryGovernanceNotEnoughApprovals", (4, 1, 2)))
    assert isinstance(approvals, ProposalStateError)
    assert "has 1 of the 2 approvals" in approvals.detail
    unknown = ContractRevertError("raw", "SomethingNew", ())
    assert explain(unknown) is unknown


# --- bodies and issuers --------------------------------------------------------------------------------------------


@pytest.mark.anvil
def test_accredit_a_body_then_an_issuer_under_it_and_show_its_path(kit: Kit) -> None:
    body = _post(
        kit,
        "/v1/bodies",
        {"admin": dev_account(1).address, "credentialTypes": [FORMAL, "micro-credential"], "maxLevel": 8,
         "metadataUri": "did:web:council.example"},
    )  # fmt: skip
    assert body.status_code == 201, body.text
    body_id = body.json()["bodyId"]
    assert body.json()["act"]["via"] == "governance" and body.json()["act"]["executed"]
    assert kit.node.registry.body_of(body_id).status is AccreditationStatus.ACTIVE

    issuer = _accredit(kit, "Path College", bodyId=body_id, credentialTypes=[FORMAL, "micro-credential"])

    issuer_id = issuer["issuerId"]
    assert issuer["registered"] and issuer["act"]["via"] == "body-admin"  # the node holds the devnet body admin key
    assert issuer["apiKey"].startswith("crk_")
    principal = kit.node.store.authenticate(issuer["apiKey"])
    assert principal is not None and principal.issuer_id == issuer_id
    stored = kit.node.store.get_issuer(issuer_id)
    assert stored.signer_address == issuer["signer"] and stored.keystore_path
    assert kit.node.registry.can_anchor(issuer["signer"], type_id(FORMAL))

    shown = kit.client.get(f"/v1/issuers/{issuer_id}", headers=kit.headers(issuer["apiKey"])).json()
    assert shown["status"] == "active" and shown["bodyId"] == body_id and shown["maxLevel"] == 7
    assert {t["name"] for t in shown["credentialTypes"]} == {FORMAL, "micro-credential"}
    [key] = shown["keys"]
    assert key["address"] == issuer["signer"] and key["state"] == "active" and key["nodeSignsWithIt"]
    assert [step["level"] for step in shown["accreditationPath"]] == ["governance", "body", "issuer"]
    assert shown["accreditationPath"][1]["address"] == dev_account(1).address
    listed = kit.client.get("/v1/issuers", headers=kit.headers(kit.admin_key)).json()
    assert issuer_id in [i["id"] for i in listed]


@pytest.mark.anvil
def test_without_the_body_admin_key_the_issuer_is_accredited_through_governance(kit: Kit) -> None:
    foreign_admin, _ = kit.new_signer(fund=False)  # a body admin whose key this node does not hold
    body = _post(
        kit, "/v1/bodies", {"admin": foreign_admin, "credentialTypes": [FORMAL], "maxLevel": 5, "metadataUri": "x:y"}
    ).json()
    issuer = _accredit(kit, "Governed Institute", bodyId=body["bodyId"], maxLevel=5, mintApiKey=False)
    assert issuer["act"]["via"] == "governance" and issuer["keyAct"]["via"] == "governance"
    assert issuer["apiKey"] is None
    assert kit.node.registry.issuer_of(issuer["issuerId"]).body_id == body["bodyId"]


@pytest.mark.anvil
def test_suspend_reinstate_and_withdraw_an_issuer_and_the_node_follows(kit: Kit) -> None:
    issuer = _accredit(kit, "Suspendable College")
    issuer_id, api_key = issuer["issuerId"], issuer["apiKey"]
    batch = kit.anchor(issuer_id, 1)

    suspended = _post(kit, f"/v1/issuers/{issuer_id}/suspend", {"reasonCode": 5})
    assert suspended.status_code == 200, suspended.text
    assert kit.node.registry.issuer_of(issuer_id).status is AccreditationStatus.SUSPENDED
    assert kit.node.store.get_issuer(issuer_id).status is IssuerStatus.SUSPENDED
    assert not kit.node.registry.can_anchor(issuer["signer"], type_id(FORMAL))
    refused = _post(kit, f"/v1/batches/{batch.batch_id}/revoke", {"reasonCode": 1}, api_key)
    assert refused.status_code == 403  # a suspended issuer's key changes nothing
    assert batch.valid_at(batch.ids[0]) == (True, Validity.VALID)  # not retroactive

    again = _post(kit, f"/v1/issuers/{issuer_id}/suspend", {"reasonCode": 5})
    assert again.status_code == 409 and again.json()["error"] == "AccreditationStateError"

    assert _post(kit, f"/v1/issuers/{issuer_id}/reinstate", {"reasonCode": 0}).status_code == 200
    assert kit.node.store.get_issuer(issuer_id).status is IssuerStatus.ACTIVE
    assert kit.node.registry.can_anchor(issuer["signer"], type_id(FORMAL))

    assert _post(kit, f"/v1/issuers/{issuer_id}/withdraw", {"reasonCode": 1}).status_code == 200
    assert kit.node.registry.issuer_of(issuer_id).status is AccreditationStatus.WITHDRAWN
    assert kit.node.store.get_issuer(issuer_id).status is IssuerStatus.REVOKED
    final = _post(kit, f"/v1/issuers/{issuer_id}/reinstate", {"reasonCode": 0})
    assert final.status_code == 409 and "withdrawal is final" in final.json()["detail"]


@pytest.mark.anvil
def test_key_rotation_keeps_old_anchors_valid_and_the_node_signs_with_the_new_key(kit: Kit) -> None:
    issuer = _accredit(kit, "Rotating University")
    issuer_id, old = issuer["issuerId"], issuer["signer"]
    before = kit.anchor(issuer_id, 2)
    new, keystore = kit.new_signer()

    response = _post(
        kit, f"/v1/issuers/{issuer_id}/keys/rotate", {"oldKey": old, "newKey": new, "keystorePath": keystore}
    )

    assert response.status_code == 200, response.text
    assert response.json()["signerSwitched"] is True
    assert kit.node.store.get_issuer(issuer_id).signer_address == new
    assert not kit.node.registry.can_anchor(old, type_id(FORMAL))
    assert kit.node.registry.can_anchor(new, type_id(FORMAL))
    assert kit.node.registry.key_of(new).issuer_id == issuer_id  # same identity, new key
    assert all(before.valid_at(c) == (True, Validity.VALID) for c in before.ids)
    after = kit.anchor(issuer_id, 1)  # anchored by the new key now
    assert kit.node.registry.anchor_of(after.root).key == new
    # the new key also acts on what the old key anchored
    revoked = _post(kit, f"/v1/batches/{before.batch_id}/revoke", {"reasonCode": 1}, issuer["apiKey"])
    assert revoked.status_code == 200 and revoked.json()["act"]["via"] == "issuer-key"
    states = {
        k["address"]: k["state"]
        for k in kit.client.get(f"/v1/issuers/{issuer_id}", headers=kit.headers(kit.governor_key)).json()["keys"]
    }
    assert states == {old: "retired", new: "active"}


@pytest.mark.anvil
def test_compromise_cutoff_invalidates_anchors_from_the_cutoff_on_only(kit: Kit) -> None:
    issuer = _accredit(kit, "Breached Academy")
    issuer_id, key = issuer["issuerId"], issuer["signer"]
    early = kit.anchor(issuer_id, 1)
    kit.advance(60)
    late = kit.anchor(issuer_id, 1)
    cutoff = kit.node.registry.anchor_of(late.root).anchored_at

    response = _post(kit, f"/v1/issuers/{issuer_id}/keys/{key}/cutoff", {"cutoff": cutoff})

    assert response.status_code == 200, response.text
    assert kit.node.registry.key_of(key).compromised_at == cutoff
    assert early.valid_at(early.ids[0]) == (True, Validity.VALID)
    assert late.valid_at(late.ids[0]) == (False, Validity.KEY_COMPROMISED)
    shown = kit.client.get(f"/v1/issuers/{issuer_id}", headers=kit.headers(kit.governor_key)).json()
    assert shown["keys"][0]["state"] == "cut-off" and shown["keys"][0]["compromisedAt"] is not None
    later = _post(kit, f"/v1/issuers/{issuer_id}/keys/{key}/cutoff", {"cutoff": cutoff + 30})
    assert later.status_code == 409 and "only move earlier" in later.json()["detail"]
    # a new key takes over for signing
    new, keystore = kit.new_signer()
    added = _post(
        kit, f"/v1/issuers/{issuer_id}/keys", {"address": new, "keystorePath": keystore, "useForSigning": True}
    )
    assert added.status_code == 200, added.text
    assert kit.node.store.get_issuer(issuer_id).signer_address == new
    fresh = kit.anchor(issuer_id, 1)  # anchored by the new key: valid
    assert fresh.valid_at(fresh.ids[0]) == (True, Validity.VALID)
    assert kit.node.registry.anchor_of(fresh.root).key == new


# --- k-of-n --------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_governors(chain: Devnet, clean_env: None, tmp_path: Path) -> Iterator[tuple[Kit, Kit]]:
    """A registry governed 2-of-2 by dev accounts 0 and 3, and two nodes: one with each governor key."""
    governors = [dev_account(0).address, dev_account(3).address]
    first = make_kit(chain, tmp_path / "first", governors=governors, threshold=2)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    (second_dir / "deployment.json").write_text(first.node.settings.manifest_path.read_text())
    second = make_kit(chain, second_dir, deployer_key=SecretStr(DEV_PRIVATE_KEYS[3]), reuse=True)
    try:
        yield first, second
    finally:
        first.node.close()
        second.node.close()


@pytest.mark.anvil
def test_two_of_two_a_proposal_waits_for_the_second_governor_then_executes(two_governors: tuple[Kit, Kit]) -> None:
    first, second = two_governors
    registry = first.node.registry
    assert registry.threshold() == 2

    pending = _post(
        first,
        "/v1/bodies",
        {"admin": dev_account(1).address, "credentialTypes": [FORMAL], "maxLevel": 6, "metadataUri": "k:2"},
    )

    assert pending.status_code == 202, pending.text
    proposal = pending.json()["act"]["proposal"]
    assert pending.json()["bodyId"] is None and proposal["state"] == "pending" and proposal["approvals"] == 1
    assert proposal["function"] == "accreditBody" and proposal["approvedBy"] == [dev_account(0).address]
    assert registry.body_count() == 0
    listed = first.client.get("/v1/governance/proposals?state=pending", headers=first.headers(first.governor_key))
    assert [p["id"] for p in listed.json()["items"]] == [proposal["id"]]

    early = _post(first, f"/v1/governance/proposals/{proposal['id']}/execute", {})
    assert early.status_code == 409 and "1 of the 2 approvals" in early.json()["detail"]
    twice = _post(first, f"/v1/governance/proposals/{proposal['id']}/approve", {})
    assert twice.status_code == 409 and twice.json()["error"] == "ProposalStateError"
    assert registry.body_count() == 0

    approved = _post(second, f"/v1/governance/proposals/{proposal['id']}/approve", {})

    assert approved.status_code == 200, approved.text
    assert approved.json()["executed"] is True and approved.json()["proposal"]["state"] == "executed"
    assert registry.body_count() == 1
    assert registry.body_of(1).status is AccreditationStatus.ACTIVE


@pytest.mark.anvil
def test_two_of_two_a_governor_revocation_is_pending_until_approved(two_governors: tuple[Kit, Kit]) -> None:
    first, second = two_governors
    registry = first.node.registry
    # set up a body and an issuer through two approvals each (the second node approves what the first proposes)
    body = _post(
        first,
        "/v1/bodies",
        {"admin": dev_account(1).address, "credentialTypes": [FORMAL], "maxLevel": 10, "metadataUri": "k:2"},
    )
    _post(second, f"/v1/governance/proposals/{body.json()['act']['proposal']['id']}/approve", {})
    first.body_id = registry.body_count()
    issuer_id, _, _ = first.accredit_issuer("Two Key College")
    batch = first.anchor(issuer_id, 1)

    pending = _post(first, f"/v1/credentials/{batch.ids[0]}/revoke", {"reasonCode": 4}, first.admin_key)

    assert pending.status_code == 202, pending.text
    assert pending.json()["status"] == "active" and pending.json()["act"]["executed"] is False
    assert batch.status(batch.ids[0]) is CredentialStatus.ACTIVE
    proposal_id = pending.json()["act"]["proposal"]["id"]
    approved = _post(second, f"/v1/governance/proposals/{proposal_id}/approve", {})
    assert approved.status_code == 200 and approved.json()["executed"] is True
    assert batch.status(batch.ids[0]) is CredentialStatus.REVOKED
    assert batch.valid_at(batch.ids[0]) == (False, Validity.REVOKED)


@pytest.mark.anvil
def test_propose_any_governance_call_by_name(two_governors: tuple[Kit, Kit]) -> None:
    first, second = two_governors
    response = _post(
        first, "/v1/governance/proposals", {"target": "governance", "function": "setThreshold", "args": [1]}
    )
    assert response.status_code == 202, response.text
    assert response.json()["proposal"]["args"] == {"threshold": 1}
    bad = _post(first, "/v1/governance/proposals", {"target": "governance", "function": "threshold", "args": []})
    assert bad.status_code == 422  # a view is not a proposal
    _post(second, f"/v1/governance/proposals/{response.json()['proposal']['id']}/approve", {})
    assert first.node.registry.threshold() == 1


# --- the CLI on the same node --------------------------------------------------------------------------------------


@pytest.mark.anvil
def test_cli_lists_issuers_changes_a_batch_and_fails_in_one_line(kit: Kit, chain: Devnet) -> None:
    from typer.testing import CliRunner

    from node.cli import app
    from node.config import get_settings
    from tests.services.test_lifecycle import PASSPHRASE

    issuer = _accredit(kit, "Command Line College")
    batch = kit.anchor(issuer["issuerId"], 1)
    env = {
        "CREDREG_DATA_DIR": str(kit.node.settings.data_dir),
        "CREDREG_CONFIRMATIONS": "0",
        "CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE,
    }

    def credreg(*args: str) -> Any:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, [*args, "--rpc-url", chain.url], env=env)
        finally:
            get_settings.cache_clear()

    listed = credreg("issuers", "list")
    assert listed.exit_code == 0, listed.output
    assert "Command" in listed.stdout  # (rich wraps the name in a narrow terminal)

    suspended = credreg("batches", "suspend", str(batch.batch_id), "--reason", "5")
    assert suspended.exit_code == 0, suspended.output
    assert f"batch {batch.batch_id}: suspend done, status now suspended" in suspended.stdout
    assert batch.valid_at(batch.ids[0]) == (False, Validity.SUSPENDED)

    again = credreg("batches", "suspend", str(batch.batch_id), "--reason", "5")
    assert again.exit_code == 1
    lines = [line for line in again.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "suspended already" in lines[0]

    missing = credreg("issuers", "show", "999")
    assert missing.exit_code == 1 and "there is no issuer 999" in missing.stderr
