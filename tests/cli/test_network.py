"""`credreg network …` from the command line: output that says what to do, one clear line on a mistake, help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from node.cli import app
from tests.network.conftest import DEPLOYER, net_dir, read_toml

__all__ = ["net_dir"]  # the fixture, shared with the network generator's tests (tests/network/)

runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def test_init_prints_the_nodes_and_the_next_steps(net_dir: Path) -> None:
    result = _run("network", "init", "--dir", str(net_dir), "--account", DEPLOYER, "--chain-id", "777")
    assert result.exit_code == 0, result.output
    assert "chain id 777, 4 validators (tolerates 1 faulty)" in result.stdout
    assert result.stdout.count("(0600)") == 5
    assert "docker compose -f" in result.stdout and "up -d" in result.stdout
    assert "CREDREG_RPC_URL=http://127.0.0.1:8545 CREDREG_CONFIRMATIONS=0" in result.stdout
    assert read_toml(net_dir / "nodes" / "rpc" / "permissions_config.toml")["accounts-allowlist"] == [DEPLOYER]


def test_init_warns_about_an_empty_accounts_allowlist_and_a_single_validator(net_dir: Path) -> None:
    result = _run("network", "init", "--dir", str(net_dir), "--validators", "1")
    assert result.exit_code == 0, result.output
    assert "no account can send a transaction" in result.stderr
    assert "tolerate no fault" in result.stderr


def test_a_non_empty_directory_is_one_clear_line_naming_force(net_dir: Path) -> None:
    assert _run("network", "init", "--dir", str(net_dir)).exit_code == 0
    result = _run("network", "init", "--dir", str(net_dir))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error:" in result.stderr and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_add_validator_prints_the_votes_each_operator_must_make(net_dir: Path) -> None:
    assert _run("network", "init", "--dir", str(net_dir)).exit_code == 0
    result = _run("network", "add-validator", "--dir", str(net_dir))
    assert result.exit_code == 0, result.output
    assert "added validator5" in result.stdout
    assert "(3 of 4)" in result.stdout
    votes = [line for line in result.stdout.splitlines() if "qbft_proposeValidatorVote" in line and "curl" in line]
    assert len(votes) == 4
    assert all('"params": ["0x' in v and "true]" in v for v in votes)
    assert "qbft_discardValidatorVote" in result.stdout


def test_add_account_and_its_mistakes(net_dir: Path) -> None:
    missing = _run("network", "add-account", "--dir", str(net_dir), DEPLOYER)
    assert missing.exit_code == 1 and "credreg network init" in missing.stderr
    assert _run("network", "init", "--dir", str(net_dir)).exit_code == 0
    ok = _run("network", "add-account", "--dir", str(net_dir), DEPLOYER)
    assert ok.exit_code == 0 and "allowed" in ok.stdout and "restart" in ok.stdout
    assert "nothing changed" in _run("network", "add-account", "--dir", str(net_dir), DEPLOYER).stdout
    bad = _run("network", "add-account", "--dir", str(net_dir), "0x12")
    assert bad.exit_code == 1 and "40 hex digits" in bad.stderr


@pytest.mark.parametrize("command", ["init", "add-validator", "add-account"])
def test_every_command_and_option_has_help(command: str) -> None:
    group: Any = typer.main.get_command(app)  # typer's own click-like tree (typer vendors click)
    network = group.commands["network"]
    assert network.help
    cmd = network.commands[command]
    assert cmd.help
    for param in cmd.params:
        if param.name == "help":
            continue
        assert getattr(param, "help", None), f"{command} {param.name} has no help"
