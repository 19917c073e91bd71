"""Key commands: `credreg keys new` (an encrypted signing keystore), `credreg keys fund` (DEVNET ONLY: ETH for a key)
and `credreg apikeys` (the node's API keys).

`apikeys` works on the local store (CREDREG_DATA_DIR / CREDREG_DATABASE_URL): it is an operator command, run on the
node's host. A new API key is printed once, alone on stdout (so `KEY=$(credreg apikeys create ...)` works); the store
keeps only its hash. Passphrases are read hidden and never printed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.table import Table
from web3 import Web3

from node.chain.keystore import new_keystore, passphrase_from
from node.chain.signers import DEV_FUNDING_WEI
from node.cli._acts import RpcOpt, open_node
from node.cli._app import app, err, friendly, out
from node.config import get_settings
from node.errors import ValidationFailedError
from node.store import ApiKeyInfo, ApiKeyRole, Store

keys_app = typer.Typer(help="Encrypted signing keys (Web3 Secret Storage v3 keystores).", no_args_is_help=True)
apikeys_app = typer.Typer(
    help="API keys of this node (operator commands on the node's own store).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
app.add_typer(apikeys_app, name="apikeys")


# --- keys -----------------------------------------------------------------------------------------------------------


@keys_app.command("new")
@friendly
def keys_new(
    path: Annotated[Path, typer.Argument(help="Where to write the keystore (must not exist yet).", show_default=False)],
) -> None:
    """Create a fresh signing key in an encrypted keystore and print its address.

    The passphrase comes from CREDREG_KEYSTORE_PASSPHRASE or CREDREG_KEYSTORE_PASSPHRASE_FILE; when neither is set
    it is asked for twice, hidden.
    """
    settings = get_settings()
    if settings.keystore_passphrase is None and settings.keystore_passphrase_file is None:
        passphrase = SecretStr(
            typer.prompt("Passphrase for the new keystore", hide_input=True, confirmation_prompt=True)
        )
    else:
        passphrase = passphrase_from(settings)
    address = new_keystore(path, passphrase)
    err.print(f"created keystore {path} (encrypted: keep the passphrase and a backup of the file safe)")
    out.print(address, highlight=False)


def _wei(eth: str) -> int:
    try:
        amount = Decimal(eth)
    except InvalidOperation:
        raise ValidationFailedError(f"--eth: {eth!r} is not a number of ETH (e.g. 1 or 0.5).") from None
    wei = amount * 10**18
    if not amount.is_finite() or wei <= 0 or wei != wei.to_integral_value():
        raise ValidationFailedError(f"--eth: {eth} is not a positive amount of ETH in whole wei (e.g. 1 or 0.5).")
    return int(wei)


@keys_app.command("fund")
@friendly
def keys_fund(
    address: Annotated[str, typer.Argument(help="The account to fund (an issuer's signing key).", show_default=False)],
    eth: Annotated[str, typer.Option("--eth", help="How much ETH to send.")] = str(DEV_FUNDING_WEI // 10**18),
    rpc_url: RpcOpt = None,
) -> None:
    """DEVNET ONLY: send ETH to ADDRESS from the devnet's dev account 0 (an issuer key without funds stalls its
    anchoring). Refused on any other chain: fund the account from one of that network's accounts."""
    if not Web3.is_address(address):
        raise ValidationFailedError(f"{address!r} is not an account address (0x and 40 hex digits).")
    wei = _wei(eth)
    with open_node(rpc_url) as node:
        tx_hash = node.signers.fund(address, wei)
        balance = int(node.w3.eth.get_balance(Web3.to_checksum_address(address)))
    out.print(
        f"funded {Web3.to_checksum_address(address)} with {eth} ETH from the devnet's dev account 0 (tx {tx_hash}); "
        f"it holds {Decimal(balance) / 10**18:f} ETH",
        highlight=False,
        soft_wrap=True,
    )


# --- apikeys --------------------------------------------------------------------------------------------------------


def _store() -> Store:
    store = Store.from_settings(get_settings())
    store.migrate()
    return store


def _describe(info: ApiKeyInfo) -> str:
    owner = f", issuer {info.issuer_id}" if info.issuer_id is not None else ""
    label = f", label '{info.label}'" if info.label else ""
    return f"key {info.id} ({info.prefix}…, role {info.role.value}{owner}{label})"


@apikeys_app.command("create")
@friendly
def apikeys_create(
    role: Annotated[ApiKeyRole, typer.Option("--role", help="What the key may do.", case_sensitive=False)],
    issuer_id: Annotated[
        int | None, typer.Option("--issuer-id", help="The issuer an issuer key acts for (on-chain id).")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A note to recognise the key by.")] = "",
) -> None:
    """Create an API key and show it once (only its hash is stored)."""
    store = _store()
    try:
        key = store.create_api_key(role, issuer_id, label)
        principal = store.authenticate(key)
    finally:
        store.close()
    key_id = principal.key_id if principal is not None else "?"
    owner = f" for issuer {issuer_id}" if issuer_id is not None else ""
    err.print(
        f"created API key {key_id} (role {role.value}{owner}). It is shown only this once: store it now "
        "(send it as 'Authorization: Bearer <key>')."
    )
    out.print(key, highlight=False, soft_wrap=True)


@apikeys_app.command("list")
@friendly
def apikeys_list(
    issuer_id: Annotated[int | None, typer.Option("--issuer-id", help="Only this issuer's keys.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked keys.")] = False,
) -> None:
    """List API keys (never the keys themselves: their first characters only)."""
    store = _store()
    try:
        keys = store.list_api_keys(issuer_id, include_revoked=not active)
    finally:
        store.close()
    if not keys:
        out.print("no API keys")
        return
    table = Table("id", "prefix", "role", "issuer", "label", "created", "revoked")
    for info in keys:
        table.add_row(
            str(info.id),
            info.prefix + "…",
            info.role.value,
            str(info.issuer_id) if info.issuer_id is not None else "",
            info.label,
            info.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            info.revoked_at.strftime("%Y-%m-%d %H:%M:%SZ") if info.revoked_at else "",
        )
    out.print(table)


@apikeys_app.command("revoke")
@friendly
def apikeys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `credreg apikeys list`).")]) -> None:
    """Revoke an API key: it stops working at once (revoking twice is harmless)."""
    store = _store()
    try:
        info = store.revoke_api_key(key_id)
    finally:
        store.close()
    when = info.revoked_at.strftime("%Y-%m-%d %H:%M:%SZ") if info.revoked_at else "now"
    out.print(f"revoked {_describe(info)} at {when}")
