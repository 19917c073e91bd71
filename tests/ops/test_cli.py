"""The command line describes itself: `credreg --version`, and help for every command, option and argument."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import typer
from typer.testing import CliRunner

from node.cli import app


def walk(command: object, path: tuple[str, ...] = ()) -> list[str]:
    """Every command, option and argument under ``command`` that has no help text, as a path."""
    missing = []
    if path and not (getattr(command, "help", None) or getattr(command, "short_help", None)):
        missing.append(f"command `credreg {' '.join(path)}`")
    for param in getattr(command, "params", []):
        if param.name == "help":
            continue
        if not (getattr(param, "help", None) or "").strip():
            kind = "argument" if param.param_type_name == "argument" else "option"
            missing.append(f"{kind} {param.name} of `credreg {' '.join(path)}`")
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        missing += walk(sub, (*path, name))
    return missing


def test_every_command_option_and_argument_has_help() -> None:
    root = typer.main.get_command(app)
    assert len(getattr(root, "commands", {})) > 10, "the walk must see the registered commands"
    assert walk(root) == []


def test_version_prints_the_package_version_and_the_contracts() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"credreg {version('credreg')}; contracts: sources ")
    assert re.search(r"CredentialRegistry bytecode [0-9a-f]{16}", result.output)


def test_version_from_the_installed_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "node.cli", "--version"], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0 and f"credreg {version('credreg')}" in result.stdout, result.stderr
