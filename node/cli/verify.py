"""`credreg verify` and `credreg checkpoint create`: verification with no service running, online or fully offline.

- ``credreg verify FILE... [--rpc-url URL] [--registry ADDR] [--chain-id N] [--json]`` asks any JSON-RPC node.
  Trust is the given chain id and registry; when not given, the bundle's own (said plainly: that only shows the bundle
  is consistent with the registry it names).
- ``credreg checkpoint create BUNDLE... --rpc-url URL --out FILE [--key KEYSTORE]`` records and signs what the chain
  says about the bundles at one block.
- ``credreg verify FILE... --checkpoint CP --trust-signer ADDR`` verifies from that file alone: no network at all.

Exit status: 0 every bundle is valid, 3 at least one is not, 1 the verification itself could not be done.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from rich.markup import escape

from node.chain.client import connect
from node.chain.health import chain_id as chain_id_of
from node.chain.keystore import load_key, passphrase_from
from node.chain.registry import RegistryClient
from node.cli._app import app, err, friendly, out
from node.config import DEVNET_CHAIN_ID, Settings, get_settings
from node.credentials.reader import read_bundle
from node.errors import ChainMismatchError, ConfigurationError, ValidationFailedError
from node.readmodel.chainview import RpcChainView
from node.readmodel.checkpoint import Checkpoint, create_checkpoint, load_checkpoint, verify_offline
from node.runtime import rpc_url_of
from node.services.verification import CheckStatus, Verdict, VerificationService

checkpoint_app = typer.Typer(
    help="Signed checkpoints of the chain, for verification with no network.", no_args_is_help=True
)
app.add_typer(checkpoint_app, name="checkpoint")

EXIT_INVALID = 3
"""`credreg verify` exit status when a bundle is not valid (1 is kept for "could not verify at all")."""

FilesArg = Annotated[list[Path], typer.Argument(help="Credential bundle file(s) (.json).", exists=True, dir_okay=False)]
RpcOpt = Annotated[
    str | None,
    typer.Option("--rpc-url", help="JSON-RPC endpoint of the chain (default: CREDREG_RPC_URL or the devnet)."),
]
RegistryOpt = Annotated[
    str | None, typer.Option("--registry", help="The registry address you trust (default: the one the bundle names).")
]
ChainOpt = Annotated[
    int | None, typer.Option("--chain-id", help="The chain id you trust (default: the one the bundle names).")
]


@app.command("verify")
@friendly
def verify_cmd(
    files: FilesArg,
    rpc_url: RpcOpt = None,
    registry: RegistryOpt = None,
    chain_id: ChainOpt = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Verify offline from this signed checkpoint (no network).", dir_okay=False),
    ] = None,
    trust_signer: Annotated[
        str | None, typer.Option("--trust-signer", help="The address whose checkpoints you trust (with --checkpoint).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
) -> None:
    """Verify credential bundle(s) against the chain, or offline against a signed checkpoint."""
    texts = [_read(f) for f in files]
    if checkpoint is not None:
        report = _verify_offline(files, texts, checkpoint, trust_signer, registry, chain_id, rpc_url is not None)
    else:
        if trust_signer is not None:
            raise ValidationFailedError("--trust-signer only goes with --checkpoint; give both, or neither.")
        report = _verify_online(files, texts, rpc_url, registry, chain_id)
    if as_json:
        typer.echo(json.dumps(report, indent=1))
    else:
        _print(report)
    if not all(r["verdict"]["valid"] for r in report["results"]):
        raise typer.Exit(EXIT_INVALID)


@checkpoint_app.command("create")
@friendly
def checkpoint_create_cmd(
    files: FilesArg,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the signed checkpoint.", dir_okay=False)],
    rpc_url: RpcOpt = None,
    registry: RegistryOpt = None,
    chain_id: ChainOpt = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Keystore of the signing key (passphrase: CREDREG_KEYSTORE_PASSPHRASE[_FILE]).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Record what the chain says about these bundles at the latest block, signed so it can be verified offline."""
    settings = get_settings()
    texts = [_read(f) for f in files]
    url = rpc_url or rpc_url_of(settings)
    trust_chain, trust_registry, _ = _trust(texts[0], registry, chain_id)
    view = _rpc_view(settings, url, trust_chain, trust_registry)
    account, note = _signing_key(settings, key, view.chain_id)
    cp, verdicts = create_checkpoint(view, texts, account)
    out_file.write_text(cp.to_json())
    block = cp.block
    out.print(
        f"checkpoint of {len(texts)} bundle(s) at block {block.number} ({_when(block.timestamp)}, hash {block.hash}) "
        f"on chain {cp.chain_id}, registry {cp.registry}, signed by {cp.signer}{note}; written to {out_file}",
        highlight=False,
    )
    for path, verdict in zip(files, verdicts, strict=True):
        mark = "[green]VALID[/]" if verdict.valid else "[red]NOT VALID[/]"
        out.print(f"  {mark} {escape(str(path))}: {escape(verdict.summary)}", highlight=False)
    out.print(
        f"verify offline with: credreg verify BUNDLE --checkpoint {out_file} --trust-signer {cp.signer}",
        highlight=False,
    )


