"""Bring-your-own validator keys (no private key written) and `add-validator` / `add-account` on every node."""

from __future__ import annotations

import json
from pathlib import Path

import coincurve
import pytest

from node.chain.network import (
    Network,
    add_account,
    add_validator,
    address_of,
    init_network,
    parse_public_key,
)
from node.chain.network_compose import EXTERNAL_PROFILE
from node.errors import ValidationFailedError
from tests.network.conftest import DEPLOYER, node_dirs, read_compose, read_json, read_toml

OPERATOR_SECRETS = [bytes([i]) * 32 for i in (7, 8)]


def _pub(secret: bytes) -> coincurve.PublicKey:
    return coincurve.PrivateKey(secret).public_key


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


@pytest.fixture
def byo(net_dir: Path) -> Network:
    pubkeys = [_pub(s).format(compressed=False)[1:].hex() for s in OPERATOR_SECRETS]
    return init_network(net_dir, validator_pubkeys=pubkeys, accounts=[DEPLOYER])


def test_brought_keys_become_validators_and_no_private_key_is_written(byo: Network, net_dir: Path) -> None:
    mine = [address_of("0x" + _pub(s).format(compressed=False)[1:].hex()) for s in OPERATOR_SECRETS]
    assert [n.address for n in byo.validators[:2]] == mine
    assert [n.key_written for n in byo.validators] == [False, False, True, True]
    for name in ("validator1", "validator2"):
        assert not (net_dir / "nodes" / name / "data" / "key").exists()
        assert (net_dir / "nodes" / name / "key.pub").is_file()
    blob = _all_bytes(net_dir)
    for secret in OPERATOR_SECRETS:
        assert secret.hex().encode() not in blob
    extra = read_json(net_dir / "genesis.json")["extraData"]
    assert all(a[2:].lower() in extra for a in mine)


def test_brought_key_validators_start_only_where_their_key_is(byo: Network, net_dir: Path) -> None:
    services = read_compose(net_dir)["services"]
    assert services["validator1"]["profiles"] == [EXTERNAL_PROFILE]
    assert "profiles" not in services["validator3"]
    assert set(services["rpc"]["depends_on"]) == {"validator3", "validator4"}


def test_every_validator_brought_writes_only_the_rpc_nodes_key(net_dir: Path) -> None:
    keys = [_pub(bytes([i]) * 32).format(compressed=False)[1:].hex() for i in range(1, 5)]
    net = init_network(net_dir, validator_pubkeys=keys)
    assert sorted(p.parent.parent.name for p in net_dir.rglob("key")) == ["rpc"]
    assert [n.key_written for n in net.nodes] == [False, False, False, False, True]


def test_public_keys_are_read_in_every_spelling() -> None:
    pub = _pub(OPERATOR_SECRETS[0])
    plain = pub.format(compressed=False)[1:].hex()
    spellings = [plain, "0x" + plain, "04" + plain, pub.format(compressed=True).hex(), f"enode://{plain}@1.2.3.4:30303"]
    assert {parse_public_key(s) for s in spellings} == {"0x" + plain}


@pytest.mark.parametrize(
    ("bad", "needle"), [("zz", "not a public key"), ("00" * 64, "not a point"), ("ab" * 10, "64 bytes")]
)
def test_bad_public_keys_are_refused(bad: str, needle: str) -> None:
    with pytest.raises(ValidationFailedError, match=needle):
        parse_public_key(bad)


def test_an_address_that_does_not_match_its_key_is_refused(net_dir: Path) -> None:
    pub = _pub(OPERATOR_SECRETS[0]).format(compressed=False)[1:].hex()
    with pytest.raises(ValidationFailedError, match="not the address of its public key"):
        init_network(net_dir, validator_pubkeys=[pub], validator_addresses=[DEPLOYER])
    with pytest.raises(ValidationFailedError, match="one address per public key"):
        init_network(net_dir, validator_addresses=[DEPLOYER])
    with pytest.raises(ValidationFailedError, match="raise --validators"):
        init_network(net_dir, validators=1, validator_pubkeys=[pub, pub])
    with pytest.raises(ValidationFailedError, match="given twice"):
        init_network(net_dir, validator_pubkeys=[pub, pub])
    ok = init_network(net_dir, validator_pubkeys=[pub], validator_addresses=[address_of("0x" + pub).lower()])
    assert ok.validators[0].key_written is False


def test_add_validator_updates_every_nodes_files_and_never_the_genesis(network: Network, net_dir: Path) -> None:
    genesis = (net_dir / "genesis.json").read_bytes()
    _, node, votes = add_validator(net_dir)
    assert node.name == "validator5"
    assert (net_dir / "genesis.json").read_bytes() == genesis
    dirs = node_dirs(net_dir)
    assert len(dirs) == 6
    assert all((d / "genesis.json").read_bytes() == genesis for d in dirs)
    assert len({(d / "permissions_config.toml").read_text() for d in dirs}) == 1
    for d in dirs:
        assert node.enode in read_toml(d / "permissions_config.toml")["nodes-allowlist"]
        assert (node.enode in read_json(d / "static-nodes.json")) == (d.name != node.name)
    assert "validator5" in read_compose(net_dir)["services"]
    assert (net_dir / "nodes" / "validator5" / "data" / "key").is_file()
    assert [v.validator for v in votes] == ["validator1", "validator2", "validator3", "validator4"]
    for vote, validator in zip(votes, network.validators, strict=True):
        assert vote.url == f"http://{validator.ip}:8545"
        call = json.loads(vote.payload)
        assert call["method"] == "qbft_proposeValidatorVote"
        assert call["params"] == [node.address, True]


def test_add_validator_with_a_brought_key_writes_no_private_key(network: Network, net_dir: Path) -> None:
    pub = _pub(OPERATOR_SECRETS[1]).format(compressed=False)[1:].hex()
    _, node, _ = add_validator(net_dir, pubkey=pub, address=address_of("0x" + pub))
    assert not (net_dir / "nodes" / node.name / "data").exists()
    assert OPERATOR_SECRETS[1].hex().encode() not in _all_bytes(net_dir)
    with pytest.raises(ValidationFailedError, match="already belongs"):
        add_validator(net_dir, pubkey=pub)
    with pytest.raises(ValidationFailedError, match="needs its public key"):
        add_validator(net_dir, address=DEPLOYER)


def test_add_account_allows_it_on_every_node_once(network: Network, net_dir: Path) -> None:
    new = "0x2222222222222222222222222222222222222222"
    _, added = add_account(net_dir, [new, new])
    assert added == [new]
    for d in node_dirs(net_dir):
        assert read_toml(d / "permissions_config.toml")["accounts-allowlist"] == [DEPLOYER, new]
    _, again = add_account(net_dir, [new.upper().replace("0X", "0x")])
    assert again == []
    with pytest.raises(ValidationFailedError, match="40 hex digits"):
        add_account(net_dir, ["0xnope"])
    with pytest.raises(ValidationFailedError, match="at least one"):
        add_account(net_dir, [])
