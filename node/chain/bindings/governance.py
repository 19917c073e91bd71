"""IRegistryGovernance: k-of-n proposals and the governor set."""

from __future__ import annotations

from web3.contract.contract import ContractFunction

from node.chain.bindings.base import Writes, checksum


class GovernanceWrites(Writes):
    """Proposals (a governor), and the governor set and threshold (only through an executed proposal)."""

    def propose(self, target: str, data: bytes, deadline: int) -> ContractFunction:
        return self._fn("propose", checksum(target), data, deadline)

    def approve(self, proposal_id: int) -> ContractFunction:
        return self._fn("approve", proposal_id)

    def execute(self, proposal_id: int) -> ContractFunction:
        return self._fn("execute", proposal_id)

    def add_governor(self, governor: str) -> ContractFunction:
        return self._fn("addGovernor", checksum(governor))

    def remove_governor(self, governor: str) -> ContractFunction:
        return self._fn("removeGovernor", checksum(governor))

    def set_threshold(self, threshold: int) -> ContractFunction:
        return self._fn("setThreshold", threshold)
