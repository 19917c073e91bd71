"""The escape hatch (node/chain/proposals.py): any state-changing function by name, its JSON arguments checked."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from web3 import Web3

from node.chain.proposals import encode_call
from node.chain.registry import RegistryClient
from node.errors import ValidationFailedError

BUILD = Path(__file__).resolve().parents[2] / "contracts" / "build"


def _client() -> RegistryClient:
    w3 = Web3()

    def bound(name: str, byte: str) -> Any:
        abi = json.loads((BUILD / f"{name}.json").read_text())["abi"]
        return w3.eth.contract(address=Web3.to_checksum_address("0x" + byte * 20), abi=abi)

    stub = SimpleNamespace(registry=bound("CredentialRegistry", "11"), governance=bound("RegistryGovernance", "22"))
    return cast(RegistryClient, stub)


def test_a_state_changing_function_by_name_becomes_its_bound_call() -> None:
    fn = encode_call(_client(), "registry", "suspendBody", [3, 7])
    assert fn.abi_element_identifier == "suspendBody(uint32,uint16)"
    assert fn.address == Web3.to_checksum_address("0x" + "11" * 20)
    fn = encode_call(_client(), "governance", "setThreshold", [2])
    assert fn.address == Web3.to_checksum_address("0x" + "22" * 20)


def test_each_argument_goes_through_coerce_with_its_abi_type_and_name() -> None:
    seen: list[tuple[str, str]] = []

    def coerce(kind: str, name: str, value: Any) -> Any:
        seen.append((kind, name))
        return Web3.to_checksum_address(value) if kind == "address" else value

    encode_call(_client(), "registry", "setBodyAdmin", [1, "0x" + "ab" * 20], coerce)
    assert seen == [("uint32", "bodyId"), ("address", "newAdmin")]


@pytest.mark.parametrize(
    ("target", "function", "args", "says"),
    [
        ("token", "suspendBody", [1, 1], "target: must be 'registry' or 'governance'"),
        ("registry", "bodyCount", [], "function: registry has no state-changing function 'bodyCount'"),
        ("registry", "nothing", [], "function: registry has no state-changing function 'nothing'"),
        ("registry", "suspendBody", [1], "args: suspendBody takes 2 arguments (uint32 bodyId, uint16 reasonCode)"),
        ("registry", "suspendBody", [1, 70_000], "args[1] (uint16 reasonCode) of suspendBody: '70000' does not fit"),
    ],
)
def test_what_does_not_fit_is_named(target: str, function: str, args: list[Any], says: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        encode_call(_client(), target, function, args)
    assert says in str(caught.value)
