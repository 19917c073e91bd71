"""Random sequences of governance, anchor and lifecycle acts against a model of what must hold.

Invariants: a revoked credential is never valid again; a suspended one becomes valid again only by reinstatement;
an anchor's time never changes; only an accredited, in-scope issuer with a key valid now can anchor; a leaf change
affects that (root, leaf) only; a status recorded for a hash that is no credential of the root (leaf acts take no
proof) changes no answer for any credential; valid-at-T for a T in the past never changes (suspension and
withdrawal are not retroactive).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.contracts.conftest import FORMAL, MICRO, Chain, Issuer, _eth_tester_chain
from tests.contracts.merkle import StandardMerkleTree

ACTIVE, SUSPENDED, SUPERSEDED, REVOKED = range(4)
CODE_OF = {SUSPENDED: 7, REVOKED: 5}
NOT_IN_TREE = 2
ACTIONS = {"revoke": REVOKED, "suspend": SUSPENDED, "reinstate": ACTIVE}


@dataclass
class IssuerModel:
    issuer: Issuer
    types: set[bytes]
    active: bool = True
    retired: list[LocalAccount] = field(default_factory=list)


@dataclass
class RootModel:
    root: bytes
    hashes: list[bytes]
    tree: StandardMerkleTree
    owner: str
    anchored_at: int
    status: int = ACTIVE
    leaf_status: dict[int, int] = field(default_factory=dict)


_BASE: dict[str, Any] = {}


def _base() -> tuple[Chain, dict[str, IssuerModel], Any]:
    """One deployment (a body, issuer A for FORMAL and issuer B for MICRO), snapshotted; each example reverts to it."""
    if not _BASE:
        c = _eth_tester_chain()
        body = c.body(types=(FORMAL, MICRO))
        a = c.issuer(body, types=(FORMAL,))
        b = c.issuer(body, types=(MICRO,))
        _BASE.update(chain=c, a=a, b=b, snapshot=c.w3.provider.ethereum_tester.take_snapshot())  # type: ignore[attr-defined]
    c = _BASE["chain"]
    c.w3.provider.ethereum_tester.revert_to_snapshot(_BASE["snapshot"])  # type: ignore[attr-defined]
    a, b = _BASE["a"], _BASE["b"]
    a.keys, b.keys = a.keys[:1], b.keys[:1]
    return c, {"A": IssuerModel(a, {FORMAL}), "B": IssuerModel(b, {MICRO})}, _BASE["snapshot"]


class RegistryMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.c, self.issuers, _ = _base()
        self.roots: list[RootModel] = []
        self.answers: list[tuple[bytes, bytes, list[bytes], int, tuple[bool, int]]] = []
        self.phantoms: dict[tuple[bytes, bytes], int] = {}  # statuses recorded for hashes that are no credential

    # ----------------------------------------------------------------------------------------- rules

    @rule(who=st.sampled_from(["A", "B"]), ctype=st.sampled_from([FORMAL, MICRO]), n=st.integers(1, 4),
          old_key=st.booleans())  # fmt: skip
    def anchor(self, who: str, ctype: bytes, n: int, old_key: bool) -> None:
        model = self.issuers[who]
        key = model.retired[-1] if old_key and model.retired else model.issuer.key
        hashes = [secrets.token_bytes(32) for _ in range(n)]
        tree = StandardMerkleTree(hashes)
        call = self.c.registry.functions.anchor(tree.root, n, ctype, 0)
        may_anchor = model.active and ctype in model.types and key is model.issuer.key
        if may_anchor:
            receipt = self.c.send(call, key)
            at = int(self.c.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
            self.roots.append(RootModel(tree.root, hashes, tree, who, at))
        else:
            name, _ = self.c.refused(call, key)
            expected = {"CredentialRegistryTypeOutOfScope"} if ctype not in model.types else set()
            if not expected:
                expected = (
                    {"CredentialRegistryIssuerNotActive"} if not model.active else {"CredentialRegistryKeyNotValidNow"}
                )
            assert name in expected, (name, expected)

    @precondition(lambda self: self.roots)
    @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)), actor=st.sampled_from(["own", "other", "gov"]),
          at_root=st.booleans())  # fmt: skip
    def lifecycle(self, data: st.DataObject, action: str, actor: str, at_root: bool) -> None:
        r = data.draw(st.sampled_from(self.roots))
        i = data.draw(st.integers(0, len(r.hashes) - 1))
        f = self.c.registry.functions
        target = ACTIONS[action]
        if at_root:
            call = getattr(f, f"{action}Root")(r.root, 1)
            current = r.status
        else:
            call = getattr(f, f"{action}Credential")(r.root, r.hashes[i], 1)
            current = r.leaf_status.get(i, ACTIVE)
        allowed = (current == SUSPENDED) if target == ACTIVE else (
            current == ACTIVE or (current == SUSPENDED and target == REVOKED))  # fmt: skip
        owner = self.issuers[r.owner]
        if actor == "gov":
            if allowed:
                self.c.govern(call)
            else:
                assert self.c.govern_refused(call)[0] == "CredentialRegistryInvalidTransition"
        else:
            other = self.issuers["B" if r.owner == "A" else "A"]
            key = owner.issuer.key if actor == "own" else other.issuer.key
            authorised = actor == "own" and owner.active
            if authorised and allowed:
                self.c.send(call, key)
            else:
                name, _ = self.c.refused(call, key)
                want = "CredentialRegistryInvalidTransition" if authorised else "CredentialRegistryNotRootIssuer"
                assert name == want
            allowed = allowed and authorised
        if allowed:
            if at_root:
                r.status = target
            else:
                r.leaf_status[i] = target

    @precondition(lambda self: self.roots)
    @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)), by_gov=st.booleans(), inner=st.booleans())
    def act_on_a_non_credential(self, data: st.DataObject, action: str, by_gov: bool, inner: bool) -> None:
        """Leaf acts take no proof: the root's issuer may record a status for a hash that is no credential of the
        root (an inner node, or a random hash). It must be accepted or refused like any other, and stay inert: the
        invariant checks every real credential against a model that ignores it."""
        r = data.draw(st.sampled_from(self.roots))
        internal = r.tree.tree[: len(r.hashes) - 1]  # empty for a tree of one
        phantom = data.draw(st.sampled_from(internal)) if inner and internal else secrets.token_bytes(32)
        call = getattr(self.c.registry.functions, f"{action}Credential")(r.root, phantom, 1)
        current = self.phantoms.get((r.root, phantom), ACTIVE)
        target = ACTIONS[action]
        allowed = (current == SUSPENDED) if target == ACTIVE else (
            current == ACTIVE or (current == SUSPENDED and target == REVOKED))  # fmt: skip
        owner = self.issuers[r.owner]
        authorised = by_gov or owner.active
        if authorised and allowed:
            if by_gov:
                self.c.govern(call)
            else:
                self.c.send(call, owner.issuer.key)
            self.phantoms[(r.root, phantom)] = target
        else:
            name, _ = self.c.govern_refused(call) if by_gov else self.c.refused(call, owner.issuer.key)
            assert name == ("CredentialRegistryInvalidTransition" if authorised else "CredentialRegistryNotRootIssuer")
        if phantom in internal:  # an inner node never verifies as a credential, with its real path
            path = r.tree.proof_of_node(r.tree.tree.index(phantom))
            valid, code = self.c.registry.functions.isValidAt(r.root, phantom, path, self.c.now()).call()
            assert (valid, code) == (False, NOT_IN_TREE)

    @rule(seconds=st.integers(1, 500))
    def advance(self, seconds: int) -> None:
        self.c.advance(seconds)

    @rule(who=st.sampled_from(["A", "B"]))
    def toggle_issuer(self, who: str) -> None:
        model = self.issuers[who]
        f = self.c.registry.functions
        if model.active:
            self.c.govern(f.suspendIssuer(model.issuer.issuer_id, 1))
        else:
            self.c.govern(f.reinstateIssuer(model.issuer.issuer_id, 1))
        model.active = not model.active

    @precondition(lambda self: any(m.active for m in self.issuers.values()))
    @rule(who=st.sampled_from(["A", "B"]))
    def rotate_key(self, who: str) -> None:
        model = self.issuers[who]
        old, new = model.issuer.key, self.c.account()
        call = self.c.registry.functions.rotateIssuerKey(model.issuer.issuer_id, old.address, new.address, self.c.now())
        self.c.send(call, model.issuer.admin)
        model.issuer.keys.append(new)
        model.retired.append(old)

    @precondition(lambda self: self.roots)
    @rule(data=st.data(), back=st.integers(1, 600))
    def remember_a_past_answer(self, data: st.DataObject, back: int) -> None:
        r = data.draw(st.sampled_from(self.roots))
        i = data.draw(st.integers(0, len(r.hashes) - 1))
        t = max(0, self.c.now() - back)
        answer = self._valid([(r.root, r.hashes[i], r.tree.proof(i), t)])[0]
        self.answers.append((r.root, r.hashes[i], r.tree.proof(i), t, answer))

    # ----------------------------------------------------------------------------------------- invariants

    def _valid(self, queries: list[tuple[bytes, bytes, list[bytes], int]]) -> list[tuple[bool, int]]:
        f = self.c.registry.functions
        data = [f.isValidAt(*q)._encode_transaction_data() for q in queries]
        results = f.multicall(data).call() if data else []
        return [tuple(decode(["bool", "uint8"], raw)) for raw in results]  # type: ignore[misc]

    @invariant()
    def model_holds(self) -> None:
        """One eth_call (multicall) per step: every leaf now against the model (revoked stays invalid, suspended
        stays invalid until reinstated, a change touches its own (root, leaf) only), every anchor time, and every
        remembered past answer."""
        if not getattr(self, "roots", None):
            return
        f = self.c.registry.functions
        now = self.c.now()
        queries, expected = [], []
        for r in self.roots:
            for i, h in enumerate(r.hashes):
                queries.append((r.root, h, r.tree.proof(i), now))
                worst = max(r.status, r.leaf_status.get(i, ACTIVE))
                expected.append((True, 0) if worst == ACTIVE else (False, CODE_OF[worst]))
        queries += [a[:4] for a in self.answers]
        expected += [a[4] for a in self.answers]
        data = [f.isValidAt(*q)._encode_transaction_data() for q in queries]
        data += [f.anchorOf(r.root)._encode_transaction_data() for r in self.roots]
        results = f.multicall(data).call()
        assert [tuple(decode(["bool", "uint8"], raw)) for raw in results[: len(queries)]] == expected
        for r, raw in zip(self.roots, results[len(queries) :], strict=True):
            record = decode(["(uint32,uint32,address,uint40,uint32,bytes32,uint40,uint8,uint16,uint40)"], raw)[0]
            assert record[3] == r.anchored_at


TestRegistryMachine = RegistryMachine.TestCase
TestRegistryMachine.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
