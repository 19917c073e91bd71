from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.store import NewCredential, Store

ISSUER = 7
OTHER_ISSUER = 8
SIGNER = "0x" + "Ab" * 20


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "credreg.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    store = Store(sqlite_url(db_path))
    store.migrate()
    store.upsert_issuer(ISSUER, name="University of Testing", metadata_uri="did:web:uni.test", signer_address=SIGNER)
    store.upsert_issuer(OTHER_ISSUER, name="Other College", metadata_uri="https://other.test", signer_address=SIGNER)
    yield store
    store.close()


def new_credential(i: int, client_ref: str | None = None) -> NewCredential:
    return NewCredential(
        type_name="NationalCertificate",
        type_version="1.0",
        credential_hash="0x" + f"{i:064x}",
        document={"credentialSubject": {"name": f"Learner {i}", "salt": "0x" + "ab" * 32}, "n": i},
        client_ref=client_ref,
    )
