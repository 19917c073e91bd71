"""The authorization matrix: EVERY write endpoint of the app, times every kind of caller.

The write endpoints are read from ``app.routes`` (POST/PUT/PATCH/DELETE), so a new endpoint without a row in
:data:`EXPECTED` fails :func:`test_every_write_route_has_an_expectation`. Each row names who may call the endpoint
and how to build a request that succeeds for them; everyone else must be refused with the right status, and a
refused request must write NOTHING: the database is byte-for-byte the same (a full dump of every table) and the
chain has no new block (the devnet automines: a block exists only for a transaction).

Callers: no key, the target's own issuer, another (active) issuer, a suspended issuer, a governor key, an admin key
from the store, and the operator's CREDREG_ADMIN_API_KEY.
A refused request from another issuer on a lifecycle endpoint is a 404, not a 403: another issuer's credential is
never revealed to exist (the store's isolation).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr
from starlette.routing import BaseRoute

from node.chain.devnet import Devnet
from node.chain.registry import type_id
from node.chain.signers import dev_account
from node.store import IssuerStatus
from tests.api.conftest import write_call
from tests.services.test_lifecycle import FORMAL, Kit, chain, clean_env, make_kit

__all__ = ["chain", "clean_env"]  # module fixtures shared with tests/services/test_lifecycle.py

CALLERS = ("none", "owner", "other_issuer", "suspended_issuer", "governor", "admin", "env_admin")
ENV_ADMIN_KEY = "crk_operator-admin-key-from-the-environment"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

Request = dict[str, Any]
"""Keyword arguments for ``TestClient.request``: ``url`` and ``json`` or ``files``."""
Make = Callable[["World", str], Request]
"""Builds a request for an endpoint; the caller name tells it whether it should be able to succeed."""


@dataclass(frozen=True)
class Row:
    """Who may call an endpoint (2xx), and what everyone else gets."""

    allowed: frozenset[str]
    refused: dict[str, int]
    make: Make
    read_only: bool = False
    """A POST that only reads (verification): even an allowed call must write nothing."""


def row(allowed: set[str], make: Make, **refused: int) -> Row:
    assert set(allowed) | set(refused) == set(CALLERS), f"a row must name every caller: {allowed} {refused}"
    return Row(frozenset(allowed), refused, make)


# --- the world: one registry, three issuers, keys of every kind ----------------------------------------------------


@dataclass
class World:
    kit: Kit
    keys: dict[str, str | None]
    owner: int
    spec: dict[str, Any]

    @property
    def node(self) -> Any:
        return self.kit.node

    def fresh_issuer(self, *, register: bool = True, suspended: bool = False) -> tuple[int, str]:
        issuer_id, signer, _ = self.kit.accredit_issuer(f"Issuer {time.monotonic_ns()}", register=register)
        if suspended:
            registry = self.node.registry
            self.kit.admin_tm().transact(write_call(registry, "suspendIssuer", issuer_id, 5))
        return issuer_id, signer

    def fresh_body(self, suspended: bool = False) -> int:
        registry = self.node.registry
        gov = self.node.signers.manager(self.node.signers.governor())
        fn = write_call(registry, "accreditBody", dev_account(1).address, [type_id(FORMAL)], 10, 1, 0, "did:web:b")
        proposal_id, _ = registry.propose(gov, fn, registry.latest_timestamp() + 3600)
        registry.execute_proposal(gov, proposal_id)
        body_id = registry.body_count()
        if suspended:
            proposal_id, _ = registry.propose(
                gov, write_call(registry, "suspendBody", body_id, 1), registry.latest_timestamp() + 3600
            )
            registry.execute_proposal(gov, proposal_id)
        return int(body_id)

    def ready_proposal(self) -> int:
        """A proposal made by the OTHER governor (dev account 3): ready with k == 1, not executed, not approved by
        this node's governor key."""
        registry = self.node.registry
        other = self.node.signers.manager(dev_account(3))
        proposal_id, _ = registry.propose(
            other, write_call(registry, "setThreshold", 1, contract="governance"), registry.latest_timestamp() + 3600
        )
        return proposal_id

    def suspend_credential(self, batch_root: bytes, credential_hash: bytes | None = None) -> None:
        issuer = self.node.store.get_issuer(self.owner)
        tm = self.node.signers.manager(self.node.signers.account_for(issuer.signer_address, issuer.keystore_path))
        registry = self.node.registry
        if credential_hash is None:
            tm.transact(write_call(registry, "suspendRoot", batch_root, 5))
        else:
            tm.transact(write_call(registry, "suspendCredential", batch_root, credential_hash, 5))

    def example(self, path: str) -> dict[str, Any]:
        content = self.spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        schema = content["schema"]
        ref = schema.get("$ref")
        resolved = self.spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema
        found = resolved.get("example") or resolved.get("examples", [None])[0]
        assert found, f"no example for {path}"
        return dict(found)


