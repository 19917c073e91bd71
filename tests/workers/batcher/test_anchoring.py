"""node/workers/batcher/anchoring.py on a real anvil: a refused anchor fails its batch with a sentence saying why and
what to do, never blocks the others, and retry_failed() puts it back."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.errors import BatchStateError
from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.store import AnchoringState, BatchStatus, NewCredential
from node.workers.batcher import retry_failed
from tests.drills.chaincheck import (
    issue,
    new_credentials,
    wait_for,
)
from tests.workers.batcher.conftest import started

pytestmark = pytest.mark.anvil


def test_refusals_fail_the_batch_with_a_sentence_and_do_not_block_others(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    node.settings.batch_max_wait_ms = 200
    store = node.store
    stranger = Account.from_key(DEV_PRIVATE_KEYS[3])  # a key no accreditation body registered
    store.upsert_issuer(99, name="Unregistered College", metadata_uri="did:web:x.test", signer_address=stranger.address)
    store.add_credentials(99, new_credentials(2))
    out_of_scope = NewCredential("unaccredited-type", "1", "0x" + "ab" * 32, {"credentialSubject": {}})
    store.add_credentials(demo.issuer_id, [out_of_scope])
    batcher = started(node)
    good = issue(store, demo.issuer_id, 3)
    wait_for(batcher.idle, 30, "every batch settled")

    failed = store.batches_with_status(BatchStatus.FAILED)
    assert len(failed) == 2 and batcher.stats().batches_failed == 2
    reasons = {b.issuer_id: str(b.last_error) for b in failed}
    assert "is not registered on chain" in reasons[99] and "addIssuerKey" in reasons[99]
    assert "not accredited for this credential type" in reasons[demo.issuer_id]
    for batch in failed:
        assert f"python -m node.workers.batcher --retry-failed {batch.id}" in str(batch.last_error)
    for credential in store.list_credentials(issuer_id=99):
        assert credential.status is AnchoringState.FAILED and credential.failure_reason == reasons[99]
    assert all(store.get_credential(i).status is AnchoringState.ANCHORED for i in good)

    batcher.stop()
    with pytest.raises(BatchStateError, match="not failed"):
        retry_failed(store, [store.get_credential(good[0]).batch_id or 0])
    assert sorted(retry_failed(store)) == sorted(b.id for b in failed)
    assert {store.get_batch(b.id).status for b in failed} == {BatchStatus.BUILT}
