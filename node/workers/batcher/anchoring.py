"""Anchoring a batch: build its Merkle tree, prepare the anchor call, sign, persist, send, confirm or fail it.

``prepare`` (nonce reserved, signed locally) -> ``mark_signed`` (the raw transaction is durable BEFORE it leaves the
process) -> ``send`` -> ``mark_sent``; the receipt is awaited by the loop's watchers. ``anchorSingle`` for a batch of
one (two words of calldata and a hash fewer), ``anchor`` otherwise. A revert with
``CredentialRegistryAlreadyAnchored`` means it IS anchored (adopted: :mod:`.recovery`); other reverts fail the batch
with a sentence saying why and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from web3.types import TxReceipt

from node.chain.errors import sentence
from node.chain.registry import type_id
from node.chain.signers import funding_advice, is_unfunded
from node.chain.txmanager import Call, SignedTx, TxManager
from node.credentials.hash32 import Hash32
from node.credentials.keccak import to_hex
from node.credentials.merkle import MerkleTree
from node.errors import (
    BatchStateError,
    ConflictError,
    ContractRevertError,
    NonceConsumedError,
    TransactionRejectedError,
    ValidationFailedError,
)
from node.faults import AFTER_BUILD, AFTER_SEND, AFTER_SIGN, crash_point
from node.store import Batch, BatchStatus, Store
from node.workers.batcher.state import (
    ALREADY_ANCHORED,
    RETRY_COMMAND,
    STEP_FAULTS,
    BatcherState,
    StallKind,
    _bytes32,
    _Stalled,
    log,
)


class Anchoring(BatcherState):
    """Builds, anchors, sends, confirms and fails batches (the steps; the loop decides when)."""

    # --- building -----------------------------------------------------------------------------------------------

    def _rebuild(self, batch_id: int) -> Batch | None:
        """Build the tree of a batch left 'building' (a crash between claim and tree) from its claimed credentials."""
        store = self.node.store
        hashes = store.batch_credential_hashes(batch_id)
        if not hashes:
            return None
        first = store.list_credentials(batch_id=batch_id, limit=1)
        return self._build(batch_id, hashes, first[0].type_name if first else None)

    def _build(self, batch_id: int, credential_hashes: Sequence[str], type_name: str | None) -> Batch | None:
        """Build and record the Merkle tree of a claimed batch (stored whole: one row). None if it failed."""
        store = self.node.store
        try:
            batch = record_tree(store, batch_id, credential_hashes, type_name)
        except (ValueError, ValidationFailedError) as exc:
            reason = (
                f"the batch's credential hashes could not be built into a Merkle tree ({exc}): a credential in the "
                "outbox is malformed; re-issue the credentials of this batch."
            )
            self._fail_batch(batch_id, reason)
            return None
        except ConflictError as exc:
            other = store.get_batch_by_root(root_of(credential_hashes))
            reason = (
                f"these credentials repeat the credential hashes of batch {other.id if other else '?'} exactly (the "
                f"same sealed documents were submitted twice: {exc.detail}); use the first copies, or re-issue these "
                "(fresh salts give fresh hashes)."
            )
            self._fail_batch(batch_id, reason)
            return None
        crash_point(AFTER_BUILD)
        return batch

    # --- anchoring ----------------------------------------------------------------------------------------------

    def _anchor_call(self, batch: Batch) -> Call:
        writes = self.node.registry.writes
        root = _bytes32(batch.root)
        credential_type = _bytes32(batch.credential_type)
        if batch.leaf_count == 1:
            index = self._type_index(credential_type)
            if index:
                return Call.of(writes.anchor_single(root, index))
        return Call.of(writes.anchor(root, batch.leaf_count, credential_type, 0))

    def _type_index(self, credential_type: bytes) -> int:
        index = self._type_indexes.get(credential_type)
        if index is None:
            index = self.node.registry.type_index(credential_type)
            if index:
                self._type_indexes[credential_type] = index
        return index

    def _anchor(self, batch: Batch) -> None:
        """Prepare (sign) a new anchor transaction for ``batch``, persist it, send it, and watch it."""
        if self._chain_down(time.monotonic()):
            self._schedule(batch.id, reprepare=batch.status is not BatchStatus.BUILT)
            return
        tm = self._manager_or_note(batch)
        if tm is None:
            return  # its key is unusable: noted as a stall, retried later
        try:
            signed = tm.prepare(self._anchor_call(batch))
        except ContractRevertError as exc:
            if exc.error_name == ALREADY_ANCHORED and self._adopt(batch):
                return
            self._fail_on_revert(batch, exc)
            return
        try:
            self.node.store.mark_signed(batch.id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)
        except STEP_FAULTS:
            self._realign(tm)  # the reserved nonce has no durable transaction: hand it out again or fill it
            raise
        self._reprepare.discard(batch.id)
        crash_point(AFTER_SIGN)
        self._send(batch.id, signed, tm)

    def _send(self, batch_id: int, signed: SignedTx, tm: TxManager) -> None:
        try:
            tm.send(signed)
        except NonceConsumedError:
            self._count_nonce_replay()
            batch = self.node.store.get_batch(batch_id)
            if not self._adopt(batch):
                self._anchor(batch)
            return
        except TransactionRejectedError as exc:
            self._reprepare.add(batch_id)  # the TxManager gave the nonce back: this signed transaction is dead
            if is_unfunded(exc):
                issuer_id = self.node.store.get_batch(batch_id).issuer_id
                reason = self._stall(issuer_id, StallKind.NO_FUNDS, self._unfunded(issuer_id, signed), batch_id)
                raise _Stalled(reason) from exc  # retried with backoff by _guard, not noted twice
            raise
        if self._stalled_issuers(StallKind.NO_FUNDS):
            self._unstall(self.node.store.get_batch(batch_id).issuer_id, StallKind.NO_FUNDS)
        self.node.store.mark_sent(batch_id)
        crash_point(AFTER_SEND)
        self._watch(batch_id, signed, tm)

    def _unfunded(self, issuer_id: int, signed: SignedTx) -> str:
        """The no-funds sentence: which account, what it holds, what N anchors need, how to fund it here."""
        what = funding_advice(self.node.w3, signed.sender, signed.gas, on_devnet=self.node.signers.on_devnet)
        return f"issuer {issuer_id}'s signing key cannot pay for its anchors, its credentials wait (batched): {what}"

    # --- confirming ---------------------------------------------------------------------------------------------

    def _confirm(self, batch_id: int, receipt: TxReceipt) -> None:
        try:
            batch = self.node.store.mark_confirmed(
                batch_id,
                "0x" + bytes(receipt["transactionHash"]).hex(),
                int(receipt["blockNumber"]),
                "0x" + bytes(receipt["blockHash"]).hex(),
            )
        except BatchStateError as exc:
            log.info("batch %d was already settled: %s", batch_id, exc.detail)
            return
        self._count_anchored(batch)

    # --- failures -----------------------------------------------------------------------------------------------

    def _fail_on_revert(self, batch: Batch, exc: ContractRevertError) -> None:
        if exc.error_name is None:  # not one of the registry's errors (e.g. out of gas): prepare again later
            self._note(batch.id, exc)
            self._schedule(batch.id, reprepare=True)
            return
        self._fail_batch(batch.id, revert_reason(batch, exc))

    def _fail_batch(self, batch_id: int, reason: str) -> None:
        try:
            self.node.store.mark_failed(batch_id, reason)
        except BatchStateError as exc:
            log.info("batch %d not failed: %s", batch_id, exc.detail)
            return
        self._retry.pop(batch_id, None)
        self._reprepare.discard(batch_id)
        with self._stat_lock:
            self._counts.batches_failed += 1
            self._last_error, self._last_error_at = f"batch {batch_id} failed: {reason}", datetime.now(UTC)
        log.error("batch %d failed: %s", batch_id, reason)


# --- helpers --------------------------------------------------------------------------------------------------------


def _tree(credential_hashes: Sequence[str]) -> MerkleTree:
    return MerkleTree([Hash32.of(h) for h in credential_hashes])


def root_of(credential_hashes: Sequence[str]) -> str:
    """The root a batch of these credential hashes anchors (any order: the tree sorts its leaves)."""
    return to_hex(_tree(credential_hashes).root)


def record_tree(store: Store, batch_id: int, credential_hashes: Sequence[str], type_name: str | None = None) -> Batch:
    """Build the Merkle tree of a claimed batch from its members' hashes and store it: the batch becomes 'built'.

    Raises ``ValidationFailedError``/``ValueError`` for a malformed hash, ``ConflictError`` when another batch already
    has this root (the same sealed documents twice)."""
    tree = _tree(credential_hashes)
    credential_type = to_hex(type_id(type_name)) if type_name is not None else None
    return store.set_batch_tree(batch_id, to_hex(tree.root), tree.nodes(), credential_type=credential_type)


def revert_reason(batch: Batch, exc: ContractRevertError) -> str:
    """A sentence saying why the registry refused the anchor and what to do next."""
    hint = sentence(exc, f"batch {batch.id}")
    why = f"the registry refused to anchor it ({exc.detail})" if hint is None else hint.rstrip(".")
    return (
        f"batch {batch.id} ({batch.leaf_count} credentials of issuer {batch.issuer_id}) was not anchored: {why}. "
        f"Then retry it with `{RETRY_COMMAND} {batch.id}`."
    )