@pytest.fixture(scope="module")
def world(chain: Devnet, clean_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # two governors (dev accounts 0 and 3), k == 1: the node's governor is dev account 0; dev account 3 makes
    # proposals this node has not approved yet (for the approve / execute rows)
    kit = make_kit(
        chain,
        tmp_path_factory.mktemp("authz"),
        governors=[dev_account(0).address, dev_account(3).address],
        threshold=1,
        admin_api_key=SecretStr(ENV_ADMIN_KEY),
    )
    store = kit.node.store
    owner, _, _ = kit.accredit_issuer("Owner University")
    other, _, _ = kit.accredit_issuer("Other College")
    suspended, _, _ = kit.accredit_issuer("Suspended Institute")
    kit.admin_tm().transact(write_call(kit.node.registry, "suspendIssuer", suspended, 5))
    record = store.get_issuer(suspended)
    store.upsert_issuer(
        suspended,
        name=record.name,
        metadata_uri=record.metadata_uri,
        signer_address=record.signer_address,
        keystore_path=record.keystore_path,
        status=IssuerStatus.SUSPENDED,
    )
    keys: dict[str, str | None] = {
        "none": None,
        "owner": kit.issuer_api_key(owner),
        "other_issuer": kit.issuer_api_key(other),
        "suspended_issuer": kit.issuer_api_key(suspended),
        "governor": kit.governor_key,
        "admin": kit.admin_key,
        "env_admin": ENV_ADMIN_KEY,
    }
    try:
        yield World(kit=kit, keys=keys, owner=owner, spec=kit.client.app.openapi())  # type: ignore[attr-defined]
    finally:
        kit.node.close()


# --- request builders ----------------------------------------------------------------------------------------------


def _bundle_example(w: World) -> dict[str, Any]:
    content = w.spec["paths"]["/v1/verify"]["post"]["requestBody"]["content"]["application/json"]
    examples = content.get("examples") or content["schema"].get("examples")
    found = examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"]
    return dict(found)


def _verify(w: World, _: str) -> Request:
    return {"url": "/v1/verify", "json": _bundle_example(w)}


def _verify_batch(w: World, _: str) -> Request:
    return {"url": "/v1/verify/batch", "json": {"bundles": [_bundle_example(w), {"not": "a bundle"}]}}


def _issue_one(w: World, _: str) -> Request:
    return {"url": "/v1/credentials", "json": w.example("/v1/credentials")}


def _issue_bulk(w: World, _: str) -> Request:
    return {"url": "/v1/credentials/bulk", "json": {"credentials": [w.example("/v1/credentials")]}}


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    elif isinstance(value, list):
        out[prefix] = ";".join(str(v) for v in value)
    else:
        out[prefix] = json.dumps(value) if isinstance(value, bool) else str(value)


def _issue_csv(w: World, _: str) -> Request:
    example = w.example("/v1/credentials")
    cells: dict[str, str] = {"type": example["type"]}
    _flatten("", example["credentialSubject"], cells)
    text = ",".join(cells) + "\n" + ",".join(f'"{v}"' for v in cells.values()) + "\n"
    return {"url": "/v1/credentials/bulk/csv", "files": {"file": ("grads.csv", text.encode(), "text/csv")}}


def _credential(action: str) -> Make:
    def make(w: World, caller: str) -> Request:
        batch = w.kit.anchor(w.owner, 2)
        cid = batch.ids[0]
        body: dict[str, Any] = {"reasonCode": 1}
        if action == "reinstate":
            w.suspend_credential(batch.root, batch.hashes[cid])
            body = {"reasonCode": 7}
        if action == "supersede":
            body = {"reasonCode": 3, "replacementId": batch.ids[1]}
        return {"url": f"/v1/credentials/{cid}/{action}", "json": body}

    return make


def _batch(action: str) -> Make:
    def make(w: World, caller: str) -> Request:
        batch = w.kit.anchor(w.owner, 1)
        body: dict[str, Any] = {"reasonCode": 1}
        if action == "reinstate":
            w.suspend_credential(batch.root)
            body = {"reasonCode": 7}
        if action == "supersede":
            body = {"reasonCode": 9, "replacementBatchId": w.kit.anchor(w.owner, 1).batch_id}
        return {"url": f"/v1/batches/{batch.batch_id}/{action}", "json": body}

    return make


def _accredit_issuer(w: World, _: str) -> Request:
    signer, keystore = w.kit.new_signer(fund=False)
    return {
        "url": "/v1/issuers",
        "json": {
            "bodyId": w.kit.body_id,
            "name": "New College",
            "metadataUri": "did:web:new.example",
            "signerAddress": signer,
            "keystorePath": keystore,
            "credentialTypes": [FORMAL],
            "maxLevel": 5,
        },
    }


def _register_issuer(w: World, _: str) -> Request:
    issuer_id, signer = w.fresh_issuer(register=False)
    return {"url": "/v1/issuers/register", "json": {"issuerId": issuer_id, "name": "Known", "signerAddress": signer}}


def _issuer_act(action: str) -> Make:
    def make(w: World, _: str) -> Request:
        issuer_id, _signer = w.fresh_issuer(suspended=action == "reinstate")
        return {"url": f"/v1/issuers/{issuer_id}/{action}", "json": {"reasonCode": 1}}

    return make


def _add_key(w: World, _: str) -> Request:
    issuer_id, _signer = w.fresh_issuer()
    address, _ = w.kit.new_signer(fund=False)
    return {"url": f"/v1/issuers/{issuer_id}/keys", "json": {"address": address}}


def _rotate_key(w: World, _: str) -> Request:
    issuer_id, signer = w.fresh_issuer()
    new, keystore = w.kit.new_signer(fund=False)
    return {
        "url": f"/v1/issuers/{issuer_id}/keys/rotate",
        "json": {"oldKey": signer, "newKey": new, "keystorePath": keystore},
    }


def _cutoff(w: World, _: str) -> Request:
    issuer_id, signer = w.fresh_issuer()
    return {"url": f"/v1/issuers/{issuer_id}/keys/{signer}/cutoff", "json": {}}


def _accredit_body(w: World, _: str) -> Request:
    return {
        "url": "/v1/bodies",
        "json": {"admin": dev_account(1).address, "credentialTypes": [FORMAL], "maxLevel": 4, "metadataUri": "x:b"},
    }


def _body_act(action: str) -> Make:
    def make(w: World, _: str) -> Request:
        body_id = w.fresh_body(suspended=action == "reinstate")
        return {"url": f"/v1/bodies/{body_id}/{action}", "json": {"reasonCode": 1}}

    return make


def _propose(w: World, _: str) -> Request:
    return {
        "url": "/v1/governance/proposals",
        "json": {"target": "governance", "function": "setThreshold", "args": [1]},
    }


def _approve(w: World, _: str) -> Request:
    return {"url": f"/v1/governance/proposals/{w.ready_proposal()}/approve", "json": {}}


def _execute(w: World, _: str) -> Request:
    return {"url": f"/v1/governance/proposals/{w.ready_proposal()}/execute", "json": {}}


SHARE_CIPHERTEXT = "A" * 64
"""Any unpadded base64url of 48 bytes: the node cannot and does not read what a share link carries."""


def _create_share(w: World, _: str) -> Request:
    return {"url": "/v1/shares", "json": {"ciphertext": SHARE_CIPHERTEXT, "expiresInSeconds": 600}}


def _revoke_share(w: World, _: str) -> Request:
    from node.services.sharing import SharingService

    made = SharingService(w.node.store, w.node.settings).create(b"\0" * 48, expires_in_s=600)
    return {"method": "DELETE", "url": f"/v1/shares/{made.id}"}  # no X-Holder-Token: no API key stands in


# --- the expectation table -----------------------------------------------------------------------------------------

ISSUER_ONLY = {"owner", "other_issuer"}  # any active issuer issues, for itself
LIFECYCLE = {"owner", "governor", "admin", "env_admin"}
GOVERNANCE = {"governor", "admin", "env_admin"}


def issuing(make: Make) -> Row:
    return row(ISSUER_ONLY, make, none=401, suspended_issuer=403, governor=403, admin=403, env_admin=403)


def lifecycle(make: Make) -> Row:
    return row(LIFECYCLE, make, none=401, other_issuer=404, suspended_issuer=403)


def governing(make: Make) -> Row:
    return row(GOVERNANCE, make, none=401, owner=403, other_issuer=403, suspended_issuer=403)


def public_read(make: Make) -> Row:
    return Row(frozenset(CALLERS), {}, make, read_only=True)


EXPECTED: dict[tuple[str, str], Row] = {
    ("POST", "/v1/verify"): public_read(_verify),
    ("POST", "/v1/verify/batch"): public_read(_verify_batch),
    ("POST", "/v1/credentials"): issuing(_issue_one),
    ("POST", "/v1/credentials/bulk"): issuing(_issue_bulk),
    ("POST", "/v1/credentials/bulk/csv"): issuing(_issue_csv),
    **{("POST", f"/v1/credentials/{{credential_id}}/{a}"): lifecycle(_credential(a)) for a in
       ("revoke", "suspend", "reinstate", "supersede")},
    **{("POST", f"/v1/batches/{{batch_id}}/{a}"): lifecycle(_batch(a)) for a in
       ("revoke", "suspend", "reinstate", "supersede")},
    ("POST", "/v1/issuers"): governing(_accredit_issuer),
    ("POST", "/v1/issuers/register"): governing(_register_issuer),
    **{("POST", f"/v1/issuers/{{issuer_id}}/{a}"): governing(_issuer_act(a)) for a in
       ("suspend", "reinstate", "withdraw")},
    ("POST", "/v1/issuers/{issuer_id}/keys"): governing(_add_key),
    ("POST", "/v1/issuers/{issuer_id}/keys/rotate"): governing(_rotate_key),
    ("POST", "/v1/issuers/{issuer_id}/keys/{address}/cutoff"): governing(_cutoff),
    ("POST", "/v1/bodies"): governing(_accredit_body),
    **{("POST", f"/v1/bodies/{{body_id}}/{a}"): governing(_body_act(a)) for a in ("suspend", "reinstate", "withdraw")},
    ("POST", "/v1/governance/proposals"): governing(_propose),
    ("POST", "/v1/governance/proposals/{proposal_id}/approve"): governing(_approve),
    ("POST", "/v1/governance/proposals/{proposal_id}/execute"): governing(_execute),
    # share links: a learner has no API key; only the holder token shown at creation revokes, never an API key
    ("POST", "/v1/shares"): Row(frozenset(CALLERS), {}, _create_share),
    ("DELETE", "/v1/shares/{share_id}"): row(set(), _revoke_share, **dict.fromkeys(CALLERS, 422)),
}  # fmt: skip


# --- the app's write routes ----------------------------------------------------------------------------------------


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, descending into included routers and mounts."""
    for route in routes:
        if isinstance(route, APIRoute) or (hasattr(route, "methods") and hasattr(route, "path")):
            for method in getattr(route, "methods", None) or ():
                yield method, prefix + str(route.path)  # type: ignore[attr-defined]
        elif hasattr(route, "original_router"):  # FastAPI's lazily included router
            context = getattr(route, "include_context", None)
            yield from _walk(route.original_router.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif hasattr(route, "routes"):  # a Mount
            yield from _walk(list(route.routes), prefix + str(getattr(route, "path", "")))


def write_routes() -> set[tuple[str, str]]:
    from node.main import create_app

    return {(m, p) for m, p in _walk(list(create_app().routes)) if m in WRITE_METHODS}


def test_every_write_route_has_an_expectation() -> None:
    routes = write_routes()
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, f"write endpoints with no row in EXPECTED (add who may call them): {missing}"
    assert not stale, f"rows in EXPECTED for endpoints the app no longer has: {stale}"
    assert len(routes) >= 28


# --- the matrix ----------------------------------------------------------------------------------------------------


def _database_dump(w: World) -> str:
    url = w.node.settings.resolved_database_url
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _call(w: World, caller: str, request: Request) -> Any:
    key = w.keys[caller]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    method = request.pop("method", "POST")
    return w.kit.client.request(method, headers=headers, **request)


@pytest.mark.anvil
def test_authorization_matrix(world: World) -> None:
    """Every write endpoint, every caller: refused callers get their status and write nothing; allowed ones succeed."""
    problems: list[str] = []
    checked = 0
    for (method, path), expected in sorted(EXPECTED.items()):
        if (method, path) not in write_routes_cache():
            continue  # reported by test_every_write_route_has_an_expectation
        for caller in CALLERS:
            request = expected.make(world, caller)
            before_db, before_block = _database_dump(world), world.node.w3.eth.block_number
            response = _call(world, caller, request)
            checked += 1
            where = f"{method} {path} as {caller}"
            if caller in expected.allowed:
                if not 200 <= response.status_code < 300:
                    problems.append(f"{where}: expected success, got {response.status_code} {response.text[:300]}")
                if not expected.read_only:
                    continue
            else:
                want = expected.refused[caller]
                if response.status_code != want:
                    problems.append(f"{where}: expected {want}, got {response.status_code} {response.text[:300]}")
                elif response.json().get("error") is None:
                    problems.append(f"{where}: the refusal is not an ErrorBody: {response.text[:200]}")
            if _database_dump(world) != before_db:
                problems.append(f"{where}: nothing may be written, but the database changed")
            if world.node.w3.eth.block_number != before_block:
                problems.append(f"{where}: nothing may be written, but a transaction was sent (new block)")
    assert not problems, "\n".join(problems)
    assert checked == len(write_routes_cache()) * len(CALLERS)


_ROUTES: set[tuple[str, str]] = set()


def write_routes_cache() -> set[tuple[str, str]]:
    if not _ROUTES:
        _ROUTES.update(write_routes())
    return _ROUTES
