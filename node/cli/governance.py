"""Governance, accreditation and lifecycle from the command line, on the local node (no API server needed).

Each command opens the node directly (the deployment manifest and store under CREDREG_DATA_DIR, the chain at
--rpc-url / CREDREG_RPC_URL / the running devnet), does one thing, and prints one line (or a table). Errors are one
line on stderr and a non-zero exit.

- ``credreg issuers list|show ID|accredit ...|register ID ...|suspend ID|reinstate ID|withdraw ID``
- ``credreg keys add|rotate|cutoff ...`` (next to ``credreg keys new``)
- ``credreg bodies list|show ID|accredit ...|suspend ID|reinstate ID|withdraw ID``
- ``credreg governance list|show ID|propose TARGET FUNCTION [ARG...]|approve ID|execute ID``
- ``credreg credentials revoke|suspend|reinstate|supersede ID --reason N`` and the same for ``credreg batches``
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from node.cli._app import app, friendly, out
from node.cli.keys import keys_app
from node.cli.ops import _devnet_url
from node.config import get_settings
from node.errors import ValidationFailedError
from node.runtime import Node
from node.services.governance import (
    DEFAULT_TTL_S,
    AccreditationAction,
    ChainAct,
    GovernanceService,
    ProposalState,
)
from node.services.lifecycle import Actor, LifecycleAction, LifecycleResult, LifecycleService, reason_table

issuers_app = typer.Typer(
    help="Issuers: list, show, accredit, register, suspend, reinstate, withdraw.", no_args_is_help=True
)
bodies_app = typer.Typer(help="Accreditation bodies (governance acts).", no_args_is_help=True)
governance_app = typer.Typer(help="k-of-n governance proposals.", no_args_is_help=True)
credentials_app = typer.Typer(help="Lifecycle of one anchored credential.", no_args_is_help=True)
batches_app = typer.Typer(help="Lifecycle of a whole anchored batch (its Merkle root).", no_args_is_help=True)
app.add_typer(issuers_app, name="issuers")
app.add_typer(bodies_app, name="bodies")
app.add_typer(governance_app, name="governance")
app.add_typer(credentials_app, name="credentials")
app.add_typer(batches_app, name="batches")

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
def _node(rpc_url: str | None) -> Iterator[Node]:
    settings = get_settings()
    node = Node.open(settings, rpc_url=rpc_url or settings.rpc_url or _devnet_url(settings))
    try:
        yield node
    finally:
        node.close()


def _when(text: str | None, what: str = "--at") -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{what}: {text!r} is not an ISO 8601 time (e.g. 2026-11-22T08:00:00Z)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _act_line(act: ChainAct, done: str) -> str:
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


def _show(data: dict[str, Any]) -> None:
    out.print_json(json.dumps(data, default=str))


# --- issuers -------------------------------------------------------------------------------------------------------


@issuers_app.command("list")
@friendly
def issuers_list(rpc_url: RpcOpt = None) -> None:
    """The issuers registered on this node, with their on-chain status."""
    with _node(rpc_url) as node:
        issuers = GovernanceService(node).issuers()
    if not issuers:
        out.print("no issuers registered on this node")
        return
    table = Table("id", "name", "status", "body", "max level", "signer", "node status")
    for i in issuers:
        table.add_row(str(i.id), i.name or "", i.status, str(i.body_id), str(i.max_level), i.signer_address or "",
                      i.node_status or "")  # fmt: skip
    out.print(table)


@issuers_app.command("show")
@friendly
def issuers_show(issuer_id: Annotated[int, typer.Argument(min=1)], rpc_url: RpcOpt = None) -> None:
    """An issuer: accreditation, credential types, keys and the path governance -> body -> issuer."""
    with _node(rpc_url) as node:
        detail = GovernanceService(node).issuer(issuer_id)
    _show(detail.model_dump(mode="json", by_alias=True))


@issuers_app.command("accredit")
@friendly
def issuers_accredit(
    body_id: Annotated[int, typer.Option("--body", min=1, help="The accreditation body.")],
    name: Annotated[str, typer.Option("--name", help="Display name (kept on this node).")],
    metadata_uri: Annotated[str, typer.Option("--uri", help="DID or https profile (on chain).")],
    signer: Annotated[str, typer.Option("--signer", help="The issuer's signing key address.")],
    types: Annotated[list[str], typer.Option("--type", help="A credential type it may issue (repeat).")],
    max_level: Annotated[int, typer.Option("--max-level", min=1, max=255)],
    keystore: Annotated[str | None, typer.Option("--keystore", help="The signing key's keystore.")] = None,
    valid_from: Annotated[str | None, typer.Option("--valid-from", help="ISO 8601 (default: now).")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="ISO 8601 (default: open).")] = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    api_key: Annotated[bool, typer.Option("--api-key/--no-api-key", help="Mint its first API key.")] = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Accredit an issuer under a body (as the body admin if this node holds its key, else through governance),
    add its signing key, register it on this node and mint its first API key (shown once)."""
    with _node(rpc_url) as node:
        result = GovernanceService(node).accredit_issuer(
            body_id=body_id,
            name=name,
            metadata_uri=metadata_uri,
            signer_address=signer,
            credential_types=types,
            max_level=max_level,
            valid_from=_when(valid_from, "--valid-from"),
            valid_until=_when(valid_until, "--valid-until"),
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
            mint_api_key=api_key,
        )
    if result.issuer_id is None or not result.registered:
        out.print(_act_line(result.act, "accredited") + (f"; {result.next_step}" if result.next_step else ""))
        return
    out.print(_act_line(result.act, f"accredited issuer {result.issuer_id} via {result.act.via.value}"))
    if result.api_key:
        out.print(f"issuer API key (shown once): {result.api_key}", highlight=False, soft_wrap=True)


