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


def _supervisor(record: devnet_mod.DevnetRecord) -> str:
    if record.owner_alive:
        return f"supervised by `{record.owner}`, pid {record.owner_pid}"
    return f"orphaned: its `{record.owner}` (pid {record.owner_pid}) is gone"


@devnet_app.command("start")
@friendly
def devnet_start(
    wait_s: Annotated[float, typer.Option(help="How long to wait for anvil to listen.")] = 30.0,
) -> None:
    """Start the devnet in the background (state kept under CREDREG_DATA_DIR/devnet)."""
    settings = _settings()
    ensure_writable(settings.devnet_dir)
    running = devnet_mod.running_devnet(settings.devnet_dir)
    if running is not None and running.owner_alive:
        out.print(
            f"devnet already running at {running.url} (chain id {running.chain_id}, {_supervisor(running)})",
            highlight=False,
        )
        return
    devnet_mod.anvil_binary(settings.node_modules_dir)  # a clear error now rather than in the background
    if (
        running is None
        and settings.devnet_port
        and not devnet_mod.port_is_free(settings.devnet_host, settings.devnet_port)
    ):
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
        info = devnet_mod.running_devnet(settings.devnet_dir)
        if info and info.owner_pid == proc.pid:
            out.print(
                f"devnet running at {info.url} (chain id {info.chain_id}, "
                f"state in {settings.devnet_dir / 'state.json'})",
                highlight=False,
            )
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
    """Stop the background devnet cleanly (a last snapshot is taken first); an orphaned one too."""
    settings = _settings()
    record = devnet_mod.running_devnet(settings.devnet_dir)
    if record is None:
        out.print("devnet is not running")
        return
    if not record.owner_alive:  # nobody supervises it: snapshot it and stop it here
        devnet_mod.Devnet.from_settings(settings).clear_stale()
        out.print(f"stopped the orphaned devnet at {record.url} (anvil pid {record.pid}); state saved")
        return
    if record.owner == devnet_mod.OWNER_RUN:
        raise DevnetError(
            f"the devnet at {record.url} belongs to the running node (`credreg run`, pid {record.owner_pid}): "
            f"stop the node (Ctrl-C, or `kill {record.owner_pid}`) and it stops its devnet."
        )
    pid = record.owner_pid
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
    """Is the devnet running, where, at which block, and who supervises it (exit code 3: not running)."""
    settings = _settings()
    record = devnet_mod.running_devnet(settings.devnet_dir)
    if record is None:
        out.print("devnet is not running")
        raise typer.Exit(3)
    head = chain_head(connect(record.url, settings.rpc_timeout_s))
    out.print(
        f"devnet running at {record.url}: chain id {head.chain_id}, block {head.block_number} "
        f"(anvil pid {record.pid}, {_supervisor(record)})",
        highlight=False,
    )


# --- deploy ---------------------------------------------------------------------------------------------------------


@app.command("deploy")
@friendly
def deploy_cmd(
    rpc_url: RpcOpt = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Ignore the existing manifest and deploy new contracts (refused while credentials are anchored on "
            "the old ones, unless --discard-anchored).",
        ),
    ] = False,
    discard_anchored: Annotated[
        bool,
        typer.Option(
            "--discard-anchored",
            help="With --fresh: start over although credentials are anchored on the old contracts (their bundles "
            "name the old registry and will no longer verify against the new one).",
        ),
    ] = False,
) -> None:
    """Deploy the contracts from contracts/build and write the deployment manifest (a no-op if already deployed)."""
    settings = _settings()
    ensure_writable(settings.data_dir)
    old = read_manifest(settings.manifest_path) if fresh else None
    anchored = _anchored_count(settings) if old is not None else 0
    if anchored and not discard_anchored:
        assert old is not None
        raise DeploymentError(
            f"{anchored} credential(s) in {settings.data_dir} are anchored on chain {old.chain_id}, registry "
            f"{old.registry}: a fresh deployment abandons that registry, and the learners' bundles, which name it, "
            "would no longer verify against the new one. To keep them, point CREDREG_RPC_URL at the chain they are "
            "anchored on, or deploy in another CREDREG_DATA_DIR; to start over anyway, run "
            "`credreg deploy --fresh --discard-anchored`."
        )
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
    if anchored and old is not None:
        err.print(
            f"[yellow]warning:[/] {_discarded(anchored, old)}; their records stay in this node's store.",
            highlight=False,
        )


def _anchored_count(settings: Settings) -> int:
    """Credentials this node anchored (or is anchoring) on the deployment in its manifest."""
    from node.store import Store
    from node.store.records import AnchoringState

    store = Store.from_settings(settings)
    try:
        store.migrate()
        counts = store.credential_counts()
    finally:
        store.close()
    return counts[AnchoringState.ANCHORED] + counts[AnchoringState.BATCHED]


def _discarded(anchored: int, old: Manifest) -> str:
    return (
        f"{anchored} credential(s) were anchored on the old registry {old.registry} (chain {old.chain_id}): the "
        "learners' bundles name it and no longer verify against the new one (issue them again to give learners "
        "bundles that do)"
    )


