"""Which key signs for whom: the node's governor/deployer key and each issuer's signing key, and their TxManagers.

Keys live in encrypted keystores (passphrase from CREDREG_KEYSTORE_PASSPHRASE or a file). On the local devnet the
public anvil development keys are used instead; they are DEVNET ONLY and marked as such.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.keystore import load_key, passphrase_from
from node.chain.txmanager import NonceStore, TxManager
from node.chain.txtypes import Call
from node.config import Settings
from node.errors import ConfigurationError, RegistryError, SignerUnavailableError

DEV_GOVERNOR = 0
"""DEVNET ONLY: anvil dev account 0 deploys and is the sole governor (k = 1)."""
DEV_BODY_ADMIN = 1
"""DEVNET ONLY: anvil dev account 1 acts for the demo accreditation body."""
DEV_ISSUER = 2
"""DEVNET ONLY: anvil dev account 2 is the demo issuer's signing key."""


ANCHORS_TO_FUND = 1000
"""How many anchors the funding advice asks a key's balance to cover."""

ANCHOR_GAS = 60_000
"""About what one anchor costs with the TxManager's estimate margin (docs/benchmarks.md: ~48,700 for ``anchor``)."""

DEV_FUNDING_WEI = 10**18
"""DEVNET ONLY: what a new issuer key gets from dev account 0 (1 ETH: thousands of anchors at devnet prices)."""

_UNFUNDED = ("insufficient funds", "insufficient balance", "funds for gas")


def is_unfunded(exc: RegistryError) -> bool:
    """True when the node refused a transaction because its sender cannot pay for it."""
    lowered = exc.detail.lower()
    return any(s in lowered for s in _UNFUNDED)


def _eth(wei: int) -> str:
    text = f"{wei / 10**18:.6f}".rstrip("0").rstrip(".")
    return text if text != "0" or wei == 0 else f"{wei} wei"


def funding_advice(
    w3: Web3, address: str, gas_per_anchor: int, *, on_devnet: bool, anchors: int = ANCHORS_TO_FUND
) -> str:
    """Which account to fund and with how much: its balance, and what ``anchors`` anchors of ``gas_per_anchor``
    gas need at the chain's current gas price; on the devnet, the command that funds it."""
    checksum = Web3.to_checksum_address(address)
    balance = int(w3.eth.get_balance(checksum))
    price = int(w3.eth.gas_price)
    need = anchors * gas_per_anchor * price
    how = (
        f"on this devnet run `credreg keys fund {checksum}`" if on_devnet else "send it from an account of this network"
    )
    return (
        f"account {checksum} holds {_eth(balance)} ETH; fund it with at least {_eth(need)} ETH "
        f"({anchors} anchors of about {gas_per_anchor} gas at the current gas price of {price / 10**9:.3g} gwei): "
        f"{how}, and anchoring goes on by itself."
    )


def dev_account(index: int) -> LocalAccount:
    account: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[index])
    return account


def _dev_accounts() -> dict[str, LocalAccount]:
    return {dev_account(i).address.lower(): dev_account(i) for i in range(len(DEV_PRIVATE_KEYS))}


class Signers:
    """Resolves accounts and hands out one TxManager per key (the one owner of that key's nonces)."""

    def __init__(self, settings: Settings, w3: Web3, chain_id: int, nonce_store: NonceStore | None) -> None:
        self._settings = settings
        self._w3 = w3
        self._chain_id = chain_id
        self._nonce_store = nonce_store
        self._lock = threading.Lock()
        self._managers: dict[str, TxManager] = {}
        self._keys: dict[tuple[str, int, int], LocalAccount] = {}  # (keystore path, mtime, size) -> decrypted key

    @property
    def on_devnet(self) -> bool:
        return self._chain_id == self._settings.chain_id and not self._settings.rpc_url

    def account_for(self, address: str, keystore_path: str | None = None) -> LocalAccount:
        if keystore_path:
            return self._keystore_account(Path(keystore_path))
        dev = _dev_accounts().get(address.lower())
        if dev is not None and self.on_devnet:
            return dev
        raise SignerUnavailableError(
            f"no key for {address}: register the issuer with a keystore (`credreg keys new`) and set "
            "CREDREG_KEYSTORE_PASSPHRASE or CREDREG_KEYSTORE_PASSPHRASE_FILE."
        )

    def _keystore_account(self, path: Path) -> LocalAccount:
        """The key in ``path``, decrypted once per process (scrypt takes most of a second; its TxManager holds the
        key in memory anyway). A keystore file that changes (a rotation) is decrypted again."""
        try:
            info = path.stat()
        except (OSError, ValueError):  # ValueError: a NUL in the path
            return load_key(path, passphrase_from(self._settings))  # raises the friendly error
        cache_key = (str(path.resolve()), info.st_mtime_ns, info.st_size)
        with self._lock:
            account = self._keys.get(cache_key)
        if account is None:
            account = load_key(path, passphrase_from(self._settings))
            with self._lock:
                self._keys = {k: v for k, v in self._keys.items() if k[0] != cache_key[0]}
                self._keys[cache_key] = account
        return account

    def governor(self) -> LocalAccount:
        settings = self._settings
        if settings.deployer_key is not None:
            account: LocalAccount = Account.from_key(settings.deployer_key.get_secret_value())
            return account
        if self.on_devnet:
            return dev_account(DEV_GOVERNOR)
        raise SignerUnavailableError("no governor key: set CREDREG_DEPLOYER_KEY to a governor's key of this network.")

    def manager(self, account: LocalAccount) -> TxManager:
        with self._lock:
            tm = self._managers.get(account.address)
            if tm is None:
                tm = TxManager(
                    self._w3,
                    account,
                    nonce_store=self._nonce_store,
                    confirmations=self._settings.confirmations,
                    priority_fee_wei=self._settings.priority_fee_wei,
                )
                self._managers[account.address] = tm
            return tm

    def fund(self, address: str, wei: int = DEV_FUNDING_WEI) -> str:
        """DEVNET ONLY: send ``wei`` to ``address`` from anvil's dev account 0 (through its TxManager, the one owner
        of its nonces); the transaction hash once mined. Refused with a sentence on any other chain."""
        if not self.on_devnet:
            raise ConfigurationError(
                f"this node is not on its local devnet (chain {self._chain_id}): nothing here can fund {address}; "
                "send it ETH from an account of this network (the node's log and /readyz say how much it needs)."
            )
        if wei <= 0:
            raise ConfigurationError(f"fund {address} with a positive amount (got {wei} wei).")
        tm = self.manager(dev_account(DEV_GOVERNOR))
        receipt = tm.transact(Call(to=Web3.to_checksum_address(address), data="0x", value=wei, gas=21_000))
        return "0x" + bytes(receipt["transactionHash"]).hex()
