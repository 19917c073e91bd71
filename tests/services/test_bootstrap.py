"""The devnet's demo issuer: accredited on chain through governance and a body, usable to anchor, idempotent."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.chain.registry import type_id
from node.config import Settings
from node.runtime import Node
from node.services.bootstrap import ensure_demo_issuer


@pytest.mark.anvil
def test_demo_issuer_is_accredited_once_and_gets_a_fresh_key_each_time(anvil: Devnet, settings: Settings) -> None:
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        first = ensure_demo_issuer(node)
        second = ensure_demo_issuer(node)
        assert first.issuer_id == second.issuer_id == 1
        assert first.api_key != second.api_key
        assert node.store.authenticate(first.api_key) is not None
        assert node.registry.can_anchor(first.signer, type_id("formal-qualification"))
        assert node.store.get_issuer(first.issuer_id).signer_address == first.signer
    finally:
        node.close()
