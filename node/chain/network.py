"""The permissioned network generator: a Hyperledger Besu QBFT network as files (``credreg network``).

``init`` writes, under one directory::

    network.json                          what the network is (nodes, keys' public halves, accounts): the source of
                                          every other file but genesis.json, re-read by add-validator / add-account
    genesis.json                          QBFT genesis (extraData computed here), zero base fee, Cancun
    nodes/<name>/config.toml              the node's Besu options (permissioning on, min-gas-price 0, no discovery)
    nodes/<name>/genesis.json             a copy, so each node's directory can be shipped to the organisation running it
    nodes/<name>/permissions_config.toml  nodes-allowlist (every enode) and accounts-allowlist, identical on every node
    nodes/<name>/static-nodes.json        every other node's enode
    nodes/<name>/key.pub                  the node's public key (its enode id)
    nodes/<name>/data/key                 the node's private key, only when generated here: mode 0600 in a 0700
                                          directory (Besu reads its node key only as a plain file or from an HSM)
    docker/network/docker-compose.yml     one service per node, fixed addresses, health checks, only the RPC node
                                          published (on 127.0.0.1)

``add_validator`` and ``add_account`` change network.json and rewrite every derived file from it, so the allowlists
stay identical on every node; genesis.json is never rewritten (a new validator joins by a QBFT vote, not by a new
genesis).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import coincurve
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from pydantic import BaseModel, ValidationError

from node.chain.network_compose import compose_file, node_config
from node.chain.network_render import address_bytes, genesis, toml_text, yaml_text
from node.errors import ConfigurationError, ValidationFailedError

BESU_IMAGE = "hyperledger/besu:26.9.0"
"""Pinned: the newest Besu release in the Besu changelog at the time of writing (QBFT, Cancun, local permissioning)."""

DEFAULT_CHAIN_ID = 472_100
DEFAULT_SUBNET = "172.30.88.0/24"
P2P_PORT = 30303
RPC_PORT = 8545
MANIFEST = "network.json"
COMPOSE = Path("docker") / "network" / "docker-compose.yml"
_GENERATED = ("network.json", "genesis.json", "nodes", "docker/network")

_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")


class NetworkNode(BaseModel):
    """One Besu node: a validator or the RPC node the credreg nodes talk to."""

    name: str
    role: Literal["validator", "rpc"]
    ip: str
    public_key: str
    """0x + 128 hex digits: the uncompressed secp256k1 public key without its 04 prefix (the enode id)."""
    address: str
    key_written: bool
    """True when this generator wrote the private key (nodes/<name>/data/key); False when the operator brings it."""

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key[2:]}@{self.ip}:{P2P_PORT}"


class Network(BaseModel):
    """network.json: everything the derived files are rendered from."""

    format: Literal[1] = 1
    chain_id: int
    block_period_s: int
    subnet: str
    image: str
    rpc_host_port: int
    genesis_validators: list[str]
    nodes: list[NetworkNode]
    accounts: list[str]

    @property
    def validators(self) -> list[NetworkNode]:
        return [n for n in self.nodes if n.role == "validator"]

    def node(self, name: str) -> NetworkNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise ConfigurationError(f"no node {name!r} in this network ({', '.join(n.name for n in self.nodes)}).")


@dataclass(frozen=True)
class Vote:
    """One ``qbft_proposeValidatorVote`` call an existing validator's operator must make."""

    validator: str
    url: str
    payload: str


# --- keys -----------------------------------------------------------------------------------------------------------


def public_key_of(secret: bytes) -> str:
    return "0x" + coincurve.PrivateKey(secret).public_key.format(compressed=False)[1:].hex()


def address_of(public_key: str) -> str:
    """The account (and QBFT validator) address of a public key: the last 20 bytes of keccak256 of its 64 bytes."""
    return str(to_checksum_address(keccak(bytes.fromhex(public_key[2:]))[12:]))


