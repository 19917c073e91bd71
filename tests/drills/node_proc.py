"""The drills' node process: accept credentials for the demo issuer, then run the batcher (node.workers.batcher).

``python -m tests.drills.node_proc --accept N --chunk C [batcher options]``: writes N credentials to the outbox in
chunks of C (one outbox transaction each, then the ``after_accept`` crash point, as the issuance service does after
its write), then runs ``python -m node.workers.batcher`` with the remaining options in this same process.
"""

from __future__ import annotations

import argparse
import sys

from node.faults import AFTER_ACCEPT, crash_point
from node.runtime import Node
from node.workers.batcher.__main__ import main as batcher_main
from tests.drills.chaincheck import new_credentials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.drills.node_proc")
    parser.add_argument("--accept", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=20)
    ours, rest = parser.parse_known_args(argv)

    def accept(node: Node) -> None:
        issuer_id = node.store.list_issuers()[0].id
        for start in range(0, ours.accept, ours.chunk):
            node.store.add_credentials(issuer_id, new_credentials(min(ours.chunk, ours.accept - start)))
            crash_point(AFTER_ACCEPT)

    return batcher_main(rest, before_start=accept)


if __name__ == "__main__":
    sys.exit(main())
