"""node/cli/_app.py: the one error renderer every command uses: a RegistryError is one line and exit 1, anything else
is a bug and is not dressed up as a user's mistake."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from node.cli._app import friendly
from node.errors import ChainUnavailableError


def command(exc: Exception) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @friendly
    def fail(name: str = "x") -> None:
        """A command that fails."""
        raise exc

    return app


def test_a_registry_error_is_its_detail_on_one_line_and_exit_1() -> None:
    detail = "cannot reach the chain at http://127.0.0.1:1: start it with `credreg devnet start` or pass --rpc-url"
    result = CliRunner().invoke(command(ChainUnavailableError(detail)), [], env={"COLUMNS": "60"})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {detail}"]  # not wrapped, however narrow the terminal


def test_anything_else_is_raised_not_rendered() -> None:
    result = CliRunner().invoke(command(KeyError("bug")), [])
    assert isinstance(result.exception, KeyError)
    assert "error:" not in result.output


def test_the_wrapped_command_keeps_its_name_help_and_options() -> None:
    @friendly
    def documented(name: str = "x") -> None:
        """Its own help."""

    assert documented.__name__ == "documented" and documented.__doc__ == "Its own help."
    result = CliRunner().invoke(command(ChainUnavailableError("x")), ["--help"])
    assert result.exit_code == 0 and "--name" in result.stdout and "A command that fails." in result.stdout


@pytest.mark.parametrize("bracketed", ["known: [formal-qualification, micro-credential]", "see [/docs]"])
def test_a_detail_with_brackets_prints_as_written(bracketed: str) -> None:
    result = CliRunner().invoke(command(ChainUnavailableError(bracketed)), [])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert result.stderr.strip() == f"error: {bracketed}"
