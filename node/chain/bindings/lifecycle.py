"""IRegistryAnchors: the lifecycle of an anchored root and of one credential in it."""

from __future__ import annotations

from web3.contract.contract import ContractFunction

from node.chain.bindings.base import Writes


class LifecycleWrites(Writes):
    """Revoke, suspend, reinstate or supersede a whole root or one credential (the issuer key or governance)."""

    def revoke_root(self, root: bytes, reason_code: int) -> ContractFunction:
        return self._fn("revokeRoot", root, reason_code)

    def suspend_root(self, root: bytes, reason_code: int) -> ContractFunction:
        return self._fn("suspendRoot", root, reason_code)

    def reinstate_root(self, root: bytes, reason_code: int) -> ContractFunction:
        return self._fn("reinstateRoot", root, reason_code)

    def supersede_root(self, root: bytes, replacement_root: bytes, reason_code: int) -> ContractFunction:
        return self._fn("supersedeRoot", root, replacement_root, reason_code)

    def revoke_credential(self, root: bytes, credential_hash: bytes, reason_code: int) -> ContractFunction:
        return self._fn("revokeCredential", root, credential_hash, reason_code)

    def suspend_credential(self, root: bytes, credential_hash: bytes, reason_code: int) -> ContractFunction:
        return self._fn("suspendCredential", root, credential_hash, reason_code)

    def reinstate_credential(self, root: bytes, credential_hash: bytes, reason_code: int) -> ContractFunction:
        return self._fn("reinstateCredential", root, credential_hash, reason_code)

    def supersede_credential(
        self, root: bytes, credential_hash: bytes, replacement_root: bytes, replacement_hash: bytes, reason_code: int
    ) -> ContractFunction:
        return self._fn("supersedeCredential", root, credential_hash, replacement_root, replacement_hash, reason_code)
