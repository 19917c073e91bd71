"""Every input a client can send gets a 4xx in the node's error shape, never a 500 (nor a crash).

Each class of input that used to be a 500 (or to kill the process) is tried on every route that takes a JSON body,
read from the app itself: bodies nested 100,000 deep (the interpreter's recursion limit is raised to 100,000 by the
node's dependencies, so ``json.loads`` overflowed the C stack), invalid UTF-8 (a 400 in another shape), lone UTF-16
surrogates (a 500 when the value was encoded again), repeated member names, NaN, 1e999, integers of 5,000 digits; web3
argument errors in governance proposals (an out-of-range uint, a bad address, a string where bytes32 is expected), a
keystore with no passphrase configured, keystore paths naming a device or nothing, and unknown routes and methods.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.api.jsonbody import StrictJsonRoute
from node.main import create_app
from node.runtime import Node
from tests.api.conftest import ADMIN_KEY, walk_routes

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}

HOSTILE: dict[str, bytes] = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "unclosed nesting": b"[" * 100_000,
    "invalid UTF-8": b'{"reasonCode": 1, "note": "caf\xe9"}',
    "a lone surrogate": b'{"reasonCode": 1, "note": "\\ud800"}',
    "a lone low surrogate": b'{"reasonCode": 1, "note": "x\\udc00y"}',
    "a repeated member": b'{"reasonCode": 1, "reasonCode": 2}',
    "NaN": b'{"reasonCode": NaN}',
    "1e999": b'{"reasonCode": 1e999}',
    "5,000 digits": b'{"reasonCode": ' + b"9" * 5000 + b"}",
    "a byte-order mark": b'\xef\xbb\xbf{"reasonCode": 1}',
    "not JSON": b"{reasonCode: 1}",
}
REFUSED_AS_JSON = set(HOSTILE) - {"not JSON"}


@pytest.fixture(scope="module")
def client(api_node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(api_node.settings, node=api_node)) as test_client:
        yield test_client


PATH_VALUES = {"credential_id": "x", "address": "0x" + "11" * 20, "body_id": "1", "issuer_id": "1"}


def _json_routes() -> list[tuple[str, str]]:
    """(method, concrete path) of every route with a JSON request body, from the OpenAPI document."""
    found = []
    for path, item in create_app().openapi()["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                for name in re.findall(r"{(\w+)}", path):
                    path = path.replace("{" + name + "}", PATH_VALUES.get(name, "1"))
                found.append((method.upper(), path))
    return sorted(found)


JSON_ROUTES = _json_routes()


def _assert_node_4xx(response: Any, what: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail"}, f"{what}: not the node's error shape: {body}"
    return body


def test_every_route_reads_json_strictly() -> None:
    """A route that takes a body is a StrictJsonRoute (its router was made with route_class=StrictJsonRoute)."""
    with_body = [r for _, _, r in walk_routes(list(create_app().routes)) if getattr(r, "body_field", None) is not None]
    assert len(with_body) > 10
    loose = sorted({str(getattr(r, "path", r)) for r in with_body if not isinstance(r, StrictJsonRoute)})
    assert not loose, f"routes that read a body without the strict JSON reading: {loose}"


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_hostile_json_bodies_get_a_4xx_on_every_route(client: TestClient, method: str, path: str) -> None:
    for name, body in HOSTILE.items():
        for headers in (ADMIN, JSON):  # with a key (into validation) and without one (read before auth)
            response = client.request(method, path, content=body, headers=headers)
            if path == "/v1/verify" and response.status_code == 200:
                assert name in {"invalid UTF-8", "a repeated member", "NaN", "1e999", "5,000 digits", "not JSON"}
                assert response.json()["valid"] is False  # an object the verifier reads itself: a verdict
                continue
            detail = _assert_node_4xx(response, f"{method} {path} with {name}")["detail"]
            if name in REFUSED_AS_JSON and response.status_code == 422:
                assert "(rule: json_invalid)" in str(detail) or "(rule: model_type)" in str(detail), detail


def test_the_refusals_say_what_is_wrong(client: TestClient) -> None:
    def detail(body: bytes) -> str:
        response = client.post("/v1/credentials/x/revoke", content=body, headers=ADMIN)
        return str(_assert_node_4xx(response, repr(body[:30]))["detail"])

    assert "nest more than 64 levels" in detail(HOSTILE["nested 100,000 deep"])
    assert "not UTF-8 text (byte 30 is invalid)" in detail(HOSTILE["invalid UTF-8"])
    assert "lone UTF-16 surrogate" in detail(HOSTILE["a lone surrogate"])
    assert "'reasonCode' appears twice" in detail(HOSTILE["a repeated member"])
    assert "NaN is not a JSON number" in detail(HOSTILE["NaN"])
    assert "too large for a double" in detail(HOSTILE["1e999"])
    assert "cannot be read" in detail(HOSTILE["5,000 digits"])


def test_a_lone_surrogate_in_a_bundle_is_refused_not_a_500(client: TestClient) -> None:
    bundle = b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "credentialSubject": {"name": "\\udfff"}}'
    body = _assert_node_4xx(client.post("/v1/verify", content=bundle, headers=JSON), "verify")
    assert "lone UTF-16 surrogate" in str(body["detail"])
    batch = b'{"bundles": [{"a": 1}, ' + bundle + b"]}"
    body = _assert_node_4xx(client.post("/v1/verify/batch", content=batch, headers=JSON), "batch")
    assert "/bundles/1: " in str(body["detail"])
    paired = b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "n": "\\ud83d\\ude00 \\\\ud800"}'
    assert client.post("/v1/verify", content=paired, headers=JSON).status_code == 200  # a pair; an escaped "\"


def test_the_batch_outer_object_is_read_strictly_and_each_bundle_by_the_verifier(client: TestClient) -> None:
    def post(body: bytes) -> Any:
        return client.post("/v1/verify/batch", content=body, headers=JSON)

    assert "appears twice" in _assert_node_4xx(post(b'{"bundles": [], "bundles": []}'), "dup")["detail"]
    assert "list_type" in _assert_node_4xx(post(b'{"bundles": {}}'), "not a list")["detail"]
    assert "missing" in _assert_node_4xx(post(b'{"other": []}'), "no bundles")["detail"]
    assert "model_type" in _assert_node_4xx(post(b'[{"bundles": []}]'), "not an object")["detail"]
    for broken in (b'{"bundles": [1, 2', b'{"bundles": [1 2]}', b'{"bundles": []} x', b'{"bundles": [],}', b""):
        _assert_node_4xx(post(broken), repr(broken))
    too_many = _assert_node_4xx(post(b'{"bundles": [' + b",".join([b"{}"] * 1001) + b"]}"), "1,001")
    assert "Split them" in too_many["detail"]
    # a repeated member inside one bundle is that bundle's verdict, not the batch's: the verifier got its text
    result = post(b'{"note": "ignored", "bundles": [{"a": 1}, {"@context": [], "@context": []}, 7]}')
    assert result.status_code == 200, result.text
    verdicts = result.json()["verdicts"]
    assert [v["valid"] for v in verdicts] == [False, False, False]
    message = verdicts[1]["checks"][0]["message"]
    assert "repeats" in message and "'@context'" in message, message


def test_unknown_routes_and_methods_answer_in_the_node_shape(client: TestClient) -> None:
    missing = _assert_node_4xx(client.get("/v1/nothing-here"), "404")
    assert missing["error"] == "NotFoundError" and "/docs" in missing["detail"]
    response = client.delete("/v1/verify")
    wrong = _assert_node_4xx(response, "405")
    assert wrong["error"] == "MethodNotAllowedError" and "POST" in wrong["detail"]
    assert response.headers["allow"] == "POST"
    csv = client.post(
        "/v1/credentials/bulk/csv",
        content=b"--x\r\nbroken",
        headers={**ADMIN, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert csv.status_code < 500 and set(csv.json()) == {"error", "detail"}


# --- governance: web3 argument errors ------------------------------------------------------------------------------

BAD_ARGS = [
    ("governance", "setThreshold", [2**256], "args[0] (uint256 threshold_) of setThreshold"),
    ("governance", "setThreshold", [-1], "an integer from 0 to 2**256 - 1"),
    ("governance", "setThreshold", ["three"], "does not fit"),
    ("governance", "setThreshold", [1.5], "does not fit"),
    ("governance", "setThreshold", [None], "does not fit"),
    ("governance", "addGovernor", ["0x12"], "not an Ethereum address"),
    ("governance", "addGovernor", [7], "an address (0x and 40 hex digits)"),
    ("registry", "suspendRoot", ["abc", 1], "args[0] (bytes32 root) of suspendRoot"),
    ("registry", "suspendRoot", ["0x" + "00" * 33, 1], "0x and 64 hex digits"),
    ("registry", "suspendRoot", ["0x" + "00" * 32, 2**16], "an integer from 0 to 2**16 - 1"),
    ("registry", "suspendBody", [2**32, 1], "uint32"),
    ("registry", "accreditBody", ["0x" + "11" * 20, [{}], 1, 0, 0, "x"], None),
    ("registry", "accreditBody", ["0x" + "11" * 20, ["formal-qualification"], 256, 0, 0, "x"], "uint8"),
    ("registry", "setIssuerMetadata", [1, ["not", "a", "string"], "0x" + "00" * 32], "string"),
    ("registry", "multicall", [["zz"]], None),
    ("registry", "suspendRoot", ["0x" + "00" * 32], "takes 2 arguments"),
]


@pytest.mark.parametrize(("target", "function", "args", "says"), BAD_ARGS)
def test_a_proposal_with_arguments_its_function_cannot_take_is_a_422(
    client: TestClient, target: str, function: str, args: list[Any], says: str | None
) -> None:
    body = json.dumps({"target": target, "function": function, "args": args})
    refusal = _assert_node_4xx(client.post("/v1/governance/proposals", content=body, headers=ADMIN), function)
    assert refusal["error"] == "ValidationFailedError", refusal
    if says is not None:
        assert says in refusal["detail"], refusal["detail"]


# --- keystores -----------------------------------------------------------------------------------------------------

ISSUER = {
    "bodyId": 1,
    "name": "Hostile College",
    "metadataUri": "did:web:hostile.example",
    "signerAddress": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "credentialTypes": ["formal-qualification"],
    "maxLevel": 6,
}


def test_no_keystore_passphrase_configured_is_a_503_saying_what_to_set(client: TestClient, api_node: Node) -> None:
    assert api_node.settings.keystore_passphrase is None and api_node.settings.keystore_passphrase_file is None
    body = json.dumps({**ISSUER, "keystorePath": "/var/lib/credreg/keys/hostile.json"})
    response = client.post("/v1/issuers", content=body, headers=ADMIN)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "KeystorePassphraseMissingError"
    assert "set CREDREG_KEYSTORE_PASSPHRASE" in response.json()["detail"]
    assert "CREDREG_KEYSTORE_PASSPHRASE_FILE" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/dev/zero", "/", "/proc/self/status", "no\u0000where", "/nonexistent/key.json"])
def test_a_keystore_path_that_is_no_keystore_is_a_422_and_is_not_read(
    client: TestClient, api_node: Node, path: str
) -> None:
    settings = api_node.settings
    try:
        settings.keystore_passphrase = SecretStr("a passphrase for the tests")
        body = json.dumps({**ISSUER, "keystorePath": path})
        refusal = _assert_node_4xx(client.post("/v1/issuers", content=body, headers=ADMIN), path)
    finally:
        settings.keystore_passphrase = None
    assert refusal["error"] == "ValidationFailedError" and refusal["detail"].startswith("keystorePath: ")


def test_an_empty_keystore_path_is_a_422(client: TestClient) -> None:
    for field in ("keystorePath", "bodyAdminKeystorePath"):
        body = json.dumps({**ISSUER, field: ""})
        refusal = _assert_node_4xx(client.post("/v1/issuers", content=body, headers=ADMIN), field)
        assert f"/{field}" in refusal["detail"]


def test_a_bundle_with_a_number_of_thousands_of_digits_gets_a_verdict(client: TestClient) -> None:
    response = client.post("/v1/verify", content=b'{"@context": ' + b"9" * 5000 + b"}", headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["checks"][0]["code"] == "NON_CANONICAL_VALUE"
