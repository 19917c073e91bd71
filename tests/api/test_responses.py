"""node/api/responses.py: the documented error responses name real errors with their real status, and an act answers
its ``done`` status once on chain, 202 while its proposal waits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Response

from node import errors as node_errors
from node.api import responses
from node.api.schemas.errors import ErrorBody
from node.credentials import items
from node.services.governance import ChainAct, Via

EXAMPLES = {"E401": 401, "E403": 403, "E404": 404, "E409": 409, "E413": 413, "E422_ONE": 422, "E422_BULK": 422,
            "E422_CSV": 422, "E422_QUERY": 422}  # fmt: skip


def _error_class(name: str) -> type[Any]:
    found = getattr(node_errors, name, None) or getattr(items, name)
    assert issubclass(found, node_errors.RegistryError), name
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "status"), sorted(EXAMPLES.items()))
def test_each_example_body_is_an_error_the_node_answers_with_that_status(name: str, status: int) -> None:
    documented = getattr(responses, name)
    assert documented["model"] is ErrorBody and documented["description"]
    example = documented["content"]["application/json"]["example"]
    ErrorBody.model_validate(example)
    assert _error_class(example["error"]).status_code == status


def test_the_governance_responses_are_error_bodies_keyed_by_status() -> None:
    assert set(responses.AUTH_ERRORS) == {401, 403, 422}
    assert set(responses.WRITE_ERRORS) == {401, 403, 404, 409, 422, 502, 503}
    for documented in responses.WRITE_ERRORS.values():
        assert documented["model"] is ErrorBody and documented["description"]


def test_an_act_is_done_on_chain_or_202_while_its_proposal_waits() -> None:
    executed = ChainAct(via=Via.GOVERNANCE, executed=True, tx_hash="0x01", block_number=1)
    waiting = ChainAct(via=Via.GOVERNANCE, executed=False, tx_hash=None, block_number=None)
    for act, done, want in ((executed, 200, 200), (executed, 201, 201), (waiting, 200, 202), (waiting, 201, 202)):
        response = Response()
        responses.pending_as_202(response, act, done)
        assert response.status_code == want