def _devnet_url(settings: Settings) -> str:
    """The URL of the devnet running for this data dir (its pid file), whoever started it."""
    record = devnet_mod.running_devnet(settings.devnet_dir)
    if record is not None:
        return record.url
    raise DevnetError("the devnet is not running: start it with `credreg devnet start`, or pass --rpc-url.")


# --- run / serve ----------------------------------------------------------------------------------------------------


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM stops the node as Ctrl-C does: the API shuts down, then the devnet (after a last snapshot)."""
    raise SystemExit(0)


@app.command("run")
@friendly
def run_cmd(
    host: Annotated[str | None, typer.Option(help="API host (default CREDREG_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default CREDREG_API_PORT).")] = None,
) -> None:
    """Start the devnet (unless CREDREG_RPC_URL is set), deploy, and serve the API until Ctrl-C or SIGTERM."""
    import uvicorn

    from node.main import create_app
    from node.runtime import DataDirLock, Node

    settings = _settings()
    ensure_writable(settings.data_dir)
    api_host, api_port = host or settings.api_host, port or settings.api_port
    lock = DataDirLock.acquire(settings.data_dir, f"http://{api_host}:{api_port}")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    devnet = None
    try:
        if not devnet_mod.port_is_free(api_host, api_port):
            raise ConfigurationError(
                f"port {api_port} on {api_host} is already in use: stop what holds it or pass --port / "
                "CREDREG_API_PORT."
            )
        local = not settings.rpc_url
        if settings.rpc_url:
            url = settings.rpc_url
        elif (running := devnet_mod.running_devnet(settings.devnet_dir)) is not None and running.owner_alive:
            url = running.url
            out.print(
                f"using the devnet already running at {url} ({_supervisor(running)}); it keeps running after the "
                "node stops",
                highlight=False,
            )
        else:
            devnet = devnet_mod.Devnet.from_settings(settings)
            orphan = devnet.clear_stale()
            if orphan is not None:
                err.print(
                    f"[yellow]note:[/] stopped the devnet left running by pid {orphan.owner_pid} (anvil pid "
                    f"{orphan.pid}) after a last snapshot; its chain carries on in the new one",
                    highlight=False,
                )
            url = devnet.start()
            out.print(f"devnet listening at {url} (chain id {settings.chain_id}; state in {devnet.state_file})")
        w3 = connect(url, settings.rpc_timeout_s)
        account = _deployer(settings, local)
        try:
            manifest, now = deploy(w3, account, settings.manifest_path, settings.artifacts_dir)
        except DeploymentError as exc:
            old = read_manifest(settings.manifest_path)
            if not local or old is None:
                raise
            anchored = _anchored_count(settings)
            lost = f"; {_discarded(anchored, old)}" if anchored else ""
            err.print(
                f"[yellow]warning:[/] {exc.detail}\nredeploying on the devnet (its chain was reset){lost}.",
                highlight=False,
            )
            manifest, now = deploy(w3, account, settings.manifest_path, settings.artifacts_dir, fresh=True)
        _print_manifest(manifest, now)
        node = Node.open(settings, rpc_url=url)
        if local:
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
        lock.release()
        signal.signal(signal.SIGTERM, previous)


@app.command("serve")
@friendly
def serve_cmd(
    host: Annotated[str | None, typer.Option(help="API host (default CREDREG_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default CREDREG_API_PORT).")] = None,
    rpc_url: RpcOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API worker processes on the one port (uvicorn's). Each answers every route; one batcher and one "
            "indexer writer among them (a PostgreSQL advisory lock, or the data dir's lock files on SQLite), the "
            "others stand by and follow. Several are worth it on PostgreSQL (CREDREG_DATABASE_URL).",
        ),
    ] = 1,
) -> None:
    """Serve the API against an existing deployment (no devnet is started)."""
    import os

    import uvicorn

    from node.main import SERVE_RPC_URL_ENV, create_app
    from node.runtime import DataDirLock, Node

    settings = _settings()
    api_host, api_port = host or settings.api_host, port or settings.api_port
    lock = DataDirLock.acquire(settings.data_dir, f"http://{api_host}:{api_port}")
    try:
        url = rpc_url or settings.rpc_url or _devnet_url(settings)
        node = Node.open(settings, rpc_url=url)  # checks the deployment and migrates once, before any worker starts
        if workers == 1:
            uvicorn.run(create_app(settings, node=node), host=api_host, port=api_port)
            return
        node.close()
        os.environ[SERVE_RPC_URL_ENV] = url  # each worker opens its node from the environment
        uvicorn.run("node.main:create_app", factory=True, host=api_host, port=api_port, workers=workers)
    finally:
        lock.release()


@app.command("manifest")
@friendly
def manifest_cmd() -> None:
    """Print the deployment manifest."""
    settings = _settings()
    try:
        out.print_json(json.dumps(json.loads(settings.manifest_path.read_text())))
    except OSError as exc:
        raise DeploymentError(f"no deployment manifest at {settings.manifest_path}: run `credreg deploy`.") from exc
