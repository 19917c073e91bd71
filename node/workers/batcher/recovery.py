"""Recovery: bring every unfinished batch forward after a start or crash, and find anchors a chain reset lost.

``recover()``, before the loop: ``building`` -> the tree is rebuilt from the claimed credentials; confirmed anchors
that vanished -> anchored again; ``signed``/``sent`` -> the transaction is looked up: mined or pending -> awaited;
unknown -> if the root is anchored on chain (by any transaction) it is confirmed from its CredentialAnchored log
(adopted), never anchored twice; else the same raw transaction is re-sent, all of a key's outstanding transactions
together through ``TxManager.resync`` so no nonce is left as a gap; a nonce taken by something else -> prepared
again. ``built`` -> anchored.

``check_anchors()`` (every ``anchor_check_interval_s``, and at start): the block hash at each confirmed batch's block
must be unchanged and its root still anchored, walking from the newest confirmed block down to the first intact one.
Lost anchors -> ``reset_for_reanchor`` and anchored again (after realigning the key's nonces with the chain).
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from node.chain.txmanager import SignedTx, TxManager, TxState
from node.errors import BatchStateError, ChainUnavailableError
from node.store import Batch, BatchStatus, Store
from node.workers.batcher.anchoring import Anchoring
from node.workers.batcher.state import _bytes32, log, signed_tx_of


@dataclass(frozen=True)
class RecoveryReport:
    """What :meth:`Batcher.recover` found and did."""

    rebuilt: int = 0
    """``building`` batches whose tree was built again from their claimed credentials."""
    lost_anchors: int = 0
    """Confirmed batches whose anchor is no longer on chain (reset for anchoring again)."""
    adopted: int = 0
    """Signed/sent batches whose root was found anchored on chain (confirmed from the log, nothing sent)."""
    awaited: int = 0
    """Signed/sent transactions re-sent as they were (or found mined/pending) and now awaited."""
    reprepared: int = 0
    """Signed transactions whose nonce was taken or that the node refused: prepared and signed again."""
    gaps_filled: int = 0
    """Nonces handed out without a transaction that were filled with a no-op transfer."""
    anchored: int = 0
    """``built`` batches anchored."""
    failed: int = 0
    """Batches in 'failed' (they need an operator: see their last_error)."""


class Recovery(Anchoring):
    """Recovers, reconciles, adopts and re-checks batches (on top of the anchoring steps)."""

    # --- recovery -----------------------------------------------------------------------------------------------

    def recover(self) -> RecoveryReport:
        """Bring every unfinished batch forward after a start (or crash). Idempotent; call before the loop."""
        store = self.node.store
        rebuilt = anchored = reprepared = awaited = gaps = 0
        self._adopted = 0

        for batch in store.batches_with_status(BatchStatus.BUILDING):
            if self._rebuild(batch.id) is not None:
                rebuilt += 1

        lost = self.check_anchors(full=True)

        outstanding: dict[TxManager, list[tuple[Batch, SignedTx]]] = defaultdict(list)
        for batch in store.batches_with_status(BatchStatus.SIGNED, BatchStatus.SENT):
            if batch.id in self._inflight:
                continue
            tm = self._manager_or_note(batch)
            if tm is None:
                continue
            signed = signed_tx_of(batch)
            if signed is None:  # confirmed from a log, then the process died: confirm again from the log
                if not self._adopt(batch):
                    self._schedule(batch.id, reprepare=True, delay=0.0)
                continue
            if tm.find_receipt(signed.tx_hash).state is TxState.UNKNOWN and self._adopt(batch):
                continue  # anchored by another transaction: confirmed from its log, nothing sent
            outstanding[tm].append((batch, signed))

        issuers = {b.issuer_id for b in store.batches_with_status(BatchStatus.BUILT)} | set(store.pending_issuers())
        for issuer_id in sorted(issuers):
            tm = self._issuer_manager_or_note(issuer_id)
            if tm is not None:
                outstanding.setdefault(tm, [])
        for tm, items in outstanding.items():
            by_hash = {signed.tx_hash: batch.id for batch, signed in items}
            report = tm.resync([signed for _, signed in items])
            gaps += len(report.filled)
            for signed in report.resent:
                self._watch(by_hash[signed.tx_hash], signed, tm)
                awaited += 1
            for signed in (*report.consumed, *report.rejected):
                batch = store.get_batch(by_hash[signed.tx_hash])
                self._reprepare.add(batch.id)
                if signed in report.consumed:
                    self._count_nonce_replay()
                    if self._adopt(batch):
                        continue
                self._guard(batch.id, functools.partial(self._anchor, batch))
                reprepared += 1

        for batch in store.batches_with_status(BatchStatus.BUILT):
            if batch.id in self._inflight or batch.id in self._retry:
                continue
            self._guard(batch.id, functools.partial(self._anchor, batch))
            anchored += 1

        self._recovered = True
        self._next_anchor_check = time.monotonic() + self.anchor_check_interval_s
        return RecoveryReport(
            rebuilt=rebuilt,
            lost_anchors=lost,
            adopted=self._adopted,
            awaited=awaited,
            reprepared=reprepared,
            gaps_filled=gaps,
            anchored=anchored,
            failed=store.batch_counts()[BatchStatus.FAILED],
        )

    # --- one batch forward ---------------------------------------------------------------------------------------

    def _resume(self, batch: Batch) -> None:
        """A signed/sent batch not being watched: watch it, re-send it, confirm it, or prepare it again."""
        tm = self._manager(batch.issuer_id)
        signed = signed_tx_of(batch)
        if signed is None or batch.id in self._reprepare:
            if not self._adopt(batch):
                self._anchor(batch)
            return
        state = tm.find_receipt(signed.tx_hash).state
        if state is TxState.UNKNOWN:
            if self._adopt(batch):
                return
            self._send(batch.id, signed, tm)
            return
        self._watch(batch.id, signed, tm)

    def _reconcile(self, batch_id: int) -> None:
        """Bring one batch forward from whatever state the store has it in."""
        if batch_id in self._inflight:
            return
        batch = self.node.store.get_batch(batch_id)
        if batch.status is BatchStatus.BUILDING:
            built = self._rebuild(batch_id)
            if built is not None:
                self._anchor(built)
        elif batch.status is BatchStatus.BUILT:
            self._anchor(batch)
        elif batch.status in (BatchStatus.SIGNED, BatchStatus.SENT):
            self._resume(batch)

    # --- adopting a root found anchored -------------------------------------------------------------------------

    def _adopt(self, batch: Batch) -> bool:
        """If ``batch``'s root is anchored on chain (by any transaction), confirm the batch from its log.

        False when the root is not anchored (the caller anchors it). A root anchored by another issuer fails the
        batch; an anchor without enough confirmations yet is retried shortly (True: nothing to send).
        """
        registry = self.node.registry
        root = _bytes32(batch.root)
        record = registry.read("anchorOf", lambda: registry.anchor_of(root))
        if not record.exists:
            return False
        if record.issuer_id != batch.issuer_id:
            self._fail_batch(
                batch.id,
                f"root {batch.root} is already anchored on chain by issuer {record.issuer_id}, not by issuer "
                f"{batch.issuer_id}: the same credential hashes were issued twice. Re-issue these credentials "
                "(fresh salts give a fresh root).",
            )
            return True
        logs = registry.anchor_logs(root, record.anchored_at, self.settings.indexer_max_block_range)
        if not logs:
            raise ChainUnavailableError(
                f"root {batch.root} is anchored but its CredentialAnchored log was not returned: the node may "
                "not serve logs back to the deployment block; use an archive/full node. Retrying."
            )
        anchor_log = logs[-1]
        head = registry.head()
        if head - anchor_log.block_number < self.settings.confirmations:
            self._schedule(batch.id, delay=self.retry_initial_s)
            return True
        store = self.node.store
        fresh = store.get_batch(batch.id)
        own = signed_tx_of(fresh)
        if fresh.tx_hash != anchor_log.tx_hash:
            store.mark_signed(batch.id, anchor_log.sender, anchor_log.nonce, "", anchor_log.tx_hash)
        confirmed = store.mark_confirmed(batch.id, anchor_log.tx_hash, anchor_log.block_number, anchor_log.block_hash)
        self._count_anchored(confirmed)
        self._adopted += 1
        log.info("batch %d: root %s found anchored in %s; confirmed", batch.id, batch.root, anchor_log.tx_hash)
        if own is not None and own.tx_hash != anchor_log.tx_hash and self._recovered:
            tm = self._manager(batch.issuer_id)
            if tm.find_receipt(own.tx_hash).state is TxState.UNKNOWN:
                self._realign(tm)  # our own unsent transaction holds a nonce: fill it or hand it out again
        return True

    # --- chain reset / reorg ------------------------------------------------------------------------------------

    def check_anchors(self, full: bool = False) -> int:
        """Find confirmed batches whose anchor is gone (block replaced, or root no longer anchored) and reset them
        for anchoring again. Returns how many were reset.

        Walks confirmed batches from the newest block down and stops at the first block whose hash is unchanged and
        whose roots are still anchored (a block hash vouches for all history below it); that block is remembered
        as a sentinel, so the next check only looks above it (after checking the sentinel is still intact).
        """
        store = self.node.store
        head = self.node.registry.head()
        since = 0
        every_root = False
        sentinel = None if full else self._sentinel
        if sentinel is not None:
            number, block_hash, root = sentinel
            if number <= head and self.node.registry.block_hash(number) == block_hash:
                if self._anchored(root):
                    since = number + 1
                else:
                    every_root = True  # same chain, but the registry no longer knows the root: check them all
        if since == 0:
            self._sentinel = None
        by_block: dict[int, list[Batch]] = defaultdict(list)
        for batch in store.confirmed_batches_since(since):
            by_block[int(batch.block_number or 0)].append(batch)
        lost: list[Batch] = []
        for number in sorted(by_block, reverse=True):
            actual = self.node.registry.block_hash(number) if number <= head else None
            intact: list[Batch] = []
            for batch in by_block[number]:
                if batch.block_hash == actual and self._anchored(str(batch.root)):
                    intact.append(batch)
                else:
                    lost.append(batch)
            if intact and not every_root:
                if self._sentinel is None or number > self._sentinel[0]:
                    self._sentinel = (number, str(actual), str(intact[0].root))
                break
        for batch in lost:
            store.reset_for_reanchor(batch.id)
            self._schedule(batch.id, delay=0.0)
            log.warning(
                "batch %d: its anchor (block %s, tx %s) is no longer on chain (reorg or chain reset); anchoring again",
                batch.id, batch.block_number, batch.tx_hash,
            )  # fmt: skip
        if lost:
            with self._stat_lock:
                self._counts.batches_reanchored += len(lost)
                self._last_error = f"{len(lost)} anchored batches were lost (reorg or chain reset); anchoring again"
                self._last_error_at = datetime.now(UTC)
            if self._recovered:  # recover() re-syncs every key itself, after this check
                managers = {}
                for batch in lost:
                    tm = self._manager_or_note(batch)
                    if tm is not None:
                        managers[tm.address] = tm
                for tm in managers.values():
                    self._realign(tm)
        return len(lost)

    def _anchored(self, root: str) -> bool:
        registry = self.node.registry
        return registry.read("anchorOf", lambda: registry.anchor_of(_bytes32(root))).exists

    def _realign(self, tm: TxManager) -> None:
        """Re-sync a key's nonces with the chain (TxManager.resync with every outstanding transaction of the key)."""
        outstanding: dict[str, int] = {}
        signed_list: list[SignedTx] = []
        for batch in self.node.store.batches_with_status(BatchStatus.SIGNED, BatchStatus.SENT):
            if (batch.signer or "").lower() != tm.address.lower() or batch.id in self._reprepare:
                continue
            signed = signed_tx_of(batch)
            if signed is not None:
                signed_list.append(signed)
                outstanding[signed.tx_hash] = batch.id
        report = tm.resync(signed_list)
        for signed in (*report.consumed, *report.rejected):
            batch_id = outstanding[signed.tx_hash]
            self._reprepare.add(batch_id)
            if batch_id not in self._inflight:
                self._schedule(batch_id, delay=0.0)


# --- the operator's retry ------------------------------------------------------------------------------------------


def retry_failed(store: Store, batch_ids: Sequence[int] | None = None) -> list[int]:
    """Put failed batches (all, or ``batch_ids``) back to 'built'; a running batcher anchors them again."""
    failed = store.batches_with_status(BatchStatus.FAILED)
    wanted = set(batch_ids) if batch_ids else {b.id for b in failed}
    missing = wanted - {b.id for b in failed}
    if missing:
        raise BatchStateError(
            f"batches {sorted(missing)} are not failed (or do not exist): list them with their status and retry "
            "only failed ones."
        )
    reset = []
    for batch in failed:
        if batch.id in wanted and batch.root is not None:
            store.reset_for_reanchor(batch.id)
            reset.append(batch.id)
    return reset
