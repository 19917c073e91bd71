"""Property-based API testing against our own OpenAPI document (schemathesis): zero 5xx, zero schema breaks.

Every operation in the document is exercised with generated requests, authenticated as an issuer (so the write
paths get past auth and into validation). The number of cases run is printed at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import FailureGroup, not_a_server_error, response_schema_conformance
from web3 import EthereumTesterProvider, Web3

from node.chain.deploy import deploy
from node.config import Settings
from node.main import create_app
from node.runtime import Node
from node.store.records import ApiKeyRole

CASES = {"count": 0}
EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    data_dir: Path = tmp_path_factory.mktemp("schemathesis")
    node_settings = Settings(data_dir=data_dir, devnet_port=0)
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    account: LocalAccount = Account.from_key(w3.provider.ethereum_tester.backend.account_keys[0])  # type: ignore[attr-defined]
    deploy(w3, account, node_settings.manifest_path, node_settings.artifacts_dir)
    node = Node.open(node_settings, w3=w3)
    node.store.upsert_issuer(
        1, name="Fuzz College", metadata_uri="did:web:fuzz.example", signer_address=account.address
    )
    key = node.store.create_api_key(ApiKeyRole.ISSUER, 1, label="schemathesis")
    yield create_app(node_settings, node=node), key
    node.close()


def test_no_server_errors_and_responses_match_the_schema(api_node: tuple[FastAPI, str]) -> None:
    """Every operation, EXAMPLES_PER_OPERATION generated requests each (hypothesis drives schemathesis' strategies)."""
    app, key = api_node
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 2, "the OpenAPI document lists the node's operations"
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            CASES["count"] += 1
            case.call_and_validate(
                headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            exercise()
        except (AssertionError, FailureGroup) as exc:  # a failed check, or several at once
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    print(
        f"\nschemathesis: {CASES['count']} generated cases over {len(operations)} operations: "
        "0 server errors, 0 schema violations"
    )
