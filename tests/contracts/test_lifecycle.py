"""The credential lifecycle at root and at (root, credential), keys over time, and valid-at-T."""

from __future__ import annotations

import secrets

from tests.contracts.conftest import FORMAL, Chain
from tests.contracts.merkle import StandardMerkleTree

ACTIVE, SUSPENDED, SUPERSEDED, REVOKED = range(4)
V = {n: i for i, n in enumerate(["Valid", "UnknownRoot", "NotInTree", "NotYetAnchored", "KeyCompromised", "Revoked",
                                 "Superseded", "Suspended", "Expired"])}  # fmt: skip


def _batch(c: Chain, n: int = 4, expires_at: int = 0) -> tuple[StandardMerkleTree, list[bytes], object]:
    issuer = c.issuer()
    hashes = [secrets.token_bytes(32) for _ in range(n)]
    tree = StandardMerkleTree(hashes)
    issuer.anchor(tree.root, leaf_count=n, expires_at=expires_at)
    return tree, hashes, issuer


def _valid(c: Chain, tree: StandardMerkleTree, hashes: list[bytes], i: int, t: int) -> tuple[bool, int]:
    valid, code = c.registry.functions.isValidAt(tree.root, hashes[i], tree.proof(i), t).call()
    return valid, code


def test_anchor_record_and_event(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    root = secrets.token_bytes(32)
    receipt = c.send(c.registry.functions.anchor(root, 1024, FORMAL, c.now() + 10**6), issuer.key)
    assert c.events(receipt) == [("CredentialAnchored", {"root": root})]
    record = c.registry.functions.anchorOf(root).call()
    issuer_id, key_id, key, anchored_at, leaf_count, ctype, expires_at, status, reason, since = record
    assert (issuer_id, key, leaf_count, ctype, status, reason) == (
        issuer.issuer_id,
        issuer.key.address,
        1024,
        FORMAL,
        0,
        0,
    )
    assert key_id >= 1
    assert anchored_at == since == c.now()
    assert expires_at > anchored_at
    assert c.registry.functions.anchorOf(secrets.token_bytes(32)).call()[0] == 0


def test_revoking_one_leaf_touches_that_leaf_only(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    before = c.now()
    c.advance(10)
    receipt = c.send(c.registry.functions.revokeCredential(tree.root, hashes[1], 7), issuer.key)
    assert c.events(receipt) == [
        ("CredentialRevoked", {"root": tree.root, "credentialHash": hashes[1], "reasonCode": 7})
    ]
    now = c.now()
    assert _valid(c, tree, hashes, 1, now) == (False, V["Revoked"])
    assert _valid(c, tree, hashes, 1, before) == (True, V["Valid"])  # valid-at-T before it is unchanged
    for i in (0, 2, 3):
        assert _valid(c, tree, hashes, i, now) == (True, V["Valid"])
    status = c.registry.functions.statusOf(tree.root, hashes[1], tree.proof(1)).call()
    assert status == [REVOKED, 7, now]
    # revocation is final
    for fn in ("suspendCredential", "reinstateCredential", "revokeCredential"):
        call = getattr(c.registry.functions, fn)(tree.root, hashes[1], 1)
        assert c.refused(call, issuer.key)[0] == "CredentialRegistryInvalidTransition"


def test_suspension_and_reinstatement_keep_their_history(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    t0 = c.advance(10)
    c.send(f.suspendCredential(tree.root, hashes[0], 3), issuer.key)
    t_susp = c.now()
    assert _valid(c, tree, hashes, 0, t_susp) == (False, V["Suspended"])
    assert c.refused(f.suspendCredential(tree.root, hashes[0], 3), issuer.key)[0] == (
        "CredentialRegistryInvalidTransition"
    )
    c.advance(100)
    c.send(f.reinstateCredential(tree.root, hashes[0], 4), issuer.key)
    t_back = c.now()
    assert _valid(c, tree, hashes, 0, t_back) == (True, V["Valid"])
    assert _valid(c, tree, hashes, 0, t_susp + 50) == (False, V["Suspended"])  # still suspended then
    assert _valid(c, tree, hashes, 0, min(t0, t_susp - 1)) == (True, V["Valid"])
    assert c.refused(f.reinstateCredential(tree.root, hashes[0], 4), issuer.key)[0] == (
        "CredentialRegistryInvalidTransition"
    )
    c.advance(10)
    c.send(f.suspendCredential(tree.root, hashes[0], 5), issuer.key)
    assert _valid(c, tree, hashes, 0, t_susp + 50) == (False, V["Suspended"])
    assert _valid(c, tree, hashes, 0, t_back) == (True, V["Valid"])


def test_root_level_acts_cover_every_leaf(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    c.send(f.suspendRoot(tree.root, 2), issuer.key)
    assert all(_valid(c, tree, hashes, i, c.now()) == (False, V["Suspended"]) for i in range(4))
    c.send(f.reinstateRoot(tree.root, 2), issuer.key)
    assert all(_valid(c, tree, hashes, i, c.now())[0] for i in range(4))
    c.send(f.revokeRoot(tree.root, 9), issuer.key)
    assert all(_valid(c, tree, hashes, i, c.now()) == (False, V["Revoked"]) for i in range(4))
    assert list(c.registry.functions.anchorOf(tree.root).call()[7:9]) == [REVOKED, 9]


def test_supersession_points_at_the_replacement(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    new_hash = secrets.token_bytes(32)
    new_root = issuer.anchor(StandardMerkleTree([new_hash]).root)
    assert c.refused(f.supersedeCredential(tree.root, hashes[2], secrets.token_bytes(32), new_hash, 1),
                     issuer.key)[0] == "CredentialRegistryInvalidReplacement"  # fmt: skip
    receipt = c.send(f.supersedeCredential(tree.root, hashes[2], new_root, new_hash, 1), issuer.key)
    assert c.events(receipt) == [
        (
            "CredentialSuperseded",
            {
                "root": tree.root,
                "credentialHash": hashes[2],
                "reasonCode": 1,
                "replacementRoot": new_root,
                "replacementHash": new_hash,
            },
        )
    ]
    assert _valid(c, tree, hashes, 2, c.now()) == (False, V["Superseded"])
    assert f.replacementOf(tree.root, hashes[2]).call() == [new_root, new_hash]
    c.send(f.supersedeRoot(tree.root, new_root, 1), issuer.key)
    assert f.replacementOf(tree.root, b"\0" * 32).call() == [new_root, b"\0" * 32]
    assert c.refused(f.supersedeRoot(new_root, new_root, 1), issuer.key)[0] == "CredentialRegistryInvalidReplacement"


def test_leaf_acts_refuse_unknown_roots_zero_hashes_and_bad_replacements(any_chain: Chain) -> None:
    """No proof is taken (see IRegistryAnchors.revokeCredential), but every other refusal still holds, each named."""
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    unknown = secrets.token_bytes(32)
    for fn in ("revokeCredential", "suspendCredential", "reinstateCredential"):
        assert c.refused(getattr(f, fn)(unknown, hashes[0], 1), issuer.key) == (
            "CredentialRegistryUnknownRoot",
            (unknown,),
        )
        assert c.refused(getattr(f, fn)(tree.root, b"\0" * 32, 1), issuer.key) == (
            "CredentialRegistryZeroCredentialHash",
            (tree.root,),
        )
    new_root = issuer.anchor()
    assert c.refused(f.supersedeCredential(unknown, hashes[0], new_root, b"\1" * 32, 1), issuer.key) == (
        "CredentialRegistryUnknownRoot",
        (unknown,),
    )
    assert c.refused(f.supersedeCredential(tree.root, b"\0" * 32, new_root, b"\1" * 32, 1), issuer.key) == (
        "CredentialRegistryZeroCredentialHash",
        (tree.root,),
    )
    for bad_root, bad_hash in ((new_root, b"\0" * 32), (tree.root, hashes[0]), (unknown, b"\1" * 32)):
        assert c.refused(f.supersedeCredential(tree.root, hashes[0], bad_root, bad_hash, 1), issuer.key) == (
            "CredentialRegistryInvalidReplacement",
            (bad_root,),
        )
    # governance is refused the same way (zero hash), and none of the above changed anything
    assert c.govern_refused(f.revokeCredential(tree.root, b"\0" * 32, 1))[0] == "CredentialRegistryZeroCredentialHash"
    assert all(_valid(c, tree, hashes, i, c.now()) == (True, V["Valid"]) for i in range(4))
    assert tuple(f.anchorOf(tree.root).call()[7:9]) == (ACTIVE, 0)


def test_expiry_and_anchor_time(any_chain: Chain) -> None:
    c = any_chain
    expires = c.now() + 1000
    tree, hashes, _ = _batch(c, expires_at=expires)
    anchored_at = c.registry.functions.anchorOf(tree.root).call()[3]
    assert _valid(c, tree, hashes, 0, anchored_at - 1) == (False, V["NotYetAnchored"])
    assert _valid(c, tree, hashes, 0, expires - 1) == (True, V["Valid"])
    assert _valid(c, tree, hashes, 0, expires) == (False, V["Expired"])
    issuer = c.issuer()
    name, _ = c.refused(c.registry.functions.anchor(secrets.token_bytes(32), 1, FORMAL, c.now()), issuer.key)
    assert name == "CredentialRegistryExpiryNotInFuture"


def test_rotated_key_still_acts_on_old_anchors_and_retired_key_cannot_anchor(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    old = issuer.key
    new = c.account()
    switch = c.now() + 5
    c.send(c.registry.functions.rotateIssuerKey(issuer.issuer_id, old.address, new.address, switch), issuer.admin)
    c.advance(10)
    assert c.refused(c.registry.functions.anchor(secrets.token_bytes(32), 1, FORMAL, 0), old)[0] == (
        "CredentialRegistryKeyNotValidNow"
    )
    issuer.anchor(key=new)
    c.send(c.registry.functions.revokeCredential(tree.root, hashes[0], 1), new)  # new key, old anchor
    assert c.refused(c.registry.functions.revokeCredential(tree.root, hashes[1], 1), old)[0] == (
        "CredentialRegistryNotRootIssuer"
    )
    assert _valid(c, tree, hashes, 1, c.now()) == (True, V["Valid"])  # anchored by the old key before retirement


def test_compromise_cut_off_is_retroactive_only_from_the_cut_off(any_chain: Chain) -> None:
    c = any_chain
    issuer = c.issuer()
    early = StandardMerkleTree([h0 := secrets.token_bytes(32)])
    issuer.anchor(early.root)
    cutoff = c.advance(100)
    late = StandardMerkleTree([h1 := secrets.token_bytes(32)])
    c.advance(100)
    issuer.anchor(late.root)  # the compromise is discovered only later
    c.send(c.registry.functions.cutOffIssuerKey(issuer.issuer_id, issuer.key.address, cutoff), issuer.admin)
    now = c.now()
    assert c.registry.functions.isValidAt(early.root, h0, [], now).call() == [True, V["Valid"]]
    assert c.registry.functions.isValidAt(late.root, h1, [], now).call() == [False, V["KeyCompromised"]]
    assert c.refused(c.registry.functions.anchor(secrets.token_bytes(32), 1, FORMAL, 0), issuer.key)[0] == (
        "CredentialRegistryKeyNotValidNow"
    )
    name, _ = c.refused(
        c.registry.functions.cutOffIssuerKey(issuer.issuer_id, issuer.key.address, cutoff + 1), issuer.admin
    )
    assert name == "CredentialRegistryKeyEndNotEarlier"


def test_issuer_suspension_and_withdrawal_are_not_retroactive(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    c.send(f.suspendIssuer(issuer.issuer_id, 1), issuer.admin)
    assert c.refused(f.anchor(secrets.token_bytes(32), 1, FORMAL, 0), issuer.key)[0] == (
        "CredentialRegistryIssuerNotActive"
    )
    assert _valid(c, tree, hashes, 0, c.now()) == (True, V["Valid"])
    c.send(f.reinstateIssuer(issuer.issuer_id, 1), issuer.admin)
    issuer.anchor()
    c.send(f.withdrawIssuer(issuer.issuer_id, 1), issuer.admin)
    assert _valid(c, tree, hashes, 0, c.now()) == (True, V["Valid"])
    assert c.refused(f.reinstateIssuer(issuer.issuer_id, 1), issuer.admin)[0] == (
        "CredentialRegistryInvalidAccreditationChange"
    )


def test_body_suspension_stops_its_issuers_and_its_admin(any_chain: Chain) -> None:
    c = any_chain
    body = c.body()
    issuer = c.issuer(body)
    f = c.registry.functions
    c.govern(f.suspendBody(body[0], 1))
    assert (
        c.refused(f.anchor(secrets.token_bytes(32), 1, FORMAL, 0), issuer.key)[0] == "CredentialRegistryBodyNotActive"
    )
    assert c.refused(f.accreditIssuer(body[0], [FORMAL], 3, 0, 0, "x", b"\0" * 32), body[1])[0] == (
        "CredentialRegistryBodyNotActive"
    )
    c.govern(f.reinstateBody(body[0], 1))
    issuer.anchor()


def test_governance_hold_is_lifted_by_governance_only(chain: Chain) -> None:
    c = chain
    issuer = c.issuer()
    f = c.registry.functions
    c.govern(f.suspendIssuer(issuer.issuer_id, 1))
    assert c.refused(f.reinstateIssuer(issuer.issuer_id, 1), issuer.admin)[0] == "CredentialRegistryNotGovernance"
    c.govern(f.reinstateIssuer(issuer.issuer_id, 1))
    issuer.anchor()


def test_governance_acts_on_any_root(chain: Chain) -> None:
    c = chain
    tree, hashes, _ = _batch(c)
    c.govern(c.registry.functions.revokeCredential(tree.root, hashes[3], 99))
    assert _valid(c, tree, hashes, 3, c.now()) == (False, V["Revoked"])


def test_multicall_anchors_and_changes_status_in_one_transaction(any_chain: Chain) -> None:
    c = any_chain
    tree, hashes, issuer = _batch(c)
    f = c.registry.functions
    roots = [secrets.token_bytes(32) for _ in range(5)]
    calls = [f.anchor(r, 1, FORMAL, 0)._encode_transaction_data() for r in roots]
    calls.append(f.revokeCredential(tree.root, hashes[0], 1)._encode_transaction_data())
    receipt = c.send(f.multicall(calls), issuer.key)
    names = [n for n, _ in c.events(receipt)]
    assert names == ["CredentialAnchored"] * 5 + ["CredentialRevoked"]
    assert all(f.anchorOf(r).call()[2] == issuer.key.address for r in roots)


def test_views_show_the_accreditation_path(chain: Chain) -> None:
    c = chain
    body_id, admin = c.body()
    issuer = c.issuer((body_id, admin))
    f = c.registry.functions
    body = f.bodyOf(body_id).call()
    assert (body[0], body[2]) == (admin.address, 1)
    record = f.issuerOf(issuer.issuer_id).call()
    assert (record[0], record[2], record[8]) == (body_id, 1, "did:web:issuer.example")
    key = f.keyOf(issuer.key.address).call()
    assert key[1] == issuer.issuer_id
    assert key[6] <= c.now() < key[7]
    assert f.issuerKeys(issuer.issuer_id).call() == [issuer.key.address]
    assert f.issuerTypes(issuer.issuer_id).call() == [FORMAL]
    assert f.canAnchor(issuer.key.address, FORMAL).call() is True
    assert f.credentialTypeOf(f.typeIdOf(FORMAL).call()).call() == FORMAL
    assert f.governance().call() == c.governance.address
    assert f.bodyCount().call() == body_id
    assert f.keyById(key[2]).call() == key
    assert f.bodyOf(999).call()[2] == 0