def parse_public_key(text: str) -> str:
    """A validator's public key in any of Besu's and eth-keys' spellings, normalised to 0x + 128 hex digits.

    Accepted: 64 bytes (``besu public-key export``), 65 bytes with the 04 prefix, or 33 bytes compressed; with or
    without 0x. The point must be on secp256k1.
    """
    raw = text.strip()
    if raw.startswith("enode://"):
        raw = raw[len("enode://") :].split("@", 1)[0]
    if not _HEX.match(raw):
        raise ValidationFailedError(
            f"{text!r} is not a public key: expected hex (64 bytes, as `besu public-key export`)."
        )
    data = bytes.fromhex(raw.removeprefix("0x"))
    if len(data) == 64:
        data = b"\x04" + data
    if len(data) not in (33, 65):
        raise ValidationFailedError(
            f"a public key is 64 bytes (or 65 with the 04 prefix, or 33 compressed), not {len(data)}: "
            "export it with `besu public-key export --node-private-key-file=KEY`."
        )
    try:
        point = coincurve.PublicKey(data)
    except ValueError:
        raise ValidationFailedError(f"{text!r} is not a point on secp256k1: check that it was copied whole.") from None
    return "0x" + point.format(compressed=False)[1:].hex()


def checksum(address: str) -> str:
    address_bytes(address)  # refuses anything but 0x + 40 hex digits, with what was expected
    return str(to_checksum_address(address))


# --- pure: the files ------------------------------------------------------------------------------------------------


def permissions_config(net: Network) -> str:
    """The local permissioning file, the same text on every node."""
    return toml_text(
        {
            "nodes-allowlist": [n.enode for n in net.nodes],
            "accounts-allowlist": list(net.accounts),
        },
        header="Besu local permissioning: identical on every node of the network (written by `credreg network`).\n"
        "Change it with `credreg network add-validator|add-account`, then restart the nodes one at a time.",
    )


def static_nodes(net: Network, node: NetworkNode) -> str:
    return json.dumps([n.enode for n in net.nodes if n.name != node.name], indent=2) + "\n"


def rendered_files(net: Network) -> dict[Path, str]:
    """Every derived file (relative path -> text) except genesis.json and private keys."""
    files: dict[Path, str] = {Path(MANIFEST): net.model_dump_json(indent=2) + "\n"}
    permissions = permissions_config(net)
    for node in net.nodes:
        base = Path("nodes") / node.name
        files[base / "config.toml"] = node_config(node=node, rpc_port=RPC_PORT, p2p_port=P2P_PORT)
        files[base / "permissions_config.toml"] = permissions
        files[base / "static-nodes.json"] = static_nodes(net, node)
        files[base / "key.pub"] = node.public_key + "\n"
    files[COMPOSE] = yaml_text(
        compose_file(net, rpc_port=RPC_PORT),
        header="A Besu QBFT network written by `credreg network init` (see the README, 'A permissioned network').\n"
        f"Start it: docker compose -f {COMPOSE} up -d   (from the network directory)",
    )
    return files


# --- the files on disk ----------------------------------------------------------------------------------------------


def _write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _write_private_key(directory: Path, name: str, secret: bytes) -> None:
    data = directory / "nodes" / name / "data"
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o700)
    key = data / "key"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never over an existing key
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("0x" + secret.hex())


def write_network(directory: Path, net: Network) -> None:
    for rel, text in rendered_files(net).items():
        _write_text(directory / rel, text)
    try:
        genesis_text = (directory / "genesis.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"{directory / 'genesis.json'} is missing: copy it back from any node (nodes/<name>/genesis.json); "
            "a new genesis would be a new chain."
        ) from None
    for node in net.nodes:
        _write_text(directory / "nodes" / node.name / "genesis.json", genesis_text)


def load_network(directory: Path) -> Network:
    path = directory / MANIFEST
    if not path.is_file():
        raise ConfigurationError(
            f"{directory} holds no network ({MANIFEST} is missing): create one with `credreg network init --dir DIR`."
        )
    try:
        return Network.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise ConfigurationError(
            f"{path} is not a network file credreg wrote ({exc.error_count()} problems, first: "
            f"{exc.errors()[0]['msg']}): restore it from a backup or run `credreg network init` again."
        ) from None


