"""`credreg credentials|batches revoke|suspend|reinstate|supersede` (node/cli/lifecycle.py) on anvil: each act prints
the status it leaves on chain, and the chain agrees; an act the status does not allow is one clear line."""

from __future__ import annotations

import pytest

from node.chain.registry import Validity
from tests.cli.conftest import OnChain, anchored, one_clear_line

pytestmark = pytest.mark.anvil


def validity(on_chain: OnChain, credential_id: str) -> Validity:
    node = on_chain.node
    credential = node.store.get_credential(credential_id)
    batch = node.store.get_batch(int(credential.batch_id or 0))
    assert batch.root is not None
    proof = [bytes.fromhex(p[2:]) for p in credential.merkle_proof or ()]
    root, leaf = bytes.fromhex(batch.root[2:]), bytes.fromhex(credential.credential_hash[2:])
    return node.registry.is_valid_at(root, leaf, proof, node.registry.latest_timestamp())[1]


def test_suspend_reinstate_then_revoke_one_credential(on_chain: OnChain) -> None:
    first, second = anchored(on_chain, 2)
    for action, status, valid in (
        ("suspend", "suspended", Validity.SUSPENDED),
        ("reinstate", "active", Validity.VALID),
        ("revoke", "revoked", Validity.REVOKED),
    ):
        result = on_chain("credentials", action, first, "--reason", "2")
        assert result.exit_code == 0, result.output
        assert f"credential {first}: {action} done, status now {status}" in result.stdout
        assert validity(on_chain, first) == valid
    assert validity(on_chain, second) == Validity.VALID  # its batch-mate is untouched

    one_clear_line(on_chain("credentials", "reinstate", first, "--reason", "1"), "is revoked, and that is final")
    one_clear_line(on_chain("credentials", "suspend", "no-such-id", "--reason", "2"), "credential no-such-id not found")


def test_supersede_names_the_replacement(on_chain: OnChain) -> None:
    old, new = anchored(on_chain, 2)
    result = on_chain("credentials", "supersede", old, "--reason", "4", "--replacement", new)
    assert result.exit_code == 0, result.output
    assert f"credential {old}: supersede done, status now superseded" in result.stdout
    assert validity(on_chain, old) == Validity.SUPERSEDED
    assert validity(on_chain, new) == Validity.VALID


def test_revoke_a_whole_batch(on_chain: OnChain) -> None:
    ids = anchored(on_chain, 3)
    batch_id = on_chain.node.store.get_credential(ids[0]).batch_id
    result = on_chain("batches", "revoke", str(batch_id), "--reason", "3")
    assert result.exit_code == 0, result.output
    assert f"batch {batch_id}: revoke done, status now revoked" in result.stdout
    assert [validity(on_chain, i) for i in ids] == [Validity.REVOKED] * 3
    one_clear_line(on_chain("batches", "suspend", str(batch_id), "--reason", "3"), "is revoked, and that is final")
