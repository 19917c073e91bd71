"""Deploy the contracts from the committed artifacts and keep a deployment manifest.

The manifest (``<data dir>/deployment.json``) records the chain id, the addresses, the deploy block and the artifact
hashes. Deploying again on the same chain is a no-op; a manifest for another chain, or whose contracts have no code
any more (a reset chain), is refused with a message that says what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.client import Artifact, load_artifact
from node.errors import ChainMismatchError, DeploymentError
from node.fsutil import write_atomically

GOVERNANCE = "RegistryGovernance"
REGISTRY = "CredentialRegistry"


@dataclass(frozen=True)
class DeployedContract:
    address: str
    bytecode_hash: str
    tx_hash: str


@dataclass(frozen=True)
class Manifest:
    chain_id: int
    deploy_block: int
    deployer: str
    sources_hash: str
    contracts: dict[str, DeployedContract]
    governors: list[str] = field(default_factory=list)
    threshold: int = 1
    created_at: float = 0.0

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError as exc:
            raise DeploymentError(
                f"the deployment manifest has no {name}: redeploy with `credreg deploy --fresh`."
            ) from exc

    @property
    def registry(self) -> str:
        return self.address(REGISTRY)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["contracts"] = {k: DeployedContract(**v) for k, v in data["contracts"].items()}
        return cls(**data)


def read_manifest(path: Path) -> Manifest | None:
    if not path.exists():
        return None
    try:
        return Manifest.from_json(path.read_text())
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise DeploymentError(
            f"the deployment manifest {path} is unreadable ({exc}): move it aside and run `credreg deploy` again."
        ) from exc


def check_manifest(w3: Web3, manifest: Manifest, path: Path) -> None:
    """Refuse a manifest that does not describe the chain answering at ``w3``."""
    chain_id = w3.eth.chain_id
    if manifest.chain_id != chain_id:
        raise ChainMismatchError(
            f"the deployment manifest {path} is for chain id {manifest.chain_id}, but the RPC answers chain id "
            f"{chain_id}: point CREDREG_RPC_URL at the chain it was deployed on, or use another CREDREG_DATA_DIR to "
            "deploy afresh on this chain. Only to start over in this one: `credreg deploy --fresh` (it asks for "
            f"--discard-anchored while credentials are anchored here: their bundles name chain {manifest.chain_id} "
            "and would no longer verify)."
        )
    missing = [
        name for name, c in manifest.contracts.items() if len(w3.eth.get_code(Web3.to_checksum_address(c.address))) == 0
    ]
    if missing:
        raise DeploymentError(
            f"contracts {', '.join(missing)} from {path} have no code on chain {chain_id} any more "
            "(the chain was reset or its state lost): run `credreg deploy --fresh` to deploy again. The anchors "
            "recorded on the old chain are gone: bundles already issued from it no longer verify (when this node "
            "anchored credentials there, the command asks for --discard-anchored to say you accept that)."
        )


ArgsFor = Callable[[dict[str, str]], Sequence[Any]]


@dataclass(frozen=True)
class Step:
    name: str
    args: ArgsFor


def credreg_plan(governors: Sequence[str], threshold: int) -> list[Step]:
    """Governance first (k-of-n governors), then the registry that it governs."""
    return [
        Step(GOVERNANCE, lambda _: (list(governors), threshold)),
        Step(REGISTRY, lambda deployed: (deployed[GOVERNANCE],)),
    ]


def _deploy_one(w3: Web3, account: LocalAccount, artifact: Artifact, args: Sequence[Any]) -> tuple[str, str, int]:
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor(*args).build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1 or not receipt.get("contractAddress"):
        raise DeploymentError(
            f"deploying {artifact.name} failed in transaction {tx_hash.hex()}: check the deployer's balance."
        )
    return str(receipt["contractAddress"]), "0x" + tx_hash.hex().removeprefix("0x"), int(receipt["blockNumber"])


def deploy(
    w3: Web3,
    account: LocalAccount,
    manifest_path: Path,
    artifacts_dir: Path,
    plan: list[Step] | None = None,
    fresh: bool = False,
    governors: Sequence[str] | None = None,
    threshold: int = 1,
) -> tuple[Manifest, bool]:
    """Deploy per ``plan`` unless the manifest already describes this chain. Returns (manifest, deployed_now)."""
    existing = None if fresh else read_manifest(manifest_path)
    if existing is not None:
        check_manifest(w3, existing, manifest_path)
        return existing, False
    governors = list(governors or [account.address])
    plan = plan if plan is not None else credreg_plan(governors, threshold)
    deployed: dict[str, str] = {}
    contracts: dict[str, DeployedContract] = {}
    first_block: int | None = None
    sources_hash = ""
    for step in plan:
        artifact = load_artifact(artifacts_dir, step.name)
        sources_hash = artifact.sources_hash
        address, tx_hash, block = _deploy_one(w3, account, artifact, step.args(deployed))
        deployed[step.name] = address
        contracts[step.name] = DeployedContract(address=address, bytecode_hash=artifact.bytecode_hash, tx_hash=tx_hash)
        first_block = block if first_block is None else min(first_block, block)
    manifest = Manifest(
        chain_id=w3.eth.chain_id,
        deploy_block=first_block or 0,
        deployer=account.address,
        sources_hash=sources_hash,
        contracts=contracts,
        governors=governors,
        threshold=threshold,
        created_at=time.time(),
    )
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(manifest_path, manifest.to_json().encode(), mode=0o644)
    return manifest, True