def _prepare_directory(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ConfigurationError(f"{directory} is a file: choose a directory for the network.")
    entries = sorted(p.name for p in directory.iterdir()) if directory.exists() else []
    if entries and not force:
        raise ConfigurationError(
            f"{directory} is not empty ({len(entries)} entries, e.g. {entries[0]}): choose a new or empty directory, "
            "or pass --force to replace a network there (its keys and chain data under nodes/ are deleted)."
        )
    ours = (directory / MANIFEST).is_file()
    for rel in _GENERATED:
        target = directory / rel
        if target.exists() and not ours:
            raise ConfigurationError(
                f"{target} exists but {directory} holds no {MANIFEST}, so it is not a network credreg wrote: "
                "move it away or choose another directory (--force replaces only a credreg network)."
            )
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    directory.mkdir(parents=True, exist_ok=True)


# --- init / add-validator / add-account -----------------------------------------------------------------------------


def _host_ips(subnet: str) -> tuple[ipaddress.IPv4Network, list[str]]:
    try:
        network = ipaddress.IPv4Network(subnet)
    except ValueError:
        raise ValidationFailedError(f"{subnet!r} is not an IPv4 subnet: write it as e.g. {DEFAULT_SUBNET}.") from None
    return network, [str(ip) for ip in network.hosts()]


def _next_ip(net: Network, role: Literal["validator", "rpc"]) -> str:
    network, hosts = _host_ips(net.subnet)
    taken = {n.ip for n in net.nodes}
    # .2-.9 for RPC nodes, .11 on for validators (.1 is the compose network's gateway)
    candidates = hosts[1:9] if role == "rpc" else hosts[10:]
    for ip in candidates:
        if ip not in taken:
            return ip
    raise ConfigurationError(f"no free {role} address left in {network}: use a larger subnet (--subnet).")


def init_network(
    directory: Path,
    *,
    validators: int = 4,
    chain_id: int = DEFAULT_CHAIN_ID,
    block_period_s: int = 2,
    validator_pubkeys: Sequence[str] = (),
    validator_addresses: Sequence[str] = (),
    accounts: Sequence[str] = (),
    subnet: str = DEFAULT_SUBNET,
    rpc_host_port: int = RPC_PORT,
    force: bool = False,
) -> Network:
    """Write a new network: ``validators`` validators (the operators' own public keys first) and one RPC node."""
    if validators < 1:
        raise ValidationFailedError("a QBFT network needs at least one validator (four to tolerate one fault).")
    if not 1 <= chain_id < 2**53:
        raise ValidationFailedError("--chain-id must be a positive integer below 2**53 (what JSON clients carry).")
    if not 1 <= block_period_s <= 3600:
        raise ValidationFailedError("--block-period-s must be between 1 and 3600 seconds.")
    if not 1 <= rpc_host_port <= 65535:
        raise ValidationFailedError("--rpc-port must be a TCP port (1-65535).")
    own = [parse_public_key(p) for p in validator_pubkeys]
    if len(own) > validators:
        raise ValidationFailedError(
            f"{len(own)} validator public keys for {validators} validators: raise --validators to at least {len(own)}."
        )
    if validator_addresses:
        if len(validator_addresses) != len(own):
            raise ValidationFailedError(
                "--validator-address checks a --validator-pubkey (its enode is needed for the allowlists): give one "
                f"address per public key, in the same order ({len(validator_addresses)} addresses, {len(own)} keys)."
            )
        for pub, given in zip(own, validator_addresses, strict=True):
            if checksum(given) != address_of(pub):
                raise ValidationFailedError(
                    f"--validator-address {given} is not the address of its public key ({address_of(pub)}): "
                    "check the pair (`besu public-key export-address` prints a key's address)."
                )
    if len(set(own)) != len(own):
        raise ValidationFailedError("the same validator public key is given twice: each validator needs its own key.")
    _host_ips(subnet)
    allowed = sorted({checksum(a) for a in accounts}, key=str.lower)

    _prepare_directory(directory, force)
    secrets: dict[str, bytes] = {}
    net = Network(
        chain_id=chain_id,
        block_period_s=block_period_s,
        subnet=subnet,
        image=BESU_IMAGE,
        rpc_host_port=rpc_host_port,
        genesis_validators=[],
        nodes=[],
        accounts=allowed,
    )
    for i in range(validators):
        name = f"validator{i + 1}"
        if i < len(own):
            public_key = own[i]
        else:
            secrets[name] = coincurve.PrivateKey().secret
            public_key = public_key_of(secrets[name])
        net.nodes.append(_new_node(net, name, "validator", public_key, name in secrets))
    secrets["rpc"] = coincurve.PrivateKey().secret
    net.nodes.append(_new_node(net, "rpc", "rpc", public_key_of(secrets["rpc"]), True))
    net.genesis_validators = [n.address for n in net.validators]

    genesis_doc = genesis(chain_id=chain_id, block_period_s=block_period_s, validators=net.genesis_validators)
    _write_text(directory / "genesis.json", json.dumps(genesis_doc, indent=2) + "\n")
    for name, secret in secrets.items():
        _write_private_key(directory, name, secret)
    write_network(directory, net)
    return net


def _new_node(
    net: Network, name: str, role: Literal["validator", "rpc"], public_key: str, written: bool
) -> NetworkNode:
    return NetworkNode(
        name=name,
        role=role,
        ip=_next_ip(net, role),
        public_key=public_key,
        address=address_of(public_key),
        key_written=written,
    )


def add_validator(
    directory: Path, *, pubkey: str | None = None, address: str | None = None
) -> tuple[Network, NetworkNode, list[Vote]]:
    """Add a validator node (a new key, or the operator's public key) and say which votes make it a validator."""
    net = load_network(directory)
    secret: bytes | None = None
    if pubkey is None:
        if address is not None:
            raise ValidationFailedError(
                "--address checks a --pubkey: a validator's enode (for the allowlists) needs its public key."
            )
        secret = coincurve.PrivateKey().secret
        public_key = public_key_of(secret)
    else:
        public_key = parse_public_key(pubkey)
        if address is not None and checksum(address) != address_of(public_key):
            raise ValidationFailedError(
                f"--address {address} is not the address of --pubkey ({address_of(public_key)}): check the pair."
            )
    if any(n.public_key == public_key for n in net.nodes):
        raise ValidationFailedError("that public key already belongs to a node of this network.")
    number = 1 + max((int(n.name.removeprefix("validator")) for n in net.validators), default=0)
    node = _new_node(net, f"validator{number}", "validator", public_key, secret is not None)
    votes = [
        Vote(
            validator=v.name,
            url=f"http://{v.ip}:{RPC_PORT}",
            payload=json.dumps(
                {"jsonrpc": "2.0", "method": "qbft_proposeValidatorVote", "params": [node.address, True], "id": 1}
            ),
        )
        for v in net.validators
    ]
    net.nodes.append(node)
    if secret is not None:
        _write_private_key(directory, node.name, secret)
    write_network(directory, net)
    return net, node, votes


def add_account(directory: Path, addresses: Sequence[str]) -> tuple[Network, list[str]]:
    """Allow accounts to send transactions (on every node); returns the network and the accounts newly added."""
    if not addresses:
        raise ValidationFailedError("name at least one account address to allow.")
    net = load_network(directory)
    wanted = [checksum(a) for a in addresses]
    added = [a for a in dict.fromkeys(wanted) if a not in net.accounts]
    net.accounts = sorted({*net.accounts, *added}, key=str.lower)
    write_network(directory, net)
    return net, added


def fault_tolerance(validators: int) -> int:
    """How many validators may fail with the chain still producing blocks (QBFT: n >= 3f + 1)."""
    return (validators - 1) // 3