# --- online and offline ---------------------------------------------------------------------------------------


def _verify_online(
    files: list[Path], texts: list[str], rpc_url: str | None, registry: str | None, chain_id: int | None
) -> dict[str, Any]:
    settings = get_settings()
    url = rpc_url or rpc_url_of(settings)
    results: list[dict[str, Any]] = []
    views: dict[tuple[int, str], RpcChainView] = {}
    trusts: list[dict[str, Any]] = []
    for path, text in zip(files, texts, strict=True):
        trust_chain, trust_registry, source = _trust(text, registry, chain_id)
        key = (trust_chain, trust_registry.lower())
        if key not in views:
            views[key] = _rpc_view(settings, url, trust_chain, trust_registry)
            trusts.append({"chainId": trust_chain, "registry": views[key].registry_address, "source": source})
        view = views[key]
        verdict = VerificationService(view, view.chain_id, view.registry_address).verify(text)
        results.append({"file": str(path), "trust": source, "verdict": _dump(verdict)})
    return {"mode": "online", "rpcUrl": url, "trust": trusts, "checkpoint": None, "results": results}


def _verify_offline(
    files: list[Path],
    texts: list[str],
    checkpoint_path: Path,
    trust_signer: str | None,
    registry: str | None,
    chain_id: int | None,
    rpc_given: bool,
) -> dict[str, Any]:
    if trust_signer is None:
        raise ValidationFailedError(
            "--checkpoint needs --trust-signer ADDR: the address whose checkpoints you trust (a checkpoint is only "
            "as good as its signer)."
        )
    cp = load_checkpoint(_read(checkpoint_path, "checkpoint"), trust_signer)
    if chain_id is not None and chain_id != cp.chain_id:
        raise ChainMismatchError(f"the checkpoint is of chain {cp.chain_id}, not chain {chain_id} that you trust.")
    if registry is not None and registry.lower() != cp.registry.lower():
        raise ChainMismatchError(f"the checkpoint is of registry {cp.registry}, not {registry} that you trust.")
    if rpc_given:
        err.print("note: --rpc-url is ignored: verifying offline from the checkpoint, with no network.")
    verdicts = verify_offline(texts, cp)
    results = [
        {"file": str(p), "trust": "checkpoint", "verdict": _dump(v)} for p, v in zip(files, verdicts, strict=True)
    ]
    return {
        "mode": "offline",
        "rpcUrl": None,
        "trust": [{"chainId": cp.chain_id, "registry": cp.registry, "source": "checkpoint"}],
        "checkpoint": _checkpoint_info(cp),
        "results": results,
    }


def _checkpoint_info(cp: Checkpoint) -> dict[str, Any]:
    block = cp.block
    return {
        "signer": cp.signer,
        "block": {"number": block.number, "hash": block.hash, "timestamp": block.timestamp},
        "ageSeconds": cp.age_s(),
        "statement": cp.statement(),
    }


def _trust(text: str, registry: str | None, chain_id: int | None) -> tuple[int, str, str]:
    """(chain id, registry, where they come from): the given ones, or else the bundle's own."""
    if registry is not None and chain_id is not None:
        return chain_id, registry, "given with --registry/--chain-id"
    anchor = read_bundle(text, disclosure=False).proof.anchor  # the verdict judges the disclosure
    if anchor is None:
        raise ValidationFailedError(
            "the bundle has no anchor (it was never anchored), so it names no chain or registry: ask the issuer for "
            "the bundle issued after anchoring."
        )
    if registry is not None:
        return anchor.chain_id if chain_id is None else chain_id, registry, "given with --registry"
    source = "taken from the bundle itself"
    return (anchor.chain_id if chain_id is None else chain_id), anchor.registry, source


