"""The lifecycle of anchored credentials from the command line: ``credreg credentials revoke|suspend|reinstate|
supersede ID --reason N`` and the same for a whole batch, ``credreg batches ... BATCH_ID``."""

from __future__ import annotations

from typing import Annotated

import typer

from node.cli._acts import GovOpt, ReasonOpt, RpcOpt, act_line, open_node
from node.cli._app import app, friendly, out
from node.services.lifecycle import Actor, LifecycleAction, LifecycleResult, LifecycleService

credentials_app = typer.Typer(help="Lifecycle of one anchored credential.", no_args_is_help=True)
batches_app = typer.Typer(help="Lifecycle of a whole anchored batch (its Merkle root).", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")
app.add_typer(batches_app, name="batches")

NoteOpt = Annotated[str | None, typer.Option("--note", help="Kept off chain.")]
CredentialArg = Annotated[str, typer.Argument(help="The credential's id (the uuid of its urn:uuid: id).")]
BatchArg = Annotated[int, typer.Argument(min=1, help="The batch id.")]

HELP = {
    LifecycleAction.REVOKE: "Revoke {what} for good (by its issuer's key, or --governance).",
    LifecycleAction.SUSPEND: "Suspend {what} until reinstated.",
    LifecycleAction.REINSTATE: "Reinstate {what} that was suspended.",
    LifecycleAction.SUPERSEDE: "Supersede {what} by another anchored one of the same issuer (--replacement).",
}


def _lifecycle_line(result: LifecycleResult) -> str:
    what = f"credential {result.credential_id}" if result.credential_id else f"batch {result.batch_id}"
    return act_line(result.act, f"{what}: {result.action.value} done, status now {result.status}")


def _credential_act(
    credential_id: str,
    action: LifecycleAction,
    reason: int,
    note: str | None,
    replacement: str | None,
    governance: bool,
    rpc: str | None,
) -> None:
    with open_node(rpc) as node:
        credential = node.store.get_credential(credential_id)
        actor = Actor.governance() if governance else Actor(credential.issuer_id)
        result = LifecycleService(node).act_on_credential(
            actor, credential_id, action, reason, note=note, replacement_id=replacement
        )
    out.print(_lifecycle_line(result))


def _batch_act(
    batch_id: int,
    action: LifecycleAction,
    reason: int,
    note: str | None,
    replacement: int | None,
    governance: bool,
    rpc: str | None,
) -> None:
    with open_node(rpc) as node:
        batch = node.store.get_batch(batch_id)
        actor = Actor.governance() if governance else Actor(batch.issuer_id)
        result = LifecycleService(node).act_on_batch(
            actor, batch_id, action, reason, note=note, replacement_batch_id=replacement
        )
    out.print(_lifecycle_line(result))


def _simple_commands(action: LifecycleAction) -> None:
    """revoke, suspend and reinstate take the same options for a credential and for a batch."""

    @credentials_app.command(action.value, help=HELP[action].format(what="an anchored credential"))
    @friendly
    def credential_command(
        credential_id: CredentialArg,
        reason: ReasonOpt,
        note: NoteOpt = None,
        governance: GovOpt = False,
        rpc_url: RpcOpt = None,
    ) -> None:
        _credential_act(credential_id, action, reason, note, None, governance, rpc_url)

    @batches_app.command(action.value, help=HELP[action].format(what="every credential of a batch"))
    @friendly
    def batch_command(
        batch_id: BatchArg, reason: ReasonOpt, note: NoteOpt = None, governance: GovOpt = False, rpc_url: RpcOpt = None
    ) -> None:
        _batch_act(batch_id, action, reason, note, None, governance, rpc_url)


for _action in (LifecycleAction.REVOKE, LifecycleAction.SUSPEND, LifecycleAction.REINSTATE):
    _simple_commands(_action)


@credentials_app.command("supersede", help=HELP[LifecycleAction.SUPERSEDE].format(what="a credential"))
@friendly
def credentials_supersede(
    credential_id: CredentialArg,
    reason: ReasonOpt,
    replacement: Annotated[str, typer.Option("--replacement", help="The replacing credential's id.")],
    note: NoteOpt = None,
    governance: GovOpt = False,
    rpc_url: RpcOpt = None,
) -> None:
    _credential_act(credential_id, LifecycleAction.SUPERSEDE, reason, note, replacement, governance, rpc_url)


@batches_app.command("supersede", help=HELP[LifecycleAction.SUPERSEDE].format(what="a whole batch"))
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
