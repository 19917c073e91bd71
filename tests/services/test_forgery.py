"""The adversarial suite: thousands of altered bundles, each of which the verifier must call INVALID, or valid with
exactly the claims of the genuine credential it was made from (issue 9, "Show").

The world is one :class:`~tests.fakechain.FakeChain` with two accredited issuers and real sealed, anchored batches of
all three credential types (some bundles with fields legally hidden by :func:`~node.credentials.document.disclose`,
some genuinely expired or not yet valid). Every family of mutations below works on a genuine bundle, as an object
or as JSON *text*, and hands the result to the real :class:`~node.services.verification.VerificationService`.

The oracle (:func:`judge`): the verdict is INVALID, or it is valid and says exactly what the reference verdict says:
the same credential hash, type, shown claims (compared as JSON, so ``7`` and ``7.0`` differ), hidden fields, issuer
facts, anchor and validity window. The reference is the genuine bundle's verdict, or, where the mutation is one a
holder may legally make (hide a field the policy allows), the verdict of the bundle :func:`disclose` makes; a
mutation of a credential that is itself not valid (expired, not yet valid, revoked...) must never be valid.
``verify`` must return a verdict for every input: an exception escaping it fails the suite. The chain-state
families know the outcome and check that the right check fails with the right code.

Each family counts its mutations; ``tests/services/conftest.py`` prints the counts in pytest's terminal summary and
:func:`test_zz_mutation_counts` asserts the totals (at least 10,000 per run). A failing property prints the mutation
(``hypothesis.note``) and the verdict's failing check.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from node.chain.registry import AccreditationStatus, CredentialStatus
from node.credentials.disclosure import policy_for
from node.credentials.document import build_document, disclose
from node.credentials.errors import ValidationFailedError
from node.credentials.hashing import credential_hash, flatten, join_pointer, split_pointer
from node.credentials.keccak import keccak256, to_hex
from node.credentials.reader import read_bundle
from node.credentials.types import get_type, type_id_bytes32
from node.services.verification import CheckName, Verdict, VerificationService
from tests.fakechain import FakeChain, FakeIssuer
from tests.samples import LEARNER, VALID, za_id

TALLY: Counter[str] = Counter()
"""Mutations judged per family in this run (printed by tests/services/conftest.py's terminal summary)."""

FAMILY_TARGETS: dict[str, int] = {
    "hide": 4000,
    "unhide": 400,
    "hash-entries": 900,
    "re-encode-number": 1200,
    "re-encode-string": 2000,
    "duplicate-member": 1000,
    "drop-add-member": 1200,
    "swap": 1000,
    "chain-fields": 600,
    "expired": 240,
    "not-yet-valid": 240,
    "status": 480,
    "key-cut-off": 240,
    "issuer-scope": 400,
    "issuer-unknown": 240,
}
"""The least each family must judge per run (a run judges ~20,000 in all; the issue asks for at least 10,000)."""

TOTAL_TARGET = 10_000

SETTINGS = {"deadline": None, "database": None, "derandomize": False, "suppress_health_check": [HealthCheck.too_slow]}

JsonPath = tuple[str | int, ...]


# --- the world ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Base:
    """A genuine bundle (possibly with fields legally hidden) and what the verifier says about it."""

    def __repr__(self) -> str:
        return f"<base {self.name}>"

    name: str
    type_name: str
    bundle: dict[str, Any]
    full: dict[str, Any]
    """The same credential with nothing hidden (what the issuer handed over)."""
    batch: str
    issuer: FakeIssuer
    verdict: Verdict

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.bundle["proof"]["anchor"]["merkleRoot"][2:])

    @property
    def leaf(self) -> bytes:
        return bytes.fromhex(self.bundle["proof"]["credentialHash"][2:])


@dataclass
class World:
    chain: FakeChain
    service: VerificationService
    issuers: list[FakeIssuer]
    valid: list[Base]
    """Genuine bundles the verifier calls valid."""
    invalid: list[Base]
    """Genuine bundles that are not valid (expired, not yet valid): no mutation may make them valid."""
    future: list[Base]
    batches: dict[str, list[Base]]

    @property
    def all(self) -> list[Base]:
        return self.valid + self.invalid


def _subjects(type_name: str) -> list[dict[str, Any]]:
    """Three different genuine subjects of one type (a composed ``ë`` and ``é`` so Unicode normalisation matters)."""
    first = copy.deepcopy(VALID[type_name])
    second = copy.deepcopy(VALID[type_name])
    second["learner"] = {"name": "Zoë Müller-Ndlovu", "identity": {"type": "za-id", "number": za_id("010101", "0042")}}
    third = copy.deepcopy(VALID[type_name])
    third["learner"] = copy.deepcopy(LEARNER)
    third["learner"]["name"] = "Sipho Dlamini"
    if type_name == "formal-qualification":
        second["qualification"] = {"id": "118402", "title": "Diplôme in Café Management", "nqfLevel": 6, "credits": 240}
        third["qualification"]["nqfLevel"] = 8
    elif type_name == "micro-credential":
        second.update({"nqfLevel": 4, "credits": 4})
        del second["hours"]
        third.update({"nqfLevel": 5, "credits": 2, "hours": 20, "title": "Réseau basics"})
    else:
        second["nqfLevel"] = 4
        second["recognised"] = {"kind": "qualification", "id": "49648", "title": "Certificat en Comptabilité"}
        third["nqfLevel"] = 6
    return [first, second, third]


def _issue_future(chain: FakeChain, issuer: FakeIssuer, type_name: str, subject: Mapping[str, Any], after: int):
    """Like FakeChain.issue, but the document is valid only from ``after`` seconds after the anchor."""
    start = dt.datetime.fromtimestamp(chain.now + after, dt.UTC)
    documents = [build_document(type_name, subject, issuer_id=issuer.uri, valid_from=start)]
    return chain.anchor_documents(issuer, documents, type_name)


def _legal_hides(type_name: str, bundle: Mapping[str, Any]) -> list[list[str]]:
    """A few disclosures a holder may make of ``bundle``: the learner, one hideable leaf, everything hideable."""
    policy = policy_for(get_type(type_name))
    shown = sorted(p for p in flatten(bundle) if policy.may_hide(p))
    hides = [["/credentialSubject/learner"], shown[-1:], list(policy.hideable)]
    return [[h for h in hide if any(p == h or p.startswith(h + "/") for p in shown)] for hide in hides]


@cache
def world() -> World:
    chain = FakeChain()
    types = tuple(VALID)
    body = chain.add_body(types)
    issuers = [chain.add_issuer(body, types), chain.add_issuer(body, types)]
    service = VerificationService(chain, chain.chain_id, chain.registry_address, clock=lambda: 0)
    batches: dict[str, list[Base]] = {}
    valid: list[Base] = []
    invalid: list[Base] = []
    future: list[Base] = []

    def add(name: str, type_name: str, bundles: list[dict[str, Any]], issuer: FakeIssuer, into: list[Base]) -> None:
        batch: list[Base] = []
        for i, full in enumerate(bundles):
            variants = [full] + ([disclose(full, h) for h in _legal_hides(type_name, full)] if i < 2 else [])
            for j, bundle in enumerate(variants):
                base = Base(
                    f"{name}[{i}]" + (f"/disclosed{j}" if j else ""),
                    type_name,
                    bundle,
                    full,
                    name,
                    issuer,
                    service.verify(bundle),
                )
                batch.append(base)
                into.append(base)
        batches[name] = batch

    for type_name in types:
        subjects = _subjects(type_name)
        add(
            f"{type_name}/A",
            type_name,
            chain.issue(issuers[0], type_name, subjects, valid_until=chain.now + 10**8),
            issuers[0],
            valid,
        )
        add(f"{type_name}/B", type_name, chain.issue(issuers[1], type_name, subjects[:2]), issuers[1], valid)
    # genuine but not valid: expired by its validUntil, and valid only from an hour after now
    short = chain.issue(
        issuers[0], "formal-qualification", _subjects("formal-qualification")[:2], valid_until=chain.now + 30
    )
    chain.mine(60)
    add("expired", "formal-qualification", short, issuers[0], invalid)
    for type_name in types:
        add(
            f"{type_name}/future",
            type_name,
            _issue_future(chain, issuers[1], type_name, VALID[type_name], 3600),
            issuers[1],
            future,
        )
    invalid.extend(future)
    return World(chain, service, issuers, valid, invalid, future, batches)


