"""Keystores: round trip, wrong passphrase, file mode, no plaintext key on disk, no secret in reprs or messages."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from node.chain.keystore import load_key, new_keystore, passphrase_from
from node.config import Settings
from node.errors import KeystoreError, KeystorePassphraseError, RegistryError

PASSPHRASE = "correct horse battery staple"
FAST = 2**4  # scrypt n for tests only (the default is 2**18)
IMPORTED = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # eth-account docs' example key


def test_round_trip_creates_0600_file_in_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "issuer.json"
    address = new_keystore(path, SecretStr(PASSPHRASE), kdf_cost=FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    account = load_key(path, SecretStr(PASSPHRASE))
    assert account.address == address
    assert not list(path.parent.glob(".*.tmp"))


def test_imported_key_round_trips_and_never_appears_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "imported.json"
    address = new_keystore(path, PASSPHRASE, private_key=SecretStr(IMPORTED), kdf_cost=FAST)
    text = path.read_text()
    assert IMPORTED[2:] not in text.lower()
    assert PASSPHRASE not in text
    document = json.loads(text)
    assert document["version"] == 3
    assert document["crypto"]["kdf"] == "scrypt"
    assert load_key(path, PASSPHRASE).key.hex().removeprefix("0x") == IMPORTED[2:]
    assert address == load_key(path, PASSPHRASE).address


def test_pbkdf2_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    address = new_keystore(path, PASSPHRASE, kdf="pbkdf2", kdf_cost=1000)
    assert json.loads(path.read_text())["crypto"]["kdf"] == "pbkdf2"
    assert load_key(path, PASSPHRASE).address == address


def test_wrong_passphrase_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    new_keystore(path, PASSPHRASE, kdf_cost=FAST)
    with pytest.raises(KeystorePassphraseError) as info:
        load_key(path, SecretStr("not the passphrase"))
    assert str(path) in info.value.detail
    assert "CREDREG_KEYSTORE_PASSPHRASE" in info.value.detail
    assert "not the passphrase" not in info.value.detail
    assert isinstance(info.value, RegistryError)
    assert info.value.__cause__ is None  # nothing chained that could carry secrets


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = new_keystore(path, PASSPHRASE, kdf_cost=FAST)
    before = path.read_bytes()
    with pytest.raises(KeystoreError, match="already exists"):
        new_keystore(path, PASSPHRASE, kdf_cost=FAST)
    assert path.read_bytes() == before
    assert load_key(path, PASSPHRASE).address == address


def test_missing_and_malformed_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="does not exist"):
        load_key(tmp_path / "nope.json", PASSPHRASE)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(KeystoreError, match="not JSON"):
        load_key(bad, PASSPHRASE)
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(KeystoreError, match="not a Web3 Secret Storage"):
        load_key(other, PASSPHRASE)


def test_short_passphrase_and_bad_import_refused_without_echo(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="shorter than"):
        new_keystore(tmp_path / "a.json", "short", kdf_cost=FAST)
    with pytest.raises(KeystoreError, match="not a 32-byte hex") as info:
        new_keystore(tmp_path / "b.json", PASSPHRASE, private_key=SecretStr("0xdeadbeefnotakey"), kdf_cost=FAST)
    assert "deadbeef" not in info.value.detail
    assert not (tmp_path / "b.json").exists()


def test_group_readable_keystore_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "k.json"
    new_keystore(path, PASSPHRASE, kdf_cost=FAST)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_key(path, PASSPHRASE)
    assert "chmod 600" in caplog.text
    assert PASSPHRASE not in caplog.text


def test_passphrase_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDREG_KEYSTORE_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("CREDREG_KEYSTORE_PASSPHRASE_FILE", raising=False)
    settings = Settings(_env_file=None)
    secret = passphrase_from(settings)
    assert secret.get_secret_value() == PASSPHRASE
    for shown in (repr(secret), str(secret), repr(settings), str(settings), settings.model_dump_json()):
        assert PASSPHRASE not in shown


def test_passphrase_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDREG_KEYSTORE_PASSPHRASE", raising=False)
    secret_file = tmp_path / "pass.txt"
    secret_file.write_text(PASSPHRASE + "\n")
    settings = Settings(_env_file=None, keystore_passphrase_file=secret_file)
    assert passphrase_from(settings).get_secret_value() == PASSPHRASE
    secret_file.write_text("")
    with pytest.raises(KeystoreError, match="is empty"):
        passphrase_from(settings)
    missing = Settings(_env_file=None, keystore_passphrase_file=tmp_path / "missing")
    with pytest.raises(KeystoreError, match="cannot read the passphrase file"):
        passphrase_from(missing)


def test_no_passphrase_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDREG_KEYSTORE_PASSPHRASE", raising=False)
    monkeypatch.delenv("CREDREG_KEYSTORE_PASSPHRASE_FILE", raising=False)
    with pytest.raises(KeystoreError, match="CREDREG_KEYSTORE_PASSPHRASE_FILE"):
        passphrase_from(Settings(_env_file=None))


def test_both_sources_configured_is_ambiguous(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, keystore_passphrase=SecretStr(PASSPHRASE), keystore_passphrase_file=tmp_path / "p"
    )
    with pytest.raises(KeystoreError, match="unset one"):
        passphrase_from(settings)
