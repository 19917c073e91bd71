"""Accreditation from the command line: issuers, their signing keys, accreditation bodies.

- ``credreg issuers list|show ID|accredit ...|register ID ...|suspend ID|reinstate ID|withdraw ID``
- ``credreg keys add|rotate|cutoff ...`` (next to ``credreg keys new``)
- ``credreg bodies list|show ID|accredit ...|suspend ID|reinstate ID|withdraw ID``
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Annotated, Any

import typer
from pydantic.alias_generators import to_camel
from pydantic_core import to_jsonable_python

from node.cli._acts import (
    AccReasonOpt,
    AdminKeystoreOpt,
    AtOpt,
    GovOpt,
    RpcOpt,
    act_line,
    open_node,
    print_table,
    show,
    when,
)
from node.cli._app import app, friendly, out
from node.cli.keys import keys_app
from node.services.governance import AccreditationAction, GovernanceService

issuers_app = typer.Typer(
    help="Issuers: list, show, accredit, register, suspend, reinstate, withdraw.", no_args_is_help=True
)
bodies_app = typer.Typer(help="Accreditation bodies (governance acts).", no_args_is_help=True)
app.add_typer(issuers_app, name="issuers")
app.add_typer(bodies_app, name="bodies")


def as_json(value: object) -> Any:
    """A service's frozen value as JSON, as the API shows it: camelCase field names, times in ISO 8601, enums by
    value (a mapping's own keys, e.g. a proposal's decoded arguments, stay as they are)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {to_camel(f.name): as_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return to_jsonable_python(value)


IssuerArg = Annotated[int, typer.Argument(min=1, help="The issuer's id.")]
BodyArg = Annotated[int, typer.Argument(min=1, help="The body's id.")]
NameOpt = Annotated[str, typer.Option("--name", help="Display name (kept on this node).")]
ValidFromOpt = Annotated[str | None, typer.Option("--valid-from", help="ISO 8601 (default: now).")]
ValidUntilOpt = Annotated[str | None, typer.Option("--valid-until", help="ISO 8601 (default: open).")]
MintKeyOpt = Annotated[bool, typer.Option("--api-key/--no-api-key", help="Mint its first API key.")]

# --- issuers -------------------------------------------------------------------------------------------------------


@issuers_app.command("list")
@friendly
def issuers_list(rpc_url: RpcOpt = None) -> None:
    """The issuers registered on this node, with their on-chain status."""
    with open_node(rpc_url) as node:
        issuers = GovernanceService(node).issuers()
    rows = [
        (str(i.id), i.name or "", i.status, str(i.body_id), str(i.max_level), i.signer_address or "",
         i.node_status or "")
        for i in issuers
    ]  # fmt: skip
    columns = ("id", "name", "status", "body", "max level", "signer", "node status")
    print_table(columns, rows, "no issuers registered on this node")


@issuers_app.command("show")
@friendly
def issuersshow(issuer_id: IssuerArg, rpc_url: RpcOpt = None) -> None:
    """An issuer: accreditation, credential types, keys and the path governance -> body -> issuer."""
    with open_node(rpc_url) as node:
        detail = GovernanceService(node).issuer(issuer_id)
    show(as_json(detail))


@issuers_app.command("accredit")
@friendly
def issuers_accredit(
    body_id: Annotated[int, typer.Option("--body", min=1, help="The accreditation body.")],
    name: NameOpt,
    metadata_uri: Annotated[str, typer.Option("--uri", help="DID or https profile (on chain).")],
    signer: Annotated[str, typer.Option("--signer", help="The issuer's signing key address.")],
    types: Annotated[list[str], typer.Option("--type", help="A credential type it may issue (repeat).")],
    max_level: Annotated[
        int, typer.Option("--max-level", min=1, max=255, help="Highest NQF level it may issue (within the body's).")
    ],
    keystore: Annotated[str | None, typer.Option("--keystore", help="The signing key's keystore.")] = None,
    valid_from: ValidFromOpt = None,
    valid_until: ValidUntilOpt = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    api_key: MintKeyOpt = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Accredit an issuer under a body (as the body admin if this node holds its key, else through governance),
    add its signing key, register it on this node and mint its first API key (shown once)."""
    with open_node(rpc_url) as node:
        result = GovernanceService(node).accredit_issuer(
            body_id=body_id,
            name=name,
            metadata_uri=metadata_uri,
            signer_address=signer,
            credential_types=types,
            max_level=max_level,
            valid_from=when(valid_from, "--valid-from"),
            valid_until=when(valid_until, "--valid-until"),
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
            mint_api_key=api_key,
        )
    if result.issuer_id is None or not result.registered:
        out.print(act_line(result.act, "accredited") + (f"; {result.next_step}" if result.next_step else ""))
        return
    out.print(act_line(result.act, f"accredited issuer {result.issuer_id} via {result.act.via.value}"))
    if result.api_key:
        out.print(f"issuer API key (shown once): {result.api_key}", highlight=False, soft_wrap=True)


@issuers_app.command("register")
@friendly
def issuers_register(
    issuer_id: IssuerArg,
    name: NameOpt,
    signer: Annotated[str, typer.Option("--signer", help="The issuer's signing key address (accredited on chain).")],
    keystore: Annotated[str | None, typer.Option("--keystore", help="The signing key's keystore.")] = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    api_key: MintKeyOpt = True,
    rpc_url: RpcOpt = None,
) -> None:
    """Register an issuer already accredited on chain on this node (adds its signing key on chain if needed)."""
    with open_node(rpc_url) as node:
        result = GovernanceService(node).register_issuer(
            issuer_id,
            name=name,
            signer_address=signer,
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
            mint_api_key=api_key,
        )
    if not result.registered:
        out.print(act_line(result.act, "pending") + (f"; {result.next_step}" if result.next_step else ""))
        return
    out.print(f"registered issuer {issuer_id} on this node")
    if result.api_key:
        out.print(f"issuer API key (shown once): {result.api_key}", highlight=False, soft_wrap=True)


def _issuer_act_command(action: AccreditationAction, text: str) -> None:
    @issuers_app.command(action.value, help=text)
    @friendly
    def command(
        issuer_id: IssuerArg,
        reason: AccReasonOpt = 0,
        governance: GovOpt = False,
        body_admin_keystore: AdminKeystoreOpt = None,
        rpc_url: RpcOpt = None,
    ) -> None:
        with open_node(rpc_url) as node:
            act = GovernanceService(node).issuer_act(
                issuer_id, action, reason, by_governance=governance, body_admin_keystore_path=body_admin_keystore
            )
        out.print(act_line(act, f"issuer {issuer_id}: {action.value} done via {act.via.value}"))


for _action, _text in (
    (AccreditationAction.SUSPEND, "Suspend an issuer (not retroactive: what it anchored before stays valid)."),
    (AccreditationAction.REINSTATE, "Reinstate a suspended issuer."),
    (AccreditationAction.WITHDRAW, "Withdraw an issuer's accreditation for good."),
):
    _issuer_act_command(_action, _text)


# --- keys (added to `credreg keys`, next to `keys new`) -------------------------------------------------------------


@keys_app.command("add")
@friendly
def keys_add(
    issuer_id: IssuerArg,
    address: Annotated[str, typer.Argument(help="The new signing key's address.")],
    keystore: Annotated[str | None, typer.Option("--keystore", help="Its keystore (for signing).")] = None,
    use_for_signing: Annotated[bool, typer.Option("--use-for-signing", help="Anchor with it from now.")] = False,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Add a signing key to an issuer."""
    with open_node(rpc_url) as node:
        act = GovernanceService(node).add_key(
            issuer_id,
            address,
            keystore_path=keystore,
            use_for_signing=use_for_signing,
            body_admin_keystore_path=body_admin_keystore,
        )
    out.print(act_line(act, f"key {address} added to issuer {issuer_id}"))


@keys_app.command("rotate")
@friendly
def keys_rotate(
    issuer_id: IssuerArg,
    old_key: Annotated[str, typer.Argument(help="The key to retire.")],
    new_key: Annotated[str, typer.Argument(help="The key that takes over.")],
    at: AtOpt = None,
    keystore: Annotated[str | None, typer.Option("--keystore", help="The new key's keystore.")] = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Rotate an issuer's signing key: the old key is retired and the new one valid from --at (default now)."""
    with open_node(rpc_url) as node:
        act, switched = GovernanceService(node).rotate_key(
            issuer_id,
            old_key,
            new_key,
            switch_at=when(at),
            keystore_path=keystore,
            body_admin_keystore_path=body_admin_keystore,
        )
    note = "; this node now signs with the new key" if switched else ""
    out.print(act_line(act, f"issuer {issuer_id}: {old_key} rotated to {new_key}") + note)


@keys_app.command("cutoff")
@friendly
def keys_cutoff(
    issuer_id: IssuerArg,
    address: Annotated[str, typer.Argument(help="The compromised key.")],
    at: AtOpt = None,
    body_admin_keystore: AdminKeystoreOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Declare a key compromised from --at (default now): its anchors from then on become invalid."""
    with open_node(rpc_url) as node:
        act = GovernanceService(node).cut_off_key(
            issuer_id, address, cutoff=when(at), body_admin_keystore_path=body_admin_keystore
        )
    out.print(act_line(act, f"issuer {issuer_id}: key {address} cut off"))


# --- bodies --------------------------------------------------------------------------------------------------------


@bodies_app.command("list")
@friendly
def bodies_list(rpc_url: RpcOpt = None) -> None:
    """Every accreditation body, with status and scope."""
    with open_node(rpc_url) as node:
        bodies = GovernanceService(node).bodies()
    rows = [
        (str(b.id), b.status, b.admin, str(b.max_level), ", ".join(t.name or t.id[:10] for t in b.credential_types),
         b.metadata_uri)
        for b in bodies
    ]  # fmt: skip
    print_table(("id", "status", "admin", "max level", "types", "metadata"), rows, "no accreditation bodies yet")


@bodies_app.command("show")
@friendly
def bodiesshow(body_id: BodyArg, rpc_url: RpcOpt = None) -> None:
    """One accreditation body as the chain records it (admin, scope, level, window, status)."""
    with open_node(rpc_url) as node:
        show(as_json(GovernanceService(node).body(body_id)))


@bodies_app.command("accredit")
@friendly
def bodies_accredit(
    admin: Annotated[str, typer.Option("--admin", help="The account that acts for the body.")],
    types: Annotated[list[str], typer.Option("--type", help="A credential type it may grant (repeat).")],
    max_level: Annotated[
        int, typer.Option("--max-level", min=1, max=255, help="Highest NQF level the body may accredit issuers for.")
    ],
    metadata_uri: Annotated[str, typer.Option("--uri", help="DID or https profile of the body (on chain).")],
    valid_from: ValidFromOpt = None,
    valid_until: ValidUntilOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Accredit a body (proposed by the node's governor key; executed at once when k == 1)."""
    with open_node(rpc_url) as node:
        result = GovernanceService(node).accredit_body(
            admin,
            types,
            max_level,
            metadata_uri,
            valid_from=when(valid_from, "--valid-from"),
            valid_until=when(valid_until, "--valid-until"),
        )
    out.print(act_line(result.act, f"accredited body {result.body_id}"))


def _body_act_command(action: AccreditationAction, text: str) -> None:
    @bodies_app.command(action.value, help=text)
    @friendly
    def command(body_id: BodyArg, reason: AccReasonOpt = 0, rpc_url: RpcOpt = None) -> None:
        with open_node(rpc_url) as node:
            act = GovernanceService(node).body_act(body_id, action, reason)
        out.print(act_line(act, f"body {body_id}: {action.value} done"))


for _action, _text in (
    (AccreditationAction.SUSPEND, "Suspend a body (its issuers stop anchoring; not retroactive)."),
    (AccreditationAction.REINSTATE, "Reinstate a suspended body."),
    (AccreditationAction.WITHDRAW, "Withdraw a body's accreditation for good (its issuers can no longer anchor)."),
):
    _body_act_command(_action, _text)
