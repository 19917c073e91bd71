"""Compile the Solidity sources with py-solc-x over the npm ``solc`` package, and write committed artifacts.

Only ``make contracts`` needs this module (and Node): deploying, issuing and verifying read ``contracts/build`` alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from node.config import PROJECT_ROOT
from node.errors import CompilerError, ConfigurationError

EVM_VERSION = "cancun"
"""py-evm, anvil ``--hardfork cancun`` and Besu QBFT all run it; solc's default (osaka) does not run on py-evm."""

OPTIMIZER_RUNS = 10_000
SHIM = PROJECT_ROOT / "scripts" / "solc-shim.js"
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
BUILD_DIR = CONTRACTS_DIR / "build"
INDEX_FILE = "index.json"

COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
    "evmVersion": EVM_VERSION,
    "viaIR": False,
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "devdoc", "userdoc"]}},
}


def source_files(contracts_dir: Path = CONTRACTS_DIR) -> list[Path]:
    """Every ``.sol`` file of ours (build/ excluded), sorted for a stable hash."""
    return sorted(p for p in contracts_dir.rglob("*.sol") if "build" not in p.relative_to(contracts_dir).parts)


def sources_hash(files: Iterable[Path] | None = None, root: Path = PROJECT_ROOT) -> str:
    """sha256 over the relative path and bytes of every source, and the compiler settings."""
    digest = hashlib.sha256()
    digest.update(json.dumps(COMPILER_SETTINGS, sort_keys=True).encode())
    for path in files if files is not None else source_files():
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _source_name(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else path.as_posix()


def _solc_binary() -> Path:
    if shutil.which("node") is None:
        raise ConfigurationError("Node.js is not on PATH: install Node 20, then run `make setup`.")
    if not (PROJECT_ROOT / "node_modules" / "solc").is_dir():
        raise ConfigurationError("the npm toolchain is missing: run `make setup` (npm ci) first.")
    return SHIM


def compile_sources(files: list[Path] | None = None) -> tuple[str, dict[str, Any]]:
    """Compile and return (compiler version, standard-json output). Raises CompilerError with solc's messages."""
    import solcx  # imported here: only `make contracts` needs the compiler
    import solcx.wrapper

    files = files if files is not None else source_files()
    if not files:
        raise CompilerError(f"no Solidity sources under {CONTRACTS_DIR}")
    binary = _solc_binary()
    standard_input = {
        "language": "Solidity",
        "sources": {_source_name(p): {"content": p.read_text()} for p in files},
        "settings": COMPILER_SETTINGS,
    }
    version = str(solcx.wrapper.get_solc_version(binary, with_commit_hash=True))
    try:
        output: dict[str, Any] = solcx.compile_standard(
            standard_input, solc_binary=binary, base_path=str(PROJECT_ROOT), allow_paths=[str(PROJECT_ROOT)]
        )
    except solcx.exceptions.SolcError as exc:
        raise CompilerError(f"solc refused the sources:\n{exc}") from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilerError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return version, output


def write_artifacts(build_dir: Path = BUILD_DIR) -> list[str]:
    """Compile everything and write one artifact per contract we deploy (plus index.json). Returns the names."""
    files = source_files()
    version, output = compile_sources(files)
    src_hash = sources_hash(files)
    ours = {_source_name(p) for p in files}
    build_dir.mkdir(parents=True, exist_ok=True)
    for old in build_dir.glob("*.json"):
        old.unlink()
    names: list[str] = []
    for source, contracts in sorted(output["contracts"].items()):
        if source not in ours:
            continue
        for name, data in sorted(contracts.items()):
            bytecode = data["evm"]["bytecode"]["object"]
            kind = "contract" if bytecode else "interface"  # interfaces and abstract contracts: the ABI is enough
            artifact = {
                "contractName": name,
                "sourceName": source,
                "kind": kind,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "compiler": version,
                "settings": {k: v for k, v in COMPILER_SETTINGS.items() if k != "outputSelection"},
                "sourcesHash": src_hash,
                "devdoc": data.get("devdoc", {}),
                "userdoc": data.get("userdoc", {}),
            }
            (build_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
            names.append(name)
    index = {"compiler": version, "sourcesHash": src_hash, "contracts": sorted(names)}
    (build_dir / INDEX_FILE).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    return names
