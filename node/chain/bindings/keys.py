"""IRegistryAccreditation: an issuer's signing keys (add, rotate, retire, cut off)."""

from __future__ import annotations

from web3.contract.contract import ContractFunction

from node.chain.bindings.base import Writes, checksum


class KeyWrites(Writes):
    """An issuer's signing keys (its body's admin or governance). ``valid_until`` 0 is open-ended."""

    def add_issuer_key(self, issuer_id: int, key: str, valid_from: int, valid_until: int) -> ContractFunction:
        return self._fn("addIssuerKey", issuer_id, checksum(key), valid_from, valid_until)

    def rotate_issuer_key(self, issuer_id: int, old_key: str, new_key: str, switch_at: int) -> ContractFunction:
        return self._fn("rotateIssuerKey", issuer_id, checksum(old_key), checksum(new_key), switch_at)

    def retire_issuer_key(self, issuer_id: int, key: str, retired_at: int) -> ContractFunction:
        return self._fn("retireIssuerKey", issuer_id, checksum(key), retired_at)

    def cut_off_issuer_key(self, issuer_id: int, key: str, cutoff: int) -> ContractFunction:
        return self._fn("cutOffIssuerKey", issuer_id, checksum(key), cutoff)
