"""What every binding shares: the bound contract, and a web3 ContractFunction typed as one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction


class Writes:
    """Write-call builders bound to one contract: each method encodes one call locally (nothing is sent) and returns
    the ContractFunction, for a TxManager (``Call.of``) or a governance proposal."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract

    def _fn(self, name: str, *args: Any) -> ContractFunction:
        fn: ContractFunction = self._contract.functions[name](*args)
        return fn


def checksum(address: str) -> ChecksumAddress:
    return Web3.to_checksum_address(address)


def words(values: Sequence[bytes]) -> list[bytes]:
    """A bytes32[] argument."""
    return [bytes(v) for v in values]
