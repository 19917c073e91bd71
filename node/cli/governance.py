"""k-of-n governance from the command line: ``credreg governance list|show ID|propose TARGET FUNCTION [ARG...]|
approve ID|execute ID`` with the node's governor key."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from node.cli._acts import RpcOpt, act_line, open_node, print_table, show
from node.cli._app import app, friendly, out
from node.cli.accreditation import as_json
from node.services.governance import DEFAULT_TTL_S, GovernanceService, ProposalState, ProposalView

ProposalArg = Annotated[int, typer.Argument(min=1, help="The proposal's id.")]

governance_app = typer.Typer(help="k-of-n governance proposals.", no_args_is_help=True)
app.add_typer(governance_app, name="governance")


@governance_app.command("list")
@friendly
def governance_list(
    state: Annotated[
        ProposalState | None, typer.Option("--state", case_sensitive=False, help="Only proposals in this state.")
    ] = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Proposals, oldest first."""
    with open_node(rpc_url) as node:
        proposals = GovernanceService(node).proposals(state)
    rows = [
        (str(p.id), p.state.value, f"{p.approvals}/{p.threshold}", _call(p), p.deadline.isoformat()) for p in proposals
    ]
    print_table(("id", "state", "approvals", "call", "deadline"), rows, "no proposals")


def _call(proposal: ProposalView) -> str:
    args = ", ".join(f"{k}={v}" for k, v in proposal.args.items())
    return f"{proposal.target}.{proposal.function or '?'}({args})"


@governance_app.command("show")
@friendly
def governanceshow(proposal_id: ProposalArg, rpc_url: RpcOpt = None) -> None:
    """One governance proposal: its call, approvals, deadline and state."""
    with open_node(rpc_url) as node:
        show(as_json(GovernanceService(node).proposal(proposal_id)))


@governance_app.command("propose")
@friendly
def governance_propose(
    target: Annotated[str, typer.Argument(help="registry or governance.")],
    function: Annotated[str, typer.Argument(help="The function, e.g. addGovernor, setThreshold, suspendIssuer.")],
    args: Annotated[
        list[str] | None, typer.Argument(help="Arguments in ABI order (JSON values or plain text).")
    ] = None,
    ttl_s: Annotated[int, typer.Option("--ttl", min=60, help="Seconds until the deadline.")] = DEFAULT_TTL_S,
    rpc_url: RpcOpt = None,
) -> None:
    """Propose a governance call (executed at once when the node's approval already makes k)."""
    values: list[Any] = []
    for raw in args or []:
        try:
            values.append(json.loads(raw))
        except json.JSONDecodeError:
            values.append(raw)
    with open_node(rpc_url) as node:
        act = GovernanceService(node).propose(target, function, values, ttl_s)
    out.print(act_line(act, f"proposal {act.proposal.id if act.proposal else '?'} executed"))


@governance_app.command("approve")
@friendly
def governance_approve(
    proposal_id: ProposalArg,
    execute: Annotated[bool, typer.Option("--execute/--no-execute", help="Execute when this reaches k.")] = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Approve a proposal with the node's governor key."""
    with open_node(rpc_url) as node:
        act = GovernanceService(node).approve(proposal_id, execute=execute)
    if not act.executed and act.proposal is not None:
        out.print(f"approved proposal {proposal_id} ({act.proposal.approvals} of {act.proposal.threshold})")
        return
    out.print(act_line(act, f"approved and executed proposal {proposal_id}"))


@governance_app.command("execute")
@friendly
def governance_execute(proposal_id: ProposalArg, rpc_url: RpcOpt = None) -> None:
    """Execute a proposal that has its k approvals."""
    with open_node(rpc_url) as node:
        act = GovernanceService(node).execute(proposal_id)
    out.print(act_line(act, f"executed proposal {proposal_id}"))
