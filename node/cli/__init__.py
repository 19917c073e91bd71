"""`credreg`: the command line (typer + rich). One module per topic registers its commands on the shared app."""

from node.cli import ops  # noqa: F401 - registers the commands
from node.cli._app import app

__all__ = ["app"]
