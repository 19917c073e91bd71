"""/v1/credentials over a node on an in-process chain: issue one, bulk and CSV; read back status and bundles."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from node.credentials import verify_integrity
from node.credentials.csvfile import LIST_SEPARATOR
from node.credentials.items import column_of
from node.errors import ConflictError
from node.readmodel.chainview import RpcChainView
from node.runtime import Node
from node.store import AnchoringState, ApiKeyRole, IssuerStatus
from tests.api.conftest import ADMIN_KEY, IssuerKey, fake_anchor
from tests.api.refusals import CASES, LEARNER_NAME, Case, subject_of

NODE_BACKENDS = ("sqlite", "postgresql")  # this module's node runs once per database (tests/conftest.py)

FQ = "formal-qualification"
VALID_ZA_ID = "8001015009087"


def subject(n: int = 0, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "learner": {"name": f"Learner {n}", "identity": {"type": "passport", "number": f"A{n:07d}", "country": "ZA"}},
        "qualification": {"id": "SAQA-94025", "title": "Diploma in IT", "nqfLevel": 6, "credits": 360},
        "institution": "Example TVET College",
        "awardDate": "2026-11-20",
    }
    base.update(changes)
    return base


def one(n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"type": FQ, "credentialSubject": subject(n), **extra}


def pending_count(node: Node, issuer: IssuerKey) -> int:
    return node.store.credential_counts(issuer.issuer_id)[AnchoringState.PENDING]


# --- issuing one ------------------------------------------------------------------------------------------------


def test_one_credential_is_in_the_outbox_when_the_202_arrives(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    response = client.post(
        "/v1/credentials", json=one(1, validUntil="2036-11-20T02:00:00+02:00"), headers=issuer.headers
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert response.headers["Location"] == f"/v1/credentials/{body['id']}"
    stored = api_node.store.get_credential(body["id"], issuer.issuer_id)  # written before the reply
    assert stored.status is AnchoringState.PENDING
    assert stored.credential_hash == body["credentialHash"]
    document = json.loads(stored.document)
    assert document["issuer"] == {"id": issuer.metadata_uri, "name": issuer.name}
    assert document["credentialSubject"] == subject(1)
    assert document["validUntil"] == "2036-11-20T00:00:00Z"
    assert document["proof"]["credentialHash"] == body["credentialHash"]
    assert verify_integrity(document, require_anchor=False).ok


def test_no_202_when_the_outbox_write_fails(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = make_issuer()

    def refuse(*_args: object, **_kwargs: object) -> list[str]:
        raise ConflictError("a credential with the same client_ref was written concurrently; retry the request")

    monkeypatch.setattr(api_node.store, "add_credentials", refuse)
    monkeypatch.setattr(api_node.store, "add_credential_groups", refuse)  # a single post's (group commit)
    response = client.post("/v1/credentials", json=one(2), headers=issuer.headers)
    assert response.status_code == 409
    assert response.json()["error"] == "ConflictError"


def test_a_client_ref_makes_resubmission_return_the_same_credential(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    first = client.post("/v1/credentials", json=one(3, clientRef="grad-2026/003"), headers=issuer.headers).json()
    again = client.post("/v1/credentials", json=one(3, clientRef="grad-2026/003"), headers=issuer.headers).json()
    assert again == first
    bulk = [one(3, clientRef="grad-2026/003"), one(4, clientRef="grad-2026/004"), one(4, clientRef="grad-2026/004")]
    ids = client.post("/v1/credentials/bulk", json={"credentials": bulk}, headers=issuer.headers).json()["ids"]
    assert ids[0] == first["id"]
    assert ids[1] == ids[2] != ids[0]
    retried = client.post("/v1/credentials/bulk", json={"credentials": bulk}, headers=issuer.headers).json()["ids"]
    assert retried == ids
    assert pending_count(api_node, issuer) == 2


# --- bulk -------------------------------------------------------------------------------------------------------


def test_a_bulk_of_10000_is_accepted_in_input_order(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    credentials = [one(n, clientRef=f"r{n}") for n in range(10_000)]
    started = time.perf_counter()
    response = client.post("/v1/credentials/bulk", json={"credentials": credentials}, headers=issuer.headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text[:500]
    ids = response.json()["ids"]
    assert response.json()["accepted"] == 10_000
    assert len(set(ids)) == 10_000
    assert pending_count(api_node, issuer) == 10_000
    for n in (0, 4_321, 9_999):  # input order: the nth id is the nth credential
        stored = api_node.store.get_credential(ids[n], issuer.issuer_id)
        assert stored.client_ref == f"r{n}"
        assert json.loads(stored.document)["credentialSubject"]["learner"]["name"] == f"Learner {n}"
    print(f"\nbulk of 10,000 accepted in {elapsed:.1f} s ({elapsed / 10_000 * 1e3:.2f} ms per credential)")


def test_more_than_10000_is_refused_with_the_limit(client: TestClient, make_issuer: Callable[..., IssuerKey]) -> None:
    issuer = make_issuer()
    credentials = [{"type": FQ, "credentialSubject": {}}] * 10_001
    response = client.post("/v1/credentials/bulk", json={"credentials": credentials}, headers=issuer.headers)
    assert response.status_code == 413
    assert "at most 10,000" in response.json()["detail"]


def test_a_bulk_is_all_or_nothing_and_names_every_bad_item(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    bad_level = subject(1)
    bad_level["qualification"] = {**bad_level["qualification"], "nqfLevel": 11}
    no_name = subject(3)
    del no_name["learner"]["name"]
    credentials = [
        one(0),
        {"type": FQ, "credentialSubject": bad_level},
        one(2),
        {
            "type": FQ,
            "credentialSubject": no_name,
            "validFrom": "2030-01-01T00:00:00Z",
            "validUntil": "2029-01-01T00:00:00Z",
        },
        {"type": "diploma-of-nothing", "credentialSubject": subject(4)},
    ]
    response = client.post("/v1/credentials/bulk", json={"credentials": credentials}, headers=issuer.headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "SubmissionInvalidError"
    detail = body["detail"]
    assert "3 of 5 credentials are not valid, so none was accepted" in detail
    assert "item 1 /credentialSubject/qualification/nqfLevel: must be at most 10 (rule: maximum)" in detail
    assert "item 3 /credentialSubject/learner/name: is required (rule: required)" in detail
    assert "item 3 /validUntil: must be later than validFrom (rule: exclusiveMinimum)" in detail
    assert "item 4 /type: is not a known credential type" in detail
    assert "item 0" not in detail
    assert "item 2" not in detail
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == 0


def test_validation_errors_name_pointer_and_rule_but_never_the_value(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    secret_id = "8001015009088"  # a South African ID number whose check digit is wrong
    leaked = subject(5, learner={"name": "Nomvula Secret-Surname", "identity": {"type": "za-id", "number": secret_id}})
    leaked["awardDate"] = "20 November 2026"
    response = client.post("/v1/credentials", json={"type": FQ, "credentialSubject": leaked}, headers=issuer.headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "/credentialSubject/learner/identity/number" in detail
    assert "(rule: za-id-number)" in detail
    assert "/credentialSubject/awardDate" in detail
    for value in (secret_id, "20 November 2026", "Secret-Surname"):
        assert value not in response.text

    # an unknown type name and a malformed body are not echoed either (FastAPI's default 422 would echo them)
    for body in (
        {"type": "Nomvula Secret-Surname", "credentialSubject": subject(6)},
        {"type": FQ, "credentialSubject": "Nomvula Secret-Surname"},
        {"type": FQ, "credentialSubject": subject(7), "clientRef": "Nomvula Secret-Surname" * 20},
        {"type": FQ, "credentialSubject": subject(8), "nickname": "Nomvula Secret-Surname"},
    ):
        response = client.post("/v1/credentials", json=body, headers=issuer.headers)
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"error", "detail"}
        assert "Secret-Surname" not in response.text
    structural = client.post(
        "/v1/credentials/bulk", json={"credentials": [one(9), {"type": FQ}]}, headers=issuer.headers
    ).json()
    assert structural["error"] == "ValidationFailedError"
    assert "item 1 /credentialSubject: Field required (rule: missing)" in structural["detail"]
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == 0


# --- CSV --------------------------------------------------------------------------------------------------------

CSV_HEADER = (
    "type,clientRef,learner.name,learner.identity.type,learner.identity.number,learner.identity.country,"
    "qualification.id,qualification.title,qualification.nqfLevel,qualification.credits,institution,awardDate,"
    "title,provider,hours,competencies,validUntil\n"
)


def test_a_csv_upload_is_read_per_type_and_accepted_in_row_order(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    rows = (
        f"{FQ},csv-1,Sipho Dlamini,za-id,{VALID_ZA_ID},,SAQA-1,Diploma,6,360,TVET College,2026-11-01,,,,,"
        "2036-11-01T00:00:00Z\n"
        "\n"
        'micro-credential,csv-2,"Lerato, Mokoena",passport,B1234567,LS,,,,,,2026-10-01,Solar installation,'
        "Green Skills Academy,40,wiring; panel mounting ;safety,\n"
    )
    data = ("\ufeff" + CSV_HEADER + rows).encode("utf-8")  # with the BOM spreadsheet programs write
    response = client.post(
        "/v1/credentials/bulk/csv", files={"file": ("graduates.csv", data, "text/csv")}, headers=issuer.headers
    )
    assert response.status_code == 202, response.text
    ids = response.json()["ids"]
    assert response.json()["accepted"] == 2
    formal = api_node.store.get_credential(ids[0], issuer.issuer_id)
    micro = api_node.store.get_credential(ids[1], issuer.issuer_id)
    assert (formal.type_name, formal.client_ref, micro.type_name) == (FQ, "csv-1", "micro-credential")
    formal_doc, micro_doc = json.loads(formal.document), json.loads(micro.document)
    assert formal_doc["credentialSubject"]["qualification"] == {
        "id": "SAQA-1",
        "title": "Diploma",
        "nqfLevel": 6,
        "credits": 360,
    }
    assert formal_doc["credentialSubject"]["learner"]["identity"] == {"type": "za-id", "number": VALID_ZA_ID}
    assert formal_doc["validUntil"] == "2036-11-01T00:00:00Z"
    assert micro_doc["credentialSubject"]["learner"]["name"] == "Lerato, Mokoena"
    assert micro_doc["credentialSubject"]["hours"] == 40
    assert micro_doc["credentialSubject"]["competencies"] == ["wiring", "panel mounting", "safety"]


def test_a_bad_csv_row_is_named_by_row_and_column_and_nothing_is_written(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    good = f"{FQ},r1,Sipho,passport,B1234567,ZA,SAQA-1,Diploma,6,360,TVET,2026-11-01,,,,,\n"
    bad_level = f"{FQ},r2,Thabo,passport,B1234568,ZA,SAQA-1,Diploma,seven,360,TVET,2026-11-01,,,,,\n"
    no_name = f"{FQ},r3,,passport,B1234569,ZA,SAQA-1,Diploma,6,360,TVET,2026-11-01,,,,,never\n"
    data = (CSV_HEADER + good + bad_level + no_name).encode()
    response = client.post(
        "/v1/credentials/bulk/csv", files={"file": ("g.csv", data, "text/csv")}, headers=issuer.headers
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "2 of 3 rows are not valid" in detail
    assert (
        "row 3, column qualification.nqfLevel (/credentialSubject/qualification/nqfLevel): must be a whole number"
        in (detail)
    )
    assert "row 4, column learner.name (/credentialSubject/learner/name): is required (rule: required)" in detail
    assert "row 4, column validUntil (/validUntil): must be an ISO 8601 date and time with a time zone" in detail
    assert "seven" not in detail and "never" not in detail
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == 0


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"learner.name,institution\nSipho,TVET\n", "no 'type' column"),
        (b"", "empty"),
        (b"type,learner,learner.name\nx,y,z\n", "both learner and learner.name"),
        (b"type,learner.name,Learner.Name,learner.name\n", "twice"),
        ("type,learner.name\nformal-qualification,Zo\xeb\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_an_unreadable_csv_says_what_to_fix(
    client: TestClient, make_issuer: Callable[..., IssuerKey], data: bytes, needle: str
) -> None:
    issuer = make_issuer()
    response = client.post(
        "/v1/credentials/bulk/csv", files={"file": ("g.csv", data, "text/csv")}, headers=issuer.headers
    )
    assert response.status_code == 422
    assert needle in response.json()["detail"]


# --- who may ----------------------------------------------------------------------------------------------------


def test_no_key_or_a_bad_key_is_401_saying_how_to_send_one(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    missing = client.post("/v1/credentials", json=one())
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert "X-API-Key" in missing.json()["detail"]
    for headers in ({"Authorization": "Bearer crk_not-a-key"}, {"X-API-Key": "nope"}, {"Authorization": "Basic eDp5"}):
        response = client.get("/v1/credentials", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "UnauthorizedError"
    assert client.get("/v1/credentials", headers={"X-API-Key": issuer.key}).status_code == 200
    key_id = next(k.id for k in api_node.store.list_api_keys(issuer.issuer_id))
    api_node.store.revoke_api_key(key_id)
    revoked = client.get("/v1/credentials", headers=issuer.headers)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]


def test_keys_of_other_roles_are_403(client: TestClient, api_node: Node) -> None:
    governor = api_node.store.create_api_key(ApiKeyRole.GOVERNOR, label="governor")
    for key in (governor, ADMIN_KEY):
        response = client.post("/v1/credentials", json=one(), headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 403
        assert "needs an issuer API key" in response.json()["detail"]
        assert client.get("/v1/credentials", headers={"X-API-Key": key}).status_code == 403


def test_a_suspended_issuer_cannot_issue_but_can_read_its_credentials(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    earlier = client.post("/v1/credentials", json=one(1), headers=issuer.headers).json()["id"]
    api_node.store.upsert_issuer(
        issuer.issuer_id,
        name=issuer.name,
        metadata_uri=issuer.metadata_uri,
        signer_address="0x" + "ab" * 20,
        status=IssuerStatus.SUSPENDED,
    )
    for path, body in (("/v1/credentials", one(2)), ("/v1/credentials/bulk", {"credentials": [one(3)]})):
        response = client.post(path, json=body, headers=issuer.headers)
        assert response.status_code == 403
        assert f"issuer {issuer.issuer_id} is suspended" in response.json()["detail"]
    assert client.get(f"/v1/credentials/{earlier}", headers=issuer.headers).status_code == 200
    assert pending_count(api_node, issuer) == 1


def test_issuers_only_ever_see_their_own_credentials(client: TestClient, make_issuer: Callable[..., IssuerKey]) -> None:
    alice, bob = make_issuer(), make_issuer()
    alice_ids = client.post(
        "/v1/credentials/bulk", json={"credentials": [one(n) for n in range(3)]}, headers=alice.headers
    ).json()["ids"]
    bob_id = client.post("/v1/credentials", json=one(9), headers=bob.headers).json()["id"]
    stranger = client.get(f"/v1/credentials/{alice_ids[0]}", headers=bob.headers)
    assert stranger.status_code == 404
    assert stranger.json()["error"] == "NotFoundError"
    assert client.get(f"/v1/credentials/{bob_id}", headers=bob.headers).status_code == 200
    page = client.get("/v1/credentials", headers=bob.headers).json()
    assert [c["id"] for c in page["items"]] == [bob_id]
    first = client.get("/v1/credentials?limit=2", headers=alice.headers).json()
    assert (first["total"], first["nextOffset"]) == (3, 2)
    second = client.get("/v1/credentials?limit=2&offset=2", headers=alice.headers).json()
    paged = [c["id"] for c in first["items"] + second["items"]]
    assert sorted(paged) == sorted(alice_ids)  # every one once: pages neither overlap nor skip
    assert second["nextOffset"] is None


# --- reading back -----------------------------------------------------------------------------------------------


def test_after_anchoring_get_returns_a_bundle_that_verifies(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    ids = client.post(
        "/v1/credentials/bulk", json={"credentials": [one(n) for n in range(5)]}, headers=issuer.headers
    ).json()["ids"]
    before = client.get(f"/v1/credentials/{ids[0]}", headers=issuer.headers).json()
    assert (before["status"], before["bundle"], before["anchor"]) == ("pending", None, None)
    batch = fake_anchor(api_node.store, issuer.issuer_id, block_number=77)
    for credential_id in ids:
        body = client.get(f"/v1/credentials/{credential_id}", headers=issuer.headers).json()
        assert body["status"] == "anchored"
        assert body["batchId"] == batch.id
        assert body["anchor"] == {
            "merkleRoot": batch.root,
            "transactionHash": batch.tx_hash,
            "blockNumber": 77,
            "chainId": api_node.manifest.chain_id,
            "registry": api_node.manifest.registry,
        }
        bundle = body["bundle"]
        assert bundle["proof"]["anchor"]["merkleRoot"] == batch.root
        assert bundle["proof"]["credentialHash"] == body["credentialHash"]
        result = verify_integrity(bundle)
        assert result.ok, result.message
        assert bundle["id"] == f"urn:uuid:{credential_id}"  # the holder's id is the issuer's id
        by_urn = client.get(f"/v1/credentials/{bundle['id']}", headers=issuer.headers)
        assert by_urn.status_code == 200 and by_urn.json()["id"] == credential_id
    listed = client.get("/v1/credentials?status=anchored", headers=issuer.headers).json()
    assert listed["total"] == 5
    assert client.get("/v1/credentials?status=pending", headers=issuer.headers).json()["items"] == []


def test_a_failed_batch_shows_its_reason(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    credential_id = client.post("/v1/credentials", json=one(), headers=issuer.headers).json()["id"]
    fake_anchor(api_node.store, issuer.issuer_id, fail="the issuer key is not accredited for this type")
    body = client.get(f"/v1/credentials/{credential_id}", headers=issuer.headers).json()
    assert body["status"] == "failed"
    assert body["failureReason"] == "the issuer key is not accredited for this type"
    assert body["bundle"] is None


def test_credential_types_are_public_with_schema_and_csv_template(client: TestClient) -> None:
    response = client.get("/v1/credential-types")
    assert response.status_code == 200
    types = {(t["name"], t["version"]): t for t in response.json()["types"]}
    formal = types[(FQ, 1)]
    assert formal["schemaId"] == "https://w3id.org/credreg/schemas/formal-qualification/v1"
    assert formal["subjectSchema"]["$id"] == formal["schemaId"]
    for column in ("type", "clientRef", "learner.identity.number", "qualification.nqfLevel", "awardDate"):
        assert column in formal["csvHeader"]
    assert formal["csvTemplate"] == ",".join(formal["csvHeader"]) + "\n"
    required = {c["name"] for c in formal["csvColumns"] if c["required"]}
    assert {"type", "learner.name", "qualification.nqfLevel"} <= required
    assert "learner.identity.country" not in required
    assert {name for name, _ in types} == {FQ, "micro-credential", "recognition-of-prior-learning"}


def test_the_openapi_document_covers_the_credential_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerApiKey"]["scheme"] == "bearer"
    assert schemes["HeaderApiKey"]["name"] == "X-API-Key"
    post_one = spec["paths"]["/v1/credentials"]["post"]
    assert "Location" in post_one["responses"]["202"]["headers"]
    for path, method, codes in (
        ("/v1/credentials", "post", ("401", "403", "422")),
        ("/v1/credentials/bulk", "post", ("401", "403", "413", "422")),
        ("/v1/credentials/bulk/csv", "post", ("401", "403", "413", "422")),
        ("/v1/credentials/{credential_id}", "get", ("401", "403", "404")),
        ("/v1/credentials", "get", ("401", "403", "422")),
    ):
        responses = spec["paths"][path][method]["responses"]
        for code in codes:
            content = responses[code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (path, code)
            assert set(content["example"]) == {"error", "detail"}
    assert "security" not in spec["paths"]["/v1/credential-types"]["get"]


# --- what can never verify is refused before the 202 ------------------------------------------------------------

MODES = ("single", "bulk", "csv")


def _cells(subject: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    cells: dict[str, str] = {}
    for key, value in subject.items():
        if isinstance(value, Mapping):
            cells |= _cells(value, f"{prefix}{key}.")
        else:
            cells[prefix + key] = LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)
    return cells


def submit(client: TestClient, issuer: IssuerKey, mode: str, credentials: list[dict[str, Any]]) -> Any:
    """POST the credentials as one request of the mode (single: the last credential alone)."""
    if mode == "single":
        return client.post("/v1/credentials", json=credentials[-1], headers=issuer.headers)
    if mode == "bulk":
        return client.post("/v1/credentials/bulk", json={"credentials": credentials}, headers=issuer.headers)
    rows = [
        {
            "type": c["type"],
            **{k: c[k] for k in ("validFrom", "validUntil") if k in c},
            **_cells(c["credentialSubject"]),
        }
        for c in credentials
    ]
    header = list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[row.get(name, "") for name in header] for row in rows])
    files = {"file": ("g.csv", buffer.getvalue().encode(), "text/csv")}
    return client.post("/v1/credentials/bulk/csv", files=files, headers=issuer.headers)


def where(mode: str, path: str, *, every_item: bool = False) -> str:
    """How the 422 names the problem of the last credential sent (row 3 / item 1 after one good one)."""
    if mode == "single":
        return f"{path}: "
    if every_item:
        return f"every {'row' if mode == 'csv' else 'credential'} ({path}): "
    return f"row 3, column {column_of(path)} ({path}): " if mode == "csv" else f"item 1 {path}: "


def written(api_node: Node, issuer: IssuerKey) -> int:
    return sum(api_node.store.credential_counts(issuer.issuer_id).values())


def assert_refused(response: Any, api_node: Node, issuer: IssuerKey, needle: str, rule: str, before: int = 0) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "SubmissionInvalidError"
    assert needle in body["detail"], body["detail"]
    assert f"(rule: {rule})" in body["detail"]
    assert LEARNER_NAME not in response.text
    assert written(api_node, issuer) == before  # nothing went to the outbox


@pytest.fixture(scope="module")
def case_issuers(api_node: Node) -> dict[str, IssuerKey]:
    """One issuer per refusal case, made on first use (each case runs in three modes)."""
    return {}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_credential_outside_the_issuers_accreditation_is_refused_before_the_202(
    client: TestClient, api_node: Node, case_issuers: dict[str, IssuerKey], case: Case, mode: str
) -> None:
    issuer = case_issuers.get(case.name) or case_issuers.setdefault(case.name, case.make(api_node))
    good_type, good_subject = case.good or (FQ, subject_of(FQ))
    good = {"type": good_type, "credentialSubject": good_subject}
    before = written(api_node, issuer)
    response = submit(client, issuer, mode, [good, {"type": case.type_name, "credentialSubject": case.subject}])
    needle = where(mode, case.path, every_item=case.every_item)
    assert_refused(response, api_node, issuer, needle, case.rule, before)
    if case.good is not None:  # what is in scope is still accepted
        assert submit(client, issuer, mode, [good]).status_code == 202


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("changes", "path", "rule", "needle"),
    [
        ({"validFrom": "2026-10-05T09:30:00"}, "/validFrom", "format", "with a time zone"),
        ({"validFrom": "2026-10-05"}, "/validFrom", "format", "a date alone"),
        ({"validUntil": "next year"}, "/validUntil", "format", "ISO 8601"),
        ({"validUntil": "2020-01-01T00:00:00Z"}, "/validUntil", "exclusiveMinimum", "must be later than now"),
        (
            {"validFrom": "2020-01-01T00:00:00Z", "validUntil": "2021-01-01T00:00:00+02:00"},
            "/validUntil",
            "exclusiveMinimum",
            "can never verify",
        ),
        ({"awardDate": "2099-01-01"}, "/credentialSubject/awardDate", "notInFuture", "must not be in the future"),
    ],
)
def test_dates_in_the_wrong_form_or_the_future_are_refused_naming_the_field(
    client: TestClient,
    api_node: Node,
    make_issuer: Callable[..., IssuerKey],
    mode: str,
    changes: dict[str, str],
    path: str,
    rule: str,
    needle: str,
) -> None:
    issuer = make_issuer()
    bad: dict[str, Any] = {"type": FQ, "credentialSubject": subject_of(FQ)}
    for key, value in changes.items():
        if key == "awardDate":
            bad["credentialSubject"][key] = value
        else:
            bad[key] = value
    response = submit(client, issuer, mode, [{"type": FQ, "credentialSubject": subject_of(FQ)}, bad])
    assert_refused(response, api_node, issuer, where(mode, path), rule)
    assert needle in response.json()["detail"]
    for value in changes.values():
        assert value not in response.text


def test_a_number_for_a_date_is_refused_naming_the_field(
    client: TestClient, make_issuer: Callable[..., IssuerKey]
) -> None:
    response = client.post("/v1/credentials", json=one(1, validFrom=1_763_798_400), headers=make_issuer().headers)
    assert response.status_code == 422
    assert "/validFrom: Input should be a valid string (rule: string_type)" in response.json()["detail"]


def test_an_unreadable_chain_is_a_503_and_nothing_is_written(
    client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = make_issuer()

    def down(self: RpcChainView) -> RpcChainView:
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(RpcChainView, "snapshot", down)
    for mode in MODES:
        response = submit(client, issuer, mode, [one(1)])
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "ChainUnavailableError"
    assert sum(api_node.store.credential_counts(issuer.issuer_id).values()) == 0