# --- the oracle ---------------------------------------------------------------------------------------------------


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def facts(verdict: Verdict, bundle: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """What a valid verdict tells an employer, in a form where 7 and 7.0 (or True and 1) differ."""
    read = read_bundle(bundle, disclosure=False)
    anchor = verdict.anchor
    return {
        "credential_hash": verdict.credential_hash,
        "credential_type": verdict.credential_type,
        "claims": [(c.label, c.path, _canon(c.value)) for c in verdict.claims],
        "hidden_fields": list(verdict.hidden_fields),
        "issuer": verdict.issuer.model_dump() if verdict.issuer else None,
        "anchor": (
            anchor.merkle_root,
            anchor.issuer_id,
            anchor.key_id,
            anchor.anchored_at,
            anchor.expires_at,
            anchor.transaction_hash,
            anchor.block_number,
        )
        if anchor
        else None,
        "document_issuer": (read.issuer_ref, read.issuer_name),
        "validity": (read.valid_from, read.valid_until),
        "notices": list(verdict.notices),
    }


@cache
def _reference_facts(base_name: str, hide: tuple[str, ...]) -> tuple[bool, str] | None:
    """The verdict of the legal disclosure of ``hide`` on a base (None: disclose refuses it), as (valid, facts)."""
    base = next(b for b in world().all if b.name == base_name)
    try:
        disclosed = disclose(base.bundle, hide)
    except ValidationFailedError:
        return None
    verdict = world().service.verify(disclosed)
    return verdict.valid, _canon(facts(verdict, disclosed)) if verdict.valid else ""


def _same_as(mutated: Mapping[str, Any] | str | bytes, bundle: Mapping[str, Any]) -> bool:
    try:
        parsed = json.loads(mutated) if isinstance(mutated, str | bytes) else mutated
    except ValueError:
        return False
    return _canon(parsed) == _canon(bundle)


def _note(text: str) -> None:
    """``hypothesis.note`` inside a property (printed with a failing example); nothing in a plain test."""
    with suppress(InvalidArgument):
        note(text)


def _describe(verdict: Verdict) -> str:
    failure = verdict.failure
    if failure is None:
        return f"VALID: {verdict.summary}"
    return f"INVALID {failure.name.value}/{failure.code}: {failure.message[:300]}"


def judge(
    family: str,
    base: Base,
    mutated: Mapping[str, Any] | str | bytes,
    description: str,
    *,
    reference: Verdict | None = None,
    reference_bundle: Mapping[str, Any] | None = None,
    reference_facts: tuple[bool, str] | str | None = "base",
) -> Verdict:
    """Verify ``mutated``; fail unless it is INVALID or valid with exactly the reference's facts.

    The reference is the base's own verdict unless ``reference`` (with the bundle it was made from) or
    ``reference_facts`` (from :func:`_reference_facts`; None: no valid reading exists) says otherwise.
    """
    TALLY[family] += 1
    shown = mutated if isinstance(mutated, str | bytes) else _canon(mutated)
    _note(f"[{family}] base {base.name}: {description}")
    _note(f"mutated bundle: {shown[:4000]!s}")
    try:
        verdict = world().service.verify(mutated)
    except Exception as exc:
        raise AssertionError(f"CRASH [{family}] {description}: verify raised {exc!r}") from exc
    if not verdict.valid:
        return verdict
    if reference_facts == "base":
        ref = reference or base.verdict
        ref_bundle = reference_bundle if reference_bundle is not None else base.bundle
        expected = (ref.valid, _canon(facts(ref, ref_bundle)) if ref.valid else "")
    elif reference_facts is None and _same_as(mutated, base.bundle):  # the "mutation" changed nothing
        expected = (base.verdict.valid, _canon(facts(base.verdict, base.bundle)) if base.verdict.valid else "")
    else:
        expected = reference_facts  # type: ignore[assignment]
    assert expected is not None and expected[0], (
        f"FORGERY [{family}] {description}: the verifier calls it valid, but the credential it was made from is "
        f"not valid (or the change is not one a holder may make). Verdict: {verdict.summary}"
    )
    got = _canon(facts(verdict, mutated))
    assert got == expected[1], (
        f"FORGERY [{family}] {description}: valid with other claims than the genuine credential.\n"
        f"genuine: {expected[1]}\nforged:  {got}"
    )
    return verdict


def control(family: str, base: Base, bundle: Mapping[str, Any], description: str, before: Verdict) -> Verdict:
    """A change of chain state that must not matter: valid, with the credential hash, type, claims and hidden fields
    ``before`` (the verdict before the change) gave."""
    TALLY[family] += 1
    _note(f"[{family}] base {base.name}: {description} (must stay valid)")
    verdict = world().service.verify(bundle)
    assert before.valid and verdict.valid, f"[{family}] {description}: {_describe(verdict)}"

    def shown(v: Verdict) -> Any:
        return (v.credential_hash, v.credential_type, [(c.path, _canon(c.value)) for c in v.claims], v.hidden_fields)

    assert shown(verdict) == shown(before), f"[{family}] {description}: the claims changed"
    return verdict


def expect_invalid(verdict: Verdict, check: CheckName, *codes: str) -> None:
    failure = verdict.failure
    assert not verdict.valid and failure is not None, (
        f"expected INVALID {check.value}/{codes}, got {_describe(verdict)}"
    )
    assert failure.name is check and (not codes or failure.code in codes), (
        f"expected INVALID {check.value}/{codes}, got {_describe(verdict)}"
    )


# --- helpers on documents and their text -------------------------------------------------------------------------


def get_at(node: Any, path: JsonPath) -> Any:
    for token in path:
        node = node[token]
    return node


def set_at(node: Any, path: JsonPath, value: Any) -> None:
    get_at(node, path[:-1])[path[-1]] = value


def object_paths(node: Any, path: JsonPath = ()) -> list[JsonPath]:
    """Every object in the bundle (the top included), by its path."""
    out: list[JsonPath] = []
    if isinstance(node, dict):
        out.append(path)
        for key, child in node.items():
            out += object_paths(child, (*path, key))
    return out


def leaf_paths(node: Any, path: JsonPath = ()) -> list[JsonPath]:
    """Every scalar in the bundle (list items included), by its path."""
    if isinstance(node, dict):
        return [p for key, child in node.items() for p in leaf_paths(child, (*path, key))]
    if isinstance(node, list):
        return [p for i, child in enumerate(node) for p in leaf_paths(child, (*path, i))]
    return [path]


SENTINEL = "\u0001sentinel\u0001"
LAYOUTS: list[dict[str, Any]] = [
    {"ensure_ascii": False, "separators": (",", ":")},
    {"ensure_ascii": True, "indent": 2},
    {"ensure_ascii": False, "indent": "\t"},
    {"ensure_ascii": True, "separators": (" , ", " : ")},
]


def dumps(bundle: Any, layout: int = 0) -> str:
    return json.dumps(bundle, **LAYOUTS[layout])


def text_with_raw(bundle: Mapping[str, Any], path: JsonPath, raw: str, layout: int = 0) -> str:
    """The bundle's JSON text with the value at ``path`` written as the raw JSON text ``raw``."""
    document = copy.deepcopy(dict(bundle))
    set_at(document, path, SENTINEL)
    text = dumps(document, layout)
    marker = json.dumps(SENTINEL, ensure_ascii=LAYOUTS[layout]["ensure_ascii"])
    assert text.count(marker) == 1
    return text.replace(marker, raw)


def text_with_member(bundle: Mapping[str, Any], path: JsonPath, raw_member: str, *, first: bool) -> str:
    """The bundle's compact JSON text with ``raw_member`` (``"name":value``) added to the object at ``path``."""
    document = copy.deepcopy(dict(bundle))
    target = get_at(document, path)
    items = list(target.items())
    target.clear()
    target.update([(SENTINEL, 0), *items] if first else [*items, (SENTINEL, 0)])
    text = dumps(document)
    marker = json.dumps(SENTINEL, ensure_ascii=False) + ":0"
    assert text.count(marker) == 1
    return text.replace(marker, raw_member)


def remove_field(document: dict[str, Any], pointer: str, *, prune: bool = True) -> None:
    """Delete the value at a field pointer; with ``prune``, drop the objects left empty (as disclose does)."""
    tokens = split_pointer(pointer)
    parents = [document]
    node: Any = document
    for token in tokens[:-1]:
        node = node[token]
        parents.append(node)
    del parents[-1][tokens[-1]]
    if prune:
        for depth in range(len(parents) - 1, 0, -1):
            if parents[depth]:
                break
            del parents[depth - 1][tokens[depth - 1]]


def random_hex(draw_bytes: bytes) -> str:
    return "0x" + keccak256(draw_bytes).hex()


def bases(kind: str = "all") -> st.SearchStrategy[Base]:
    w = world()
    return st.sampled_from(
        {"all": w.all, "valid": w.valid, "hidden": [b for b in w.all if b.verdict.hidden_fields]}[kind]
    )


# --- the genuine bundles ----------------------------------------------------------------------------------------


def test_genuine_bundles_verify_as_expected() -> None:
    """The bases are what the suite says: valid, or invalid for the known reason (never a crash)."""
    w = world()
    assert len(w.valid) >= 30 and {b.type_name for b in w.valid} == set(VALID)
    assert any(b.verdict.hidden_fields for b in w.valid)
    for base in w.valid:
        assert base.verdict.valid, f"{base.name}: {_describe(base.verdict)}"
    for base in w.invalid:
        code = "NOT_YET_VALID" if base in w.future else "EXPIRED"
        expect_invalid(base.verdict, CheckName.EXPIRY, code)
    # the text of every base, in every layout, reads the same as the object
    for base in w.all:
        for layout in range(len(LAYOUTS)):
            judge("re-encode-string", base, dumps(base.bundle, layout), f"layout {LAYOUTS[layout]}")


# --- hide and un-hide --------------------------------------------------------------------------------------------

HIDE_VARIANTS = ("value+salt", "value+salt, empty parents kept", "value only", "salt only", "value+salt+hash")


def hidden_variant(base: Base, paths: list[str], variant: str) -> dict[str, Any]:
    mutated = copy.deepcopy(base.bundle)
    proof = mutated["proof"]
    for path in paths:
        if variant != "salt only":
            remove_field(mutated, path, prune=variant != "value+salt, empty parents kept")
        if variant != "value only":
            proof["salts"].pop(path, None)
        if variant == "value+salt+hash":
            proof["fieldHashes"].pop(path, None)
    return mutated


def _judge_hide(base: Base, paths: list[str], variant: str, family: str = "hide") -> None:
    mutated = hidden_variant(base, paths, variant)
    description = f"hide {paths} ({variant})"
    if variant.startswith("value+salt") and variant != "value+salt+hash":  # an empty parent kept is refused anyway
        reference = _reference_facts(base.name, tuple(paths))
        judge(family, base, mutated, description, reference_facts=reference)
    else:
        verdict = judge(family, base, mutated, description, reference_facts=None)
        assert not verdict.valid


def test_hide_every_field_of_every_bundle() -> None:
    """Exhaustively: each shown field of each bundle (top level, issuer, schema, type, level...) hidden each way."""
    for base in world().all:
        for path in sorted(flatten(base.bundle)):
            for variant in HIDE_VARIANTS:
                _judge_hide(base, [path], variant)


@settings(max_examples=700, **SETTINGS)
@given(data=st.data())
def test_hide_any_fields(data: st.DataObject) -> None:
    """Hide one to four fields or whole objects anywhere, each of the ways a holder could try it."""
    base = data.draw(bases())
    shown = sorted(flatten(base.bundle))
    objects = sorted({join_pointer(p[: i + 1]) for p in (split_pointer(s) for s in shown) for i in range(len(p) - 1)})
    picked = data.draw(st.lists(st.sampled_from(shown + objects), min_size=1, max_size=4, unique=True), label="paths")
    # an object path hides every field under it; overlapping picks collapse into the leaves
    leaves = sorted({s for s in shown for p in picked if s == p or s.startswith(p + "/")})
    variant = data.draw(st.sampled_from(HIDE_VARIANTS), label="variant")
    _judge_hide(base, leaves, variant)


@settings(max_examples=500, **SETTINGS)
@given(data=st.data())
def test_unhide_a_hidden_field(data: st.DataObject) -> None:
    """Restore a hidden field with a guessed value and/or salt (the true pair is the one legal un-hiding)."""
    base = data.draw(bases("hidden"))
    hidden = base.verdict.hidden_fields
    path = data.draw(st.sampled_from(hidden), label="path")
    true_value = get_at(base.full, tuple(split_pointer(path)))
    true_salt = base.full["proof"]["salts"][path]
    value = data.draw(
        st.one_of(
            st.just(true_value),
            st.sampled_from(["", "x", 0, 1, 7, 10, None, True, [], "Thandiwe Nkosi", "2025-04-12", "9002145123086"]),
            st.text(max_size=12),
            st.integers(-5, 400),
        ),
        label="value",
    )
    salt = data.draw(
        st.one_of(
            st.just(true_salt),
            st.binary(min_size=1, max_size=8).map(random_hex),
            st.just(true_salt.upper().replace("0X", "0x")),
            st.just(base.full["proof"]["fieldHashes"][path]),
        ),
        label="salt",
    )
    how = data.draw(st.sampled_from(["value+salt", "value only", "salt only"]), label="how")
    mutated = copy.deepcopy(base.bundle)
    tokens = split_pointer(path)
    if how != "salt only":
        node = mutated
        for token in tokens[:-1]:
            node = node.setdefault(token, {})
        node[tokens[-1]] = value
    if how != "value only":
        mutated["proof"]["salts"][path] = salt
    description = f"un-hide {path} as {value!r} with salt {salt} ({how})"
    legal = how == "value+salt" and _canon(value) == _canon(true_value) and salt == true_salt
    if legal:
        still = tuple(h for h in hidden if h != path)
        fresh = copy.deepcopy(base.full)
        fresh_base = dataclasses.replace(base, name=base.name + "+restored", bundle=fresh)
        reference = disclose(fresh_base.bundle, still) if still else fresh
        verdict = judge(
            "unhide",
            base,
            mutated,
            description,
            reference=world().service.verify(reference),
            reference_bundle=reference,
        )
        assert verdict.valid == base.verdict.valid, _describe(verdict)
    else:
        judge("unhide", base, mutated, description, reference_facts=None)


# --- hash entries ------------------------------------------------------------------------------------------------

ODD_POINTERS = [
    "/validUntil",
    "/issuer/name",
    "/credentialSubject/learner",
    "/credentialSubject/learner/name/x",
    "/credentialSubject/learner/nickname",
    "/credentialSubject/qualification/credits",
    "/credentialSubject/nqfLevel",
    "/credentialSubject/hours",
    "/credentialSubject/credits",
    "/credentialSubject/awardDate",
    "/credentialSubject/assessmentDate",
    "/credentialSubject/competencies",
    "/credentialSubject/competencies/0",
    "/credentialSubject/learner/identity/country",
    "/credentialSubject//name",
    "/credentialSubject/learner/~2",
    "/credentialSubject/learner~1name",
    "/credentialSubject/learner/name/",
    "credentialSubject/learner/name",
    "",
    "/",
    "/credentialSubject/Learner/Name",
    "/credentialSubject/learner/na\u0301me",
    "/credentialSubject/evidence",
    "/proof",
    "/proof/anchor",
    "/@context",
    "/type",
    "/id",
]


@settings(max_examples=1100, **SETTINGS)
@given(data=st.data())
def test_rename_add_or_move_hash_entries(data: st.DataObject) -> None:
    """Rename a fieldHashes/salts key, add a fake hidden entry, move or swap hashes, change a hash's case; optionally
    recompute the credential hash so that it matches the edited field hashes."""
    base = data.draw(bases())
    mutated = copy.deepcopy(base.bundle)
    proof = mutated["proof"]
    hashes: dict[str, str] = proof["fieldHashes"]
    keys = sorted(hashes)
    targets = st.one_of(
        st.sampled_from(ODD_POINTERS + keys), st.text(max_size=20).map(lambda t: "/credentialSubject/" + t)
    )
    op = data.draw(
        st.sampled_from(
            [
                "rename hash",
                "rename hash+salt",
                "rename salt",
                "add hidden",
                "move hash",
                "swap hashes",
                "delete hash",
                "hash case",
                "salt case",
                "credentialHash case",
                "duplicate hash",
            ]
        ),
        label="op",
    )
    source = data.draw(st.sampled_from(keys), label="source")
    if op in ("rename hash", "rename hash+salt", "rename salt", "move hash", "add hidden"):
        # a hash moved onto its own path is only the field hidden, which a holder may do: the hide family judges that
        target = data.draw(targets.filter(lambda t: t != source), label="target")
        description = f"{op} {source} -> {target!r}"
        if op == "add hidden":
            hashes[target] = data.draw(st.sampled_from([hashes[source], random_hex(target.encode())]))
        elif op == "rename salt":
            if source in proof["salts"]:
                proof["salts"][target] = proof["salts"].pop(source)
        else:
            hashes[target] = hashes.pop(source)
            if op == "rename hash+salt" and source in proof["salts"]:
                proof["salts"][target] = proof["salts"].pop(source)
            if op == "move hash" and source in proof["salts"]:  # hide the field that held it: value and salt go
                del proof["salts"][source]
                remove_field(mutated, source)
    elif op == "swap hashes":
        other = data.draw(st.sampled_from(keys), label="other")
        hashes[source], hashes[other] = hashes[other], hashes[source]
        description = f"swap hashes of {source} and {other}"
    elif op == "delete hash":
        del hashes[source]
        description = f"delete the hash of {source}"
    elif op == "hash case":
        hashes[source] = "0x" + hashes[source][2:].upper()
        description = f"upper-case hex in the hash of {source}"
    elif op == "salt case":
        salt_key = data.draw(st.sampled_from(sorted(proof["salts"])))
        proof["salts"][salt_key] = "0x" + proof["salts"][salt_key][2:].upper()
        description = f"upper-case hex in the salt of {salt_key}"
    elif op == "credentialHash case":
        proof["credentialHash"] = "0X" + proof["credentialHash"][2:].upper()
        description = "upper-case credentialHash"
    else:
        hashes[source + "/"] = hashes[source]
        description = f"the hash of {source} also under {source + '/'}"
    if data.draw(st.booleans(), label="fix credential hash"):
        try:
            proof["credentialHash"] = to_hex(credential_hash({p: bytes.fromhex(h[2:]) for p, h in hashes.items()}))
            description += ", credentialHash recomputed"
        except (ValueError, ValidationFailedError):
            pass
    judge("hash-entries", base, mutated, description, reference_facts=None)


# --- re-encoding values as JSON text --------------------------------------------------------------------------------


def number_forms(n: int) -> list[str]:
    digits = str(abs(n))
    sign = "-" if n < 0 else ""
    return [
        f"{n}.0",
        f"{n}.00",
        f"{n}e0",
        f"{n}E0",
        f"{n}e+0",
        f"{n}E-0",
        f"{sign}0.{digits}e{len(digits)}",
        f"{n}0e-1",
        f"{n * 100}e-2",
        "-0" if n == 0 else f"-{n}",
        "-0.0",
        f"0{n}",
        f"00{n}",
        f"+{n}",
        str(n + 2**53),
        str(n + 2**64),
        str(2**53),
        str(-(2**53)),
        str(2**53 - 1),
        "1e400",
        "-1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        f'"{n}"',
        "true",
        "false",
        "null",
        f"[{n}]",
        f"{n + 1}",
        f"{n - 1}",
        f" {n} ",
        f"\n{n}\t",
        f"0x{n:x}",
        f"{n}n",
        f"{n}.",
        f".{n}",
        f"{n}_0",
        f"\u0661{n}",
    ]


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_reencode_numbers(data: st.DataObject) -> None:
    """Any number of the bundle (levels, credits, hours, chain id, block number) in every other JSON form listed,
    and one drawn at random."""
    base = data.draw(bases())
    numbers = [p for p in leaf_paths(base.bundle) if type(get_at(base.bundle, p)) is int]
    path = data.draw(st.sampled_from(numbers), label="path")
    n = get_at(base.bundle, path)
    raw = data.draw(
        st.one_of(
            st.sampled_from(number_forms(n)),
            st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
            st.floats(allow_nan=False, allow_infinity=False).map(repr),
        ),
        label="raw",
    )
    layout = data.draw(st.integers(0, len(LAYOUTS) - 1), label="layout")
    for form in [raw, *number_forms(n)]:
        text = text_with_raw(base.bundle, path, form, layout)
        judge("re-encode-number", base, text, f"{'/'.join(map(str, path))}: {n} written as {form!r}")


def _escape_all(s: str, upper: bool = False) -> str:
    """``s`` as a JSON string with every UTF-16 code unit written as a ``\\uXXXX`` escape (the same text)."""
    encoded = s.encode("utf-16-be", "surrogatepass")
    units = [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)]
    return '"' + "".join(f"\\u{u:04X}" if upper else f"\\u{u:04x}" for u in units) + '"'


HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "x": "\u0445", "0": "O"}


def string_forms(s: str) -> list[str]:
    """Raw JSON texts for ``s``: the same text escaped differently (must read the same) and near-misses."""
    forms = [
        json.dumps(s, ensure_ascii=True),
        json.dumps(s, ensure_ascii=False),
        _escape_all(s),
        _escape_all(s, upper=True),
        json.dumps(s).replace("/", "\\/"),
    ]
    variants = [
        unicodedata.normalize("NFD", s),
        unicodedata.normalize("NFKD", s),
        unicodedata.normalize("NFC", unicodedata.normalize("NFD", s)),
        s.upper(),
        s.lower(),
        s.swapcase(),
        s + " ",
        " " + s,
        s + "\u200b",
        "\ufeff" + s,
        s + "\u0000",
        s[:-1],
        s + s[-1:],
        "".join(HOMOGLYPHS.get(ch, ch) for ch in s),
        s.replace("-", "\u2010"),
        s.replace("T", "t").replace("Z", "z"),
        s.replace("Z", "+00:00"),
        s.replace(":00Z", ":00.000Z"),
        s.replace("0x", "0X"),
    ]
    forms += [json.dumps(v, ensure_ascii=flag) for v in variants for flag in (True, False)]
    # lone surrogates, escaped and raw
    forms += [json.dumps(s)[:-1] + '\\ud800"', '"\\udc00' + json.dumps(s)[1:], json.dumps(s)[:-1] + '\\uDFFF"']
    forms += [json.dumps(s)[:-1] + '\\ud83d\\ude00"', "'" + s + "'", json.dumps([s])]
    return forms


