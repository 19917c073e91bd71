"""Which key signs for whom: the node's governor/deployer key and each issuer's signing key, and their TxManagers.

Keys live in encrypted keystores (passphrase from CREDREG_KEYSTORE_PASSPHRASE or a file). On the local devnet the
public anvil development keys are used instead; they are DEVNET ONLY and marked as such.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.keystore import load_key, passphrase_from
from node.chain.txmanager import TxManager
from node.errors import ConfigurationError
from node.runtime import Node

DEV_GOVERNOR = 0
"""DEVNET ONLY: anvil dev account 0 deploys and is the sole governor (k = 1)."""
DEV_BODY_ADMIN = 1
"""DEVNET ONLY: anvil dev account 1 acts for the demo accreditation body."""
DEV_ISSUER = 2
"""DEVNET ONLY: anvil dev account 2 is the demo issuer's signing key."""


def dev_account(index: int) -> LocalAccount:
    account: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[index])
    return account


def _dev_accounts() -> dict[str, LocalAccount]:
    return {dev_account(i).address.lower(): dev_account(i) for i in range(len(DEV_PRIVATE_KEYS))}


class Signers:
    """Resolves accounts and hands out one TxManager per key (the one owner of that key's nonces)."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._lock = threading.Lock()
        self._managers: dict[str, TxManager] = {}

    @property
    def on_devnet(self) -> bool:
        return self._node.chain_id == self._node.settings.chain_id and not self._node.settings.rpc_url

    def account_for(self, address: str, keystore_path: str | None = None) -> LocalAccount:
        if keystore_path:
            return load_key(Path(keystore_path), passphrase_from(self._node.settings))
        dev = _dev_accounts().get(address.lower())
        if dev is not None and self.on_devnet:
            return dev
        raise ConfigurationError(
            f"no key for {address}: register the issuer with a keystore (`credreg keys new`) and set "
            "CREDREG_KEYSTORE_PASSPHRASE or CREDREG_KEYSTORE_PASSPHRASE_FILE."
        )

    def governor(self) -> LocalAccount:
        settings = self._node.settings
        if settings.deployer_key is not None:
            account: LocalAccount = Account.from_key(settings.deployer_key.get_secret_value())
            return account
        if self.on_devnet:
            return dev_account(DEV_GOVERNOR)
        raise ConfigurationError("no governor key: set CREDREG_DEPLOYER_KEY to a governor's key of this network.")

    def manager(self, account: LocalAccount) -> TxManager:
        with self._lock:
            tm = self._managers.get(account.address)
            if tm is None:
                tm = TxManager(
                    self._node.w3,
                    account,
                    nonce_store=self._node.store,
                    confirmations=self._node.settings.confirmations,
                )
                self._managers[account.address] = tm
            return tm
