"""IRegistryAccreditation: bodies and issuers (accredit, suspend, reinstate, withdraw, re-point)."""

from __future__ import annotations

from collections.abc import Sequence

from web3.contract.contract import ContractFunction

from node.chain.bindings.base import Writes, checksum, words


class AccreditationWrites(Writes):
    """Bodies (governance only) and their issuers (the body's admin or governance)."""

    def accredit_body(
        self,
        admin: str,
        credential_types: Sequence[bytes],
        max_level: int,
        valid_from: int,
        valid_until: int,
        metadata_uri: str,
    ) -> ContractFunction:
        return self._fn(
            "accreditBody", checksum(admin), words(credential_types), max_level, valid_from, valid_until, metadata_uri
        )

    def suspend_body(self, body_id: int, reason_code: int) -> ContractFunction:
        return self._fn("suspendBody", body_id, reason_code)

    def reinstate_body(self, body_id: int, reason_code: int) -> ContractFunction:
        return self._fn("reinstateBody", body_id, reason_code)

    def withdraw_body(self, body_id: int, reason_code: int) -> ContractFunction:
        return self._fn("withdrawBody", body_id, reason_code)

    def set_body_admin(self, body_id: int, new_admin: str) -> ContractFunction:
        return self._fn("setBodyAdmin", body_id, checksum(new_admin))

    def accredit_issuer(
        self,
        body_id: int,
        credential_types: Sequence[bytes],
        max_level: int,
        valid_from: int,
        valid_until: int,
        metadata_uri: str,
        metadata_hash: bytes,
    ) -> ContractFunction:
        return self._fn(
            "accreditIssuer",
            body_id,
            words(credential_types),
            max_level,
            valid_from,
            valid_until,
            metadata_uri,
            metadata_hash,
        )

    def suspend_issuer(self, issuer_id: int, reason_code: int) -> ContractFunction:
        return self._fn("suspendIssuer", issuer_id, reason_code)

    def reinstate_issuer(self, issuer_id: int, reason_code: int) -> ContractFunction:
        return self._fn("reinstateIssuer", issuer_id, reason_code)

    def withdraw_issuer(self, issuer_id: int, reason_code: int) -> ContractFunction:
        return self._fn("withdrawIssuer", issuer_id, reason_code)

    def set_issuer_metadata(self, issuer_id: int, metadata_uri: str, metadata_hash: bytes) -> ContractFunction:
        return self._fn("setIssuerMetadata", issuer_id, metadata_uri, metadata_hash)
