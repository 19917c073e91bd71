"""Generate the fixed verification vectors in tests/vectors/ (see docs/spec/credential.md, "Test vectors").

    .venv/bin/python -m scripts.vectors          # rewrite tests/vectors/*.json
    .venv/bin/python -m scripts.vectors --check  # exit 1 if the committed files differ from what is generated now

Everything is deterministic: salts are keccak256 of the credential id and path, credential ids are fixed, and each
vector's chain is a fresh in-memory chain (tests/fakechain.py) whose state is written in the checkpoint facts shape.
The expected verdict of each vector is what the real VerificationService says (valid, and per check: status, code);
the generator also asserts that it is the verdict the vector was written to produce, so a behaviour change fails here.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.chain.registry import AccreditationStatus, CredentialStatus
from node.credentials.document import build_document, disclose, seal
from node.credentials.hash32 import Hash32
from node.credentials.hashing import flatten
from node.credentials.keccak import keccak256, to_hex
from node.credentials.types import type_id_bytes32
from node.readmodel.checkpoint import Checkpoint, CheckpointChainView
from node.services.verification import VerificationService
from tests.fakechain import START, FakeChain, FakeIssuer
from tests.samples import VALID

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"
FORMAT = "credreg-verification-vector/v1"
TYPES = ("formal-qualification", "micro-credential", "recognition-of-prior-learning")
DAY = 86_400


def _uuid(name: str) -> str:
    h = keccak256(b"credreg-vector-id:" + name.encode()).hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _salts(document: dict[str, Any]) -> dict[str, bytes]:
    return {p: keccak256(f"credreg-vector-salt:{document['id']}:{p}".encode()) for p in flatten(document)}


def sealed(document: dict[str, Any]) -> dict[str, Any]:
    """Re-seal ``document`` (any existing proof dropped) with the deterministic salts."""
    body = {k: v for k, v in document.items() if k != "proof"}
    return seal(body, _salts(body))


@dataclass
class Scenario:
    """A fresh chain with one body and one issuer, and one anchored batch of two credentials of one type."""

    type_name: str
    chain: FakeChain = field(default_factory=FakeChain)
    issuer: FakeIssuer | None = None
    bundle: dict[str, Any] = field(default_factory=dict)
    sibling: dict[str, Any] = field(default_factory=dict)
    root: bytes = b""

    def document(
        self, name: str, subject: dict[str, Any], *, valid_from: int, valid_until: int | None, issuer_uri: str
    ) -> dict[str, Any]:
        doc = build_document(
            self.type_name,
            subject,
            issuer_id=issuer_uri,
            valid_from=dt.datetime.fromtimestamp(valid_from, dt.UTC),
            valid_until=dt.datetime.fromtimestamp(valid_until, dt.UTC) if valid_until else None,
            credential_id=_uuid(name),
        )
        return sealed(doc)

    def anchor(self, documents: list[dict[str, Any]], *, expires_at: int = 0, anchored_type: str | None = None) -> None:
        assert self.issuer is not None
        bundles = self.chain.anchor_documents(
            self.issuer, documents, anchored_type or self.type_name, expires_at=expires_at
        )
        self.root = Hash32.of(bundles[0]["proof"]["anchor"]["merkleRoot"])
        self.bundle, self.sibling = bundles[0], bundles[1]


def scenario(
    type_name: str,
    name: str,
    *,
    subject: dict[str, Any] | None = None,
    valid_until: int | None = None,
    valid_from: int | None = None,
    expires_at: int = 0,
    issuer_uri: str | None = None,
    anchored_type: str | None = None,
    max_level: int = 10,
    schema_version: int | None = None,
    anchor: bool = True,
) -> Scenario:
    s = Scenario(type_name)
    body = s.chain.add_body(TYPES)
    s.issuer = s.chain.add_issuer(body, TYPES, max_level=max_level)
    start = valid_from if valid_from is not None else s.chain.now
    uri = issuer_uri or s.issuer.uri
    main = s.document(name, subject or VALID[type_name], valid_from=start, valid_until=valid_until, issuer_uri=uri)
    if schema_version is not None:
        main["credentialSchema"]["id"] = main["credentialSchema"]["id"].replace("/v1", f"/v{schema_version}")
        main = sealed(main)
    other = s.document(name + "/sibling", VALID[type_name], valid_from=start, valid_until=None, issuer_uri=uri)
    if anchor:
        s.anchor([main, other], expires_at=expires_at, anchored_type=anchored_type)
    else:
        s.bundle = main
    s.chain.mine(5)
    return s


# --- one vector --------------------------------------------------------------------------------------------------


@dataclass
class Vector:
    name: str
    description: str
    expect: tuple[str, str] | None
    """(check name, code) of the first INVALID check, or None for a valid verdict."""
    scenario: Scenario
    bundle: dict[str, Any] | None = None
    bundle_text: str | None = None
    facts_edit: Callable[[dict[str, Any]], None] | None = None
    checked_at: int | None = None
    valid_code: tuple[str, str] | None = None
    """For a valid vector: (check name, code) that it exists to show (e.g. ("disclosure", "FIELDS_HIDDEN"))."""

    def build(self) -> dict[str, Any]:
        chain = self.scenario.chain
        facts = chain.facts()
        if self.facts_edit is not None:
            self.facts_edit(facts)
        block = dataclasses.asdict(chain.as_of())
        checked_at = self.checked_at if self.checked_at is not None else chain.now + 60
        out: dict[str, Any] = {"format": FORMAT, "name": self.name, "description": self.description}
        if self.bundle_text is not None:
            out["bundleText"] = self.bundle_text
        else:
            out["bundle"] = self.bundle if self.bundle is not None else self.scenario.bundle
        out["chain"] = {"chainId": chain.chain_id, "registry": chain.registry_address, "block": block, "facts": facts}
        out["checkedAt"] = checked_at
        verdict = run(out)
        out["expected"] = verdict
        first = next(
            ({"name": c["name"], "code": c["code"]} for c in verdict["checks"] if c["status"] == "INVALID"), None
        )
        if self.expect is None:
            assert verdict["valid"], (self.name, verdict)
        else:
            assert not verdict["valid"] and first == {"name": self.expect[0], "code": self.expect[1]}, (
                self.name,
                verdict,
            )
        if self.valid_code is not None:
            name, code = self.valid_code
            assert any(c["name"] == name and c["code"] == code for c in verdict["checks"]), (self.name, verdict)
        return out


def run(vector: dict[str, Any]) -> dict[str, Any]:
    """The real verifier's verdict on a vector: valid, and every check's name, status and code."""
    chain = vector["chain"]
    payload = {"chainId": chain["chainId"], "registry": chain["registry"], "block": chain["block"]}
    view = CheckpointChainView(Checkpoint({**payload, "facts": chain["facts"]}, signature=""))
    service = VerificationService(view, chain["chainId"], chain["registry"], clock=lambda: vector["checkedAt"])
    bundle = vector["bundleText"] if "bundleText" in vector else vector["bundle"]
    verdict = service.verify(bundle)
    return {
        "valid": verdict.valid,
        "checks": [{"name": c.name.value, "status": c.status.value, "code": c.code} for c in verdict.checks],
    }


# --- the vectors -------------------------------------------------------------------------------------------------


def _text(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=1)


def _edit(bundle: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    fn(out)
    return out


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node = doc
        tokens = path.strip("/").split("/")
        for t in tokens[:-1]:
            node = node[t]
        node[tokens[-1]] = value

    return apply


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node = doc
        tokens = path.strip("/").split("/")
        for t in tokens[:-1]:
            node = node[t]
        del node[tokens[-1]]

    return apply


def _hide_raw(path: str) -> Callable[[dict[str, Any]], None]:
    """Hide a field the way a forger would: delete its value and salt, keep its hash (no policy check)."""

    def apply(doc: dict[str, Any]) -> None:
        _delete(path)(doc)
        del doc["proof"]["salts"][path]

    return apply


def _anchor_text(s: Scenario) -> str:
    return to_hex(s.root)


def vectors() -> list[Vector]:
    v: list[Vector] = []
    fq, mc, rpl = TYPES

    def add(name: str, description: str, expect: tuple[str, str] | None, s: Scenario | None = None, **kw: Any) -> None:
        v.append(Vector(name, description, expect, s or scenario(fq, name), **kw))

    # genuine
    for t in TYPES:
        add(
            f"genuine-{t}", f"A genuine, anchored {t} credential, every field shown.", None, scenario(t, f"genuine-{t}")
        )
    s = scenario(fq, "genuine-valid-until", valid_until=START + 400 * DAY, expires_at=START + 500 * DAY)
    add("genuine-with-expiry", "A genuine credential with a validUntil and an on-chain expiry, both later.", None, s)

    # disclosed
    s = scenario(fq, "disclosed-fq")
    add(
        "disclosed-formal-qualification",
        "The holder hid the learner (name and identity) and the credits with the disclosure tool.",
        None,
        s,
        bundle=disclose(s.bundle, ["/credentialSubject/learner", "/credentialSubject/qualification/credits"]),
        valid_code=("disclosure", "FIELDS_HIDDEN"),
    )
    s = scenario(mc, "disclosed-mc", subject={**VALID[mc], "nqfLevel": 4})
    add(
        "disclosed-micro-credential-level",
        "A micro-credential whose holder hid the NQF level (its policy allows it): valid, the level is not compared.",
        None,
        s,
        bundle=disclose(s.bundle, ["/credentialSubject/nqfLevel", "/credentialSubject/competencies"]),
        valid_code=("schema", "OK_SHOWN_FIELDS"),
    )
    s = scenario(rpl, "disclosed-rpl")
    add(
        "disclosed-recognition-of-prior-learning",
        "The holder hid the learner's identity number and the assessment date.",
        None,
        s,
        bundle=disclose(s.bundle, ["/credentialSubject/learner/identity", "/credentialSubject/assessmentDate"]),
        valid_code=("disclosure", "FIELDS_HIDDEN"),
    )

    # valid with a notable code
    s = scenario(fq, "former-identity", issuer_uri="did:web:old-name.credreg.test")
    assert s.issuer is not None
    s.chain.identities[s.issuer.issuer_id] = ("did:web:old-name.credreg.test", s.issuer.uri)
    add(
        "valid-former-identity",
        "The document names an identity the issuer held before.",
        None,
        s,
        valid_code=("issuer", "FORMER_IDENTITY"),
    )
    s = scenario(fq, "changed-after")
    assert s.issuer is not None
    s.chain.set_issuer(s.issuer.issuer_id, status=AccreditationStatus.SUSPENDED, status_changed_at=s.chain.now)
    add(
        "valid-issuer-suspended-after-anchor",
        "The issuer was suspended after the anchor (not retroactive).",
        None,
        s,
        valid_code=("issuer", "ACCREDITATION_CHANGED_AFTER_ANCHOR"),
    )
    s = scenario(fq, "reinstated")
    s.chain.set_status(s.root, None, CredentialStatus.SUSPENDED)
    s.chain.set_status(s.root, None, CredentialStatus.ACTIVE, reason=0)
    add(
        "valid-reinstated", "The batch was suspended and then reinstated.", None, s, valid_code=("status", "REINSTATED")
    )
    s = scenario(fq, "unknown-version", schema_version=2)
    add(
        "unknown-type-version",
        "A type version this verifier does not know: it cannot tell the level field, the disclosure policy or the "
        "rules, so it refuses to judge it (never valid).",
        ("format", "UNKNOWN_TYPE"),
        s,
    )

    # format: the strict reader
    base = scenario(fq, "format")
    b = base.bundle
    add(
        "malformed-not-json",
        "Not JSON (trailing comma).",
        ("format", "MALFORMED"),
        base,
        bundle_text=_text(b)[:-2] + ",\n}",
    )
    add(
        "malformed-bom",
        "A byte-order mark before the JSON.",
        ("format", "MALFORMED"),
        base,
        bundle_text="\ufeff" + _text(b),
    )
    add(
        "malformed-array",
        "A JSON array, not an object.",
        ("format", "MALFORMED"),
        base,
        bundle_text="[" + _text(b) + "]",
    )
    add(
        "malformed-nan",
        "NaN as a value.",
        ("format", "MALFORMED"),
        base,
        bundle_text=_text(b).replace('"nqfLevel": 7', '"nqfLevel": NaN'),
    )
    add(
        "malformed-missing-subject",
        "No credentialSubject member.",
        ("format", "MALFORMED"),
        base,
        bundle=_edit(b, _delete("/credentialSubject")),
    )
    add(
        "malformed-empty-object",
        "An empty object in the subject (it holds no field).",
        ("format", "MALFORMED"),
        base,
        bundle=_edit(b, _set("/credentialSubject/extra", {})),
    )
    add(
        "malformed-issuer-not-object",
        "The issuer is a string.",
        ("format", "MALFORMED"),
        base,
        bundle=_edit(b, _set("/issuer", "did:web:issuer1.credreg.test")),
    )
    dup = _text(b).replace('"institution":', '"institution": "Another University",\n  "institution":', 1)
    add(
        "duplicate-member",
        "A member name repeated in the subject.",
        ("format", "DUPLICATE_MEMBER"),
        base,
        bundle_text=dup,
    )
    add(
        "invalid-unicode-lone-surrogate",
        "A lone surrogate escape in a string.",
        ("format", "INVALID_UNICODE"),
        base,
        bundle_text=_text(b).replace('"University of Example"', '"University of Example\\ud800"'),
    )
    for suffix, replacement, what in (
        ("fraction", '"nqfLevel": 7.0', "7.0 for the integer 7"),
        ("exponent", '"nqfLevel": 7e0', "7e0 for the integer 7"),
        ("minus-zero", '"blockNumber": -0', "-0"),
    ):
        text = _text(b)
        if suffix == "minus-zero":
            text = text.replace(f'"blockNumber": {b["proof"]["anchor"]["blockNumber"]}', replacement)
        else:
            text = text.replace('"nqfLevel": 7', replacement)
        add(
            f"non-canonical-number-{suffix}",
            f"A number not in its one form: {what}.",
            ("format", "NON_CANONICAL_VALUE"),
            base,
            bundle_text=text,
        )
    add(
        "non-canonical-big-integer",
        "An integer beyond 2^53 - 1.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle_text=_text(b).replace('"credits": 360', '"credits": 9007199254740993'),
    )
    add(
        "non-canonical-date-time",
        "validFrom with a time-zone offset instead of Z.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle=_edit(b, _set("/validFrom", b["validFrom"].replace("Z", "+00:00"))),
    )
    add(
        "non-canonical-date-time-unreal",
        "validFrom on 30 February.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle=_edit(b, _set("/validFrom", "2026-02-30T00:00:00Z")),
    )
    add(
        "non-canonical-context",
        "@context with a third entry.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle=_edit(b, _set("/@context", [*b["@context"], "https://example.org/ctx"])),
    )
    add(
        "non-canonical-schema-type",
        "credentialSchema.type other than JsonSchema.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle=_edit(b, _set("/credentialSchema/type", "JsonSchema2023")),
    )
    add(
        "non-canonical-id",
        "An upper-case urn:uuid.",
        ("format", "NON_CANONICAL_VALUE"),
        base,
        bundle=_edit(b, _set("/id", b["id"].upper().replace("URN:UUID:", "urn:uuid:"))),
    )
    add(
        "unknown-member-top",
        "A top-level member credreg never writes.",
        ("format", "UNKNOWN_MEMBER"),
        base,
        bundle=_edit(b, _set("/evidence", "none")),
    )
    add(
        "unknown-member-issuer",
        "A member of issuer credreg never writes.",
        ("format", "UNKNOWN_MEMBER"),
        base,
        bundle=_edit(b, _set("/issuer/url", "https://example.org")),
    )
    add(
        "unknown-member-schema",
        "A member of credentialSchema credreg never writes.",
        ("format", "UNKNOWN_MEMBER"),
        base,
        bundle=_edit(b, _set("/credentialSchema/digest", "x")),
    )
    add(
        "unsupported-format-v1",
        "A v1 proof (did not bind hidden fields' paths).",
        ("format", "UNSUPPORTED_FORMAT"),
        base,
        bundle=_edit(b, _set("/proof/hashAlgorithm", "credreg-salted-fields-keccak256-jcs-v1")),
    )
    add(
        "malformed-proof-upper-hex",
        "The credential hash in upper-case hex.",
        ("format", "MALFORMED_PROOF"),
        base,
        bundle=_edit(b, _set("/proof/credentialHash", "0x" + b["proof"]["credentialHash"][2:].upper())),
    )
    add(
        "malformed-proof-extra-member",
        "An unknown member in proof.anchor.",
        ("format", "MALFORMED_PROOF"),
        base,
        bundle=_edit(b, _set("/proof/anchor/logIndex", 0)),
    )
    add(
        "malformed-proof-not-object",
        "proof is a string.",
        ("format", "MALFORMED_PROOF"),
        base,
        bundle=_edit(b, _set("/proof", "0x00")),
    )
    add(
        "unknown-type-schema-id",
        "A credentialSchema.id that is not a credreg schema id.",
        ("format", "UNKNOWN_TYPE"),
        base,
        bundle=_edit(b, _set("/credentialSchema/id", "https://example.org/schemas/degree/v1")),
    )
    add(
        "unknown-type-type-mismatch",
        "type names another credential type than credentialSchema.id.",
        ("format", "UNKNOWN_TYPE"),
        base,
        bundle=_edit(b, _set("/type", ["VerifiableCredential", "MicroCredential"])),
    )
    deep: Any = "x"
    for _ in range(20):
        deep = [deep]
    add(
        "too-deep",
        "Arrays nested 20 deep.",
        ("format", "TOO_DEEP"),
        base,
        bundle=_edit(b, _set("/credentialSubject/extra", deep)),
    )
    add(
        "too-large",
        "A bundle over 256 KiB (padded with spaces after the object).",
        ("format", "TOO_LARGE"),
        base,
        bundle_text=_text(b) + " " * (256 * 1024),
    )

    # disclosure
    s = scenario(fq, "hide-valid-until", valid_until=START + 10 * DAY)
    add(
        "disclosure-not-allowed-valid-until",
        "The holder deleted validUntil's value and salt and kept its hash "
        "(the attack of issue 9): validUntil can never be hidden.",
        ("disclosure", "DISCLOSURE_NOT_ALLOWED"),
        s,
        bundle=_edit(s.bundle, _hide_raw("/validUntil")),
        checked_at=START + 20 * DAY,
    )
    add(
        "disclosure-not-allowed-institution",
        "The institution is the claim; a holder may not hide it.",
        ("disclosure", "DISCLOSURE_NOT_ALLOWED"),
        base,
        bundle=_edit(b, _hide_raw("/credentialSubject/institution")),
    )
    add(
        "disclosure-not-allowed-level",
        "A formal qualification's NQF level decides accreditation scope and may not be hidden.",
        ("disclosure", "DISCLOSURE_NOT_ALLOWED"),
        base,
        bundle=_edit(b, _hide_raw("/credentialSubject/qualification/nqfLevel")),
    )

    def stray_hash(path: str) -> Callable[[dict[str, Any]], None]:
        """A field hash for ``path`` that no shown or hidden field of the document has."""
        return lambda d: d["proof"]["fieldHashes"].__setitem__(path, "0x" + "11" * 32)

    add(
        "hidden-field-unknown",
        "A hidden field the schema does not define (a hash entry for a made-up path).",
        ("disclosure", "HIDDEN_FIELD_UNKNOWN"),
        base,
        bundle=_edit(b, stray_hash("/credentialSubject/learner/nickname")),
    )
    add(
        "hidden-field-unknown-non-canonical-pointer",
        "A hidden field path with a bad escape (~2).",
        ("disclosure", "HIDDEN_FIELD_UNKNOWN"),
        base,
        bundle=_edit(b, stray_hash("/credentialSubject/learner/~2")),
    )
    add(
        "hidden-field-unknown-object",
        "A hidden 'field' that is an object in the schema (/credentialSubject/learner) while its members are shown.",
        ("disclosure", "HIDDEN_FIELD_UNKNOWN"),
        base,
        bundle=_edit(b, stray_hash("/credentialSubject/learner")),
    )
    add(
        "hidden-field-collision",
        "The award date's salt is removed but its value is still shown.",
        ("disclosure", "HIDDEN_FIELD_COLLISION"),
        base,
        bundle=_edit(b, lambda d: d["proof"]["salts"].pop("/credentialSubject/awardDate")),
    )
    s = scenario(fq, "policy-unknown", schema_version=2)
    add(
        "unknown-type-version-hidden",
        "Fields hidden in a type version this verifier does not know: refused before any disclosure is judged.",
        ("format", "UNKNOWN_TYPE"),
        s,
        bundle=_edit(s.bundle, _hide_raw("/credentialSubject/awardDate")),
    )

    # integrity
    add(
        "fields-altered-value",
        "The qualification title was changed.",
        ("integrity", "FIELDS_ALTERED"),
        base,
        bundle=_edit(b, _set("/credentialSubject/qualification/title", "Master of Commerce")),
    )
    add(
        "fields-altered-added",
        "A field added (with a salt) that the issuer never hashed.",
        ("integrity", "FIELDS_ALTERED"),
        base,
        bundle=_edit(b, lambda d: d["credentialSubject"]["learner"].__setitem__("name2", "x")),
    )
    add(
        "fields-altered-deleted",
        "A field deleted but its salt kept (not hidden properly).",
        ("integrity", "FIELDS_ALTERED"),
        base,
        bundle=_edit(b, _delete("/credentialSubject/awardDate")),
    )
    add(
        "fields-altered-re-encoded",
        "The same text in another Unicode form (NFD instead of NFC).",
        ("integrity", "FIELDS_ALTERED"),
        scenario(fq, "nfc", subject={**VALID[fq], "institution": "Universit\u00e9"}),
    )
    nfc = v[-1].scenario
    v[-1].bundle = _edit(nfc.bundle, _set("/credentialSubject/institution", "Universite\u0301"))
    add(
        "malformed-proof-stray-salt",
        "A salt for a path that has no field hash.",
        ("integrity", "MALFORMED_PROOF"),
        base,
        bundle=_edit(b, lambda d: d["proof"]["salts"].__setitem__("/credentialSubject/x", "0x" + "22" * 32)),
    )
    add(
        "credential-hash-mismatch",
        "The stated credential hash is another one.",
        ("integrity", "CREDENTIAL_HASH_MISMATCH"),
        base,
        bundle=_edit(b, _set("/proof/credentialHash", "0x" + "33" * 32)),
    )
    s = scenario(fq, "hidden-hash-changed")
    dis = disclose(s.bundle, ["/credentialSubject/awardDate"])
    add(
        "credential-hash-mismatch-hidden",
        "A hidden field's hash was changed.",
        ("integrity", "CREDENTIAL_HASH_MISMATCH"),
        s,
        bundle=_edit(
            dis, lambda d: d["proof"]["fieldHashes"].__setitem__("/credentialSubject/awardDate", "0x" + "44" * 32)
        ),
    )
    add(
        "credential-hash-mismatch-renamed-hidden",
        "A hidden field's path was renamed (hash kept).",
        ("integrity", "CREDENTIAL_HASH_MISMATCH"),
        s,
        bundle=_edit(dis, _rename_hidden),
    )
    add(
        "merkle-proof-invalid",
        "A sibling of the Merkle proof was changed.",
        ("integrity", "MERKLE_PROOF_INVALID"),
        base,
        bundle=_edit(b, _set("/proof/anchor/merkleProof", ["0x" + "55" * 32])),
    )
    add(
        "merkle-proof-swapped",
        "The Merkle proof of the other credential of the batch.",
        ("integrity", "MERKLE_PROOF_INVALID"),
        base,
        bundle=_edit(b, _set("/proof/anchor/merkleProof", [base.sibling["proof"]["credentialHash"]])),
    )
    add(
        "not-anchored",
        "A sealed document that was never anchored (no anchor in its proof).",
        ("integrity", "NOT_ANCHORED"),
        scenario(fq, "unanchored", anchor=False),
    )

    # chain
    add(
        "wrong-chain",
        "The anchor names another chain id.",
        ("chain", "WRONG_CHAIN"),
        base,
        bundle=_edit(b, _set("/proof/anchor/chainId", 1)),
    )
    add(
        "wrong-registry",
        "The anchor names another registry.",
        ("chain", "WRONG_REGISTRY"),
        base,
        bundle=_edit(b, _set("/proof/anchor/registry", "0x" + "ab" * 20)),
    )

    # anchor
    s = scenario(fq, "root-not-anchored")

    def unanchor(facts: dict[str, Any], root: str = to_hex(s.root)) -> None:
        facts["anchors"][root] = None
        facts["leafStates"].pop(root)
        facts["anchorTransactions"].pop(root)

    add(
        "root-not-anchored",
        "The root is not anchored in the trusted registry.",
        ("anchor", "ROOT_NOT_ANCHORED"),
        s,
        facts_edit=unanchor,
    )
    add(
        "anchor-not-yet-seen",
        "Not anchored as of the block seen, and the bundle names a later block.",
        ("anchor", "ANCHOR_NOT_YET_SEEN"),
        s,
        bundle=_edit(s.bundle, _set("/proof/anchor/blockNumber", 1000)),
        facts_edit=unanchor,
    )

    # issuer
    def null(section: str, key: str) -> Callable[[dict[str, Any]], None]:
        def apply(facts: dict[str, Any]) -> None:
            facts[section][key] = None

        return apply

    add(
        "issuer-unknown",
        "The anchoring issuer is not in the registry.",
        ("issuer", "ISSUER_UNKNOWN"),
        base,
        facts_edit=null("issuers", "1"),
    )
    s = scenario(fq, "issuer-mismatch", issuer_uri="did:web:famous-university.example")
    add(
        "issuer-mismatch",
        "The document names an issuer identity the anchoring issuer never held.",
        ("issuer", "ISSUER_MISMATCH"),
        s,
    )
    s = scenario(fq, "type-mismatch", anchored_type=mc)
    add(
        "type-mismatch",
        "A formal qualification whose root was anchored as micro-credential.",
        ("issuer", "TYPE_MISMATCH"),
        s,
    )
    s = scenario(fq, "issuer-scope")
    s.chain.issuer_scope[1] = [type_id_bytes32(mc)]
    add("type-out-of-scope-issuer", "The issuer is not accredited for the type.", ("issuer", "TYPE_OUT_OF_SCOPE"), s)
    s = scenario(fq, "body-scope")
    s.chain.body_scope[1] = [type_id_bytes32(mc)]
    add(
        "type-out-of-scope-body",
        "The issuer's body is not accredited for the type.",
        ("issuer", "TYPE_OUT_OF_SCOPE"),
        s,
    )
    add(
        "body-unknown",
        "The issuer's body is not in the registry.",
        ("issuer", "BODY_UNKNOWN"),
        base,
        facts_edit=null("bodies", "1"),
    )
    s = scenario(fq, "level", max_level=6)
    add(
        "level-out-of-scope",
        "NQF level 7 from an issuer accredited up to level 6.",
        ("issuer", "LEVEL_OUT_OF_SCOPE"),
        s,
    )
    s = scenario(fq, "level-body")
    s.chain.bodies[1] = dataclasses.replace(s.chain.bodies[1], max_level=6)
    add(
        "level-out-of-scope-body",
        "NQF level 7 from an issuer whose accrediting body is accredited up to level 6.",
        ("issuer", "LEVEL_OUT_OF_SCOPE"),
        s,
    )
    s = scenario(fq, "window")
    s.chain.set_issuer(1, valid_from=s.chain.now)
    add(
        "not-accredited-at-anchor-window",
        "The issuer's accreditation window starts after the anchor.",
        ("issuer", "NOT_ACCREDITED_AT_ANCHOR"),
        s,
    )
    s = scenario(fq, "suspended-before")
    s.chain.set_issuer(1, status=AccreditationStatus.SUSPENDED, status_changed_at=START - 10)
    add(
        "not-accredited-at-anchor-status",
        "The issuer was suspended before the anchor.",
        ("issuer", "NOT_ACCREDITED_AT_ANCHOR"),
        s,
    )

    # key
    add(
        "key-unknown",
        "The anchoring key is not in the registry.",
        ("key", "KEY_UNKNOWN"),
        base,
        facts_edit=null("keys", "1"),
    )
    s = scenario(fq, "key-mismatch")
    s.chain.set_key(1, issuer_id=2)
    add("key-mismatch", "The anchoring key belongs to another issuer.", ("key", "KEY_MISMATCH"), s)
    s = scenario(fq, "key-compromised")
    s.chain.set_key(1, compromised_at=s.chain.anchors[s.root].anchored_at)
    add(
        "key-compromised",
        "The key was declared compromised from the anchor's own second.",
        ("key", "KEY_COMPROMISED"),
        s,
    )
    s = scenario(fq, "key-not-valid")
    s.chain.set_key(1, valid_from=s.chain.now)
    add("key-not-valid-at-anchor", "The key's window starts after the anchor.", ("key", "KEY_NOT_VALID_AT_ANCHOR"), s)

    # status
    for status, code in (
        (CredentialStatus.REVOKED, "REVOKED"),
        (CredentialStatus.SUSPENDED, "SUSPENDED"),
    ):
        for level in ("root", "leaf"):
            s = scenario(fq, f"{code}-{level}")
            leaf = None if level == "root" else Hash32.of(s.bundle["proof"]["credentialHash"])
            s.chain.set_status(s.root, leaf, status)
            scope = "the whole batch" if level == "root" else "this credential only"
            add(f"{code.lower()}-{level}", f"{code.title()} ({scope}).", ("status", code), s)
    s = scenario(fq, "superseded")
    s.chain.set_status(
        s.root,
        Hash32.of(s.bundle["proof"]["credentialHash"]),
        CredentialStatus.SUPERSEDED,
        replacement=(b"\x66" * 32, b"\x77" * 32),
    )
    add("superseded", "Superseded by a replacement credential.", ("status", "SUPERSEDED"), s)

    # expiry
    s = scenario(fq, "chain-expiry", expires_at=START + 30 * DAY)
    add("expired-on-chain", "Past the expiry recorded on chain.", ("expiry", "EXPIRED"), s, checked_at=START + 30 * DAY)
    s = scenario(fq, "valid-until", valid_until=START + 30 * DAY)
    add("expired-valid-until", "Past its validUntil.", ("expiry", "EXPIRED"), s, checked_at=START + 31 * DAY)
    s = scenario(fq, "not-yet", valid_from=START + 30 * DAY)
    add("not-yet-valid", "Before its validFrom.", ("expiry", "NOT_YET_VALID"), s)

    # schema
    bad = copy.deepcopy(VALID[fq])
    bad["learner"]["identity"]["number"] = bad["learner"]["identity"]["number"][:-1] + str(
        (int(bad["learner"]["identity"]["number"][-1]) + 1) % 10
    )
    s = _unchecked(fq, "schema-invalid", bad)
    add(
        "schema-invalid",
        "The issuer sealed a subject whose ID number fails its check digit.",
        ("schema", "SCHEMA_INVALID"),
        s,
    )
    return v


def _rename_hidden(d: dict[str, Any]) -> None:
    hashes = d["proof"]["fieldHashes"]
    hashes["/credentialSubject/learner/identity/country"] = hashes.pop("/credentialSubject/awardDate")


def _unchecked(type_name: str, name: str, subject: dict[str, Any]) -> Scenario:
    """A scenario whose credential was sealed without validating its subject (a faulty issuer)."""
    s = scenario(type_name, name)
    doc = {k: v for k, v in s.bundle.items() if k != "proof"}
    doc["credentialSubject"] = subject
    t = Scenario(type_name)
    body = t.chain.add_body(TYPES)
    t.issuer = t.chain.add_issuer(body, TYPES)
    t.anchor([sealed(doc), sealed({**doc, "id": _uuid(name + "/sibling")})])
    t.chain.mine(5)
    return t


def build() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for vector in vectors():
        assert vector.name not in out, vector.name
        out[vector.name] = vector.build()
    return out


def dumps(vector: dict[str, Any]) -> str:
    return json.dumps(vector, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    generated = build()
    if "--check" in argv:
        stale = sorted(
            n
            for n, vec in generated.items()
            if not (OUT / f"{n}.json").is_file() or (OUT / f"{n}.json").read_text(encoding="utf-8") != dumps(vec)
        )
        extra = sorted(p.stem for p in OUT.glob("*.json") if p.stem not in generated)
        if stale or extra:
            print(f"stale: {stale}; not generated: {extra}")
            return 1
        print(f"{len(generated)} vectors up to date")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.glob("*.json"):
        if p.stem not in generated:
            p.unlink()
    for name, vec in generated.items():
        (OUT / f"{name}.json").write_text(dumps(vec), encoding="utf-8")
    print(f"wrote {len(generated)} vectors to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
