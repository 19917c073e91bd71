"""Reading a signed transaction back from its raw bytes (RLP for legacy transactions, EIP-2718 typed envelopes).

A batch keeps the raw transaction it signed (durable before it is sent); after a restart the batcher needs the
transaction's fields again to re-send or await it. Only ``node/chain/`` speaks the chain's wire formats.
"""

from __future__ import annotations

import rlp  # type: ignore[import-untyped]
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes

from node.chain.txmanager import SignedTx


def decode_signed(raw_tx: str, *, sender: str, nonce: int, tx_hash: str) -> SignedTx:
    """The :class:`SignedTx` of ``raw_tx`` (0x hex), with the sender, nonce and hash its signer recorded."""
    raw = HexBytes(raw_tx)
    if raw[0] >= 0xC0:  # legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
        fields = rlp.decode(bytes(raw))
        v = int.from_bytes(fields[6], "big")
        chain_id = (v - 35) // 2 if v >= 35 else 0
        gas, to, value, data = (int.from_bytes(fields[2], "big"), bytes(fields[3]),
                                int.from_bytes(fields[4], "big"), bytes(fields[5]))  # fmt: skip
    else:
        tx = TypedTransaction.from_bytes(raw).as_dict()
        chain_id, gas, to, value, data = (int(tx["chainId"]), int(tx["gas"]), bytes(tx["to"]),
                                          int(tx["value"]), bytes(tx["data"]))  # fmt: skip
    return SignedTx(
        sender=sender,
        nonce=nonce,
        tx_hash=tx_hash,
        raw_tx=raw_tx,
        gas=gas,
        chain_id=chain_id,
        to="0x" + to.hex(),
        data="0x" + data.hex(),
        value=value,
    )
