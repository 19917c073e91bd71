"""node/store/_issuers.py: issuers (upsert, get, list) and API keys (create, authenticate, revoke; only hashes
stored)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from node.errors import NotFoundError, ValidationFailedError
from node.store import ApiKeyRole, IssuerStatus, Store
from tests.store.conftest import ISSUER, OTHER_ISSUER, SIGNER


def test_upsert_get_list(store: Store) -> None:
    issuer = store.get_issuer(ISSUER)
    assert issuer.name == "University of Testing"
    assert issuer.status is IssuerStatus.ACTIVE
    assert issuer.created_at.tzinfo is not None

    updated = store.upsert_issuer(
        ISSUER,
        name="University of Testing (renamed)",
        metadata_uri="https://uni.test/issuer.json",
        signer_address=SIGNER,
        keystore_path="/keys/7.json",
        status="suspended",
    )
    assert updated.created_at == issuer.created_at
    assert store.get_issuer(ISSUER) == updated
    assert [i.id for i in store.list_issuers()] == [ISSUER, OTHER_ISSUER]
    assert [i.id for i in store.list_issuers(IssuerStatus.SUSPENDED)] == [ISSUER]


def test_unknown_issuer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.get_issuer(999)


# ---- API keys ----------------------------------------------------------------------------------------


def test_create_authenticate_revoke(store: Store) -> None:
    key = store.create_api_key("issuer", ISSUER, "registrar office")
    assert key.startswith("crk_")
    assert len(key) >= 4 + 43

    principal = store.authenticate(key)
    assert principal is not None
    assert (principal.role, principal.issuer_id, principal.label) == (ApiKeyRole.ISSUER, ISSUER, "registrar office")
    assert principal.prefix == key[:8]

    assert store.authenticate(key + "x") is None
    assert store.authenticate("crk_" + "A" * 43) is None
    assert store.authenticate("") is None

    [listed] = store.list_api_keys()
    assert listed.id == principal.key_id
    assert listed.revoked_at is None
    assert key not in repr(listed)

    revoked = store.revoke_api_key(principal.key_id)
    assert revoked.revoked_at is not None
    assert store.authenticate(key) is None
    assert store.revoke_api_key(principal.key_id).revoked_at == revoked.revoked_at
    assert store.list_api_keys(include_revoked=False) == []


def test_keys_are_distinct_and_roles_checked(store: Store) -> None:
    admin = store.create_api_key(ApiKeyRole.ADMIN, label="ops")
    governor = store.create_api_key("governor", label="board")
    assert admin != governor
    admin_principal = store.authenticate(admin)
    assert admin_principal is not None
    assert admin_principal.role is ApiKeyRole.ADMIN
    assert admin_principal.issuer_id is None
    with pytest.raises(ValidationFailedError):
        store.create_api_key("issuer", None, "no issuer")
    with pytest.raises(ValidationFailedError):
        store.create_api_key("admin", ISSUER, "admin bound to issuer")
    with pytest.raises(ValueError, match="root"):
        store.create_api_key("root")
    with pytest.raises(NotFoundError):
        store.create_api_key("issuer", 404, "unknown issuer")
    with pytest.raises(NotFoundError):
        store.revoke_api_key(999)
    assert [k.label for k in store.list_api_keys(ISSUER)] == []


def test_plaintext_never_reaches_the_database_files(sqlite_store: Store, db_path: Path) -> None:
    store = sqlite_store
    keys = [store.create_api_key("issuer", ISSUER, f"key {i}") for i in range(3)]
    for key in keys:
        assert store.authenticate(key) is not None
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    content = b"".join(p.read_bytes() for p in files)
    for key in keys:
        # the hash is there (so the scan does see the rows) ...
        assert hashlib.sha256(key.encode()).hexdigest().encode() in content
        # ... the secret part of the key is not, in any file (database, WAL, shared memory)
        assert key.encode() not in content
        assert key[8:].encode() not in content
