"""The one contract-error table (node/chain/errors.py) against the ABI in the committed artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.chain.errors import CONTRACT_ERRORS, explain
from node.errors import ContractRevertError, TransactionRevertedError

BUILD = Path(__file__).resolve().parents[2] / "contracts" / "build"


def _abi_errors() -> dict[str, list[dict[str, object]]]:
    """Every custom error of every contract artifact: name -> its inputs."""
    out: dict[str, list[dict[str, object]]] = {}
    for path in sorted(BUILD.glob("*.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "abi" not in data:
            continue  # index.json
        for entry in data["abi"]:
            if entry.get("type") == "error":
                out[entry["name"]] = entry["inputs"]
    return out


def test_the_artifacts_declare_custom_errors() -> None:
    errors = _abi_errors()
    assert "CredentialRegistryUnknownRoot" in errors and "RegistryGovernanceNotGovernor" in errors
    assert len(errors) >= 40


def test_every_custom_error_of_every_contract_is_mapped() -> None:
    missing = sorted(set(_abi_errors()) - set(CONTRACT_ERRORS))
    assert missing == [], f"custom errors without an entry in node/chain/errors.py: {missing}"


def test_no_mapped_name_is_missing_from_the_abi() -> None:
    stale = sorted(set(CONTRACT_ERRORS) - set(_abi_errors()))
    assert stale == [], f"entries of node/chain/errors.py that no contract declares: {stale}"


def _sample(inputs: list[dict[str, object]]) -> tuple[object, ...]:
    values: list[object] = []
    for param in inputs:
        kind = str(param["type"])
        if kind.startswith("bytes"):
            values.append(b"\x01" * 32)
        elif kind == "address":
            values.append("0x" + "11" * 20)
        elif kind == "string":
            values.append("x")
        elif kind.startswith("uint8"):
            values.append(1)
        else:
            values.append(1_700_000_000)
    return tuple(values)


@pytest.mark.parametrize("name", sorted(CONTRACT_ERRORS))
def test_every_entry_gives_one_sentence_that_says_what_to_do(name: str) -> None:
    inputs = _abi_errors().get(name, [])
    raw = ContractRevertError("raw", name, _sample(inputs))
    mapped = explain(raw, "credential X")
    assert mapped is not raw and mapped.error_name == name and mapped.error_args == raw.error_args
    assert isinstance(mapped, CONTRACT_ERRORS[name].error)
    assert mapped.detail.endswith((".", ")")) and mapped.detail != "raw", mapped.detail
    unread = " ? " in mapped.detail or "?," in mapped.detail
    assert not unread, f"an argument the ABI gives was not read: {mapped.detail}"
    assert mapped.detail == explain(raw, "credential X").detail  # one sentence, the same each time


def test_an_entry_without_a_finer_class_keeps_the_refusals_class() -> None:
    mined = TransactionRevertedError("raw", "FailedCall", ())
    mapped = explain(mined)
    assert type(mapped) is TransactionRevertedError and mapped.status_code == 409
    assert "failed without a reason" in mapped.detail


def test_an_unknown_error_passes_through() -> None:
    unknown = ContractRevertError("raw", "SomethingNew", ())
    assert explain(unknown) is unknown
    unnamed = ContractRevertError("raw")
    assert explain(unnamed) is unnamed
