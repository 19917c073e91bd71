"""The web router: pages with a strict CSP, offline API docs (assets from the pinned npm packages), the disclosure
policies, and CORS on the public routes only (write routes get none)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from node.api.routes.web import WEB_DIR
from node.config import DEVNET_CHAIN_ID
from node.credentials.disclosure import POLICY_DIR

ORIGIN = "https://hr.example.com"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


@pytest.mark.parametrize(
    ("path", "marker"),
    [("/", "Verify a credential"), ("/verify", "Verify a credential"), ("/wallet", "Share your credential")],
)
def test_pages_are_served_with_a_policy_that_allows_only_this_node(client: TestClient, path: str, marker: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert marker in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    # every asset the page names is on this node
    for url in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert url.startswith(("/", "#")), url
        if url.startswith("/web/"):
            assert client.get(url).status_code == 200, url


def test_page_assets_refuse_anything_but_their_own_files(client: TestClient) -> None:
    assert client.get("/web/verify.js").headers["content-type"].startswith("text/javascript")
    for path in [
        "/web/..%2Fmain.py",
        "/web/nothing.js",
        "/web/verify.html",
        "/web/vendor/swagger-ui/package.json",
        "/web/vendor/nothing/x.js",
        "/web/vendor/redoc/..%2Fpackage.json",
    ]:
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_nothing_from_outside_the_node(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert urls, response.text
    for url in urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
    assert "googleapis" not in response.text
    assert "cdn" not in response.text.lower()


def test_disclosure_policies_are_the_policy_files(client: TestClient) -> None:
    body = client.get("/v1/disclosure-policies").json()
    served = {(p["type"], p["version"]): p for p in body["policies"]}
    files = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(POLICY_DIR.glob("*.json"))]
    assert len(served) == len(files)
    for raw in files:
        policy = served[(raw["type"], raw["version"])]
        assert policy["hideable"] == raw["hideable"]
        assert policy["claims"] == raw["claims"]
        assert policy["schemaId"].endswith(f"/{raw['type']}/v{raw['version']}")
    assert client.get("/v1/credential-types").status_code == 200  # the catalogue it sits beside


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/verify"),
        ("POST", "/v1/verify/batch"),
        ("GET", "/v1/status/0x" + "00" * 32),
        ("GET", "/v1/credential-types"),
        ("GET", "/v1/disclosure-policies"),
        ("GET", "/healthz"),
    ],
)
def test_public_routes_answer_cors(client: TestClient, method: str, path: str) -> None:
    preflight = client.options(path, headers={**PREFLIGHT, "Access-Control-Request-Method": method})
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert method in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    if method == "POST":
        answer = client.post(path, content=b"{}", headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    else:
        answer = client.get(path, headers={"Origin": ORIGIN})
    assert answer.headers.get("access-control-allow-origin") == "*"
    assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/credentials"),
        ("POST", "/v1/credentials/bulk"),
        ("GET", "/v1/credentials"),
        ("POST", "/v1/credentials/bulk/csv"),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
        ("GET", "/openapi.json"),
    ],
)
def test_write_and_private_routes_get_no_cors(client: TestClient, method: str, path: str) -> None:
    preflight = client.options(path, headers={**PREFLIGHT, "Access-Control-Request-Method": method})
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code != 200
    answer = client.request(method, path, headers={"Origin": ORIGIN, "Authorization": "Bearer crk_nothing"})
    assert "access-control-allow-origin" not in answer.headers


def test_the_pages_know_the_devnet_chain_id() -> None:
    """The devnet banner's chain id in the page's module is the node's."""
    common = (WEB_DIR / "common.js").read_text(encoding="utf-8")
    assert f"export const DEVNET_CHAIN_ID = {DEVNET_CHAIN_ID};" in common
