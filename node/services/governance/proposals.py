"""k-of-n proposals: propose an arbitrary call (the one deliberate escape hatch, node/chain/proposals.py), approve,
execute."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from node.chain.errors import explained
from node.chain.proposals import encode_call
from node.errors import (
    ContractForbiddenError,
    ProposalStateError,
    ValidationFailedError,
)
from node.services.governance.acting import GovernanceActs
from node.services.governance.common import (
    _tx_of,
    address,
    type_ids,
)
from node.services.governance.models import (
    DEFAULT_TTL_S,
    ChainAct,
    ProposalState,
    Via,
)


class ProposalActs(GovernanceActs):
    """Proposals through the governance contract."""

    def propose(self, target: str, function: str, args: Sequence[Any], ttl_s: int = DEFAULT_TTL_S) -> ChainAct:
        """Propose any state-changing function of the registry or of governance (executed at once when k == 1)."""
        registry = self._registry
        fn = encode_call(registry, target, function, args, _json_arg)  # the escape hatch: any function, by name
        if ttl_s < 60:
            raise ValidationFailedError("ttlSeconds: give a proposal at least 60 seconds")
        tm = self.governor_tm()
        with explained("the proposal"):
            if not registry.is_governor(tm.address):
                raise ContractForbiddenError(
                    f"the node's governor key {tm.address} is not a governor: set CREDREG_DEPLOYER_KEY to one.",
                    "RegistryGovernanceNotGovernor",
                    (tm.address,),
                )
            registry.preflight_as_governance(fn)
            proposal_id, receipt = registry.propose(tm, fn, int(time.time()) + ttl_s)
            act, _ = self._execute_if_ready(tm, proposal_id, receipt)
        return act

    def approve(self, proposal_id: int, *, execute: bool = True) -> ChainAct:
        """Approve with the node's governor key; execute too when that reaches k (unless ``execute`` is False)."""
        self.proposal(proposal_id)  # 404 for an unknown id
        tm = self.governor_tm()
        with explained("the proposal"):
            receipt = self._registry.approve_proposal(tm, proposal_id)
            if not execute:
                tx_hash, block = _tx_of(receipt)
                view = self.proposal(proposal_id)
                return ChainAct(via=Via.GOVERNANCE, executed=False, tx_hash=tx_hash, block_number=block, proposal=view)
            act, _ = self._execute_if_ready(tm, proposal_id, receipt)
        self._sync_after(act)
        return act

    def execute(self, proposal_id: int) -> ChainAct:
        view = self.proposal(proposal_id)
        if view.state is ProposalState.EXECUTED:
            raise ProposalStateError(
                f"proposal {proposal_id} was already executed: nothing left to do.",
                "RegistryGovernanceAlreadyExecuted",
                (proposal_id,),
            )
        tm = self.governor_tm()
        with explained("the proposal"):
            receipt = self._registry.execute_proposal(tm, proposal_id)
        tx_hash, block = _tx_of(receipt)
        act = ChainAct(
            via=Via.GOVERNANCE,
            executed=True,
            tx_hash=tx_hash,
            block_number=block,
            proposal=self.proposal(proposal_id),
        )
        self._sync_after(act)
        return act


def _json_arg(kind: str, name: str, value: Any) -> Any:
    """A JSON argument as its ABI type wants it: addresses checksummed, 0x hex as bytes, type names as bytes32 ids."""
    if kind == "address" and isinstance(value, str):
        return address(value, name)
    if kind.startswith("bytes") and not kind.endswith("]") and isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError as exc:
            raise ValidationFailedError(f"args: {name} is not hex") from exc
    if kind == "bytes32[]" and isinstance(value, list):
        return type_ids([str(v) for v in value])
    return value
