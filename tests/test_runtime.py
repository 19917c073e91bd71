"""node/runtime.py: the running node is opened from a deployment manifest on a chain, and closed with its workers."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.deploy import deploy
from node.config import Settings
from node.errors import DeploymentError
from node.runtime import Node, Workers, rpc_url_of


def test_the_rpc_url_is_the_setting_or_the_local_devnet(settings: Settings) -> None:
    assert rpc_url_of(settings.model_copy(update={"rpc_url": "https://rpc.example:8545"})) == "https://rpc.example:8545"
    assert rpc_url_of(settings.model_copy(update={"devnet_host": "127.0.0.2", "devnet_port": 9545})) == (
        "http://127.0.0.2:9545"
    )


def test_without_a_manifest_the_node_says_to_deploy_first(settings: Settings, tester_w3: Web3) -> None:
    with pytest.raises(DeploymentError) as caught:
        Node.open(settings, w3=tester_w3)
    assert str(settings.manifest_path) in caught.value.detail and "`credreg deploy`" in caught.value.detail


def test_open_on_a_deployment_and_close(settings: Settings, tester_w3: Web3, tester_account: LocalAccount) -> None:
    manifest, _ = deploy(tester_w3, tester_account, settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, w3=tester_w3)
    try:
        assert node.chain_id == manifest.chain_id == tester_w3.eth.chain_id
        assert node.manifest == manifest and node.rpc_url is None  # opened on a given Web3, not by URL
        assert node.store.credential_counts()  # the store is migrated and answers
        assert node.signers is node.signers  # one Signers (one nonce owner per key) per node
    finally:
        node.close()


class Recorder:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def test_workers_stop_the_newest_first_and_are_forgotten() -> None:
    log: list[str] = []
    workers = Workers(batcher=Recorder("batcher", log), indexer=Recorder("indexer", log))
    workers.stop()
    assert log == ["stop indexer", "stop batcher"]
    assert (workers.batcher, workers.indexer, workers.mirror) == (None, None, None)
    workers.stop()  # stopping twice is harmless
    assert log == ["stop indexer", "stop batcher"]