@settings(max_examples=50, **SETTINGS)
@given(data=st.data())
def test_reencode_strings(data: st.DataObject) -> None:
    """Any text of the bundle (names, dates, ids, URIs, hex in the proof) escaped, normalised or recased: every form
    listed, and one drawn at random."""
    base = data.draw(bases())
    strings = [p for p in leaf_paths(base.bundle) if isinstance(get_at(base.bundle, p), str)]
    path = data.draw(st.sampled_from(strings), label="path")
    s = get_at(base.bundle, path)
    raw = data.draw(
        st.one_of(st.sampled_from(string_forms(s)), st.text(max_size=8).map(lambda t: json.dumps(s + t))),
        label="raw",
    )
    layout = data.draw(st.integers(0, len(LAYOUTS) - 1), label="layout")
    as_bytes = data.draw(st.booleans(), label="as bytes")
    for form in [raw, *string_forms(s)]:
        text = text_with_raw(base.bundle, path, form, layout)
        mutated: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
        judge("re-encode-string", base, mutated, f"{'/'.join(map(str, path))}: {s!r} written as {form!r}")


@settings(max_examples=100, **SETTINGS)
@given(data=st.data())
def test_reencode_whole_file(data: st.DataObject) -> None:
    """The whole file in another encoding or wrapper (UTF-16, a BOM, trailing data, an array, invalid UTF-8)."""
    base = data.draw(bases())
    text = dumps(base.bundle)
    forms: list[tuple[str, str | bytes]] = [
        ("utf-16", text.encode("utf-16")),
        ("utf-8 BOM", b"\xef\xbb\xbf" + text.encode()),
        ("BOM in text", "\ufeff" + text),
        ("trailing data", text + " {}"),
        ("trailing comma", text[:-1] + ",}"),
        ("in an array", "[" + text + "]"),
        ("invalid utf-8", text.encode()[:-1] + b"\xff}"),
        ("latin-1", text.encode("latin-1", "replace")),
        ("NUL", text + "\u0000"),
        ("whitespace", "\n\t " + text + "\r\n"),
    ]
    name, mutated = data.draw(st.sampled_from(forms), label="form")
    judge("re-encode-string", base, mutated, f"the whole file as {name}")