def _rpc_view(settings: Settings, url: str, chain_id: int, registry: str) -> RpcChainView:
    w3 = connect(url, settings.rpc_timeout_s)
    answering = chain_id_of(w3)
    if answering != chain_id:
        raise ChainMismatchError(
            f"the RPC at {url} serves chain {answering}, not chain {chain_id}: point --rpc-url at a node of chain "
            f"{chain_id} (or pass the --chain-id you trust)."
        )
    return RpcChainView(RegistryClient.for_registry(w3, registry, settings.artifacts_dir))


def _signing_key(settings: Settings, keystore: Path | None, chain_id: int) -> tuple[LocalAccount, str]:
    if keystore is not None:
        return load_key(keystore, passphrase_from(settings)), ""
    if chain_id == DEVNET_CHAIN_ID:
        from node.chain.signers import DEV_GOVERNOR, dev_account

        return dev_account(DEV_GOVERNOR), " (the devnet's public dev key 0: DEVNET ONLY, anyone can sign as it)"
    raise ConfigurationError(
        "no signing key: pass --key KEYSTORE (an encrypted keystore; passphrase from CREDREG_KEYSTORE_PASSPHRASE or "
        "CREDREG_KEYSTORE_PASSPHRASE_FILE). Verifiers will trust checkpoints by this key's address."
    )


def _read(path: Path, what: str = "bundle") -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailedError(
            f"cannot read the {what} file {path} ({type(exc).__name__}): check the path."
        ) from None


def _dump(verdict: Verdict) -> dict[str, Any]:
    data: dict[str, Any] = verdict.model_dump(mode="json", by_alias=True)
    return data


# --- printing -------------------------------------------------------------------------------------------------

_STYLE = {CheckStatus.VALID.value: "green", CheckStatus.INVALID.value: "bold red", CheckStatus.SKIPPED.value: "dim"}


def _print(report: dict[str, Any]) -> None:
    for result in report["results"]:
        verdict = result["verdict"]
        head = "[bold green]VALID[/]" if verdict["valid"] else "[bold red]NOT VALID[/]"
        out.print(f"{head}  {escape(result['file'])}", highlight=False)
        out.print(f"  {escape(verdict['summary'])}", highlight=False)
        for check in verdict["checks"]:
            style = _STYLE[check["status"]]
            out.print(
                f"  [{style}]{check['status']:<8}[/] {check['name']:<9} {escape(check['message'])}", highlight=False
            )
        for claim in verdict["claims"]:
            value = claim["value"]
            shown = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            out.print(f"  {escape(claim['label'])}: {escape(shown)}", highlight=False)
        if verdict["hiddenFields"]:
            out.print(f"  hidden by the holder: {', '.join(verdict['hiddenFields'])}", highlight=False)
        for notice in verdict["notices"]:
            out.print(f"  [yellow]note:[/] {escape(notice)}", highlight=False)
        out.print(
            f"  trust: chain {verdict['chainId']}, registry {verdict['registry']} ({result['trust']})", highlight=False
        )
        if result["trust"] == "taken from the bundle itself":
            out.print(
                "  [yellow]note:[/] the chain and registry were taken from the bundle itself: this shows the bundle is "
                "consistent with the registry it names, not that you should trust that registry. Pass --registry and "
                "--chain-id to verify against the ones you trust.",
                highlight=False,
            )
    block = report["results"][0]["verdict"]["asOfBlock"] if report["results"] else None
    if report["checkpoint"] is not None:
        info = report["checkpoint"]
        all_valid = all(r["verdict"]["valid"] for r in report["results"])
        verb = "valid" if all_valid else "verified"
        out.print(f"offline: {verb} {info['statement']}", highlight=False)
    elif block is not None:
        age = max(0, int(time.time()) - int(block["timestamp"]))
        out.print(
            f"online: as of block {block['number']} ({block['time']}, {age} s ago) at {report['rpcUrl']}",
            highlight=False,
        )


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
