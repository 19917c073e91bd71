"""The `credreg` Typer app, its consoles, and the one error renderer every command uses."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from node.errors import RegistryError

app = typer.Typer(help="credreg: a permissioned credential registry node.", no_args_is_help=True)
devnet_app = typer.Typer(help="The local devnet (anvil from node_modules).", no_args_is_help=True)
app.add_typer(devnet_app, name="devnet")


def version_line() -> str:
    """The package version, the contracts it deploys (sources hash, CredentialRegistry bytecode hash), the commit."""
    from importlib.metadata import PackageNotFoundError, version

    from node.config import PROJECT_ROOT

    try:
        line = f"credreg {version('credreg')}"
    except PackageNotFoundError:
        line = "credreg (not installed as a package)"
    try:
        from node.chain.client import load_artifact

        artifact = load_artifact(PROJECT_ROOT / "contracts" / "build", "CredentialRegistry")
        sources, bytecode = (h.removeprefix("0x")[:16] for h in (artifact.sources_hash, artifact.bytecode_hash))
        line += f"; contracts: sources {sources}, CredentialRegistry bytecode {bytecode}"
    except (OSError, ValueError, KeyError, RegistryError):
        line += "; contracts: artifacts not found"
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        line += f"; git {commit}"
    except (OSError, subprocess.SubprocessError):
        pass
    return line


def _print_version(value: bool) -> None:
    if value:
        out.print(version_line(), highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version (package, contracts, git commit) and exit.",
        ),
    ] = False,
) -> None:
    """credreg: a permissioned credential registry node."""


out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Render any RegistryError as one clear line and exit 1: never a traceback for a user's mistake."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RegistryError as exc:
            err.print(f"[bold red]error:[/] {escape(exc.detail)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
