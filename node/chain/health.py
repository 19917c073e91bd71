"""The chain's health probes: which chain answers, its head, whether a contract has code (one RPC each)."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3


@dataclass(frozen=True)
class ChainHead:
    """The chain a connection serves and its latest block number, as one probe saw them."""

    chain_id: int
    block_number: int


def chain_id(w3: Web3) -> int:
    """``eth_chainId`` (cached by :func:`node.chain.client.connect`'s provider)."""
    return int(w3.eth.chain_id)


def block_number(w3: Web3) -> int:
    """``eth_blockNumber``: the latest block."""
    return int(w3.eth.block_number)


def chain_head(w3: Web3) -> ChainHead:
    return ChainHead(chain_id=chain_id(w3), block_number=block_number(w3))


def has_code(w3: Web3, address: str) -> bool:
    """True when a contract is deployed at ``address`` (``eth_getCode`` is not empty)."""
    return len(w3.eth.get_code(Web3.to_checksum_address(address))) > 0
