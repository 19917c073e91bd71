"""`credreg network`: generate a permissioned Hyperledger Besu QBFT network and change its allowlists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.chain import network as net_mod
from node.chain.network_compose import EXTERNAL_PROFILE
from node.cli._app import app, err, friendly, out

network_app = typer.Typer(
    help="A permissioned Besu QBFT network: write its files (genesis, keys, allowlists, compose) and change them.",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")

DirOpt = Annotated[
    Path,
    typer.Option(
        "--dir",
        help="The network's directory (holds network.json, genesis.json, nodes/ and docker/network/).",
        file_okay=False,
        show_default=False,
    ),
]


def _compose_cmd(directory: Path) -> str:
    return f"docker compose -f {directory / net_mod.COMPOSE}"


def _print_nodes(net: net_mod.Network, directory: Path) -> None:
    for node in net.nodes:
        key = (
            f"key {directory / 'nodes' / node.name / 'data' / 'key'} (0600)"
            if node.key_written
            else "key: brought by its operator (none written)"
        )
        out.print(f"  {node.name:<12} {node.role:<9} {node.ip:<14} {node.address}  {key}", highlight=False)


@network_app.command("init")
@friendly
def network_init(
    directory: DirOpt,
    validators: Annotated[
        int, typer.Option("--validators", help="How many validators (4 tolerate one fault: n >= 3f + 1).", min=1)
    ] = 4,
    chain_id: Annotated[
        int, typer.Option("--chain-id", help="The chain id (pick one no other chain you use has).")
    ] = net_mod.DEFAULT_CHAIN_ID,
    block_period_s: Annotated[int, typer.Option("--block-period-s", help="Seconds between blocks.", min=1)] = 2,
    validator_pubkey: Annotated[
        list[str] | None,
        typer.Option(
            "--validator-pubkey",
            help="A validator whose operator keeps its key: its public key (`besu public-key export`); repeat it. "
            "No private key is written for it; the rest of --validators get keys generated here.",
        ),
    ] = None,
    validator_address: Annotated[
        list[str] | None,
        typer.Option(
            "--validator-address",
            help="The address of each --validator-pubkey, same order, checked against the key (catches a wrong "
            "copy); repeat it.",
        ),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            help="An account allowed to send transactions (the deployer, issuers, relayers); repeat it. "
            "Add more later with `credreg network add-account`.",
        ),
    ] = None,
    subnet: Annotated[
        str, typer.Option("--subnet", help="The compose network's IPv4 subnet (the nodes' fixed addresses).")
    ] = net_mod.DEFAULT_SUBNET,
    rpc_port: Annotated[
        int, typer.Option("--rpc-port", help="Host port of the RPC node, published on 127.0.0.1 only.")
    ] = net_mod.RPC_PORT,
    force: Annotated[
        bool,
        typer.Option("--force", help="Write into a non-empty directory, replacing a network there (keys included)."),
    ] = False,
) -> None:
    """Write a Besu QBFT network: validators and an RPC node, genesis, keys, allowlists and a docker compose file."""
    net = net_mod.init_network(
        directory,
        validators=validators,
        chain_id=chain_id,
        block_period_s=block_period_s,
        validator_pubkeys=validator_pubkey or (),
        validator_addresses=validator_address or (),
        accounts=account or (),
        subnet=subnet,
        rpc_host_port=rpc_port,
        force=force,
    )
    f = net_mod.fault_tolerance(len(net.validators))
    out.print(
        f"[green]wrote[/] a QBFT network in {directory}: chain id {net.chain_id}, {len(net.validators)} validators "
        f"(tolerates {f} faulty), one RPC node, {net.image}",
        highlight=False,
    )
    _print_nodes(net, directory)
    if f == 0:
        err.print("warning: fewer than 4 validators tolerate no fault: one stopped validator halts the chain.")
    if not net.accounts:
        err.print(
            "warning: the accounts-allowlist is empty, so no account can send a transaction yet: "
            "allow the deployer with `credreg network add-account --dir DIR ADDRESS`."
        )
    external = [n.name for n in net.nodes if not n.key_written]
    if external:
        out.print(
            f"validators whose operators hold the key ({', '.join(external)}): copy nodes/<name>/ to that host, put "
            f"the key at nodes/<name>/data/key (mode 0600) and start it there (compose profile {EXTERNAL_PROFILE}).",
            highlight=False,
        )
    out.print("next:", highlight=False)
    out.print(f"  {_compose_cmd(directory)} up -d", highlight=False)
    out.print(
        f"  CREDREG_RPC_URL=http://127.0.0.1:{net.rpc_host_port} CREDREG_CONFIRMATIONS=0 "
        "CREDREG_DEPLOYER_KEY=<an allowed account's key> credreg deploy",
        highlight=False,
    )


@network_app.command("add-validator")
@friendly
def network_add_validator(
    directory: DirOpt,
    pubkey: Annotated[
        str | None,
        typer.Option(
            "--pubkey", help="The new validator's public key, if its operator keeps the key (else generated)."
        ),
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="The address of --pubkey, checked against it.")
    ] = None,
) -> None:
    """Add a validator node to every node's allowlists and the compose file; print the votes that admit it."""
    net, node, votes = net_mod.add_validator(directory, pubkey=pubkey, address=address)
    out.print(f"[green]added[/] {node.name} at {node.ip}, address {node.address}", highlight=False)
    if node.key_written:
        out.print(f"  key {directory / 'nodes' / node.name / 'data' / 'key'} (0600)", highlight=False)
    else:
        out.print(
            f"  its operator puts the key at nodes/{node.name}/data/key on the host that runs it", highlight=False
        )
    out.print(
        "1. every node reads the new allowlists and static nodes at start: restart them one at a time,", highlight=False
    )
    out.print(
        f"   e.g. {_compose_cmd(directory)} restart validator1 (then the next), and start the new one:", highlight=False
    )
    out.print(f"   {_compose_cmd(directory)} up -d {node.name}", highlight=False)
    needed = len(votes) // 2 + 1
    out.print(
        f"2. it becomes a validator once more than half of the current validators ({needed} of {len(votes)}) vote "
        "for it: each of their operators calls qbft_proposeValidatorVote on their own validator's RPC",
        highlight=False,
    )
    out.print(
        f"   (reachable on the compose network only; the image has no curl, so e.g. docker run --rm "
        f"--network credreg-qbft-{net.chain_id}_qbft curlimages/curl):",
        highlight=False,
    )
    for vote in votes:
        out.print(
            f"   {vote.validator}: curl -s -X POST -H 'Content-Type: application/json' --data '{vote.payload}' "
            f"{vote.url}",
            highlight=False,
        )
    out.print(
        '3. check with qbft_getValidatorsByBlockNumber ["latest"], then each voter discards its vote: '
        f'qbft_discardValidatorVote ["{node.address}"]',
        highlight=False,
    )


@network_app.command("add-account")
@friendly
def network_add_account(
    directory: DirOpt,
    addresses: Annotated[
        list[str], typer.Argument(help="Accounts to allow to send transactions (0x addresses).", show_default=False)
    ],
) -> None:
    """Allow accounts to send transactions: adds them to the accounts-allowlist of every node."""
    net, added = net_mod.add_account(directory, addresses)
    if not added:
        out.print("already allowed: nothing changed", highlight=False)
        return
    out.print(f"[green]allowed[/] {', '.join(added)} on all {len(net.nodes)} nodes", highlight=False)
    out.print(
        "running nodes read the allowlist at start: restart them one at a time "
        f"({_compose_cmd(directory)} restart <node>), or call perm_addAccountsToAllowlist on each validator.",
        highlight=False,
    )
