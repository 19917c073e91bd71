"""The chain's health probes (node/chain/health.py) on the in-process chain."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.deploy import deploy
from node.chain.health import ChainHead, block_number, chain_head, chain_id, has_code
from node.chain.registry import ChainBlock, RegistryClient
from node.config import Settings


def test_the_head_probe_says_which_chain_and_which_block(tester_w3: Web3) -> None:
    head = chain_head(tester_w3)
    assert head == ChainHead(chain_id=int(tester_w3.eth.chain_id), block_number=int(tester_w3.eth.block_number))
    assert chain_id(tester_w3) == head.chain_id
    assert block_number(tester_w3) >= head.block_number


def test_code_is_present_at_the_deployed_registry_and_nowhere_else(
    tester_w3: Web3, tester_account: LocalAccount, settings: Settings
) -> None:
    manifest = deploy(tester_w3, tester_account, settings.manifest_path, settings.artifacts_dir)[0]
    assert has_code(tester_w3, manifest.registry)
    assert has_code(tester_w3, manifest.registry.lower())  # any spelling of the address
    assert not has_code(tester_w3, tester_account.address)


def test_the_client_names_its_contracts_and_reads_blocks_as_chain_blocks(
    tester_w3: Web3, tester_account: LocalAccount, settings: Settings
) -> None:
    manifest = deploy(tester_w3, tester_account, settings.manifest_path, settings.artifacts_dir)[0]
    client = RegistryClient(tester_w3, manifest, settings.artifacts_dir)
    assert client.registry_address == Web3.to_checksum_address(manifest.registry)
    assert client.governance_address == Web3.to_checksum_address(manifest.address("RegistryGovernance"))
    latest = client.block()
    assert isinstance(latest, ChainBlock) and latest.number == block_number(tester_w3)
    assert client.block(latest.number) == latest and client.block_hash(latest.number) == latest.hash
    assert client.block(latest.number + 1000) is None
