"""A new issuer key can pay for its anchors: on the devnet the node funds it from the dev account when it accredits
an issuer or adds a key (else its credentials would stall ``batched`` for want of funds); on any other chain the
answer says which account to fund and with how much. Keystore paths are stored absolute."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr

from node.chain.devnet import DEV_PRIVATE_KEYS
from node.chain.keystore import new_keystore
from node.chain.signers import DEV_BODY_ADMIN, DEV_FUNDING_WEI
from node.runtime import Node
from node.services.bootstrap import MAX_LEVEL, DemoIssuer
from node.services.governance import GovernanceService
from node.store import AnchoringState
from tests.drills.chaincheck import issue, wait_for
from tests.workers.batcher.conftest import started

pytestmark = pytest.mark.anvil

PASSPHRASE = "correct horse battery"


def _balance(node: Node, address: str) -> int:
    return int(node.w3.eth.get_balance(node.w3.to_checksum_address(address)))


def _keystore(path: Path, private_key: str | None = None) -> str:
    key = SecretStr(private_key) if private_key is not None else None
    return new_keystore(path, PASSPHRASE, private_key=key, kdf_cost=2**4)


def test_a_new_issuer_key_is_funded_on_the_devnet_and_anchors(
    devnode: tuple[Node, DemoIssuer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, _ = devnode
    node.settings.keystore_passphrase = SecretStr(PASSPHRASE)
    signer = _keystore(tmp_path / "keys" / "new-college.json")
    monkeypatch.chdir(tmp_path)  # the command that gives the relative path runs here
    result = GovernanceService(node).accredit_issuer(
        body_id=1,
        name="New College",
        metadata_uri="did:web:new-college.test",
        signer_address=signer,
        credential_types=["formal-qualification"],
        max_level=MAX_LEVEL,
        keystore_path="keys/new-college.json",
        mint_api_key=False,
    )
    assert result.registered and result.issuer_id is not None and result.next_step is None
    assert _balance(node, signer) == DEV_FUNDING_WEI
    stored = node.store.get_issuer(result.issuer_id).keystore_path
    assert stored == str(tmp_path / "keys" / "new-college.json"), stored

    monkeypatch.chdir("/")  # the batcher opens the stored path from wherever it runs
    [credential_id] = issue(node.store, result.issuer_id, 1)
    batcher = started(node)
    wait_for(lambda: node.store.get_credential(credential_id).status is AnchoringState.ANCHORED, 30, "anchored")
    assert batcher.stats().stalls == ()


def test_an_added_key_is_funded_on_the_devnet(devnode: tuple[Node, DemoIssuer]) -> None:
    node, demo = devnode
    fresh = Account.create().address
    act = GovernanceService(node).add_key(demo.issuer_id, fresh)
    assert act.executed and _balance(node, fresh) == DEV_FUNDING_WEI


def test_on_another_chain_the_answer_says_which_account_to_fund(
    devnode: tuple[Node, DemoIssuer], tmp_path: Path
) -> None:
    node, _ = devnode
    node.settings.rpc_url = node.rpc_url  # a chain the node did not start: no dev account pays for anything
    node.settings.keystore_passphrase = SecretStr(PASSPHRASE)
    assert not node.signers.on_devnet
    admin_keystore = tmp_path / "admin.json"
    _keystore(admin_keystore, DEV_PRIVATE_KEYS[DEV_BODY_ADMIN])
    signer = Account.create().address
    result = GovernanceService(node).accredit_issuer(
        body_id=1,
        name="Remote College",
        metadata_uri="did:web:remote-college.test",
        signer_address=signer,
        credential_types=["formal-qualification"],
        max_level=MAX_LEVEL,
        body_admin_keystore_path=str(admin_keystore),
        mint_api_key=False,
    )
    assert result.registered and _balance(node, signer) == 0
    step = str(result.next_step)
    assert signer in step and "holds 0 ETH" in step and "1000 anchors" in step and "gas price" in step, step
    assert "credreg keys fund" not in step, step
