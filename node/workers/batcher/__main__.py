"""``python -m node.workers.batcher``: run the batcher without the API (drills, workers, operators).

Also the child the API supervises (``--supervised``, :mod:`node.workers.batcher.process`): settings as a JSON line
on stdin, counters as JSON lines on stdout, stop when stdin closes.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from node.config import Settings, get_settings
from node.errors import RegistryError
from node.runtime import Node
from node.workers.batcher.loop import Batcher
from node.workers.batcher.process import settings_from_payload, stats_line
from node.workers.batcher.recovery import retry_failed

DESCRIPTION = (
    "The batcher: turns the outbox into anchored Merkle roots, exactly once, across crashes, outages and chain resets."
)


def _stop_at_eof(stop: threading.Event) -> None:
    """A supervised batcher's stdin ends when the API closes it or dies (even by kill -9): stop then."""
    sys.stdin.read()
    stop.set()


STATS_INTERVAL_S = 1.0
"""How often a supervised batcher reports its counters to the API."""


def _report(batcher: Batcher) -> bool:
    """One line of counters for the supervising API; False when nobody reads them any more."""
    try:
        print(stats_line(batcher.stats()), flush=True)
    except (BrokenPipeError, ValueError):
        return False
    return True


def main(argv: Sequence[str] | None = None, *, before_start: Callable[[Node], None] | None = None) -> int:
    """``python -m node.workers.batcher``: run the batcher without the API (drills, workers, operators)."""
    parser = argparse.ArgumentParser(prog="python -m node.workers.batcher", description=DESCRIPTION)
    parser.add_argument("--data-dir", type=Path, help="the node's data dir (default CREDREG_DATA_DIR)")
    parser.add_argument("--rpc-url", help="JSON-RPC endpoint (default: CREDREG_RPC_URL or the local devnet)")
    parser.add_argument("--until-idle", action="store_true", help="exit 0 once nothing is pending or in flight")
    parser.add_argument("--timeout", type=float, default=0.0, help="with --until-idle: give up (exit 1) after S s")
    parser.add_argument(
        "--retry-failed", nargs="*", type=int, metavar="BATCH_ID", help="reset failed batches for anchoring, then exit"
    )
    parser.add_argument(
        "--supervised",
        action="store_true",
        help="run under the API (node.workers.batcher.process): settings as a JSON line on stdin, counters as "
        "JSON lines on stdout, stop when stdin closes",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start is noise
    stop = threading.Event()
    if args.supervised:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the API stops us

        settings = settings_from_payload(sys.stdin.readline())
        threading.Thread(target=_stop_at_eof, args=(stop,), name="credreg-batcher-stdin", daemon=True).start()
    else:
        settings = Settings(data_dir=args.data_dir) if args.data_dir else get_settings()
    try:
        node = Node.open(settings, rpc_url=args.rpc_url)
    except RegistryError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    batcher: Batcher | None = None
    try:
        if args.retry_failed is not None:
            reset = retry_failed(node.store, args.retry_failed)
            print(f"reset {len(reset)} failed batches for anchoring: {reset}")
            return 0
        if before_start is not None:
            before_start(node)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if not args.supervised:
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        batcher = Batcher(node)
        batcher.start()
        deadline = time.monotonic() + args.timeout if args.timeout else float("inf")
        next_report = 0.0
        while not stop.wait(0.2):
            if not batcher.running:
                return 3
            if args.supervised and time.monotonic() >= next_report:
                next_report = time.monotonic() + STATS_INTERVAL_S
                if not _report(batcher):
                    return 0  # the API is gone
            if args.until_idle and batcher.idle():
                stats = batcher.stats()
                print(f"idle: {stats.batches_anchored} batches, {stats.credentials_anchored} credentials anchored")
                return 0
            if time.monotonic() > deadline:
                print(f"not idle after {args.timeout:g} s: {batcher.stats()}", file=sys.stderr)
                return 1
        return 0
    except RegistryError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        if batcher is not None:
            batcher.stop()
        node.close()


if __name__ == "__main__":  # pragma: no cover - exercised by the drills as a subprocess
    raise SystemExit(main())
