"""The web3 client: connecting with clear errors, contract artifacts, and custom-error decoding in one place.

A decoded custom error carries the sentence of the one contract-error table (:mod:`node.chain.errors`).
"""

from __future__ import annotations

import ast
import contextlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import requests
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    Web3RPCError,
)
from web3.types import RPCEndpoint

from node.chain.errors import sentence
from node.errors import ChainUnavailableError, ContractRevertError, DeploymentError


def connect(rpc_url: str, timeout_s: float = 10.0) -> Web3:
    """A Web3 on ``rpc_url`` whose endpoint answered ``eth_chainId``; ChainUnavailableError otherwise."""
    # Cache only what never changes on one endpoint: web3 8 otherwise re-asks eth_chainId around every call, and
    # caching chain-state reads (blocks, transactions) could hide a reorg or a reset chain.
    provider = HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout_s},
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId"), RPCEndpoint("net_version"), RPCEndpoint("web3_clientVersion")},
    )
    w3 = Web3(provider)
    try:
        w3.eth.chain_id  # noqa: B018 - the reachability probe (cached afterwards)
    except (requests.RequestException, ProviderConnectionError, OSError, ValueError, Web3RPCError) as exc:
        raise ChainUnavailableError(
            f"cannot reach the JSON-RPC endpoint at {rpc_url} ({type(exc).__name__}): start the devnet "
            "(`credreg devnet start`) or point CREDREG_RPC_URL / --rpc-url at a running node."
        ) from exc
    return w3


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    ProviderConnectionError,
    RequestTimedOut,
    ConnectionError,
    TimeoutError,
)
"""What a transport fault (refused, reset, timeout) raises on a read: never a contract's answer."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    sources_hash: str

    @property
    def bytecode_hash(self) -> str:
        return "0x" + keccak(hexstr=self.bytecode).hex()


def load_artifact(artifacts_dir: Path, name: str) -> Artifact:
    return _load_artifact(artifacts_dir.resolve(), name)


@cache
def _load_artifact(artifacts_dir: Path, name: str) -> Artifact:
    path = artifacts_dir / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DeploymentError(
            f"contract artifact {path} is missing or unreadable: run `make contracts` to rebuild contracts/build."
        ) from exc
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        sources_hash=data["sourcesHash"],
    )


def bind(w3: Web3, artifact: Artifact, address: str) -> type[Contract] | Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=artifact.abi)


# --- custom errors ------------------------------------------------------------------------------------------------


def error_selectors(abi: list[dict[str, Any]]) -> dict[bytes, dict[str, Any]]:
    """4-byte selector -> the ABI entry of every custom error in ``abi``."""
    out: dict[bytes, dict[str, Any]] = {}
    for entry in abi:
        if entry.get("type") == "error":
            signature = f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"
            out[keccak(text=signature)[:4]] = entry
    return out


def _abi_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + kind[len("tuple") :]
    return kind


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data of a failed call, from anvil (ContractCustomError) or eth-tester (TransactionFailed)."""
    candidates: list[Any] = [getattr(exc, "data", None), *getattr(exc, "args", ())]
    for item in list(candidates):
        # eth-tester's TransactionFailed says "execution reverted: b'...'" (a bytes repr)
        if isinstance(item, str) and "execution reverted: b" in item:
            tail = item.partition("execution reverted: ")[2]
            with contextlib.suppress(ValueError, SyntaxError):
                candidates.append(ast.literal_eval(tail))
    for item in candidates:
        if isinstance(item, bytes | bytearray) and len(item) >= 4:
            return bytes(item)
        if isinstance(item, str) and item.startswith("0x") and len(item) >= 10:
            try:
                return bytes.fromhex(item[2:])
            except ValueError:
                continue
    return None


def decode_revert(exc: BaseException, abi: list[dict[str, Any]]) -> ContractRevertError | None:
    """Map a revert carrying one of ``abi``'s custom errors onto ContractRevertError(name, args); None otherwise."""
    from eth_abi.abi import decode

    data = revert_data(exc)
    if data is None:
        return None
    entry = error_selectors(abi).get(data[:4])
    if entry is None:
        return None
    types = [_abi_type(i) for i in entry["inputs"]]
    try:
        values = tuple(decode(types, data[4:]))
    except Exception:  # noqa: BLE001 - eth_abi raises several unrelated types on malformed data
        values = ()
    shown = ", ".join(v.hex() if isinstance(v, bytes) else str(v) for v in values)
    decoded = ContractRevertError(f"the contract refused: {entry['name']}({shown})", entry["name"], values)
    what = sentence(decoded)  # the one table's sentence (node/chain/errors.py), when the error is the registry's
    if what is None:
        return decoded
    return ContractRevertError(f"{decoded.detail}: {what}", entry["name"], values)


def _revert_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [ContractCustomError, ContractLogicError]
    try:  # eth-tester (in-process chain, a dev dependency) raises its own type for a revert
        from eth_tester.exceptions import TransactionFailed
    except ImportError:  # pragma: no cover - production installs have no eth-tester
        pass
    else:
        types.append(TransactionFailed)
    return tuple(types)


REVERT_ERRORS: tuple[type[BaseException], ...] = _revert_types()
"""What a contract revert raises, on anvil/any node (web3's types) and on eth-tester: catch these, nothing wider."""


def is_revert(exc: BaseException) -> bool:
    """True for a contract revert on either backend (anvil or eth-tester)."""
    return isinstance(exc, REVERT_ERRORS)
