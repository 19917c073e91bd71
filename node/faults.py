"""Crash-point injection for fault drills: ``CREDREG_CRASH_AT=<point>`` makes the process SIGKILL itself there.

A crash point is a named place in the code where a real crash (power loss, OOM kill, ``kill -9``) would leave the
node in an interesting state. :func:`crash_point` does nothing unless the environment names that point, so the hooks
cost one dictionary lookup in production. The drills in ``tests/drills/`` run the node as a subprocess with the
variable set, let it die, restart it without the variable and check that every accepted credential is anchored
exactly once with no nonce gap.

``CREDREG_CRASH_AT`` holds one point, optionally with ``@N`` to crash at its N-th hit (``after_send@3``: the third
batch is sent, then the process dies). SIGKILL, not an exception or ``sys.exit``: no ``finally`` blocks, no atexit
handlers, no flushed buffers, exactly like the real thing.

The points (where they are called):

``after_accept``
    Credentials are written to the outbox and the caller has (or would have) been told "accepted"; nothing is batched
    yet. Called right after an outbox write: by the drills' acceptor (tests/drills/node_proc.py); the issuance service
    is the natural other caller (after ``store.add_credentials``).
``after_claim``
    A batch is claimed (``building``) but its Merkle tree is not recorded (node/workers/batcher/).
``after_build``
    The tree is recorded (``built``); nothing is signed yet.
``after_sign``
    The signed anchor transaction is persisted (``signed``) but not sent.
``after_send``
    The transaction is sent (``sent``) but its receipt not awaited.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

log = logging.getLogger(__name__)

CRASH_ENV = "CREDREG_CRASH_AT"

AFTER_ACCEPT = "after_accept"
AFTER_CLAIM = "after_claim"
AFTER_BUILD = "after_build"
AFTER_SIGN = "after_sign"
AFTER_SEND = "after_send"

POINTS: tuple[str, ...] = (AFTER_ACCEPT, AFTER_CLAIM, AFTER_BUILD, AFTER_SIGN, AFTER_SEND)

_hits: dict[str, int] = {}
_lock = threading.Lock()


def armed() -> tuple[str, int] | None:
    """The point and hit number ``CREDREG_CRASH_AT`` names, or None when unset or empty."""
    value = os.environ.get(CRASH_ENV, "").strip()
    if not value:
        return None
    name, _, nth = value.partition("@")
    try:
        count = int(nth) if nth else 1
    except ValueError:
        count = 1
    return name, max(count, 1)


def crash_point(name: str) -> None:
    """SIGKILL this process if ``CREDREG_CRASH_AT`` names ``name`` (at its N-th hit with ``name@N``)."""
    target = armed()
    if target is None or target[0] != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        hit = _hits[name]
    if hit < target[1]:
        return
    log.warning("crash point %s reached (hit %d): killing the process (%s is set)", name, hit, CRASH_ENV)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)
