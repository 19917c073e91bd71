"""The typed write calls (node/chain/bindings/) against the ABI in the committed artifacts: one builder per
state-changing function, same name and parameters, each encoding the call it names."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from node.chain.bindings import GovernanceWrites, RegistryWrites
from node.chain.bindings.base import Writes

BUILD = Path(__file__).resolve().parents[2] / "contracts" / "build"
ADDRESS = "0x" + "11" * 20
BINDINGS: dict[str, type[Writes]] = {"CredentialRegistry": RegistryWrites, "RegistryGovernance": GovernanceWrites}


def _abi(contract: str) -> list[dict[str, Any]]:
    abi: list[dict[str, Any]] = json.loads((BUILD / f"{contract}.json").read_text())["abi"]
    return abi


def _writes(contract: str) -> dict[str, dict[str, Any]]:
    """Every state-changing function of ``contract``'s ABI: name -> its ABI entry (the contracts have no overloads)."""
    entries = [e for e in _abi(contract) if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), f"{contract} overloads a function: the bindings cannot mirror it by name"
    return {e["name"]: e for e in entries}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _builders(cls: type[Writes]) -> dict[str, Any]:
    return {name: fn for name, fn in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def _python_type(kind: str) -> object:
    """The parameter annotation a builder gives an ABI type."""
    if kind.endswith("[]"):
        return Sequence[_python_type(kind[:-2])]  # type: ignore[misc]
    if kind.startswith(("uint", "int")):
        return int
    if kind.startswith("bytes"):
        return bytes
    return {"address": str, "string": str, "bool": bool}[kind]


def _sample(kind: str) -> Any:
    if kind.endswith("[]"):
        return [_sample(kind[:-2])]
    if kind.startswith(("uint", "int")):
        return 1
    if kind == "address":
        return "0x" + "ab" * 20  # lower case: the builders checksum
    if kind == "bytes":
        return b"\x01\x02"
    if kind.startswith("bytes"):
        return b"\x07" * int(kind[5:])
    return {"string": "did:web:example.test", "bool": True}[kind]


@pytest.mark.parametrize("contract", sorted(BINDINGS))
def test_every_state_changing_function_has_exactly_one_builder(contract: str) -> None:
    expected = {_snake(name) for name in _writes(contract)}
    built = set(_builders(BINDINGS[contract]))
    assert sorted(expected - built) == [], f"{contract} functions without a builder in node/chain/bindings/"
    assert sorted(built - expected) == [], f"builders in node/chain/bindings/ for no function of {contract}"


@pytest.mark.parametrize("contract", sorted(BINDINGS))
def test_each_builder_takes_the_functions_parameters_typed(contract: str) -> None:
    builders = _builders(BINDINGS[contract])
    for name, entry in _writes(contract).items():
        fn = builders[_snake(name)]
        hints = typing.get_type_hints(fn)
        params = [p for p in inspect.signature(fn).parameters if p != "self"]
        inputs = entry["inputs"]
        assert len(params) == len(inputs), f"{name}: {len(inputs)} parameters in the ABI, {len(params)} in Python"
        for param, spec in zip(params, inputs, strict=True):
            assert param == _snake(spec["name"].rstrip("_")).replace("_u_r_i", "_uri"), f"{name}: {param}"
            assert hints[param] == _python_type(spec["type"]), f"{name}({param}): {hints[param]} for {spec['type']}"


@pytest.mark.parametrize("contract", sorted(BINDINGS))
def test_each_builder_encodes_the_function_it_names(contract: str) -> None:
    bound = BINDINGS[contract](Web3().eth.contract(address=Web3.to_checksum_address(ADDRESS), abi=_abi(contract)))
    for name, entry in _writes(contract).items():
        fn = getattr(bound, _snake(name))(*[_sample(spec["type"]) for spec in entry["inputs"]])
        signature = f"{name}({','.join(spec['type'] for spec in entry['inputs'])})"
        assert fn.abi_element_identifier == signature
        assert fn.address == Web3.to_checksum_address(ADDRESS)
        assert fn._encode_transaction_data().startswith("0x" + Web3.keccak(text=signature)[:4].hex())
