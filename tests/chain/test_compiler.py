"""The committed artifacts are the product of the committed sources: a changed .sol without `make contracts` fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from node.chain import compiler
from node.errors import CompilerError

INDEX = json.loads((compiler.BUILD_DIR / compiler.INDEX_FILE).read_text())


def test_artifacts_are_up_to_date_with_the_sources() -> None:
    assert INDEX["sourcesHash"] == compiler.sources_hash(), (
        "contracts/*.sol changed since contracts/build was written: run `make contracts` and commit contracts/build"
    )


def test_every_artifact_carries_the_sources_hash_and_settings() -> None:
    for name in INDEX["contracts"]:
        artifact = json.loads((compiler.BUILD_DIR / f"{name}.json").read_text())
        assert artifact["sourcesHash"] == INDEX["sourcesHash"]
        assert artifact["settings"]["evmVersion"] == "cancun"
        assert artifact["settings"]["optimizer"]["enabled"] is True
        assert artifact["compiler"].startswith("0.8.")


def test_a_changed_source_changes_the_hash(tmp_path: Path) -> None:
    copy = tmp_path / "contracts"
    shutil.copytree(compiler.CONTRACTS_DIR, copy, ignore=shutil.ignore_patterns("build"))
    files = compiler.source_files(copy)
    assert files, "there are Solidity sources"
    before = compiler.sources_hash(files, root=tmp_path)
    files[0].write_text(files[0].read_text() + "\n// an edit\n")
    assert compiler.sources_hash(files, root=tmp_path) != before


@pytest.mark.skipif(shutil.which("node") is None, reason="the compiler needs Node (only `make contracts` does)")
def test_recompiling_reproduces_the_committed_bytecode(tmp_path: Path) -> None:
    compiler.write_artifacts(tmp_path)
    for name in INDEX["contracts"]:
        fresh = json.loads((tmp_path / f"{name}.json").read_text())
        committed = json.loads((compiler.BUILD_DIR / f"{name}.json").read_text())
        assert fresh["bytecode"] == committed["bytecode"], f"{name}: run `make contracts`"
        assert fresh["abi"] == committed["abi"]


def test_a_compile_error_is_reported_with_solcs_message(tmp_path: Path) -> None:
    source = tmp_path / "Broken.sol"
    source.write_text(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.37;\ncontract Broken { uint x = ; }\n"
    )
    with pytest.raises(CompilerError, match="Broken"):
        compiler.compile_sources([source])
