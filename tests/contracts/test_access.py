"""Every state-changing function, with every caller that must be refused, each refused with its named error."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from node.chain.registry import sign_anchor
from tests.contracts.conftest import FORMAL, MICRO, Chain, Issuer, _anvil_chain, _eth_tester_chain
from tests.contracts.merkle import StandardMerkleTree


@dataclass
class World:
    chain: Chain
    a: Issuer  # FORMAL, under body 1
    b: Issuer  # MICRO, under body 2
    stranger: LocalAccount
    tree: StandardMerkleTree
    hashes: list[bytes]
    root_b: bytes


@pytest.fixture(scope="module", params=["eth_tester", pytest.param("anvil", marks=pytest.mark.anvil)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    def build(c: Chain) -> World:
        a = c.issuer(c.body(), types=(FORMAL,))
        b = c.issuer(c.body(types=(MICRO,)), types=(MICRO,))
        hashes = [secrets.token_bytes(32) for _ in range(4)]
        tree = StandardMerkleTree(hashes)
        a.anchor(tree.root, leaf_count=4)
        root_b = b.anchor(ctype=MICRO)
        return World(c, a, b, c.account(), tree, hashes, root_b)

    if request.param == "eth_tester":
        yield build(_eth_tester_chain())
    else:
        with _anvil_chain(tmp_path_factory.mktemp("anvil")) as c:
            yield build(c)


Call = Callable[[World], Any]
R = lambda w: w.chain.registry.functions  # noqa: E731
G = lambda w: w.chain.governance.functions  # noqa: E731


def _leaf_args(w: World) -> tuple[bytes, bytes]:
    return w.tree.root, w.hashes[0]


def _sig_by_stranger(w: World) -> Any:
    c = w.chain
    root, deadline = secrets.token_bytes(32), c.now() + 3600
    v, r, s = sign_anchor(w.stranger, c.registry.address, c.w3.eth.chain_id, root, 1, FORMAL, 0, deadline)
    return R(w).anchorBySig(root, 1, FORMAL, 0, deadline, v, r, s)


def _anchor_data(w: World) -> str:
    data: str = R(w).anchor(secrets.token_bytes(32), 1, FORMAL, 0)._encode_transaction_data()
    return data


CALLS: dict[str, Call] = {
    # registry: governance only
    "accreditBody": lambda w: R(w).accreditBody(w.stranger.address, [FORMAL], 5, 0, 0, "x"),
    "suspendBody": lambda w: R(w).suspendBody(1, 1),
    "reinstateBody": lambda w: R(w).reinstateBody(1, 1),
    "withdrawBody": lambda w: R(w).withdrawBody(1, 1),
    "setBodyAdmin": lambda w: R(w).setBodyAdmin(1, w.stranger.address),
    # registry: the body's admin or governance
    "accreditIssuer": lambda w: R(w).accreditIssuer(1, [FORMAL], 5, 0, 0, "x", b"\0" * 32),
    "suspendIssuer": lambda w: R(w).suspendIssuer(w.a.issuer_id, 1),
    "reinstateIssuer": lambda w: R(w).reinstateIssuer(w.a.issuer_id, 1),
    "withdrawIssuer": lambda w: R(w).withdrawIssuer(w.a.issuer_id, 1),
    "setIssuerMetadata": lambda w: R(w).setIssuerMetadata(w.a.issuer_id, "x", b"\0" * 32),
    "addIssuerKey": lambda w: R(w).addIssuerKey(w.a.issuer_id, w.stranger.address, 0, 0),
    "rotateIssuerKey": lambda w: R(w).rotateIssuerKey(w.a.issuer_id, w.a.key.address, w.stranger.address, 0),
    "retireIssuerKey": lambda w: R(w).retireIssuerKey(w.a.issuer_id, w.a.key.address, 1),
    "cutOffIssuerKey": lambda w: R(w).cutOffIssuerKey(w.a.issuer_id, w.a.key.address, 1),
    # registry: a key valid now of an issuer accredited now for the type
    "anchor": lambda w: R(w).anchor(secrets.token_bytes(32), 1, FORMAL, 0),
    "anchorSingle": lambda w: R(w).anchorSingle(secrets.token_bytes(32), 1),
    "anchorBySig": _sig_by_stranger,
    "multicall": lambda w: R(w).multicall(
        [R(w).anchor(secrets.token_bytes(32), 1, FORMAL, 0)._encode_transaction_data()]
    ),
    # registry: the root's issuer (any currently valid key) or governance
    "revokeRoot": lambda w: R(w).revokeRoot(w.tree.root, 1),
    "suspendRoot": lambda w: R(w).suspendRoot(w.tree.root, 1),
    "reinstateRoot": lambda w: R(w).reinstateRoot(w.tree.root, 1),
    "supersedeRoot": lambda w: R(w).supersedeRoot(w.tree.root, w.root_b, 1),
    "revokeCredential": lambda w: R(w).revokeCredential(*_leaf_args(w), 1),
    "suspendCredential": lambda w: R(w).suspendCredential(*_leaf_args(w), 1),
    "reinstateCredential": lambda w: R(w).reinstateCredential(*_leaf_args(w), 1),
    "supersedeCredential": lambda w: R(w).supersedeCredential(*_leaf_args(w), w.root_b, b"\1" * 32, 1),
    # governance: governors only / only through an executed proposal
    "propose": lambda w: G(w).propose(w.chain.registry.address, b"\0", w.chain.now() + 3600),
    "approve": lambda w: G(w).approve(1),
    "execute": lambda w: G(w).execute(1),
    "addGovernor": lambda w: G(w).addGovernor(w.stranger.address),
    "removeGovernor": lambda w: G(w).removeGovernor(w.chain.governors[0].address),
    "setThreshold": lambda w: G(w).setThreshold(1),
}

Who = Callable[[World], LocalAccount]
STRANGER: Who = lambda w: w.stranger  # noqa: E731
GOVERNOR_EOA: Who = lambda w: w.chain.governors[0]  # noqa: E731 - a governor acting alone, not through governance
BODY_A: Who = lambda w: w.a.admin  # noqa: E731
BODY_B: Who = lambda w: w.b.admin  # noqa: E731
KEY_A: Who = lambda w: w.a.key  # noqa: E731
KEY_B: Who = lambda w: w.b.key  # noqa: E731

GOV_ONLY = {"stranger": STRANGER, "governor alone": GOVERNOR_EOA, "body admin": BODY_A, "issuer key": KEY_A}
BODY_OR_GOV = {"stranger": STRANGER, "governor alone": GOVERNOR_EOA, "other body": BODY_B, "issuer key": KEY_A}
ROOT_ISSUER = {"stranger": STRANGER, "governor alone": GOVERNOR_EOA, "body admin": BODY_A, "other issuer": KEY_B}

# function -> {caller: (expected error, expected args or None)}
TABLE: dict[str, dict[str, tuple[Who, str]]] = {}
for fn in ("accreditBody", "suspendBody", "reinstateBody", "withdrawBody", "setBodyAdmin"):
    TABLE[fn] = {who: (f, "CredentialRegistryNotGovernance") for who, f in GOV_ONLY.items()}
for fn in (
    "accreditIssuer", "suspendIssuer", "reinstateIssuer", "withdrawIssuer", "setIssuerMetadata",
    "addIssuerKey", "rotateIssuerKey", "retireIssuerKey", "cutOffIssuerKey",
):  # fmt: skip
    TABLE[fn] = {who: (f, "CredentialRegistryNotBodyAdmin") for who, f in BODY_OR_GOV.items()}
for fn in ("anchor", "anchorBySig", "multicall"):
    TABLE[fn] = {
        "stranger": (STRANGER, "CredentialRegistryUnknownKey"),
        "governor alone": (GOVERNOR_EOA, "CredentialRegistryUnknownKey"),
        "body admin": (BODY_A, "CredentialRegistryUnknownKey"),
        "issuer out of scope": (KEY_B, "CredentialRegistryTypeOutOfScope"),
    }
TABLE["anchorBySig"] = {"signed by a stranger": (BODY_A, "CredentialRegistryUnknownKey")}
TABLE["anchorSingle"] = {
    "stranger": (STRANGER, "CredentialRegistryUnknownKey"),
    "issuer out of scope": (KEY_B, "CredentialRegistryTypeOutOfScope"),
}
for fn in (
    "revokeRoot", "suspendRoot", "reinstateRoot", "supersedeRoot",
    "revokeCredential", "suspendCredential", "reinstateCredential", "supersedeCredential",
):  # fmt: skip
    TABLE[fn] = {who: (f, "CredentialRegistryNotRootIssuer") for who, f in ROOT_ISSUER.items()}
for fn in ("propose", "approve", "execute"):
    TABLE[fn] = {
        "stranger": (STRANGER, "RegistryGovernanceNotGovernor"),
        "body admin": (BODY_A, "RegistryGovernanceNotGovernor"),
        "issuer key": (KEY_A, "RegistryGovernanceNotGovernor"),
    }
for fn in ("addGovernor", "removeGovernor", "setThreshold"):
    TABLE[fn] = {
        "stranger": (STRANGER, "RegistryGovernanceNotSelf"),
        "governor alone": (GOVERNOR_EOA, "RegistryGovernanceNotSelf"),
    }

ROWS = [(fn, who) for fn in sorted(TABLE) for who in TABLE[fn]]


@pytest.mark.parametrize(("fn", "who"), ROWS, ids=[f"{fn}-{who.replace(' ', '_')}" for fn, who in ROWS])
def test_refused(world: World, fn: str, who: str) -> None:
    caller, expected = TABLE[fn][who]
    name, _ = world.chain.refused(CALLS[fn](world), caller(world))
    assert name == expected


def test_table_lists_every_state_changing_function(world: World) -> None:
    abi = world.chain.registry.abi + world.chain.governance.abi
    mutating = {e["name"] for e in abi if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")}
    assert mutating == set(TABLE) == set(CALLS)


def test_refusal_args_name_the_caller(world: World) -> None:
    c = world.chain
    assert c.refused(R(world).suspendBody(1, 1), world.stranger) == (
        "CredentialRegistryNotGovernance",
        (world.stranger.address,),
    )
    name, args = c.refused(R(world).revokeRoot(world.tree.root, 1), world.b.key)
    assert (name, args) == ("CredentialRegistryNotRootIssuer", (world.b.key.address, world.tree.root))
    name, args = c.refused(R(world).anchor(secrets.token_bytes(32), 1, FORMAL, 0), world.b.key)
    assert (name, args) == ("CredentialRegistryTypeOutOfScope", (world.b.issuer_id, FORMAL))
