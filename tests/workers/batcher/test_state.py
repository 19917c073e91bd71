"""node/workers/batcher/state.py, what the batcher's parts share: a signed transaction persisted on a batch reads back
to what was signed (no chain needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from eth_account import Account

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.store import Batch, BatchStatus
from node.workers.batcher.state import signed_tx_of


@pytest.mark.parametrize("fees", [{"gasPrice": 7}, {"maxFeePerGas": 9, "maxPriorityFeePerGas": 1, "type": 2}])
def test_a_persisted_raw_transaction_decodes_back_to_what_was_signed(fees: dict[str, int]) -> None:
    key = Account.from_key(DEV_PRIVATE_KEYS[2])
    tx = {"to": "0x" + "11" * 20, "data": "0x1234", "value": 5, "nonce": 42, "gas": 90_000, "chainId": 472_019, **fees}
    raw = Account.sign_transaction(tx, key.key)
    now = datetime.now(UTC)
    batch = Batch(1, 1, "0x" + "22" * 32, 2, None, None, BatchStatus.SIGNED, key.address, 42,
                  "0x" + bytes(raw.raw_transaction).hex(), "0x" + bytes(raw.hash).hex(), None, None, 0, None, now,
                  None, None)  # fmt: skip
    signed = signed_tx_of(batch)
    assert signed is not None
    assert (signed.nonce, signed.gas, signed.chain_id, signed.value) == (42, 90_000, 472_019, 5)
    assert (signed.to, signed.data, signed.raw_tx, signed.sender) == (tx["to"], "0x1234", batch.raw_tx, key.address)
    assert signed_tx_of(replace(batch, raw_tx="")) is None  # confirmed from a log: no transaction of its own
