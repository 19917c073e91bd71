"""The `credreg` Typer app, its consoles, and the one error renderer every command uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from node.errors import RegistryError

app = typer.Typer(help="credreg: a permissioned credential registry node.", no_args_is_help=True)
devnet_app = typer.Typer(help="The local devnet (anvil from node_modules).", no_args_is_help=True)
app.add_typer(devnet_app, name="devnet")

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
