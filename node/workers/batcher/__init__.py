"""The batcher: turns the outbox into anchored Merkle roots, exactly once, across crashes, outages and chain resets.

One background loop thread (started by the app's lifespan, in its own child process by default: see
:mod:`node.workers.batcher.process`; or standalone with ``python -m node.workers.batcher``). One module per kind of
work, each class building on the one before:

- ``state.py``: what they all share (settings, counters, signing keys, notes, the retry schedule);
- ``anchoring.py``: build a batch's Merkle tree, anchor it (``anchorSingle`` for one, ``anchor`` otherwise), send,
  confirm, fail with a sentence saying why and what to do;
- ``recovery.py``: ``recover()`` before the loop, ``check_anchors()`` after a chain reset or reorg, adopting a root
  found anchored on chain, re-aligning a key's nonces, ``retry_failed()``;
- ``loop.py``: the :class:`Batcher` (start/stop, the loop, closing due batches, retries, receipt watchers, the
  chain probe, the data dir's lock);
- ``process.py``: the batcher as the API's supervised child process;
- ``__main__.py``: ``python -m node.workers.batcher`` (``--until-idle``, ``--retry-failed``, ``--supervised``).

Closing
    Per issuer and (credential type, version), when ``batch_max_size`` credentials are pending or the oldest has
    waited ``batch_max_wait_ms``, a batch is claimed (atomically, so a credential is never in two batches),
    its Merkle tree built and recorded (``building`` -> ``built``).
Anchoring
    The root goes on chain in one transaction signed by the issuer's key. ``prepare`` (nonce reserved, signed
    locally) -> ``mark_signed`` (the raw transaction is durable BEFORE it leaves the process) -> ``send`` ->
    ``mark_sent``. The receipt is awaited by a small pool of watcher threads, so several batches are in flight at
    once (the TxManager owns the nonces and caps the window); the loop thread alone changes batch states.
Recovery (``recover()``, before the loop)
    ``building`` -> the tree is rebuilt from the claimed credentials; confirmed anchors that vanished -> anchored
    again; ``signed``/``sent`` -> the transaction is looked up: mined or pending -> awaited; unknown -> if the root
    is anchored on chain (by any transaction) it is confirmed from its CredentialAnchored log, never anchored twice;
    else the same raw transaction is re-sent, all of a key's outstanding transactions together through
    ``TxManager.resync`` so no nonce is left as a gap; a nonce taken by something else -> prepared again.
    ``built`` -> anchored.
Outcomes
    A revert with ``CredentialRegistryAlreadyAnchored`` means it IS anchored: confirmed from the log. Other reverts
    (issuer not accredited for the type, key unknown or outside its window, issuer or body suspended) ->
    ``mark_failed`` with a sentence saying why and what to do (fix it, then ``--retry-failed``). RPC faults never
    fail anything: the error is noted on the batch and in ``last_error``, the batch retried with backoff.
Chain reset / reorg
    Every ``anchor_check_interval_s`` (and at start) the confirmed batches are checked against the chain: the block
    hash at their block must be unchanged and the root still anchored. Checking walks from the newest confirmed
    block down and stops at the first intact one (a matching block hash vouches for all history below it), so a
    steady-state check costs a few RPCs whatever the number of batches. Lost anchors -> ``reset_for_reanchor`` and
    anchored again (after realigning the key's nonces with the chain).

One batcher per database: the loop takes an exclusive lock file in the data dir first (a second process, e.g. a
second API worker, waits as a standby and takes over if the first dies).
"""

from node.workers.batcher.anchoring import record_tree, revert_reason, root_of
from node.workers.batcher.loop import Batcher
from node.workers.batcher.recovery import RecoveryReport, retry_failed
from node.workers.batcher.state import (
    RETRY_COMMAND,
    STEP_FAULTS,
    BatcherStats,
    Stall,
    StallKind,
    signed_tx_of,
    stalls_of,
)

__all__ = [
    "RETRY_COMMAND",
    "STEP_FAULTS",
    "Batcher",
    "BatcherStats",
    "RecoveryReport",
    "Stall",
    "StallKind",
    "record_tree",
    "retry_failed",
    "revert_reason",
    "root_of",
    "signed_tx_of",
    "stalls_of",
]
