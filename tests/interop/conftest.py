"""Fixtures for the interop tests: one sample document per credential type, and a fixed issuer key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.credentials.document import build_document
from tests.samples import VALID

VALID_FROM = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)
ANCHOR = {
    "merkleRoot": "0x" + "11" * 32,
    "merkleProof": ["0x" + "22" * 32, "0x" + "33" * 32],
    "chainId": 472019,
    "registry": "0x" + "ab" * 20,
    "transactionHash": "0x" + "44" * 32,
    "blockNumber": 12,
}


def sample_document(type_name: str, *, anchored: bool = False) -> dict[str, Any]:
    document = build_document(
        type_name,
        VALID[type_name],
        issuer_id="did:web:uni.example.ac.za",
        issuer_name="University of Example",
        valid_from=VALID_FROM,
        valid_until=VALID_FROM + dt.timedelta(days=3650) if type_name == "micro-credential" else None,
    )
    if anchored:
        document["proof"]["anchor"] = dict(ANCHOR)
    return document


@pytest.fixture(params=sorted(VALID))
def type_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def issuer_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
