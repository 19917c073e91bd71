"""API keys: the dependency aliases (PrincipalDep, IssuerDep, IssuerReaderDep, AdminDep, GovernorDep) on a small app
over the shared test node, so each role's answer is checked on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.api.deps import AdminDep, GovernorDep, IssuerDep, IssuerReaderDep, PrincipalDep
from node.api.errors import install_error_handlers
from node.runtime import Node
from node.store import ApiKeyRole, IssuerStatus
from tests.api.conftest import ADMIN_KEY, IssuerKey


@pytest.fixture(scope="module")
def auth_client(api_node: Node) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.state.node = api_node

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> dict[str, str | int | None]:
        return {"role": principal.role.value, "issuer": principal.issuer_id, "label": principal.label}

    @app.get("/issue")
    def issue(principal: IssuerDep) -> dict[str, int | None]:
        return {"issuer": principal.issuer_id}

    @app.get("/read")
    def read(principal: IssuerReaderDep) -> dict[str, int | None]:
        return {"issuer": principal.issuer_id}

    @app.get("/admin")
    def admin(principal: AdminDep) -> dict[str, str]:
        return {"role": principal.role.value}

    @app.get("/govern")
    def govern(principal: GovernorDep) -> dict[str, str]:
        return {"role": principal.role.value}

    with TestClient(app) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_each_role_reaches_only_its_routes(
    auth_client: TestClient, api_node: Node, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    governor = api_node.store.create_api_key(ApiKeyRole.GOVERNOR, label="gov")
    admin = api_node.store.create_api_key(ApiKeyRole.ADMIN, label="ops")
    expected = {
        issuer.key: {"/issue": 200, "/read": 200, "/admin": 403, "/govern": 403},
        governor: {"/issue": 403, "/read": 403, "/admin": 403, "/govern": 200},
        admin: {"/issue": 403, "/read": 403, "/admin": 200, "/govern": 200},
        ADMIN_KEY: {"/issue": 403, "/read": 403, "/admin": 200, "/govern": 200},
    }
    for key, answers in expected.items():
        assert auth_client.get("/whoami", headers=bearer(key)).status_code == 200
        for path, status in answers.items():
            response = auth_client.get(path, headers=bearer(key))
            assert response.status_code == status, (path, response.text)
            if status == 403:
                assert response.json()["error"] == "ForbiddenError"
                assert "apikeys create" in response.json()["detail"]


def test_the_admin_api_key_is_an_admin_principal_and_never_echoed(
    auth_client: TestClient, api_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = auth_client.get("/whoami", headers={"X-API-Key": ADMIN_KEY}).json()
    assert who == {"role": "admin", "issuer": None, "label": "CREDREG_ADMIN_API_KEY"}
    wrong = auth_client.get("/whoami", headers=bearer(ADMIN_KEY + "x"))
    assert wrong.status_code == 401
    assert ADMIN_KEY not in wrong.text
    monkeypatch.setattr(api_node.settings, "admin_api_key", None)
    assert auth_client.get("/whoami", headers=bearer(ADMIN_KEY)).status_code == 401
    monkeypatch.setattr(api_node.settings, "admin_api_key", SecretStr(""))
    assert auth_client.get("/whoami", headers={"X-API-Key": " "}).status_code == 401


def test_bearer_wins_over_the_header_and_either_alone_works(
    auth_client: TestClient, make_issuer: Callable[..., IssuerKey]
) -> None:
    issuer = make_issuer()
    assert auth_client.get("/whoami", headers={"X-API-Key": issuer.key}).json()["issuer"] == issuer.issuer_id
    both = {**bearer(issuer.key), "X-API-Key": "crk_wrong"}
    assert auth_client.get("/whoami", headers=both).json()["issuer"] == issuer.issuer_id
    assert auth_client.get("/whoami", headers={"Authorization": "Bearer"}).status_code == 401


def test_issuing_needs_an_active_issuer_reading_does_not(
    auth_client: TestClient, make_issuer: Callable[..., IssuerKey]
) -> None:
    for status in (IssuerStatus.SUSPENDED, IssuerStatus.REVOKED):
        issuer = make_issuer(status)
        refused = auth_client.get("/issue", headers=bearer(issuer.key))
        assert refused.status_code == 403
        assert f"issuer {issuer.issuer_id} is {status.value}" in refused.json()["detail"]
        assert "reinstate" in refused.json()["detail"]
        assert auth_client.get("/read", headers=bearer(issuer.key)).status_code == 200