# --- duplicate members --------------------------------------------------------------------------------------------


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_duplicate_members(data: st.DataObject) -> None:
    """Repeat a member name in any object of the text (top, issuer, subject, proof, fieldHashes, salts, anchor...),
    before or after the original, with the same value, another genuine value, or any value."""
    base = data.draw(bases())
    objects = object_paths(base.bundle)
    path = data.draw(st.sampled_from(objects), label="object")
    target = get_at(base.bundle, path)
    other = data.draw(st.sampled_from(world().all), label="other bundle")
    first = data.draw(st.booleans(), label="first")
    escaped_name = data.draw(st.booleans(), label="escaped name")
    for name in sorted(target):
        try:
            other_value = get_at(other.bundle, (*path, name))
        except (KeyError, TypeError, IndexError):
            other_value = None
        for value in (target[name], other_value, data.draw(st.sampled_from(["x", 0, {}, None, [], True]))):
            raw_name = _escape_all(name) if escaped_name else json.dumps(name)
            text = text_with_member(base.bundle, path, f"{raw_name}:{json.dumps(value)}", first=first)
            where = "first" if first else "last"
            verdict = judge("duplicate-member", base, text, f"{list(path)} repeats {name!r} = {value!r} ({where})")
            expect_invalid(verdict, CheckName.FORMAT, "DUPLICATE_MEMBER")


# --- dropping and adding members ------------------------------------------------------------------------------------

MEMBER_NAMES = [
    "validUntil",
    "validFrom",
    "name",
    "id",
    "type",
    "evidence",
    "credentialStatus",
    "termsOfUse",
    "expiresAt",
    "nqfLevel",
    "credits",
    "hours",
    "learner",
    "anchor",
    "proof",
    "issuer",
    "credentialSubject",
    "fieldHashes",
    "salts",
    "hashAlgorithm",
    "merkleRoot",
    "chainId",
    "@context",
    "__proto__",
    "",
    "ValidUntil",
    "validuntil",
    "valid\u200bUntil",
]
MEMBER_VALUES: list[Any] = [
    "2099-01-01T00:00:00Z",
    "2020-01-01T00:00:00Z",
    "University of Example",
    10,
    0,
    None,
    True,
    [],
    ["x"],
    {"a": 1},
    "",
    "0x" + "00" * 32,
]


@settings(max_examples=100, **SETTINGS)  # the count per example depends on the object drawn: enough for the floor
@given(data=st.data())
def test_drop_or_add_members(data: st.DataObject) -> None:
    """Drop each member of any object (with or without its salts and hashes), and add members (a name credreg uses
    elsewhere, or any name) with any value."""
    base = data.draw(bases())
    path = data.draw(st.sampled_from(object_paths(base.bundle)), label="object")
    for name in sorted(get_at(base.bundle, path)):
        for tables in ((), ("salts",), ("salts", "fieldHashes")):
            mutated = copy.deepcopy(base.bundle)
            del get_at(mutated, path)[name]
            pointer = join_pointer([*map(str, path), name])
            for table in tables:
                entries = mutated.get("proof", {}).get(table, {})
                for key in [k for k in entries if k == pointer or k.startswith(pointer + "/")]:
                    del entries[key]
            description = f"drop {name!r} from {list(path)} and from the proof's {tables}"
            if tables == ("salts",):  # what disclose does: legal when the policy lets a holder hide it
                reference = _reference_facts(base.name, (pointer,))
                judge("drop-add-member", base, mutated, description, reference_facts=reference)
            else:
                judge("drop-add-member", base, mutated, description)
    names = st.one_of(st.sampled_from(MEMBER_NAMES), st.text(max_size=10))
    values = st.one_of(st.sampled_from(MEMBER_VALUES), st.integers(), st.text(max_size=10))
    for name, value in data.draw(st.lists(st.tuples(names, values), min_size=4, max_size=8), label="added"):
        mutated = copy.deepcopy(base.bundle)
        get_at(mutated, path)[name] = value
        judge("drop-add-member", base, mutated, f"set {list(path)}[{name!r}] = {value!r}")


# --- swapping proofs, leaves, roots and anchors between credentials -------------------------------------------------

SWAPS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "whole proof": lambda m, o: m.update(proof=copy.deepcopy(o["proof"])),
    "anchor": lambda m, o: m["proof"].update(anchor=copy.deepcopy(o["proof"]["anchor"])),
    "merkleProof": lambda m, o: m["proof"]["anchor"].update(merkleProof=list(o["proof"]["anchor"]["merkleProof"])),
    "merkleRoot": lambda m, o: m["proof"]["anchor"].update(merkleRoot=o["proof"]["anchor"]["merkleRoot"]),
    "root and proof": lambda m, o: m["proof"]["anchor"].update(
        merkleRoot=o["proof"]["anchor"]["merkleRoot"], merkleProof=list(o["proof"]["anchor"]["merkleProof"])
    ),
    "credentialHash (leaf)": lambda m, o: m["proof"].update(credentialHash=o["proof"]["credentialHash"]),
    "leaf, root and proof": lambda m, o: m["proof"].update(
        credentialHash=o["proof"]["credentialHash"], anchor=copy.deepcopy(o["proof"]["anchor"])
    ),
    "proof but the anchor": lambda m, o: m.update(proof={**copy.deepcopy(o["proof"]), "anchor": m["proof"]["anchor"]}),
    "fieldHashes and salts": lambda m, o: m["proof"].update(
        fieldHashes=dict(o["proof"]["fieldHashes"]), salts=dict(o["proof"]["salts"])
    ),
    "credentialSubject": lambda m, o: m.update(credentialSubject=copy.deepcopy(o["credentialSubject"])),
    "credentialSubject with its salts and hashes": lambda m, o: _swap_subject(m, o),
    "document (proof kept)": lambda m, o: m.update({k: copy.deepcopy(v) for k, v in o.items() if k != "proof"}),
    "issuer": lambda m, o: m.update(issuer=copy.deepcopy(o["issuer"])),
    "validity": lambda m, o: _swap_members(m, o, ("validFrom", "validUntil")),
    "type and schema": lambda m, o: _swap_members(m, o, ("type", "credentialSchema")),
    "id": lambda m, o: m.update(id=o["id"]),
    "one sibling": lambda m, o: (
        m["proof"]["anchor"]["merkleProof"].__setitem__(
            0, (o["proof"]["anchor"]["merkleProof"] or [o["proof"]["credentialHash"]])[0]
        )
        if m["proof"]["anchor"]["merkleProof"]
        else None
    ),
    "transaction and block": lambda m, o: m["proof"]["anchor"].update(
        transactionHash=o["proof"]["anchor"]["transactionHash"], blockNumber=o["proof"]["anchor"]["blockNumber"]
    ),
}


