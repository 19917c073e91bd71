"""A signed transaction read back from its raw bytes: legacy (RLP, EIP-155 chain id in v) and typed (EIP-1559)."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.txdecode import decode_signed


@pytest.mark.parametrize("fees", [{"gasPrice": 7}, {"maxFeePerGas": 9, "maxPriorityFeePerGas": 1, "type": 2}])
def test_a_raw_transaction_decodes_back_to_what_was_signed(fees: dict[str, int]) -> None:
    key = Account.from_key(DEV_PRIVATE_KEYS[2])
    tx = {"to": "0x" + "11" * 20, "data": "0x1234", "value": 5, "nonce": 42, "gas": 90_000, "chainId": 472_019, **fees}
    raw = Account.sign_transaction(tx, key.key)
    raw_hex, tx_hash = "0x" + bytes(raw.raw_transaction).hex(), "0x" + bytes(raw.hash).hex()
    signed = decode_signed(raw_hex, sender=key.address, nonce=42, tx_hash=tx_hash)
    assert (signed.nonce, signed.gas, signed.chain_id, signed.value) == (42, 90_000, 472_019, 5)
    assert (signed.to, signed.data, signed.raw_tx, signed.tx_hash) == (tx["to"], "0x1234", raw_hex, tx_hash)
    assert signed.sender == key.address
