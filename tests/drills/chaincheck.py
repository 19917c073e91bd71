"""What the batcher tests and drills assert, checked against the chain itself (not the node's own bookkeeping).

- exactly once: every accepted credential is anchored; every confirmed batch's root has exactly one
  CredentialAnchored log; no root is logged that the store does not hold; no credential is in two batches; every
  stored proof leads from the credential to its batch's root.
- no nonce gap: the key's mined count equals its pending count (nothing queued behind a hole), equals the number of
  its transactions in blocks, and the node's durable next nonce is that count (nothing handed out and never used).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3

from node.credentials.document import build_document
from node.credentials.merkle import verify
from node.credentials.types import get_type
from node.runtime import Node
from node.store import AnchoringState, BatchStatus, NewCredential, Store
from tests.samples import VALID

ANCHORED_TOPIC = "0x" + keccak(text="CredentialAnchored(bytes32)").hex()
DEMO_ISSUER_DID = "did:web:demo-university.credreg.test"

SUBJECTS: dict[str, dict[str, Any]] = {name: VALID[name] for name in ("formal-qualification", "micro-credential")}


def new_credentials(n: int, type_name: str = "formal-qualification", subject: Mapping[str, Any] | None = None,
                    prefix: str = "") -> list[NewCredential]:  # fmt: skip
    """``n`` real sealed documents (fresh salts each) of one type, ready for ``Store.add_credentials``."""
    ctype = get_type(type_name)
    body = dict(subject if subject is not None else SUBJECTS[type_name])
    items = []
    for i in range(n):
        document = build_document(type_name, body, issuer_id=DEMO_ISSUER_DID)
        items.append(
            NewCredential(
                type_name=type_name,
                type_version=str(ctype.version),
                credential_hash=document["proof"]["credentialHash"],
                document=document,
                client_ref=f"{prefix}{i}" if prefix else None,
            )
        )
    return items


def issue(store: Store, issuer_id: int, n: int, type_name: str = "formal-qualification", chunk: int = 250) -> list[str]:
    """Accept ``n`` credentials into the outbox (chunks of ``chunk`` per transaction); their ids."""
    ids: list[str] = []
    for start in range(0, n, chunk):
        ids += store.add_credentials(issuer_id, new_credentials(min(chunk, n - start), type_name))
    return ids


def wait_for(predicate: Any, timeout_s: float, what: str, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def all_anchored(store: Store) -> bool:
    counts = store.credential_counts()
    return counts[AnchoringState.PENDING] == counts[AnchoringState.BATCHED] == counts[AnchoringState.FAILED] == 0


def anchor_logs(w3: Web3, registry: str, from_block: int = 0) -> list[dict[str, Any]]:
    logs = w3.eth.get_logs(
        {"fromBlock": from_block, "toBlock": "latest", "address": Web3.to_checksum_address(registry),
         "topics": [ANCHORED_TOPIC]}  # type: ignore[typeddict-item]
    )  # fmt: skip
    return [dict(entry) for entry in logs]


@dataclass(frozen=True)
class ExactlyOnce:
    credentials: int
    batches: int
    roots_logged: int


def assert_exactly_once(node: Node, expected_ids: Iterable[str] | None = None) -> ExactlyOnce:
    """Every credential anchored once, every confirmed root logged once on chain, every proof valid."""
    store = node.store
    credentials = store.list_credentials(limit=1 << 20)
    if expected_ids is not None:
        missing = set(expected_ids) - {c.id for c in credentials}
        assert not missing, f"{len(missing)} accepted credentials are not in the store"
    not_anchored = [c for c in credentials if c.status is not AnchoringState.ANCHORED]
    assert not not_anchored, f"{len(not_anchored)} credentials not anchored, e.g. {not_anchored[0]}"
    batches = {b.id: b for b in store.batches_with_status()}
    unfinished = [b for b in batches.values() if b.status is not BatchStatus.CONFIRMED]
    assert not unfinished, f"unconfirmed batches: {unfinished}"
    per_batch = Counter(c.batch_id for c in credentials)
    for batch in batches.values():
        assert per_batch[batch.id] == batch.leaf_count, f"batch {batch.id} leaf count != its credentials"
    for c in credentials:
        root = batches[int(c.batch_id or 0)].root
        assert root is not None and c.merkle_proof is not None
        proof = [bytes.fromhex(p[2:]) for p in c.merkle_proof]
        assert verify(bytes.fromhex(root[2:]), bytes.fromhex(c.credential_hash[2:]), proof), c.id
    hashes = Counter(c.credential_hash for c in credentials)
    assert max(hashes.values(), default=1) == 1, "a credential hash is in two batches"
    logs = anchor_logs(node.w3, node.manifest.registry, node.manifest.deploy_block)
    logged = Counter("0x" + bytes(entry["topics"][1]).hex() for entry in logs)
    stored = {str(b.root) for b in batches.values()}
    twice = {root: n for root, n in logged.items() if n != 1}
    assert not twice, f"roots anchored more than once: {twice}"
    assert set(logged) == stored, f"logged roots {set(logged) ^ stored} differ from the store's"
    for batch in batches.values():
        record = node.registry.anchor_of(bytes.fromhex(str(batch.root)[2:]))
        assert record.exists and record.leaf_count == batch.leaf_count and record.issuer_id == batch.issuer_id
        receipt = node.w3.eth.get_transaction_receipt(batch.tx_hash)  # type: ignore[arg-type]
        assert receipt["status"] == 1 and int(receipt["blockNumber"]) == batch.block_number
        assert "0x" + bytes(receipt["blockHash"]).hex() == batch.block_hash
    return ExactlyOnce(len(credentials), len(batches), len(logged))


def transactions_from(w3: Web3, address: str) -> list[dict[str, Any]]:
    """Every transaction ``address`` sent, from every block (the chain is small in tests)."""
    out: list[dict[str, Any]] = []
    for number in range(w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if str(tx["from"]).lower() == address.lower():  # type: ignore[index]
                out.append(dict(tx))  # type: ignore[arg-type]
    return out


def assert_no_nonce_gap(node: Node, address: str) -> int:
    """The key's nonces on chain are contiguous and nothing is stuck or reserved behind; returns the tx count."""
    w3 = node.w3
    checksum = Web3.to_checksum_address(address)
    deadline = time.monotonic() + 10
    while w3.eth.get_transaction_count(checksum, "pending") != w3.eth.get_transaction_count(checksum, "latest"):
        assert time.monotonic() < deadline, "transactions are stuck in the pool (a nonce gap below them)"
        time.sleep(0.2)
    latest = w3.eth.get_transaction_count(checksum, "latest")
    sent = transactions_from(w3, address)
    assert sorted(int(tx["nonce"]) for tx in sent) == list(range(latest)), "nonces on chain are not 0..n-1"
    stored = node.store.get_nonce(address)
    assert stored is None or stored == latest, f"the node reserved nonces up to {stored} but only {latest} were used"
    return latest
