"""Attacks the registry must refuse: forged leaves, replayed signatures, scope escalation."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess

import pytest
from eth_utils import keccak

from node.chain.registry import sign_anchor
from tests.contracts.conftest import (
    FORMAL,
    MICRO,
    RPL,
    Chain,
    _deploy,
)
from tests.contracts.merkle import StandardMerkleTree, hash_pair, leaf_of, process_proof

VALIDITY = ["Valid", "UnknownRoot", "NotInTree", "NotYetAnchored", "KeyCompromised", "Revoked", "Superseded",
            "Suspended", "Expired"]  # fmt: skip


def _batch(chain: Chain, n: int = 4) -> tuple[StandardMerkleTree, list[bytes], object]:
    issuer = chain.issuer()
    hashes = [secrets.token_bytes(32) for _ in range(n)]
    tree = StandardMerkleTree(hashes)
    issuer.anchor(tree.root, leaf_count=n)
    return tree, hashes, issuer


def test_internal_node_presented_as_leaf_is_refused(any_chain: Chain) -> None:
    c = any_chain
    tree, _, _ = _batch(c)
    node, sibling = tree.tree[1], tree.tree[2]  # the root's two children
    assert hash_pair(node, sibling) == tree.root  # a real path from `node` to the root
    valid, code = c.registry.functions.isValidAt(tree.root, node, [sibling], c.now()).call()
    assert (valid, VALIDITY[code]) == (False, "NotInTree")
    assert c.call_refused(c.registry.functions.statusOf(tree.root, node, [sibling])) == (
        "CredentialRegistryInvalidProof",
        (tree.root, node),
    )


def test_64_byte_leaf_is_refused(any_chain: Chain) -> None:
    """The 64-byte preimage of an inner node (its two children) can neither be passed nor pass as a leaf."""
    c = any_chain
    tree, _, _ = _batch(c)
    left, right = sorted((tree.tree[1], tree.tree[2]))
    sixty_four = left + right
    assert keccak(sixty_four) == tree.root  # what a single-hashed, unsorted scheme would accept
    # hashed once (the inner node itself) it is refused; raw 64 bytes do not fit the ABI's bytes32
    valid, code = c.registry.functions.isValidAt(tree.root, keccak(sixty_four), [], c.now()).call()
    assert (valid, VALIDITY[code]) == (False, "NotInTree")
    with pytest.raises(Exception, match=r"bytes32|Could not identify|arguments"):
        c.registry.functions.isValidAt(tree.root, sixty_four, [], c.now()).call()
    with pytest.raises(Exception, match=r"bytes32|Could not identify|arguments"):
        c.registry.functions.revokeCredential(tree.root, sixty_four, 1).call({"from": c.funder})


def test_status_set_on_a_non_credential_is_inert(any_chain: Chain) -> None:
    """Leaf-level acts take no proof, so the root's issuer may record a status for any hash under its root: an inner
    node, the root itself, a random hash. None of it changes any view for any real credential, and an inner node
    still never verifies as a credential, with or without a status of its own."""
    c = any_chain
    tree, hashes, issuer = _batch(c, n=8)
    f = c.registry.functions
    inner = tree.tree[1:7]  # every internal node below the root (8 leaves: 7 internal nodes, tree[0] the root)
    leaves = [leaf_of(h) for h in hashes]
    strangers = [secrets.token_bytes(32) for _ in range(3)]
    t0 = c.now()
    before = [f.isValidAt(tree.root, h, tree.proof(i), t0).call() for i, h in enumerate(hashes)]
    statuses_before = [f.statusOf(tree.root, h, tree.proof(i)).call() for i, h in enumerate(hashes)]
    assert before == [[True, 0]] * 8
    c.advance(10)
    phantoms = [*inner, tree.root, *leaves, *strangers[:2]]  # leaves: a leaf named as if it were a credential hash
    for k, phantom in enumerate(phantoms):
        act = ("revokeCredential", "suspendCredential")[k % 2]
        c.send(getattr(f, act)(tree.root, phantom, 13), issuer.key)
    new_root = issuer.anchor()
    c.send(f.supersedeCredential(tree.root, strangers[2], new_root, b"\1" * 32, 1), issuer.key)
    assert f.replacementOf(tree.root, strangers[2]).call() == [new_root, b"\1" * 32]  # recorded, but for no credential
    c.advance(10)
    now = c.now()
    for i, h in enumerate(hashes):  # every real credential: unchanged now and at any earlier time
        assert f.isValidAt(tree.root, h, tree.proof(i), now).call() == [True, 0]
        assert f.isValidAt(tree.root, h, tree.proof(i), t0).call() == before[i]
        assert f.statusOf(tree.root, h, tree.proof(i)).call() == statuses_before[i]
        assert f.replacementOf(tree.root, h).call() == [b"\0" * 32, b"\0" * 32]
    for node in inner:  # an inner node, even with a status recorded for it and its real path, is no credential
        index = tree.tree.index(node)
        path = tree.proof_of_node(index)
        assert process_proof(node, path) == tree.root
        assert f.isValidAt(tree.root, node, path, now).call() == [False, VALIDITY.index("NotInTree")]
        assert c.call_refused(f.statusOf(tree.root, node, path))[0] == "CredentialRegistryInvalidProof"
    for leaf, i in ((leaf_of(h), i) for i, h in enumerate(hashes)):  # nor is a leaf presented as a credential hash
        assert f.isValidAt(tree.root, leaf, tree.proof(i), now).call() == [False, VALIDITY.index("NotInTree")]
    for stranger in strangers:  # a random hash: not in the tree, whatever status it was given
        assert f.isValidAt(tree.root, stranger, tree.proof(0), now).call() == [False, VALIDITY.index("NotInTree")]
    # the acts are still refused to anyone else, and a real credential can still be revoked after all of it
    other = c.issuer()
    assert c.refused(f.revokeCredential(tree.root, strangers[0], 1), other.key)[0] == "CredentialRegistryNotRootIssuer"
    c.send(f.revokeCredential(tree.root, hashes[5], 2), issuer.key)
    assert f.isValidAt(tree.root, hashes[5], tree.proof(5), c.now()).call() == [False, VALIDITY.index("Revoked")]
    assert f.isValidAt(tree.root, hashes[4], tree.proof(4), c.now()).call() == [True, 0]


def test_delegated_signature_replayed_is_refused(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    relayer = c.account()
    root, deadline = secrets.token_bytes(32), c.now() + 3600
    sig = sign_anchor(issuer.key, c.registry.address, c.w3.eth.chain_id, root, 1, FORMAL, 0, deadline)
    call = c.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline, *sig)
    c.send(call, relayer)
    assert c.registry.functions.anchorOf(root).call()[2] == issuer.key.address  # attributed to the signer
    assert c.refused(call, relayer) == ("CredentialRegistryAlreadyAnchored", (root,))
    assert c.refused(call, c.account())[0] == "CredentialRegistryAlreadyAnchored"


def test_delegated_signature_for_another_chain_is_refused(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    root, deadline = secrets.token_bytes(32), c.now() + 3600
    sig = sign_anchor(issuer.key, c.registry.address, c.w3.eth.chain_id + 1, root, 1, FORMAL, 0, deadline)
    name, _ = c.refused(c.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline, *sig), c.account())
    assert name == "CredentialRegistryUnknownKey"  # it recovers to some other address


def test_delegated_signature_for_another_contract_is_refused(any_chain: Chain) -> None:
    """Same chain, same accredited key on a second registry: a signature for one never works on the other."""
    c = any_chain
    issuer = c.issuer()
    other = _deploy(c.w3, c.backend, c.funder, 1, 1)
    other_issuer = other.issuer()
    other.send(
        other.registry.functions.addIssuerKey(other_issuer.issuer_id, issuer.key.address, 0, 0), other_issuer.admin
    )
    root, deadline = secrets.token_bytes(32), c.now() + 3600
    sig = sign_anchor(issuer.key, other.registry.address, c.w3.eth.chain_id, root, 1, FORMAL, 0, deadline)
    name, _ = c.refused(c.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline, *sig), c.account())
    assert name == "CredentialRegistryUnknownKey"
    other.send(other.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline, *sig), other.account())


def test_delegated_signature_after_deadline_is_refused(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    root, deadline = secrets.token_bytes(32), c.now() + 60
    sig = sign_anchor(issuer.key, c.registry.address, c.w3.eth.chain_id, root, 1, FORMAL, 0, deadline)
    c.advance(120)
    name, args = c.refused(c.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline, *sig), c.account())
    assert (name, args) == ("CredentialRegistrySignatureExpired", (deadline,))


def test_delegated_signature_with_altered_fields_is_refused(chain: Chain) -> None:
    c = chain
    issuer = c.issuer(c.body(types=(FORMAL, MICRO)), types=(FORMAL, MICRO))
    root, deadline = secrets.token_bytes(32), c.now() + 3600
    sig = sign_anchor(issuer.key, c.registry.address, c.w3.eth.chain_id, root, 1, FORMAL, 0, deadline)
    for altered in (
        c.registry.functions.anchorBySig(root, 2, FORMAL, 0, deadline, *sig),
        c.registry.functions.anchorBySig(root, 1, MICRO, 0, deadline, *sig),
        c.registry.functions.anchorBySig(root, 1, FORMAL, 0, deadline + 1, *sig),
    ):
        assert c.refused(altered, c.account())[0] in {
            "CredentialRegistryUnknownKey",
            "CredentialRegistryTypeOutOfScope",
        }


def test_body_accrediting_beyond_its_scope_is_refused(any_chain: Chain) -> None:
    c = any_chain
    now = c.now()
    body_id, admin = c.body(types=(FORMAL,), level=6, valid_from=now - 10, valid_until=now + 10_000)
    f = c.registry.functions
    assert c.refused(f.accreditIssuer(body_id, [MICRO], 5, now, now + 100, "x", b"\0" * 32), admin) == (
        "CredentialRegistryTypeOutOfScope",
        (body_id, MICRO),
    )
    assert c.refused(f.accreditIssuer(body_id, [FORMAL], 7, now, now + 100, "x", b"\0" * 32), admin) == (
        "CredentialRegistryLevelOutOfScope",
        (7, 6),
    )
    name, _ = c.refused(f.accreditIssuer(body_id, [FORMAL], 6, now, now + 20_000, "x", b"\0" * 32), admin)
    assert name == "CredentialRegistryWindowOutOfScope"
    name, _ = c.refused(f.accreditIssuer(body_id, [FORMAL], 6, now, 0, "x", b"\0" * 32), admin)  # open-ended
    assert name == "CredentialRegistryWindowOutOfScope"
    # not even governance may grant more than the body holds
    assert c.govern_refused(f.accreditIssuer(body_id, [RPL], 5, now, now + 100, "x", b"\0" * 32))[0] == (
        "CredentialRegistryTypeOutOfScope"
    )


def test_issuer_anchoring_outside_its_scope_is_refused(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer(c.body(types=(FORMAL, MICRO)), types=(FORMAL,))
    f = c.registry.functions
    assert c.refused(f.anchor(secrets.token_bytes(32), 1, MICRO, 0), issuer.key) == (
        "CredentialRegistryTypeOutOfScope",
        (issuer.issuer_id, MICRO),
    )
    micro_id = f.typeIdOf(MICRO).call()
    assert c.refused(f.anchorSingle(secrets.token_bytes(32), micro_id), issuer.key)[0] == (
        "CredentialRegistryTypeOutOfScope"
    )
    assert c.refused(f.anchor(secrets.token_bytes(32), 1, RPL, 0), issuer.key)[0] == "CredentialRegistryTypeOutOfScope"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js for @openzeppelin/merkle-tree")
def test_proof_made_by_openzeppelin_merkle_tree_verifies(chain: Chain) -> None:
    c = chain
    issuer = c.issuer()
    hashes = [secrets.token_bytes(32) for _ in range(7)]
    script = (
        "const {StandardMerkleTree}=require('@openzeppelin/merkle-tree');"
        f"const t=StandardMerkleTree.of({json.dumps([['0x' + h.hex()] for h in hashes])},['bytes32']);"
        "console.log(JSON.stringify({root:t.root,proofs:[...Array(7).keys()].map(i=>t.getProof(i))}));"
    )
    out = json.loads(subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout)
    root = bytes.fromhex(out["root"][2:])
    assert root == StandardMerkleTree(hashes).root  # our Python mirror agrees with the library
    issuer.anchor(root, leaf_count=7)
    for i, proof in enumerate(out["proofs"]):
        proof_bytes = [bytes.fromhex(p[2:]) for p in proof]
        assert c.registry.functions.isValidAt(root, hashes[i], proof_bytes, c.now()).call() == [True, 0]


def test_single_credential_is_a_tree_of_one(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    credential = secrets.token_bytes(32)
    root = issuer.anchor(leaf_of(credential))
    assert c.registry.functions.isValidAt(root, credential, [], c.now()).call() == [True, 0]
    assert c.registry.functions.isValidAt(root, root, [], c.now()).call() == [False, 2]  # the leaf is not a credential