@issuers_app.command("register")
@friendly
def issuers_register(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    name: Annotated[str, typer.Option("--name")],
    signer: Annotated[str, typer.Option("--signer")],
    keystore: Annotated[str | None, typer.Option("--keystore")] = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    api_key: Annotated[bool, typer.Option("--api-key/--no-api-key")] = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Register an issuer already accredited on chain on this node (adds its signing key on chain if needed)."""
    with _node(rpc_url) as node:
        result = GovernanceService(node).register_issuer(
            issuer_id,
            name=name,
            signer_address=signer,
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
            mint_api_key=api_key,
        )
    if not result.registered:
        out.print(_act_line(result.act, "pending") + (f"; {result.next_step}" if result.next_step else ""))
        return
    out.print(f"registered issuer {issuer_id} on this node")
    if result.api_key:
        out.print(f"issuer API key (shown once): {result.api_key}", highlight=False, soft_wrap=True)


def _issuer_act(
    issuer_id: int, action: AccreditationAction, reason: int, governance: bool, keystore: str | None, rpc: str | None
) -> None:
    with _node(rpc) as node:
        act = GovernanceService(node).issuer_act(
            issuer_id, action, reason, by_governance=governance, body_admin_keystore_path=keystore
        )
    out.print(_act_line(act, f"issuer {issuer_id}: {action.value} done via {act.via.value}"))


@issuers_app.command("suspend")
@friendly
def issuers_suspend(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    reason: AccReasonOpt = 0,
    governance: GovOpt = False,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Suspend an issuer (not retroactive)."""
    _issuer_act(issuer_id, AccreditationAction.SUSPEND, reason, governance, body_admin_keystore, rpc_url)


@issuers_app.command("reinstate")
@friendly
def issuers_reinstate(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    reason: AccReasonOpt = 0,
    governance: GovOpt = False,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Reinstate a suspended issuer."""
    _issuer_act(issuer_id, AccreditationAction.REINSTATE, reason, governance, body_admin_keystore, rpc_url)


@issuers_app.command("withdraw")
@friendly
def issuers_withdraw(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    reason: AccReasonOpt = 0,
    governance: GovOpt = False,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Withdraw an issuer's accreditation for good."""
    _issuer_act(issuer_id, AccreditationAction.WITHDRAW, reason, governance, body_admin_keystore, rpc_url)


# --- keys (added to `credreg keys`, next to `keys new`) -------------------------------------------------------------


@keys_app.command("add")
@friendly
def keys_add(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    address: Annotated[str, typer.Argument(help="The new signing key's address.")],
    keystore: Annotated[str | None, typer.Option("--keystore", help="Its keystore (for signing).")] = None,
    use_for_signing: Annotated[bool, typer.Option("--use-for-signing", help="Anchor with it from now.")] = False,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Add a signing key to an issuer."""
    with _node(rpc_url) as node:
        act = GovernanceService(node).add_key(
            issuer_id,
            address,
            keystore_path=keystore,
            use_for_signing=use_for_signing,
            body_admin_keystore_path=body_admin_keystore,
        )
    out.print(_act_line(act, f"key {address} added to issuer {issuer_id}"))


@keys_app.command("rotate")
@friendly
def keys_rotate(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    old_key: Annotated[str, typer.Argument(help="The key to retire.")],
    new_key: Annotated[str, typer.Argument(help="The key that takes over.")],
    at: AtOpt = None,
    keystore: Annotated[str | None, typer.Option("--keystore", help="The new key's keystore.")] = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Rotate an issuer's signing key: the old key is retired and the new one valid from --at (default now)."""
    with _node(rpc_url) as node:
        act, switched = GovernanceService(node).rotate_key(
            issuer_id,
            old_key,
            new_key,
            switch_at=_when(at),
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
        )
    note = "; this node now signs with the new key" if switched else ""
    out.print(_act_line(act, f"issuer {issuer_id}: {old_key} rotated to {new_key}") + note)


@keys_app.command("cutoff")
@friendly
def keys_cutoff(
    issuer_id: Annotated[int, typer.Argument(min=1)],
    address: Annotated[str, typer.Argument(help="The compromised key.")],
    at: AtOpt = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Declare a key compromised from --at (default now): its anchors from then on become invalid."""
    with _node(rpc_url) as node:
        act = GovernanceService(node).cut_off_key(
            issuer_id, address, cutoff=_when(at), body_admin_keystore_path=body_admin_keystore
        )
    out.print(_act_line(act, f"issuer {issuer_id}: key {address} cut off"))


# --- bodies --------------------------------------------------------------------------------------------------------


@bodies_app.command("list")
@friendly
def bodies_list(rpc_url: RpcOpt = None) -> None:
    """Every accreditation body, with status and scope."""
    with _node(rpc_url) as node:
        bodies = GovernanceService(node).bodies()
    if not bodies:
        out.print("no accreditation bodies yet")
        return
    table = Table("id", "status", "admin", "max level", "types", "metadata")
    for b in bodies:
        names = ", ".join(t.name or t.id[:10] for t in b.credential_types)
        table.add_row(str(b.id), b.status, b.admin, str(b.max_level), names, b.metadata_uri)
    out.print(table)


@bodies_app.command("show")
@friendly
def bodies_show(body_id: Annotated[int, typer.Argument(min=1)], rpc_url: RpcOpt = None) -> None:
    with _node(rpc_url) as node:
        _show(GovernanceService(node).body(body_id).model_dump(mode="json", by_alias=True))


@bodies_app.command("accredit")
@friendly
def bodies_accredit(
    admin: Annotated[str, typer.Option("--admin", help="The account that acts for the body.")],
    types: Annotated[list[str], typer.Option("--type", help="A credential type it may grant (repeat).")],
    max_level: Annotated[int, typer.Option("--max-level", min=1, max=255)],
    metadata_uri: Annotated[str, typer.Option("--uri")],
    valid_from: Annotated[str | None, typer.Option("--valid-from")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until")] = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Accredit a body (proposed by the node's governor key; executed at once when k == 1)."""
    with _node(rpc_url) as node:
        result = GovernanceService(node).accredit_body(
            admin,
            types,
            max_level,
            metadata_uri,
            valid_from=_when(valid_from, "--valid-from"),
            valid_until=_when(valid_until, "--valid-until"),
        )
    out.print(_act_line(result.act, f"accredited body {result.body_id}"))


def _body_act(body_id: int, action: AccreditationAction, reason: int, rpc: str | None) -> None:
    with _node(rpc) as node:
        act = GovernanceService(node).body_act(body_id, action, reason)
    out.print(_act_line(act, f"body {body_id}: {action.value} done"))


@bodies_app.command("suspend")
@friendly
def bodies_suspend(
    body_id: Annotated[int, typer.Argument(min=1)], reason: AccReasonOpt = 0, rpc_url: RpcOpt = None
) -> None:
    """Suspend a body (its issuers stop anchoring; not retroactive)."""
    _body_act(body_id, AccreditationAction.SUSPEND, reason, rpc_url)


@bodies_app.command("reinstate")
@friendly
def bodies_reinstate(
    body_id: Annotated[int, typer.Argument(min=1)], reason: AccReasonOpt = 0, rpc_url: RpcOpt = None
) -> None:
    _body_act(body_id, AccreditationAction.REINSTATE, reason, rpc_url)


@bodies_app.command("withdraw")
@friendly
def bodies_withdraw(
    body_id: Annotated[int, typer.Argument(min=1)], reason: AccReasonOpt = 0, rpc_url: RpcOpt = None
) -> None:
    _body_act(body_id, AccreditationAction.WITHDRAW, reason, rpc_url)


# --- governance ----------------------------------------------------------------------------------------------------


@governance_app.command("list")
@friendly
def governance_list(
    state: Annotated[ProposalState | None, typer.Option("--state", case_sensitive=False)] = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Proposals, oldest first."""
    with _node(rpc_url) as node:
        proposals = GovernanceService(node).proposals(state)
    if not proposals:
        out.print("no proposals")
        return
    table = Table("id", "state", "approvals", "call", "deadline")
    for p in proposals:
        args = ", ".join(f"{k}={v}" for k, v in p.args.items())
        table.add_row(str(p.id), p.state.value, f"{p.approvals}/{p.threshold}",
                      f"{p.target}.{p.function or '?'}({args})", p.deadline.isoformat())  # fmt: skip
    out.print(table)


@governance_app.command("show")
@friendly
def governance_show(proposal_id: Annotated[int, typer.Argument(min=1)], rpc_url: RpcOpt = None) -> None:
    with _node(rpc_url) as node:
        _show(GovernanceService(node).proposal(proposal_id).model_dump(mode="json", by_alias=True))


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
    with _node(rpc_url) as node:
        act = GovernanceService(node).propose(target, function, values, ttl_s)
    out.print(_act_line(act, f"proposal {act.proposal.id if act.proposal else '?'} executed"))


@governance_app.command("approve")
@friendly
def governance_approve(
    proposal_id: Annotated[int, typer.Argument(min=1)],
    execute: Annotated[bool, typer.Option("--execute/--no-execute", help="Execute when this reaches k.")] = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Approve a proposal with the node's governor key."""
    with _node(rpc_url) as node:
        act = GovernanceService(node).approve(proposal_id, execute=execute)
    if not act.executed and act.proposal is not None:
        out.print(f"approved proposal {proposal_id} ({act.proposal.approvals} of {act.proposal.threshold})")
        return
    out.print(_act_line(act, f"approved and executed proposal {proposal_id}"))


@governance_app.command("execute")
@friendly
def governance_execute(proposal_id: Annotated[int, typer.Argument(min=1)], rpc_url: RpcOpt = None) -> None:
    """Execute a proposal that has its k approvals."""
    with _node(rpc_url) as node:
        act = GovernanceService(node).execute(proposal_id)
    out.print(_act_line(act, f"executed proposal {proposal_id}"))


# --- credential and batch lifecycle --------------------------------------------------------------------------------


def _lifecycle_line(result: LifecycleResult) -> str:
    what = f"credential {result.credential_id}" if result.credential_id else f"batch {result.batch_id}"
    return _act_line(result.act, f"{what}: {result.action.value} done, status now {result.status}")


def _credential_act(
    credential_id: str,
    action: LifecycleAction,
    reason: int,
    note: str | None,
    replacement: str | None,
    governance: bool,
    rpc: str | None,
) -> None:
    with _node(rpc) as node:
        credential = node.store.get_credential(credential_id)
        actor = Actor.governance() if governance else Actor(credential.issuer_id)
        result = LifecycleService(node).act_on_credential(
            actor, credential_id, action, reason, note=note, replacement_id=replacement
        )
    out.print(_lifecycle_line(result))


NoteOpt = Annotated[str | None, typer.Option("--note", help="Kept off chain.")]


@credentials_app.command("revoke")
@friendly
def credentials_revoke(
    credential_id: str, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    """Revoke an anchored credential for good (by its issuer's key, or --governance)."""
    _credential_act(credential_id, LifecycleAction.REVOKE, reason, note, None, governance, rpc_url)


@credentials_app.command("suspend")
@friendly
def credentials_suspend(
    credential_id: str, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    """Suspend an anchored credential until reinstated."""
    _credential_act(credential_id, LifecycleAction.SUSPEND, reason, note, None, governance, rpc_url)


@credentials_app.command("reinstate")
@friendly
def credentials_reinstate(
    credential_id: str, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    """Reinstate a suspended credential."""
    _credential_act(credential_id, LifecycleAction.REINSTATE, reason, note, None, governance, rpc_url)


@credentials_app.command("supersede")
@friendly
def credentials_supersede(
    credential_id: str,
    reason: ReasonOpt,
    replacement: Annotated[str, typer.Option("--replacement", help="The replacing credential's id.")],
    note: NoteOpt = None,
    governance: GovOpt = False,
    rpc_url: RpcOpt = None,
) -> None:
    """Supersede a credential by another anchored credential of the same issuer."""
    _credential_act(credential_id, LifecycleAction.SUPERSEDE, reason, note, replacement, governance, rpc_url)


def _batch_act(
    batch_id: int,
    action: LifecycleAction,
    reason: int,
    note: str | None,
    replacement: int | None,
    governance: bool,
    rpc: str | None,
) -> None:
    with _node(rpc) as node:
        batch = node.store.get_batch(batch_id)
        actor = Actor.governance() if governance else Actor(batch.issuer_id)
        result = LifecycleService(node).act_on_batch(
            actor, batch_id, action, reason, note=note, replacement_batch_id=replacement
        )
    out.print(_lifecycle_line(result))


BatchArg = Annotated[int, typer.Argument(min=1, help="The batch id.")]


@batches_app.command("revoke")
@friendly
def batches_revoke(
    batch_id: BatchArg, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    """Revoke every credential of a batch for good."""
    _batch_act(batch_id, LifecycleAction.REVOKE, reason, note, None, governance, rpc_url)


@batches_app.command("suspend")
@friendly
def batches_suspend(
    batch_id: BatchArg, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    _batch_act(batch_id, LifecycleAction.SUSPEND, reason, note, None, governance, rpc_url)


@batches_app.command("reinstate")
@friendly
def batches_reinstate(
    batch_id: BatchArg, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
) -> None:
    _batch_act(batch_id, LifecycleAction.REINSTATE, reason, note, None, governance, rpc_url)


@batches_app.command("supersede")
@friendly
def batches_supersede(
    batch_id: BatchArg,
    reason: ReasonOpt,
    replacement: Annotated[int, typer.Option("--replacement", min=1, help="The replacing batch's id.")],
    note: NoteOpt = None,
    governance: GovOpt = False,
    rpc_url: RpcOpt = None,
) -> None:
    _batch_act(batch_id, LifecycleAction.SUPERSEDE, reason, note, replacement, governance, rpc_url)
