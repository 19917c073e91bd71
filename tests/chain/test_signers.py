"""Issuer keys from encrypted keystores: decrypted once per process, again when the file changes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import SecretStr
from web3 import Web3

from node.chain import keystore
from node.chain import signers as signers_module
from node.chain.keystore import new_keystore
from node.chain.signers import Signers
from node.config import Settings
from node.errors import KeystoreError


def _signers(settings: Settings) -> Signers:
    return Signers(settings, cast(Web3, None), settings.chain_id, None)  # no chain: keys only


def test_a_keystore_is_decrypted_once_and_again_after_it_changes(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.keystore_passphrase = SecretStr("pass phrase")
    path = tmp_path / "issuer.json"
    first = new_keystore(path, "pass phrase", kdf="pbkdf2", kdf_cost=2)
    decrypts: list[Path] = []

    def counting(p: Path, passphrase: Any) -> Any:
        decrypts.append(p)
        return keystore.load_key(p, passphrase)

    monkeypatch.setattr(signers_module, "load_key", counting)
    signers = _signers(settings)
    assert signers.account_for(first, str(path)).address == first
    assert signers.account_for(first, str(path)).address == first
    assert len(decrypts) == 1, "the second act reuses the decrypted key"

    path.unlink()
    second = new_keystore(path, "pass phrase", kdf="pbkdf2", kdf_cost=2)  # the key rotated in place
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    assert signers.account_for(second, str(path)).address == second
    assert len(decrypts) == 2

    path.unlink()
    with pytest.raises(KeystoreError, match="does not exist"):
        signers.account_for(second, str(path))
