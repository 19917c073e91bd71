"""Delegated anchoring: an issuer key's EIP-712 ``Anchor`` signature, for anyone to submit with ``anchorBySig``."""

from __future__ import annotations

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

ANCHOR_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Anchor": [
        {"name": "root", "type": "bytes32"},
        {"name": "leafCount", "type": "uint32"},
        {"name": "credentialType", "type": "bytes32"},
        {"name": "expiresAt", "type": "uint40"},
        {"name": "deadline", "type": "uint40"},
    ],
}
"""The EIP-712 types of a delegated anchor (`anchorBySig`); the domain is {name "CredentialRegistry", version "1",
chain id, registry address}, so a signature is bound to one chain and one contract."""


def sign_anchor(
    key: LocalAccount,
    registry_address: str,
    chain_id: int,
    root: bytes,
    leaf_count: int,
    credential_type: bytes,
    expires_at: int,
    deadline: int,
) -> tuple[int, bytes, bytes]:
    """An issuer key's EIP-712 `Anchor` signature as (v, r, s), for anyone to submit with `anchorBySig` (the key can
    stay offline; a relayer pays). Single-use: a root is anchored once only."""
    message = {
        "types": ANCHOR_TYPES,
        "primaryType": "Anchor",
        "domain": {
            "name": "CredentialRegistry",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": registry_address,
        },
        "message": {
            "root": root,
            "leafCount": leaf_count,
            "credentialType": credential_type,
            "expiresAt": expires_at,
            "deadline": deadline,
        },
    }
    signed = key.sign_message(encode_typed_data(full_message=message))
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