def _swap_members(mutated: dict[str, Any], other: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        mutated.pop(name, None)
        if name in other:
            mutated[name] = copy.deepcopy(other[name])


def _swap_subject(mutated: dict[str, Any], other: dict[str, Any]) -> None:
    mutated["credentialSubject"] = copy.deepcopy(other["credentialSubject"])
    for table in ("fieldHashes", "salts"):
        mine = mutated["proof"][table]
        for key in [k for k in mine if k.startswith("/credentialSubject/")]:
            del mine[key]
        mine.update({k: v for k, v in other["proof"][table].items() if k.startswith("/credentialSubject/")})


def _relation(base: Base, other: Base) -> str:
    if other.full is base.full:
        return "same credential (other disclosure)"
    if other.batch == base.batch:
        return "same batch"
    if other.issuer is not base.issuer:
        return "other issuer"
    if other.type_name != base.type_name:
        return "other type"
    return "other batch"


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_swap_between_credentials(data: st.DataObject) -> None:
    """Graft a part of another genuine bundle (same batch, another batch, issuer or type) onto this one."""
    base = data.draw(bases())
    batchmates = [b for b in world().all if b.batch == base.batch and b.full is not base.full] or world().all
    other = data.draw(st.one_of(st.sampled_from(batchmates), st.sampled_from(world().all)), label="other")
    for what in sorted(SWAPS):
        _judge_swap(base, other, what)


def _judge_swap(base: Base, other: Base, what: str) -> None:
    mutated = copy.deepcopy(base.bundle)
    SWAPS[what](mutated, other.bundle)
    description = f"{what} of {other.name} ({_relation(base, other)}) grafted onto {base.name}"
    if other.full is base.full and what not in (
        "credentialSubject",
        "document (proof kept)",
        "credentialSubject with its salts and hashes",
        "fieldHashes and salts",
        "whole proof",
        "proof but the anchor",
    ):
        judge("swap", base, mutated, description)  # the same credential's own anchor: must read the same
    elif other.full is base.full:
        # another disclosure of the same credential: valid only as exactly one of the two genuine disclosures
        verdict = world().service.verify(mutated)
        if verdict.valid:
            try:
                judge("swap", base, mutated, description)
            except AssertionError:
                judge("swap", other, mutated, description)
        else:
            TALLY["swap"] += 1
    else:
        judge("swap", base, mutated, description)


# --- chain id, registry, transaction, block ----------------------------------------------------------------------


@settings(max_examples=70, **SETTINGS)
@given(data=st.data())
def test_change_chain_fields(data: st.DataObject) -> None:
    """Another chain id, registry (or the trusted one in another case), transaction hash or block number."""
    base = data.draw(bases())
    anchor = base.bundle["proof"]["anchor"]
    chain = world().chain
    values: dict[str, st.SearchStrategy[Any]] = {
        "chainId": st.one_of(
            st.sampled_from([1, 31337, chain.chain_id - 1, chain.chain_id + 1, 2**53 - 1]), st.integers(1, 2**53 - 1)
        ),
        "registry": st.one_of(
            st.sampled_from(
                [
                    chain.registry_address.lower(),
                    chain.registry_address.upper().replace("0X", "0x"),
                    "0x" + "00" * 20,
                    "0x" + "5f" * 20,
                ]
            ),
            st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
        ),
        "transactionHash": st.one_of(
            st.binary(min_size=1, max_size=8).map(random_hex),
            st.sampled_from([b.bundle["proof"]["anchor"]["transactionHash"] for b in world().all]),
        ),
        "blockNumber": st.one_of(
            st.sampled_from(
                [0, 1, anchor["blockNumber"] - 1, anchor["blockNumber"] + 1, chain.number, chain.number + 1, 10**9]
            ),
            st.integers(0, 2**53 - 1),
        ),
    }
    for field, strategy in values.items():
        for value in data.draw(st.lists(strategy, min_size=3, max_size=3), label=field):
            mutated = copy.deepcopy(base.bundle)
            mutated["proof"]["anchor"][field] = value
            verdict = judge("chain-fields", base, mutated, f"/proof/anchor/{field} = {value!r}")
            if field == "chainId" and value != chain.chain_id:
                expect_invalid(verdict, CheckName.CHAIN, "WRONG_CHAIN")
            if field == "registry" and value.lower() != chain.registry_address.lower():
                expect_invalid(verdict, CheckName.CHAIN, "WRONG_REGISTRY")


# --- chain state: expiry, validity, status, keys, accreditation -----------------------------------------------------


def _copy_state(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: list(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


@contextmanager
def chain_state() -> Iterator[FakeChain]:
    """The shared chain, restored exactly afterwards (records are frozen; the dicts and lists are copied)."""
    chain = world().chain
    saved = {f.name: _copy_state(getattr(chain, f.name)) for f in dataclasses.fields(chain)}
    try:
        yield chain
    finally:
        for name, value in saved.items():
            setattr(chain, name, value)


def _maybe_disclose(data: st.DataObject, base: Base) -> tuple[dict[str, Any], str]:
    """The base itself, or a further legal disclosure of it (what a holder of a bad credential would also try)."""
    hides = _legal_hides(base.type_name, base.bundle)
    hides = [h for h in hides if h]
    if hides and data.draw(st.booleans(), label="also disclose"):
        hide = data.draw(st.sampled_from(hides), label="hide")
        return disclose(base.bundle, hide), f", disclosed {hide}"
    return base.bundle, ""


def _valid_case(data: st.DataObject) -> tuple[Base, dict[str, Any], str, Verdict]:
    """A valid base, perhaps further disclosed (the text its descriptions add), and its verdict before the chain or
    the clock changes."""
    base = data.draw(bases("valid"))
    bundle, extra = _maybe_disclose(data, base)
    return base, bundle, extra, world().service.verify(bundle)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_expired(data: st.DataObject) -> None:
    """validUntil in the past, or the on-chain expiry reached: EXPIRED (just before: valid, the same claims)."""
    base, bundle, extra, before = _valid_case(data)
    with chain_state() as chain:
        until = read_bundle(base.bundle).valid_until
        record = chain.anchors[base.root]
        on_chain = until is None or data.draw(st.booleans(), label="on-chain expiry")
        offset = data.draw(st.integers(-5, 10**6), label="seconds past expiry")
        if on_chain:
            expires = chain.now - offset
            chain.anchors[base.root] = dataclasses.replace(record, expires_at=max(expires, 1))
            description = f"on-chain expiry {offset} s ago{extra}"
        else:
            chain.mine(until - chain.now + offset)
            description = f"validUntil passed {offset} s ago{extra}"
        if offset < 0:
            control("expired", base, bundle, description, before)
            return
        verdict = judge("expired", base, bundle, description, reference_facts=None)
    expect_invalid(verdict, CheckName.EXPIRY, "EXPIRED")


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_not_yet_valid(data: st.DataObject) -> None:
    """A credential valid from an hour after its anchor is NOT_YET_VALID until then, whatever a holder does."""
    base = data.draw(st.sampled_from(world().future))
    with chain_state() as chain:
        valid_from = read_bundle(base.bundle).valid_from
        early = data.draw(st.integers(1, valid_from - chain.now), label="seconds early")
        chain.mine(valid_from - chain.now - early)
        verdict = judge(
            "not-yet-valid", base, base.bundle, f"verified {early} s before validFrom", reference_facts=None
        )
        expect_invalid(verdict, CheckName.EXPIRY, "NOT_YET_VALID")
        # and a forged validFrom cannot bring it forward
        text = text_with_raw(base.bundle, ("validFrom",), json.dumps("2026-01-01T00:00:00Z"))
        expect_invalid(
            judge("not-yet-valid", base, text, "validFrom set back", reference_facts=None), CheckName.INTEGRITY
        )


STATUSES = [CredentialStatus.REVOKED, CredentialStatus.SUSPENDED, CredentialStatus.SUPERSEDED]


@settings(max_examples=600, **SETTINGS)
@given(data=st.data())
def test_revoked_suspended_superseded(data: st.DataObject) -> None:
    """Revoked, suspended or superseded at root or leaf level: INVALID with that code; an act on a batchmate's leaf
    leaves this one valid, and a reinstatement makes it valid again."""
    base, bundle, extra, before = _valid_case(data)
    status = data.draw(st.sampled_from(STATUSES), label="status")
    level = data.draw(st.sampled_from(["root", "leaf", "batchmate's leaf", "reinstated"]), label="level")
    reason = data.draw(st.integers(0, 255), label="reason")
    with chain_state() as chain:
        other = data.draw(st.sampled_from(world().valid), label="replacement")
        replacement = (other.root, other.leaf) if status is CredentialStatus.SUPERSEDED else None
        target: bytes | None = None if level == "root" else base.leaf
        if level == "batchmate's leaf":
            target = next((leaf for leaf in chain.leaves[base.root] if leaf != base.leaf), None)
        if target is None and level == "batchmate's leaf":
            level = "root"
        chain.set_status(base.root, target, status, reason, replacement)
        if level == "reinstated":
            chain.set_status(base.root, base.leaf, CredentialStatus.ACTIVE, 0)
        description = f"{status.name} at {level} level (reason {reason}){extra}"
        if level in ("root", "leaf"):
            verdict = judge("status", base, bundle, description, reference_facts=None)
            expect_invalid(verdict, CheckName.STATUS, status.name)
        else:
            control("status", base, bundle, description, before)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_key_cut_off(data: st.DataObject) -> None:
    """A key compromised at or before the anchor: KEY_COMPROMISED (after it: valid); a key not the issuer's, unknown,
    or valid only after the anchor: INVALID."""
    base, bundle, extra, before = _valid_case(data)
    with chain_state() as chain:
        record = chain.anchors[base.root]
        key = chain.keys[record.key_id]
        case = data.draw(st.sampled_from(["compromised", "other issuer's", "unknown", "not yet valid"]), label="case")
        if case == "compromised":
            delta = data.draw(st.integers(-(10**6), 10**6), label="compromised relative to the anchor")
            chain.set_key(record.key_id, compromised_at=max(record.anchored_at + delta, 1))
            description = f"key compromised {delta:+d} s from the anchor{extra}"
            if record.anchored_at + delta > record.anchored_at:
                control("key-cut-off", base, bundle, description, before)
                return
            expected = "KEY_COMPROMISED"
        elif case == "other issuer's":
            other = next(i for i in world().issuers if i.issuer_id != key.issuer_id)
            chain.set_key(record.key_id, issuer_id=other.issuer_id)
            description, expected = f"the key now belongs to issuer #{other.issuer_id}{extra}", "KEY_MISMATCH"
        elif case == "unknown":
            del chain.keys[record.key_id]
            description, expected = f"the key is not in the registry{extra}", "KEY_UNKNOWN"
        else:
            chain.set_key(record.key_id, valid_from=record.anchored_at + data.draw(st.integers(1, 10**6)))
            description, expected = f"the key's window starts after the anchor{extra}", "KEY_NOT_VALID_AT_ANCHOR"
        verdict = judge("key-cut-off", base, bundle, description, reference_facts=None)
        expect_invalid(verdict, CheckName.KEY, expected)


@settings(max_examples=500, **SETTINGS)
@given(data=st.data())
def test_issuer_out_of_scope(data: st.DataObject) -> None:
    """The type outside the issuer's or the body's scope, the level above the issuer's maximum, the root anchored as
    another type, the issuer or body suspended or outside its window before the anchor: INVALID with that code."""
    base, bundle, extra, before = _valid_case(data)
    type_id = type_id_bytes32(base.type_name)
    with chain_state() as chain:
        record = chain.anchors[base.root]
        issuer = chain.issuers[record.issuer_id]
        read = read_bundle(bundle)
        cases = [
            "issuer scope",
            "body scope",
            "anchored as another type",
            "issuer suspended before",
            "body suspended before",
            "issuer window",
            "suspended after",
        ]
        if read.level is not None:
            cases.append("level")
        case = data.draw(st.sampled_from(cases), label="case")
        expected = "TYPE_OUT_OF_SCOPE"
        if case == "issuer scope":
            chain.issuer_scope[issuer.issuer_id] = [t for t in chain.issuer_scope[issuer.issuer_id] if t != type_id]
        elif case == "body scope":
            chain.body_scope[issuer.body_id] = [t for t in chain.body_scope[issuer.body_id] if t != type_id]
        elif case == "anchored as another type":
            other = data.draw(st.sampled_from([*sorted(set(VALID) - {base.type_name}), "unknown"]))
            chain.anchors[base.root] = dataclasses.replace(record, credential_type=type_id_bytes32(other))
            expected = "TYPE_MISMATCH"
        elif case == "level":
            assert read.level is not None
            max_level = data.draw(st.integers(0, read.level - 1), label="max level")
            chain.set_issuer(issuer.issuer_id, max_level=max_level)
            expected = "LEVEL_OUT_OF_SCOPE"
        elif case in ("issuer suspended before", "body suspended before", "suspended after"):
            status = data.draw(st.sampled_from([AccreditationStatus.SUSPENDED, AccreditationStatus.WITHDRAWN]))
            when = record.anchored_at + (data.draw(st.integers(1, 10**6)) * (1 if case == "suspended after" else -1))
            if case.startswith("body"):
                chain.bodies[issuer.body_id] = dataclasses.replace(
                    chain.bodies[issuer.body_id], status=status, status_changed_at=when
                )
            else:
                chain.set_issuer(issuer.issuer_id, status=status, status_changed_at=when)
            expected = "NOT_ACCREDITED_AT_ANCHOR"
        else:
            chain.set_issuer(issuer.issuer_id, valid_from=record.anchored_at + 1)
            expected = "NOT_ACCREDITED_AT_ANCHOR"
        description = f"{case}{extra}"
        if case == "suspended after":  # not retroactive: valid, with the same claims
            verdict = control("issuer-scope", base, bundle, description, before)
            assert verdict.check(CheckName.ISSUER).code == "ACCREDITATION_CHANGED_AFTER_ANCHOR", _describe(verdict)
            return
        verdict = judge("issuer-scope", base, bundle, description, reference_facts=None)
        expect_invalid(verdict, CheckName.ISSUER, expected)


def test_hidden_level_is_not_compared_and_says_so() -> None:
    """The one legal way past a level above the issuer's maximum: the micro-credential policy lets a holder hide the
    level; the verdict is valid, shows no level, and says it was not compared."""
    base = next(
        b for b in world().valid if b.type_name == "micro-credential" and "nqfLevel" in b.bundle["credentialSubject"]
    )
    hidden = disclose(base.bundle, ["/credentialSubject/nqfLevel"])
    before = world().service.verify(hidden)
    with chain_state() as chain:
        chain.set_issuer(base.issuer.issuer_id, max_level=1)
        verdict = control("issuer-scope", base, hidden, "level hidden, issuer's maximum 1", before)
        assert all(c.label != "NQF level" for c in verdict.claims)
        assert any("hid the NQF level" in n for n in verdict.notices), verdict.notices
        expect_invalid(world().service.verify(base.bundle), CheckName.ISSUER, "LEVEL_OUT_OF_SCOPE")


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_issuer_unknown(data: st.DataObject) -> None:
    """The anchoring issuer or its body not in the registry, or the document naming an identity its anchoring issuer
    never held: INVALID (an identity the issuer replaced since: valid, the same claims)."""
    base, bundle, extra, before = _valid_case(data)
    with chain_state() as chain:
        record = chain.anchors[base.root]
        issuer = chain.issuers[record.issuer_id]
        case = data.draw(
            st.sampled_from(
                [
                    "issuer gone",
                    "issuer status none",
                    "body gone",
                    "body status none",
                    "identity never held",
                    "identity replaced",
                    "anchor by unknown issuer",
                ]
            )
        )
        expected = "ISSUER_UNKNOWN"
        if case == "issuer gone":
            del chain.issuers[issuer.issuer_id]
        elif case == "issuer status none":
            chain.set_issuer(issuer.issuer_id, status=AccreditationStatus.NONE)
        elif case == "anchor by unknown issuer":
            chain.anchors[base.root] = dataclasses.replace(record, issuer_id=data.draw(st.integers(3, 2**32)))
        elif case in ("body gone", "body status none"):
            if case == "body gone":
                del chain.bodies[issuer.body_id]
            else:
                chain.bodies[issuer.body_id] = dataclasses.replace(
                    chain.bodies[issuer.body_id], status=AccreditationStatus.NONE
                )
            expected = "BODY_UNKNOWN"
        else:
            new_uri = f"did:web:renamed{data.draw(st.integers(0, 99))}.credreg.test"
            chain.set_issuer(issuer.issuer_id, metadata_uri=new_uri)
            if case == "identity never held":
                chain.identities[issuer.issuer_id] = (new_uri,)
                expected = "ISSUER_MISMATCH"
            else:
                chain.identities[issuer.issuer_id] = (issuer.metadata_uri, new_uri)
                verdict = control("issuer-unknown", base, bundle, f"identity replaced{extra}", before)
                assert verdict.check(CheckName.ISSUER).code == "FORMER_IDENTITY", _describe(verdict)
                return
        verdict = judge("issuer-unknown", base, bundle, f"{case}{extra}", reference_facts=None)
        if case == "anchor by unknown issuer":
            failure = verdict.failure
            assert failure is not None and failure.name in (CheckName.ISSUER, CheckName.KEY), _describe(verdict)
        else:
            expect_invalid(verdict, CheckName.ISSUER, expected)


# --- verdicts only claim what they checked (issue 9, Build 4) ------------------------------------------------------


def test_verdict_does_not_vouch_for_unchecked_transaction_hash() -> None:
    """A bundle whose transaction hash was replaced: if the verdict is valid, it must not repeat the forged hash as
    the anchoring transaction (the chain view cannot check it)."""
    base = world().valid[0]
    mutated = copy.deepcopy(base.bundle)
    mutated["proof"]["anchor"]["transactionHash"] = "0x" + "ab" * 32
    mutated["proof"]["anchor"]["blockNumber"] = 1
    verdict = judge("chain-fields", base, mutated, "transactionHash and blockNumber forged")
    if verdict.valid:
        genuine = base.bundle["proof"]["anchor"]
        assert verdict.anchor is not None
        assert (verdict.anchor.transaction_hash, verdict.anchor.block_number) == (
            genuine["transactionHash"],
            genuine["blockNumber"],
        ), "the verdict states the bundle's forged transaction or block as the anchor's"


# --- the counts -------------------------------------------------------------------------------------------------


def test_zz_mutation_counts() -> None:
    """At least 10,000 mutations per run, and each family at least its target (when the whole module ran)."""
    families = {f: TALLY[f] for f in FAMILY_TARGETS}
    if not all(families.values()):
        pytest.skip("only part of the forgery suite ran; the totals are checked when all of it runs")
    total = sum(TALLY.values())
    print(f"forgery suite: {total} mutations; per family: " + ", ".join(f"{f} {n}" for f, n in sorted(TALLY.items())))
    short = {f: (TALLY[f], n) for f, n in FAMILY_TARGETS.items() if TALLY[f] < n}
    assert not short, f"families below their target (got, target): {short}"
    assert total >= TOTAL_TARGET


# --- crashes ----------------------------------------------------------------------------------------------------

_DEEP_NESTING = """
import web3  # noqa: F401  (as in the node: web3's py_ecc raises the recursion limit to 100,000)
from tests.fakechain import FakeChain
from node.services.verification import VerificationService

chain = FakeChain()
service = VerificationService(chain, chain.chain_id, chain.registry_address, clock=lambda: 0)
for text in ("[" * 80_000 + "]" * 80_000, '{"credentialSubject":' + "[" * 100_000 + "]" * 100_000 + "}"):
    verdict = service.verify(text)  # 160 and 200 KB, under the 256 KiB cap
    assert not verdict.valid
    print(verdict.checks[0].code)
"""


def test_deeply_nested_text_is_refused_without_crashing_the_process() -> None:
    # found by this suite: 80,000 nested brackets crashed the verifying process (SIGSEGV) once web3 had raised the
    # recursion limit to 100,000; the reader now measures the nesting before json.loads
    import subprocess
    import sys

    from node.config import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, "-c", _DEEP_NESTING], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    TALLY["re-encode-string"] += 2
    assert done.returncode == 0, f"the verifying process died (exit {done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.split() == ["TOO_DEEP", "TOO_DEEP"], done.stdout


# --- the same bundles through POST /v1/verify ---------------------------------------------------------------------


@cache
def api_client() -> Any:
    """The real verify routes on a bare app, answering with the suite's service (no node, no anvil)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from node.api.deps import get_verification_service
    from node.api.errors import install_error_handlers
    from node.api.routes.verify import router

    app = FastAPI()
    install_error_handlers(app)  # the node's error shape, as create_app() installs it
    app.include_router(router)
    app.dependency_overrides[get_verification_service] = lambda: world().service
    return TestClient(app, raise_server_exceptions=False)


def post_verify(text: str | bytes) -> tuple[int, Any]:
    response = api_client().post("/v1/verify", content=text, headers={"content-type": "application/json"})
    return response.status_code, response.json()


@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_the_api_agrees_with_the_strict_reading(data: st.DataObject) -> None:
    """Numbers and strings re-encoded in the request body: POST /v1/verify never answers 5xx, and is valid only where
    the strict reading of the same text is valid, with the same claims."""
    base = data.draw(bases())
    paths = [p for p in leaf_paths(base.bundle) if type(get_at(base.bundle, p)) in (int, str)]
    path = data.draw(st.sampled_from(paths), label="path")
    value = get_at(base.bundle, path)
    forms = number_forms(value) if isinstance(value, int) else string_forms(value)
    for form in data.draw(st.lists(st.sampled_from(forms), min_size=5, max_size=10, unique=True), label="forms"):
        text = text_with_raw(base.bundle, path, form)
        TALLY["api"] += 1
        _note(f"[api] {base.name}: {'/'.join(map(str, path))} written as {form!r}")
        status, body = post_verify(text.encode("utf-8", "surrogatepass"))
        assert status < 500, f"POST /v1/verify answered {status} for {path} written as {form!r}: {body}"
        if status == 200 and body["valid"]:
            strict = world().service.verify(text)
            assert strict.valid, f"the API calls valid what the strict reader refuses: {_describe(strict)}"
            assert [(c["path"], _canon(c["value"])) for c in body["claims"]] == [
                (c.path, _canon(c.value)) for c in strict.claims
            ]


def test_the_api_refuses_a_repeated_member_name() -> None:
    # found by this suite: the route took the body as a dict parsed by FastAPI, so a repeated member name collapsed
    # (the last one won) before the strict reader saw it; the route now hands the verifier the bytes sent
    base = world().valid[0]
    path = ("credentialSubject", "qualification")
    text = text_with_member(base.bundle, path, '"title":"Doctor of Medicine"', first=True)
    assert world().service.verify(text).failure.code == "DUPLICATE_MEMBER"  # type: ignore[union-attr]
    TALLY["duplicate-member"] += 1
    status, body = post_verify(text)
    assert status < 500
    assert not body["valid"], "valid, while the file reads 'Doctor of Medicine' to a reader that takes the first title"
    assert body["checks"][0]["code"] == "DUPLICATE_MEMBER"


# --- one batch, one chain snapshot -----------------------------------------------------------------------------


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_a_batch_judges_each_bundle_as_alone(data: st.DataObject) -> None:
    """verify_many shares one snapshot and its memo of chain records: a forged bundle before a genuine one (or the
    reverse) must not change either's verdict."""
    picked = data.draw(st.lists(st.sampled_from(world().all), min_size=2, max_size=8), label="bases")
    bundles: list[Any] = []
    for base in picked:
        mutated = copy.deepcopy(base.bundle)
        how = data.draw(st.sampled_from(["genuine", "root", "leaf", "chain", "subject", "text"]), label="how")
        other = data.draw(st.sampled_from(world().all), label="other")
        if how == "root":
            SWAPS["merkleRoot"](mutated, other.bundle)
        elif how == "leaf":
            SWAPS["leaf, root and proof"](mutated, other.bundle)
        elif how == "chain":
            mutated["proof"]["anchor"]["chainId"] += 1
        elif how == "subject":
            SWAPS["credentialSubject with its salts and hashes"](mutated, other.bundle)
        bundles.append(dumps(mutated) if how == "text" else mutated)
    batch = world().service.verify_many(bundles)
    for bundle, verdict in zip(bundles, batch.verdicts, strict=True):
        TALLY["batch"] += 1
        alone = world().service.verify(bundle)
        assert verdict.model_dump(exclude={"checked_at"}) == alone.model_dump(exclude={"checked_at"})
