"""`credreg keys new` (an encrypted keystore) and `credreg apikeys create/list/revoke` (the local store)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from node.chain.keystore import load_key
from node.cli import app
from node.config import Settings, get_settings
from node.store import ApiKeyRole, Store
from tests.cli.conftest import OnChain, one_clear_line

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each command reads the environment anew (get_settings is cached per process)."""
    for name in list(os.environ):
        if name.startswith("CREDREG_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def credreg(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def one_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return str(lines[0])


# --- keys new ---------------------------------------------------------------------------------------------------


def test_keys_new_with_the_passphrase_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "issuer.json"
    result = credreg("keys", "new", str(path), env={"CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    address = result.stdout.strip()
    assert load_key(path, PASSPHRASE).address == address
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert PASSPHRASE not in result.output

    again = credreg("keys", "new", str(path), env={"CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE})
    assert again.exit_code == 1
    assert "already exists" in one_line(again)


def test_keys_new_asks_twice_hidden_when_no_passphrase_is_configured(tmp_path: Path) -> None:
    path = tmp_path / "prompted.json"
    result = credreg("keys", "new", str(path), stdin=f"{PASSPHRASE}\nsomething else\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PASSPHRASE not in result.output  # hidden input is not echoed
    assert load_key(path, PASSPHRASE).address == result.stdout.strip().splitlines()[-1]


def test_keys_new_refuses_a_short_passphrase(tmp_path: Path) -> None:
    result = credreg("keys", "new", str(tmp_path / "k.json"), env={"CREDREG_KEYSTORE_PASSPHRASE": "short"})
    assert result.exit_code == 1
    assert "shorter than 8 characters" in one_line(result)
    assert not (tmp_path / "k.json").exists()


# --- apikeys ----------------------------------------------------------------------------------------------------


@pytest.fixture
def data_store(tmp_path: Path) -> Iterator[tuple[dict[str, str], Store]]:
    data_dir = tmp_path / "data"
    store = Store.from_settings(Settings(data_dir=data_dir))
    store.migrate()
    store.upsert_issuer(5, name="Five College", metadata_uri="did:web:five.example", signer_address="0x" + "5" * 40)
    try:
        yield {"CREDREG_DATA_DIR": str(data_dir)}, store
    finally:
        store.close()


def test_apikeys_create_shows_the_key_once_then_list_and_revoke(data_store: tuple[dict[str, str], Store]) -> None:
    env, store = data_store
    created = credreg("apikeys", "create", "--role", "issuer", "--issuer-id", "5", "--label", "registrar", env=env)
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("crk_")
    assert "shown only this once" in created.stderr
    principal = store.authenticate(key)
    assert principal is not None
    assert (principal.role, principal.issuer_id, principal.label) == (ApiKeyRole.ISSUER, 5, "registrar")

    admin = credreg("apikeys", "create", "--role", "admin", env=env)
    assert admin.exit_code == 0, admin.output

    listed = credreg("apikeys", "list", env=env)
    assert listed.exit_code == 0, listed.output
    assert key not in listed.stdout
    assert key[:8] in listed.stdout
    assert "registrar" in listed.stdout
    assert "admin" in listed.stdout

    revoked = credreg("apikeys", "revoke", str(principal.key_id), env=env)
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked key {principal.key_id}" in revoked.stdout
    assert store.authenticate(key) is None
    active = credreg("apikeys", "list", "--active", "--issuer-id", "5", env=env)
    assert "registrar" not in active.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("create", "--role", "issuer"), "an issuer key must name the issuer"),
        (("create", "--role", "issuer", "--issuer-id", "6"), "issuer 6 is not registered"),
        (("create", "--role", "governor", "--issuer-id", "5"), "not tied to an issuer"),
        (("revoke", "99"), "API key 99 does not exist"),
    ],
)
def test_apikeys_mistakes_are_one_clear_line(
    data_store: tuple[dict[str, str], Store], args: tuple[str, ...], needle: str
) -> None:
    env, _ = data_store
    result = credreg("apikeys", *args, env=env)
    assert result.exit_code == 1
    assert needle in one_line(result)


# --- keys fund (DEVNET ONLY) ------------------------------------------------------------------------------------


@pytest.mark.anvil
def test_keys_fund_sends_eth_from_the_dev_account_on_the_devnet(on_chain: OnChain) -> None:
    fresh = Account.create().address
    result = on_chain("keys", "fund", fresh, "--eth", "2.5")
    assert result.exit_code == 0, result.output
    assert fresh in result.stdout and "holds 2.5 ETH" in result.stdout, result.stdout
    assert on_chain.node.w3.eth.get_balance(fresh) == 25 * 10**17
    assert on_chain("keys", "fund", fresh).exit_code == 0  # the default: 1 ETH more
    assert on_chain.node.w3.eth.get_balance(fresh) == 35 * 10**17


@pytest.mark.anvil
def test_keys_fund_is_refused_on_another_chain_and_mistakes_are_one_line(on_chain: OnChain) -> None:
    fresh = Account.create().address
    assert on_chain.node.rpc_url is not None
    env = {"CREDREG_DATA_DIR": str(on_chain.node.settings.data_dir), "CREDREG_RPC_URL": on_chain.node.rpc_url}
    refused = credreg("keys", "fund", fresh, env=env)
    one_clear_line(refused, "not on its local devnet", fresh, "send it ETH from an account of this network")
    assert on_chain.node.w3.eth.get_balance(fresh) == 0
    one_clear_line(on_chain("keys", "fund", "0x1234"), "is not an account address")
    one_clear_line(on_chain("keys", "fund", fresh, "--eth", "-1"), "--eth", "positive")
    one_clear_line(on_chain("keys", "fund", fresh, "--eth", "lots"), "--eth", "not a number")
