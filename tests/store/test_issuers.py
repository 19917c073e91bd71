from __future__ import annotations

import pytest

from node.errors import NotFoundError
from node.store import IssuerStatus, Store
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
