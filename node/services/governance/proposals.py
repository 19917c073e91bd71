"""k-of-n proposals: propose an arbitrary call (the one deliberate escape hatch), approve, execute."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eth_abi.exceptions import EncodingError
from eth_utils.abi import collapse_if_tuple
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import MismatchedABI, Web3ValidationError

from node.chain.errors import explained
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
        contract = {"registry": registry.registry, "governance": registry.governance}.get(target)
        if contract is None:
            raise ValidationFailedError("target: must be 'registry' or 'governance'")
        entries = [e for e in contract.abi if e.get("type") == "function" and e.get("name") == function]
        if not entries or all(e.get("stateMutability") in ("view", "pure") for e in entries):
            raise ValidationFailedError(f"function: {target} has no state-changing function {function!r}")
        fn = _encodable_call(contract, dict(entries[0]), args)
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


def _call_args(entry: dict[str, Any], args: Sequence[Any]) -> list[Any]:
    """JSON arguments for one ABI function: addresses checksummed, 0x hex for bytes; counts checked."""
    inputs = entry.get("inputs", [])
    if len(inputs) != len(args):
        names = ", ".join(f"{i['type']} {i['name']}" for i in inputs)
        raise ValidationFailedError(f"args: {entry['name']} takes {len(inputs)} arguments ({names})")
    out: list[Any] = []
    for spec, value in zip(inputs, args, strict=True):
        kind = str(spec["type"])
        if kind == "address" and isinstance(value, str):
            out.append(address(value, str(spec["name"])))
        elif kind.startswith("bytes") and not kind.endswith("]") and isinstance(value, str) and value.startswith("0x"):
            try:
                out.append(bytes.fromhex(value[2:]))
            except ValueError as exc:
                raise ValidationFailedError(f"args: {spec['name']} is not hex") from exc
        elif kind == "bytes32[]" and isinstance(value, list):
            out.append(type_ids([str(v) for v in value]))
        else:
            out.append(value)
    return out


def _expects(kind: str) -> str:
    """What a JSON argument of ABI type ``kind`` looks like, in words."""
    if kind.endswith("]"):
        return f"a JSON array of {kind[: kind.rindex('[')]} values"
    if kind.startswith("("):
        return f"a JSON array of the fields {kind}, in order"
    bits = kind.removeprefix("u").removeprefix("int") or "256"
    if kind.startswith("uint"):
        return f"an integer from 0 to 2**{bits} - 1"
    if kind.startswith("int"):
        return f"an integer from -2**{int(bits) - 1} to 2**{int(bits) - 1} - 1"
    if kind == "address":
        return "an address (0x and 40 hex digits)"
    if kind.startswith("bytes") and kind != "bytes":
        return f"0x and {2 * int(kind[5:])} hex digits"
    return {"bool": "true or false", "string": "a string", "bytes": "0x and hex digits"}.get(kind, f"a {kind}")


def _encodable_call(contract: Contract, entry: dict[str, Any], args: Sequence[Any]) -> ContractFunction:
    """The call of ``entry`` with JSON ``args``, checked to encode; else ValidationFailedError naming the first
    argument that does not fit its ABI type (web3's own errors are not TypeError/ValueError: they were a 500)."""
    values = _call_args(entry, args)
    for i, (spec, value) in enumerate(zip(entry.get("inputs", []), values, strict=True)):
        kind = str(collapse_if_tuple(dict(spec)))
        if not contract.w3.codec.is_encodable(kind, value):
            raise ValidationFailedError(
                f"args[{i}] ({kind} {spec.get('name') or ''}) of {entry['name']}: {str(args[i])[:80]!r} does not fit; "
                f"give {_expects(kind)}."
            )
    try:
        fn: ContractFunction = contract.get_function_by_name(str(entry["name"]))(*values)
        fn._encode_transaction_data()
    except (TypeError, ValueError, OverflowError, EncodingError, MismatchedABI, Web3ValidationError) as exc:
        raise ValidationFailedError(
            f"args: {entry['name']} does not accept these arguments ({type(exc).__name__}): give each in ABI order, "
            "of its type."
        ) from exc
    return fn
