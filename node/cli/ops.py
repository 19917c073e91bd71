"""Operator commands: the devnet, deploy, run, serve, manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.chain import devnet as devnet_mod
from node.chain.client import connect
from node.chain.deploy import Manifest, check_manifest, deploy, read_manifest
from node.chain.health import chain_head
from node.chain.health import chain_id as chain_id_of
from node.cli._app import app, devnet_app, err, friendly, out
from node.config import Settings, get_settings
from node.errors import ConfigurationError, DeploymentError, DevnetError
from node.fsutil import ensure_writable

RpcOpt = Annotated[str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint (default: the local devnet).")]


def _settings() -> Settings:
    return get_settings()


def _deployer(settings: Settings, on_devnet: bool) -> LocalAccount:
    if settings.deployer_key is not None:
        key: LocalAccount = Account.from_key(settings.deployer_key.get_secret_value())
        return key
    if on_devnet:
        dev: LocalAccount = Account.from_key(devnet_mod.DEV_PRIVATE_KEYS[0])  # DEVNET ONLY: anvil's public dev key
        return dev
    raise ConfigurationError(
        "no deployer key for a non-devnet chain: set CREDREG_DEPLOYER_KEY (a funded key of that network)."
    )


def _print_manifest(manifest: Manifest, now: bool) -> None:
    verb = "deployed" if now else "already deployed"
    out.print(f"[green]{verb}[/] on chain {manifest.chain_id} at block {manifest.deploy_block}")
    for name, contract in manifest.contracts.items():
        out.print(f"  {name:<20} {contract.address}")


# --- devnet ---------------------------------------------------------------------------------------------------------


@devnet_app.command("start")
@friendly
def devnet_start(
    wait_s: Annotated[float, typer.Option(help="How long to wait for anvil to listen.")] = 30.0,
) -> None:
    """Start the devnet in the background (state kept under CREDREG_DATA_DIR/devnet)."""
    settings = _settings()
    ensure_writable(settings.devnet_dir)
    running = devnet_mod.read_runfile(settings)
    if running and devnet_mod.pid_alive(int(running["supervisor_pid"])):
        out.print(f"devnet already running at {running['url']} (chain id {running['chain_id']})")
        return
    devnet_mod.anvil_binary(settings.node_modules_dir)  # a clear error now rather than in the background
    if settings.devnet_port and not devnet_mod.port_is_free(settings.devnet_host, settings.devnet_port):
        raise DevnetError(
            f"port {settings.devnet_port} on {settings.devnet_host} is already in use: stop whatever holds it "
            "or set CREDREG_DEVNET_PORT to another port (0 = any free)."
        )
    log = open(settings.devnet_dir / "supervisor.log", "wb")  # noqa: SIM115 - handed to the child
    with log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "node.chain.devnet"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        info = devnet_mod.read_runfile(settings)
        if info and int(info["supervisor_pid"]) == proc.pid:
            out.print(f"devnet running at {info['url']} (chain id {info['chain_id']}, state in {info['state_file']})")
            return
        if proc.poll() is not None:
            tail = (settings.devnet_dir / "supervisor.log").read_text(errors="replace").strip().splitlines()[-1:]
            raise DevnetError(f"the devnet did not start: {' '.join(tail) or 'see ' + str(settings.devnet_dir)}")
        time.sleep(0.1)
    proc.terminate()
    raise DevnetError(f"the devnet did not start within {wait_s:g} s: see {settings.devnet_dir / 'anvil.log'}")


@devnet_app.command("stop")
@friendly
def devnet_stop() -> None:
    """Stop the background devnet cleanly (a last snapshot is taken first)."""
    settings = _settings()
    info = devnet_mod.read_runfile(settings)
    if not info or not devnet_mod.pid_alive(int(info["supervisor_pid"])):
        out.print("devnet is not running")
        return
    pid = int(info["supervisor_pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while devnet_mod.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if devnet_mod.pid_alive(pid):
        raise DevnetError(f"the devnet supervisor (pid {pid}) did not stop within 30 s: kill it with `kill {pid}`.")
    out.print("devnet stopped; state saved")


@devnet_app.command("status")
@friendly
def devnet_status() -> None:
    """Is the devnet running, where, and at which block."""
    settings = _settings()
    info = devnet_mod.read_runfile(settings)
    if not info or not devnet_mod.pid_alive(int(info["supervisor_pid"])):
        out.print("devnet is not running")
        raise typer.Exit(3)
    head = chain_head(connect(str(info["url"]), settings.rpc_timeout_s))
    out.print(f"devnet running at {info['url']}: chain id {head.chain_id}, block {head.block_number}")


# --- deploy ---------------------------------------------------------------------------------------------------------


@app.command("deploy")
@friendly
def deploy_cmd(
    rpc_url: RpcOpt = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an existing manifest and deploy anew.")] = False,
) -> None:
    """Deploy the contracts from contracts/build and write the deployment manifest (a no-op if already deployed)."""
    settings = _settings()
    ensure_writable(settings.data_dir)
    url = rpc_url or settings.rpc_url or _devnet_url(settings)
    w3 = connect(url, settings.rpc_timeout_s)
    existing = None if fresh else read_manifest(settings.manifest_path)
    if existing is not None:  # checked before any key is needed: a stale manifest is the first thing to say
        check_manifest(w3, existing, settings.manifest_path)
        _print_manifest(existing, False)
        return
    on_devnet = chain_id_of(w3) == settings.chain_id  # our devnet's own chain id: its public dev key may deploy
    manifest, now = deploy(
        w3, _deployer(settings, on_devnet), settings.manifest_path, settings.artifacts_dir, fresh=fresh
    )
    _print_manifest(manifest, now)


def _devnet_url(settings: Settings) -> str:
    info = devnet_mod.read_runfile(settings)
    if info and devnet_mod.pid_alive(int(info["supervisor_pid"])):
        return str(info["url"])
    raise DevnetError("the devnet is not running: start it with `credreg devnet start`, or pass --rpc-url.")


# --- run / serve ----------------------------------------------------------------------------------------------------


@app.command("run")
@friendly
def run_cmd(
    host: Annotated[str | None, typer.Option(help="API host (default CREDREG_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default CREDREG_API_PORT).")] = None,
) -> None:
    """Start the devnet (unless CREDREG_RPC_URL is set), deploy, and serve the API until Ctrl-C."""
    import uvicorn

    from node.main import create_app
    from node.runtime import Node

    settings = _settings()
    ensure_writable(settings.data_dir)
    api_host, api_port = host or settings.api_host, port or settings.api_port
    if not devnet_mod.port_is_free(api_host, api_port):
        raise ConfigurationError(
            f"port {api_port} on {api_host} is already in use: stop what holds it or pass --port / CREDREG_API_PORT."
        )
    devnet = None
    if settings.rpc_url:
        url = settings.rpc_url
    else:
        devnet = devnet_mod.Devnet.from_settings(settings)
        url = devnet.start()
        out.print(f"devnet listening at {url} (chain id {settings.chain_id}; state in {devnet.state_file})")
    try:
        w3 = connect(url, settings.rpc_timeout_s)
        account = _deployer(settings, devnet is not None)
        try:
            manifest, now = deploy(w3, account, settings.manifest_path, settings.artifacts_dir)
        except DeploymentError as exc:
            if devnet is None:
                raise
            err.print(f"[yellow]warning:[/] {exc.detail}\nredeploying on the devnet (its chain was reset).")
            manifest, now = deploy(w3, account, settings.manifest_path, settings.artifacts_dir, fresh=True)
        _print_manifest(manifest, now)
        node = Node.open(settings, rpc_url=url)
        if devnet is not None:
            from node.services.bootstrap import ensure_demo_issuer

            demo = ensure_demo_issuer(node)
            out.print(
                f"demo issuer {demo.issuer_id} (signing key {demo.signer}, DEVNET ONLY)\n"
                f"[bold]demo issuer API key[/] (shown once): {demo.api_key}"
            )
        out.print(f"[bold]API[/] http://{api_host}:{api_port}  (GET /healthz, docs at /docs)")
        uvicorn.run(create_app(settings, node=node), host=api_host, port=api_port, log_level="info")
    finally:
        if devnet is not None:
            devnet.stop()
            out.print("devnet stopped; state saved")


@app.command("serve")
@friendly
def serve_cmd(
    host: Annotated[str | None, typer.Option(help="API host.")] = None,
    port: Annotated[int | None, typer.Option(help="API port.")] = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Serve the API against an existing deployment (no devnet is started)."""
    import uvicorn

    from node.main import create_app
    from node.runtime import Node

    settings = _settings()
    node = Node.open(settings, rpc_url=rpc_url or settings.rpc_url or _devnet_url(settings))
    uvicorn.run(create_app(settings, node=node), host=host or settings.api_host, port=port or settings.api_port)


@app.command("manifest")
@friendly
def manifest_cmd() -> None:
    """Print the deployment manifest."""
    settings = _settings()
    try:
        out.print_json(json.dumps(json.loads(settings.manifest_path.read_text())))
    except OSError as exc:
        raise DeploymentError(f"no deployment manifest at {settings.manifest_path}: run `credreg deploy`.") from exc
