"""THE escape hatch: a call of any state-changing function of the registry or of governance, named at run time.

Everything else builds its calls with the typed builders (:mod:`node.chain.bindings`). A governance proposal may name
any function with JSON arguments (``POST /v1/governance/proposals``, ``credreg governance propose``), so this one
place walks the contracts' ABI: it finds the function, checks the argument count, lets the caller turn each JSON value
into its ABI type (``coerce``: addresses, hex, credential type names), checks every value encodes, and returns the
bound call. Nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eth_abi.exceptions import EncodingError
from eth_utils.abi import collapse_if_tuple
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import MismatchedABI, Web3ValidationError

from node.errors import ValidationFailedError

if TYPE_CHECKING:
    from node.chain.registry import RegistryClient

Coerce = Callable[[str, str, Any], Any]
"""(ABI type, parameter name, JSON value) -> the value to encode (raise ValidationFailedError to refuse it)."""


def _as_is(kind: str, name: str, value: Any) -> Any:
    return value


def encode_call(
    client: RegistryClient, contract_name: str, function: str, args: Sequence[Any], coerce: Coerce = _as_is
) -> ContractFunction:
    """The call ``function(*args)`` of ``contract_name`` ("registry" or "governance"), checked to encode; else
    ValidationFailedError naming what does not fit (the target, the function, the count, or the first argument)."""
    contract = {"registry": client.registry, "governance": client.governance}.get(contract_name)
    if contract is None:
        raise ValidationFailedError("target: must be 'registry' or 'governance'")
    entries = [e for e in contract.abi if e.get("type") == "function" and e.get("name") == function]
    if not entries or all(e.get("stateMutability") in ("view", "pure") for e in entries):
        raise ValidationFailedError(f"function: {contract_name} has no state-changing function {function!r}")
    return _encodable_call(contract, dict(entries[0]), args, coerce)


def _call_args(entry: dict[str, Any], args: Sequence[Any], coerce: Coerce) -> list[Any]:
    """``args`` for one ABI function, each through ``coerce``; the count checked."""
    inputs = entry.get("inputs", [])
    if len(inputs) != len(args):
        names = ", ".join(f"{i['type']} {i['name']}" for i in inputs)
        raise ValidationFailedError(f"args: {entry['name']} takes {len(inputs)} arguments ({names})")
    return [coerce(str(spec["type"]), str(spec["name"]), value) for spec, value in zip(inputs, args, strict=True)]


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


def _encodable_call(contract: Contract, entry: dict[str, Any], args: Sequence[Any], coerce: Coerce) -> ContractFunction:
    """The call of ``entry`` with JSON ``args``, checked to encode; else ValidationFailedError naming the first
    argument that does not fit its ABI type (web3's own errors are not TypeError/ValueError: they were a 500)."""
    values = _call_args(entry, args, coerce)
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
