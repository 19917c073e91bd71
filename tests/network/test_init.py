"""`network init`: the genesis, the keys, the allowlists, static nodes and each node's Besu options."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import coincurve
import pytest
import rlp

from node.chain.network import (
    BESU_IMAGE,
    Network,
    add_account,
    address_of,
    init_network,
    load_network,
    public_key_of,
)
from node.chain.network_render import BFT_MIX_HASH
from node.errors import ConfigurationError, ValidationFailedError
from tests.network.conftest import DEPLOYER, node_dirs, read_json, read_toml


def test_four_validators_and_one_rpc_node(network: Network, net_dir: Path) -> None:
    assert [n.name for n in network.validators] == ["validator1", "validator2", "validator3", "validator4"]
    assert [n.name for n in network.nodes if n.role == "rpc"] == ["rpc"]
    assert [p.name for p in node_dirs(net_dir)] == sorted(n.name for n in network.nodes)
    assert load_network(net_dir) == network


def test_genesis_is_qbft_zero_fee_and_cancun(network: Network, net_dir: Path) -> None:
    genesis = read_json(net_dir / "genesis.json")
    config = genesis["config"]
    assert config["chainId"] == 4242
    assert config["zeroBaseFee"] is True
    assert (config["londonBlock"], config["shanghaiTime"], config["cancunTime"]) == (0, 0, 0)
    assert not {"pragueTime", "osakaTime"} & set(config), "the contracts are compiled for cancun"
    assert config["qbft"]["blockperiodseconds"] == 3
    assert config["qbft"]["requesttimeoutseconds"] > config["qbft"]["blockperiodseconds"]
    assert genesis["mixHash"] == BFT_MIX_HASH
    assert genesis["difficulty"] == "0x1"
    assert int(genesis["gasLimit"], 16) >= 2**52


def test_genesis_extra_data_names_the_validators_sorted(network: Network, net_dir: Path) -> None:
    extra = read_json(net_dir / "genesis.json")["extraData"]
    vanity, validators, vote, round_, seals = rlp.decode(bytes.fromhex(extra[2:]))
    assert vanity == bytes(32)
    assert (vote, round_, seals) == ([], b"", [])
    listed = ["0x" + v.hex() for v in validators]
    assert listed == sorted(n.address.lower() for n in network.validators)
    assert network.genesis_validators == [n.address for n in network.validators]


def test_every_node_carries_the_same_genesis(network: Network, net_dir: Path) -> None:
    text = (net_dir / "genesis.json").read_bytes()
    assert all((d / "genesis.json").read_bytes() == text for d in node_dirs(net_dir))


def test_each_generated_key_is_0600_in_a_0700_directory_and_matches_its_enode(network: Network, net_dir: Path) -> None:
    for node in network.nodes:
        key = net_dir / "nodes" / node.name / "data" / "key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        text = key.read_text()
        assert re.fullmatch(r"0x[0-9a-f]{64}", text), "Besu's key file format: 0x + 32 bytes hex"
        assert public_key_of(bytes.fromhex(text[2:])) == node.public_key
        assert address_of(node.public_key) == node.address
        assert (net_dir / "nodes" / node.name / "key.pub").read_text().strip() == node.public_key


def test_allowlists_are_identical_on_every_node_and_hold_every_enode(network: Network, net_dir: Path) -> None:
    texts = {(d / "permissions_config.toml").read_text() for d in node_dirs(net_dir)}
    assert len(texts) == 1
    perms = read_toml(node_dirs(net_dir)[0] / "permissions_config.toml")
    enodes = perms["nodes-allowlist"]
    assert sorted(enodes) == sorted(n.enode for n in network.nodes)
    for node in network.nodes:
        secret = bytes.fromhex((net_dir / "nodes" / node.name / "data" / "key").read_text()[2:])
        own = coincurve.PrivateKey(secret).public_key.format(compressed=False)[1:].hex()
        assert f"enode://{own}@{node.ip}:30303" in enodes
    assert perms["accounts-allowlist"] == [DEPLOYER]


def test_static_nodes_name_every_other_node(network: Network, net_dir: Path) -> None:
    for node in network.nodes:
        listed = read_json(net_dir / "nodes" / node.name / "static-nodes.json")
        assert sorted(listed) == sorted(n.enode for n in network.nodes if n is not node)


def test_each_node_config_turns_on_permissioning_and_zero_gas_price(network: Network, net_dir: Path) -> None:
    for node in network.nodes:
        cfg = read_toml(net_dir / "nodes" / node.name / "config.toml")
        assert cfg["min-gas-price"] == 0
        assert cfg["permissions-nodes-config-file-enabled"] is True
        assert cfg["permissions-accounts-config-file-enabled"] is True
        assert cfg["permissions-nodes-config-file"] == "/node/permissions_config.toml"
        assert cfg["static-nodes-file"] == "/node/static-nodes.json"
        assert cfg["genesis-file"] == "/node/genesis.json"
        assert cfg["node-private-key-file"] == "/node/data/key"
        assert cfg["p2p-host"] == node.ip
        assert cfg["discovery-enabled"] is False
        assert "QBFT" in cfg["rpc-http-api"]
        assert ("ADMIN" in cfg["rpc-http-api"]) is False
    rpc = read_toml(net_dir / "nodes" / "rpc" / "config.toml")
    assert rpc["host-allowlist"] == ["localhost", "127.0.0.1"]
    assert "PERM" not in rpc["rpc-http-api"], "the published RPC node cannot change the allowlists"


def test_the_image_tag_is_pinned() -> None:
    assert re.fullmatch(r"hyperledger/besu:\d+\.\d+\.\d+", BESU_IMAGE)


def test_a_non_empty_directory_is_refused_unless_forced(network: Network, net_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="--force"):
        init_network(net_dir)
    again = init_network(net_dir, force=True, validators=5)
    assert len(again.validators) == 5
    assert {n.public_key for n in again.nodes}.isdisjoint(n.public_key for n in network.nodes)
    assert len(node_dirs(net_dir)) == 6, "the old network's nodes are gone"


def test_force_keeps_files_it_did_not_write(net_dir: Path) -> None:
    net_dir.mkdir()
    (net_dir / "notes.txt").write_text("mine")
    init_network(net_dir, force=True)
    assert (net_dir / "notes.txt").read_text() == "mine"


def test_force_never_deletes_what_is_not_a_credreg_network(net_dir: Path) -> None:
    (net_dir / "nodes").mkdir(parents=True)
    (net_dir / "nodes" / "precious").write_text("not ours")
    with pytest.raises(ConfigurationError, match="not a network credreg wrote"):
        init_network(net_dir, force=True)
    assert (net_dir / "nodes" / "precious").read_text() == "not ours"


def test_a_lost_genesis_is_a_clear_error_on_update(network: Network, net_dir: Path) -> None:
    (net_dir / "genesis.json").unlink()
    with pytest.raises(ConfigurationError, match="copy it back from any node"):
        add_account(net_dir, ["0x2222222222222222222222222222222222222222"])


def test_a_file_is_not_a_network_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(ConfigurationError, match="is a file"):
        init_network(tmp_path / "f")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"validators": 0}, "at least one validator"),
        ({"chain_id": 0}, "--chain-id"),
        ({"block_period_s": 0}, "--block-period-s"),
        ({"subnet": "10.0.0.0/33"}, "IPv4 subnet"),
        ({"accounts": ["0x12"]}, "40 hex digits"),
        ({"rpc_host_port": 70000}, "--rpc-port"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(
    net_dir: Path, kwargs: dict[str, object], needle: str
) -> None:
    with pytest.raises(ValidationFailedError, match=re.escape(needle)):
        init_network(net_dir, **kwargs)  # type: ignore[arg-type]
    assert not net_dir.exists()


def test_a_missing_manifest_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="credreg network init"):
        load_network(tmp_path)


def test_a_damaged_manifest_says_what_to_do(network: Network, net_dir: Path) -> None:
    (net_dir / "network.json").write_text('{"format": 1}')
    with pytest.raises(ConfigurationError, match="restore it from a backup"):
        load_network(net_dir)
