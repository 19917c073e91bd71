"""What the chain-acting commands share: the node they open, the options they take, how they print an act.

Each command opens the node directly (the deployment manifest and store under CREDREG_DATA_DIR, the chain at
--rpc-url / CREDREG_RPC_URL / the running devnet), does one thing, and prints one line (or a table).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from node.cli._app import out
from node.cli.ops import _devnet_url
from node.config import get_settings
from node.errors import ValidationFailedError
from node.runtime import Node
from node.services.governance import ChainAct
from node.services.lifecycle import reason_table

RpcOpt = Annotated[
    str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint (default: CREDREG_RPC_URL or the local devnet).")
]
ReasonOpt = Annotated[int, typer.Option("--reason", help=f"Reason code: {reason_table()}.")]
AccReasonOpt = Annotated[int, typer.Option("--reason", min=0, max=65535, help="Reason code recorded on chain.")]
GovOpt = Annotated[
    bool, typer.Option("--governance", help="Act through governance (the node's governor key proposes).")
]
AdminKeystoreOpt = Annotated[
    str | None, typer.Option("--body-admin-keystore", help="The body admin's keystore, to act as the body.")
]
AtOpt = Annotated[str | None, typer.Option("--at", help="When (ISO 8601, UTC if no offset; default: now).")]


@contextmanager
def open_node(rpc_url: str | None) -> Iterator[Node]:
    settings = get_settings()
    node = Node.open(settings, rpc_url=rpc_url or settings.rpc_url or _devnet_url(settings))
    try:
        yield node
    finally:
        node.close()


def when(text: str | None, what: str = "--at") -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{what}: {text!r} is not an ISO 8601 time (e.g. 2026-11-22T08:00:00Z)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def act_line(act: ChainAct, done: str) -> str:
    if act.executed:
        where = f" (tx {act.tx_hash}, block {act.block_number})" if act.tx_hash else ""
        return f"{done}{where}"
    proposal = act.proposal
    if proposal is None:  # pragma: no cover - a pending act always has its proposal
        return "pending"
    return (
        f"proposed as proposal {proposal.id} ({proposal.approvals} of {proposal.threshold} approvals): other "
        f"governors approve it with `credreg governance approve {proposal.id}` on their nodes"
    )


def show(data: dict[str, Any]) -> None:
    out.print_json(json.dumps(data, default=str))


def print_table(columns: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> None:
    """``rows`` in a table under ``columns``; the sentence ``empty`` when there are none."""
    if not rows:
        out.print(empty)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*row)
    out.print(table)
