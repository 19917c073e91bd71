"""The issuers routes over HTTP (node/api/routes/issuers.py), on an in-process chain whose node holds the governor's
key (k = 1, so every act executes at once): who may call them, the status codes, and the shapes of the replies.

The acts' effects on chain and on verification are tested on anvil in tests/services/test_governance.py; the full
caller matrix of every write route in tests/api/test_authz.py.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from fastapi.testclient import TestClient

from node.api.schemas.governance import ChainAct, IssuerDetail, IssuerView
from node.runtime import Node
from tests.api.conftest import ADMIN_KEY, accreditation_body, add_issuer

GOVERNOR = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _fields(model: type[Any]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _executed(reply: dict[str, Any]) -> None:
    assert set(reply) == _fields(ChainAct)
    assert reply["via"] == "governance" and reply["executed"] is True
    assert reply["txHash"].startswith("0x") and isinstance(reply["blockNumber"], int)


def test_reading_issuers_needs_a_key_and_shows_status_keys_and_path(
    governed_client: TestClient, governed_node: Node
) -> None:
    issuer = add_issuer(governed_node)
    assert governed_client.get("/v1/issuers").status_code == 401
    assert governed_client.get(f"/v1/issuers/{issuer.issuer_id}").status_code == 401

    listed = governed_client.get("/v1/issuers", headers=issuer.headers)  # any key reads
    assert listed.status_code == 200
    mine = [i for i in listed.json() if i["id"] == issuer.issuer_id]
    assert len(mine) == 1 and set(mine[0]) == _fields(IssuerView)
    assert mine[0]["name"] == issuer.name and mine[0]["metadataUri"] == issuer.metadata_uri
    assert mine[0]["status"] == "active" and mine[0]["registeredOnNode"] is True

    shown = governed_client.get(f"/v1/issuers/{issuer.issuer_id}", headers=GOVERNOR)
    assert shown.status_code == 200
    detail = shown.json()
    assert set(detail) == _fields(IssuerDetail)
    assert [step["level"] for step in detail["accreditationPath"]] == ["governance", "body", "issuer"]
    assert [key["address"] for key in detail["keys"]] == [detail["signerAddress"]]
    assert detail["keys"][0]["state"] == "active" and detail["keys"][0]["nodeSignsWithIt"] is True
    assert {"formal-qualification"} <= {t["name"] for t in detail["credentialTypes"]}


def test_an_unknown_issuer_is_a_404_and_a_bad_id_a_422(governed_client: TestClient) -> None:
    missing = governed_client.get("/v1/issuers/999999", headers=GOVERNOR)
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFoundError" and "999999" in missing.json()["detail"]
    for bad in ("0", "abc", str(2**32)):
        assert governed_client.get(f"/v1/issuers/{bad}", headers=GOVERNOR).status_code == 422, bad


def test_acts_on_an_issuer_need_a_governor_or_admin_key_and_a_well_formed_body(
    governed_client: TestClient, governed_node: Node
) -> None:
    issuer = add_issuer(governed_node)
    url = f"/v1/issuers/{issuer.issuer_id}/suspend"
    assert governed_client.post(url, json={"reasonCode": 5}).status_code == 401
    refused = governed_client.post(url, json={"reasonCode": 5}, headers=issuer.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "ForbiddenError"
    for body in ({}, {"reasonCode": -1}, {"reasonCode": 65536}, {"reasonCode": 5, "note": "stray"}):
        assert governed_client.post(url, json=body, headers=GOVERNOR).status_code == 422, body
    shown = governed_client.get(f"/v1/issuers/{issuer.issuer_id}", headers=GOVERNOR).json()
    assert shown["status"] == "active"  # nothing refused was done


def test_suspend_and_reinstate_execute_at_once_with_one_governor(
    governed_client: TestClient, governed_node: Node
) -> None:
    issuer = add_issuer(governed_node)
    suspended = governed_client.post(
        f"/v1/issuers/{issuer.issuer_id}/suspend", json={"reasonCode": 5}, headers=GOVERNOR
    )
    assert suspended.status_code == 200, suspended.text
    _executed(suspended.json())
    assert suspended.json()["proposal"]["function"] == "suspendIssuer"
    shown = governed_client.get(f"/v1/issuers/{issuer.issuer_id}", headers=GOVERNOR).json()
    assert shown["status"] == "suspended" and shown["heldByGovernance"] is True

    reinstated = governed_client.post(
        f"/v1/issuers/{issuer.issuer_id}/reinstate", json={"reasonCode": 5}, headers=GOVERNOR
    )
    assert reinstated.status_code == 200, reinstated.text
    _executed(reinstated.json())
    assert governed_client.get(f"/v1/issuers/{issuer.issuer_id}", headers=GOVERNOR).json()["status"] == "active"


def test_accrediting_an_issuer_is_a_201_with_its_first_api_key(
    governed_client: TestClient, governed_node: Node
) -> None:
    signer = Account.create().address
    body = {
        "bodyId": accreditation_body(governed_node),
        "name": "Route Test College",
        "metadataUri": "did:web:route-test.example",
        "signerAddress": signer.lower(),
        "credentialTypes": ["formal-qualification"],
        "maxLevel": 5,
    }
    accredited = governed_client.post("/v1/issuers", json=body, headers=GOVERNOR)
    assert accredited.status_code == 201, accredited.text
    reply = accredited.json()
    assert reply["registered"] is True
    # not the devnet: nobody funds the new key, so the answer says which account needs funds before it can anchor
    assert signer in reply["nextStep"] and "must be funded" in reply["nextStep"]
    _executed(reply["act"])
    _executed(reply["keyAct"])
    assert reply["apiKey"].startswith("crk_")
    shown = governed_client.get(f"/v1/issuers/{reply['issuerId']}", headers=GOVERNOR).json()
    assert shown["signerAddress"] == signer  # checksummed by the request model
    assert shown["maxLevel"] == 5 and shown["name"] == "Route Test College"
    own = governed_client.get("/v1/credentials", headers={"Authorization": f"Bearer {reply['apiKey']}"})
    assert own.status_code == 200 and own.json()["total"] == 0


def test_accrediting_names_the_bad_fields(governed_client: TestClient) -> None:
    body = {"bodyId": 1, "name": "X", "metadataUri": "did:web:x", "signerAddress": "0x1234"}
    refused = governed_client.post("/v1/issuers", json={**body, "credentialTypes": ["no-such-type"], "maxLevel": 0},
                                   headers=GOVERNOR)  # fmt: skip
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    for field in ("/signerAddress", "/credentialTypes/0", "/maxLevel"):
        assert field in detail, (field, detail)


def test_add_a_key_then_cut_it_off(governed_client: TestClient, governed_node: Node) -> None:
    issuer = add_issuer(governed_node)
    key = Account.create().address
    added = governed_client.post(f"/v1/issuers/{issuer.issuer_id}/keys", json={"address": key}, headers=GOVERNOR)
    assert added.status_code == 200, added.text
    _executed(added.json())
    cut = governed_client.post(f"/v1/issuers/{issuer.issuer_id}/keys/{key}/cutoff", json={}, headers=GOVERNOR)
    assert cut.status_code == 200, cut.text
    _executed(cut.json())
    keys = governed_client.get(f"/v1/issuers/{issuer.issuer_id}", headers=GOVERNOR).json()["keys"]
    (shown,) = [k for k in keys if k["address"] == key]
    assert shown["state"] == "cut-off" and shown["compromisedAt"] is not None
    assert shown["nodeSignsWithIt"] is False
    not_an_address = governed_client.post(f"/v1/issuers/{issuer.issuer_id}/keys/0x12/cutoff", json={},
                                          headers=GOVERNOR)  # fmt: skip
    assert not_an_address.status_code == 422
