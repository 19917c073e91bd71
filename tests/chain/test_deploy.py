"""Deploying from the artifacts: on eth-tester and on anvil; again is a no-op; a stale manifest is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.client import connect, load_artifact
from node.chain.deploy import GOVERNANCE, REGISTRY, DeployedContract, Manifest, check_manifest, deploy, read_manifest
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import PROJECT_ROOT
from node.errors import ChainMismatchError, DeploymentError
from tests.conftest import start_devnet

ARTIFACTS = PROJECT_ROOT / "contracts" / "build"
DEV: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[0])


def registry_of(w3: Web3, address: str):  # type: ignore[no-untyped-def]
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(ARTIFACTS, REGISTRY).abi)


def test_deploys_and_is_called_on_eth_tester(tester_w3: Web3, tester_account: LocalAccount, data_dir: Path) -> None:
    manifest, now = deploy(tester_w3, tester_account, data_dir / "deployment.json", ARTIFACTS)
    assert now
    assert set(manifest.contracts) == {GOVERNANCE, REGISTRY}
    assert manifest.chain_id == tester_w3.eth.chain_id
    registry = registry_of(tester_w3, manifest.registry)
    assert registry.functions.governance().call() == manifest.address(GOVERNANCE)
    again, now = deploy(tester_w3, tester_account, data_dir / "deployment.json", ARTIFACTS)
    assert not now and again == manifest


@pytest.mark.anvil
def test_deploys_and_is_called_on_anvil(anvil: Devnet, data_dir: Path) -> None:
    w3 = connect(anvil.url)
    manifest, now = deploy(w3, DEV, data_dir / "deployment.json", ARTIFACTS)
    assert now and read_manifest(data_dir / "deployment.json") == manifest
    assert registry_of(w3, manifest.registry).functions.governance().call() == manifest.address(GOVERNANCE)
    assert manifest.deploy_block > 0


@pytest.mark.anvil
def test_devnet_restart_keeps_the_deployment(tmp_path: Path, data_dir: Path) -> None:
    devnet = start_devnet(tmp_path / "devnet", snapshot_interval_s=60)
    manifest, _ = deploy(connect(devnet.url), DEV, data_dir / "deployment.json", ARTIFACTS)
    devnet.stop()
    devnet = start_devnet(tmp_path / "devnet", snapshot_interval_s=60)
    try:
        w3 = connect(devnet.url)
        again, now = deploy(w3, DEV, data_dir / "deployment.json", ARTIFACTS)
        assert not now and again == manifest
        assert registry_of(w3, manifest.registry).functions.governance().call() == manifest.address(GOVERNANCE)
    finally:
        devnet.stop()


@pytest.mark.anvil
def test_a_reset_chain_is_detected(tmp_path: Path, data_dir: Path) -> None:
    """kill -9 before any snapshot holds the deployment: the manifest check says the contracts are gone."""
    devnet = start_devnet(tmp_path / "devnet", snapshot_interval_s=None)
    deploy(connect(devnet.url), DEV, data_dir / "deployment.json", ARTIFACTS)
    assert devnet.process is not None
    devnet.process.kill()
    devnet.stop()
    devnet = start_devnet(tmp_path / "devnet", snapshot_interval_s=None)
    try:
        with pytest.raises(DeploymentError, match=r"no code.*credreg deploy --fresh"):
            deploy(connect(devnet.url), DEV, data_dir / "deployment.json", ARTIFACTS)
        manifest, now = deploy(connect(devnet.url), DEV, data_dir / "deployment.json", ARTIFACTS, fresh=True)
        assert now and manifest.registry
    finally:
        devnet.stop()


def test_a_manifest_for_another_chain_is_refused(tester_w3: Web3, tester_account: LocalAccount, data_dir: Path) -> None:
    manifest_path = data_dir / "deployment.json"
    deploy(tester_w3, tester_account, manifest_path, ARTIFACTS)
    text = manifest_path.read_text().replace(f'"chain_id": {tester_w3.eth.chain_id}', '"chain_id": 5')
    manifest_path.write_text(text)
    with pytest.raises(ChainMismatchError, match="chain id 5"):
        deploy(tester_w3, tester_account, manifest_path, ARTIFACTS)


def test_the_chain_mismatch_advice_says_what_deploy_fresh_costs(tester_w3: Web3, tmp_path: Path) -> None:
    """The advice never sends anyone to a destructive command without saying what it destroys."""
    manifest = Manifest(chain_id=5, deploy_block=1, deployer="0x0", sources_hash="", contracts={})
    with pytest.raises(ChainMismatchError) as caught:
        check_manifest(tester_w3, manifest, tmp_path / "deployment.json")
    detail = caught.value.detail
    assert "CREDREG_DATA_DIR" in detail
    if "--fresh" in detail:
        assert "no longer verify" in detail and "--discard-anchored" in detail, detail


def test_the_reset_chain_advice_says_what_deploy_fresh_costs(tester_w3: Web3, tmp_path: Path) -> None:
    gone = DeployedContract(address="0x" + "11" * 20, bytecode_hash="", tx_hash="")
    manifest = Manifest(chain_id=tester_w3.eth.chain_id, deploy_block=1, deployer="0x0", sources_hash="",
                        contracts={REGISTRY: gone})  # fmt: skip
    with pytest.raises(DeploymentError, match=r"no code.*credreg deploy --fresh") as caught:
        check_manifest(tester_w3, manifest, tmp_path / "deployment.json")
    assert "no longer verify" in caught.value.detail and "--discard-anchored" in caught.value.detail
