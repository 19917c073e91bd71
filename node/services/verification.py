"""Verification: one verdict for a credential bundle, with every check listed and a sentence a person understands.

The checks run in this order; a check that cannot run because an earlier one failed is SKIPPED with the reason:

==========  ==============================================================================================
format      the file is read the one strict way (node/credentials/reader.py): JSON, canonical values, VC context,
            proof shape, a type and version this verifier knows, issuer, dates
disclosure  every hidden field is one the type's disclosure policy lets a holder hide, at a place its schema
            defines, not colliding with a shown field
integrity   shown fields → their hashes → the credential hash → the Merkle proof → the root
            (:func:`node.credentials.document.verify_integrity`, not re-implemented here)
chain       the bundle names the chain id and registry this verifier trusts (anything else is INVALID)
anchor      the root is anchored in that registry: by which issuer and key, when; the bundle's block/tx
issuer      the anchoring issuer's identity (the document's issuer is a metadata URI that issuer has
            registered: its current one, or a former one it has since replaced, which the message says),
            its accreditation path governance → body → issuer for this credential type, and the level
            within the issuer's maximum. The contract only lets accredited issuers anchor, so a suspension
            after the anchor does not make the credential invalid (and the message says so).
key         the anchoring key belongs to that issuer and was not cut off (compromised) at or before the anchor
status      revoked / suspended / superseded (reason code, since when, the replacement) at the root or leaf
expiry      the expiry recorded on chain, and the document's validFrom / validUntil
schema      the credentialSubject against its type's JSON schema; rules that need hidden fields are not run
==========  ==============================================================================================

The chain is read through a :class:`~node.readmodel.chainview.ChainView` (RPC, the indexer's mirror or a signed
checkpoint): one snapshot per verification, each record asked once per run. Time-dependent judgements (expiry)
use the later of the snapshot block's time and this machine's clock; chain state (status) is as of the snapshot.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.chain.registry import (
    OPEN_END,
    AccreditationStatus,
    AnchorRecord,
    BodyRecord,
    CredentialStatus,
    IssuerRecord,
    KeyRecord,
)
from node.credentials.document import IntegrityCheck, IntegrityResult, verify_integrity
from node.credentials.hashing import issuer_metadata_hash
from node.credentials.keccak import to_hex
from node.credentials.reader import BundleReadError, ReadBundle, judge_disclosure, read_bundle
from node.credentials.types import known_types, type_id_bytes32
from node.errors import ChainMismatchError, CredentialNotAnchoredError, NotFoundError, ValidationFailedError
from node.readmodel.chainview import AnchorTx, BlockRef, ChainView, LeafState
from node.services.reasons import reason_text
from node.store import Store
from node.store.records import CredentialStatus as OutboxStatus

MAX_BATCH = 1000
"""Most bundles one batch verification takes (POST /v1/verify/batch)."""

_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


# --- the verdict ------------------------------------------------------------------------------------------------


class CheckName(StrEnum):
    FORMAT = "format"
    DISCLOSURE = "disclosure"
    INTEGRITY = "integrity"
    CHAIN = "chain"
    ANCHOR = "anchor"
    ISSUER = "issuer"
    KEY = "key"
    STATUS = "status"
    EXPIRY = "expiry"
    SCHEMA = "schema"


class CheckStatus(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    SKIPPED = "SKIPPED"


REQUIRED = tuple(n for n in CheckName if n is not CheckName.SCHEMA)
"""Checks that must be VALID for a valid verdict (schema only must not be INVALID: hidden fields may skip rules)."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Check(_Model):
    """One step of the verification and what it found."""

    name: CheckName = Field(description="Which check (they run in the order listed in the verdict).")
    status: CheckStatus = Field(
        description="VALID, INVALID, or SKIPPED when it could not run (an earlier check failed, or it needs "
        "hidden fields)."
    )
    code: str = Field(
        description="A stable machine-readable code, e.g. OK, FIELDS_ALTERED, WRONG_CHAIN, REVOKED, EXPIRED.",
        examples=["OK"],
    )
    message: str = Field(
        description="What was found, in plain words, and what to do next when it failed.",
        examples=["The credential is not revoked, suspended or superseded (as of block 1234)."],
    )
    fields: list[str] = Field(
        default_factory=list,
        description="JSON pointers of the document fields concerned (altered fields, fields whose rules were not "
        "checked because they are hidden).",
        examples=[["/credentialSubject/qualification/title"]],
    )


class ClaimShown(_Model):
    """One main claim of the credential, as its document shows it (and its hash commits to)."""

    label: str = Field(description="What the claim is, for people.", examples=["Qualification"])
    path: str = Field(description="The field's JSON pointer.", examples=["/credentialSubject/qualification/title"])
    value: Any = Field(description="The shown value.", examples=["BCom Accounting"])


class BlockInfo(_Model):
    """The block a verdict's chain facts are read at."""

    number: int = Field(description="Block number.", examples=[1234])
    hash: str = Field(description="Block hash.", examples=["0x" + "ab" * 32])
    timestamp: int = Field(description="Block time, Unix seconds.", examples=[1795334400])
    time: str = Field(description="Block time, ISO 8601 UTC.", examples=["2026-11-22T08:00:00Z"])

    @classmethod
    def of(cls, ref: BlockRef) -> BlockInfo:
        return cls(number=ref.number, hash=ref.hash, timestamp=ref.timestamp, time=_iso(ref.timestamp))


class AnchorFacts(_Model):
    """The anchor of the credential's Merkle root, as recorded on chain (and where the bundle says it was mined)."""

    merkle_root: str = Field(description="The anchored root.", examples=["0x" + "12" * 32])
    issuer_id: int = Field(description="The issuer that anchored it.", examples=[1])
    key_id: int = Field(description="Compact id of the signing key that anchored it.", examples=[1])
    signing_key: str = Field(
        description="Address of that signing key.", examples=["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]
    )
    anchored_at: int = Field(description="Anchor time (block time), Unix seconds.", examples=[1795334400])
    leaf_count: int = Field(description="Credentials under the root.", examples=[1024])
    credential_type: str = Field(
        description="The credential type the root was anchored as (keccak256 of credreg:type:<name>).",
        examples=["0x" + "34" * 32],
    )
    expires_at: int | None = Field(description="On-chain expiry (Unix seconds), or null for none.", examples=[None])
    transaction_hash: str | None = Field(
        description="The anchoring transaction as the chain records it (null when this verifier cannot look it up; "
        "the bundle's own claim is never repeated unchecked).",
        examples=["0x" + "56" * 32],
    )
    block_number: int | None = Field(
        description="The anchoring block as the chain records it (null when it could not be confirmed).",
        examples=[1200],
    )


class IssuerFacts(_Model):
    """Who issued the credential and who accredited them (current records; accreditation was enforced when the
    root was anchored)."""

    issuer_id: int = Field(examples=[1])
    identity: str = Field(
        description="The issuer's registered identity now (a DID or https profile); the document may name one the "
        "issuer held before (the issuer check says so).",
        examples=["did:web:demo-university.credreg.test"],
    )
    registered_name: str | None = Field(
        default=None,
        description="The issuer's registered name, when the credential shows it and the registry confirms it (the "
        "registry keeps keccak256(JCS({id, name})) as the issuer's metadata hash, not the name itself); null when "
        "not shown or not confirmed.",
        examples=["University of Example"],
    )
    status: str = Field(description="The issuer's accreditation status now.", examples=["active"])
    status_changed_at: int = Field(description="When that status was set, Unix seconds.", examples=[1795300000])
    max_level: int = Field(description="Highest NQF level the issuer is accredited for.", examples=[10])
    body_id: int = Field(description="The accreditation body that accredited the issuer.", examples=[1])
    body_identity: str | None = Field(
        description="The body's registered identity.", examples=["did:web:demo-quality-council.credreg.test"]
    )
    body_status: str | None = Field(description="The body's accreditation status now.", examples=["active"])


class StatusFacts(_Model):
    """The credential's lifecycle status as of the verdict's block."""

    status: str = Field(description="active, suspended, superseded or revoked.", examples=["active"])
    reason_code: int = Field(description="The issuer's reason code for the last change (0: none).", examples=[0])
    since: int = Field(description="Since when (Unix seconds).", examples=[1795334400])
    scope: str = Field(description="root: the whole batch; credential: this credential only.", examples=["root"])
    replacement_root: str | None = Field(
        description="For a superseded credential: the root of its replacement.", examples=[None]
    )
    replacement_hash: str | None = Field(
        description="For a superseded credential: the credential hash of its replacement (null when a whole root "
        "replaces the whole root).",
        examples=[None],
    )


class Verdict(_Model):
    """Is this credential valid, and why (every check, in order)."""

    valid: bool = Field(description="True only when every check passed.", examples=[True])
    summary: str = Field(
        description="One sentence for a person: what the credential is, or the first reason it is not valid.",
        examples=[
            "Valid: a formal-qualification credential of issuer #1 (did:web:demo-university.credreg.test), "
            "anchored 2026-11-22 08:00:00 UTC; not revoked, suspended, superseded or expired as of block 1234."
        ],
    )
    credential_hash: str | None = Field(description="The credential hash (when readable).", examples=["0x" + "9a" * 32])
    credential_type: str | None = Field(
        description="The credential type and version the document names.", examples=["formal-qualification v1"]
    )
    checks: list[Check] = Field(description="Every check, in the order run.")
    as_of_block: BlockInfo | None = Field(description="The chain state the verdict is based on.")
    checked_at: int = Field(
        description="The time expiry was judged at (Unix seconds): the later of the block time and the verifier's "
        "clock.",
        examples=[1795334460],
    )
    chain_id: int = Field(description="The chain this verifier trusts.", examples=[472019])
    registry: str = Field(
        description="The registry contract this verifier trusts.",
        examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"],
    )
    hidden_fields: list[str] = Field(
        default_factory=list,
        description="Fields the holder chose not to show (their hashes still count).",
        examples=[["/credentialSubject/learner/identity/number"]],
    )
    claims: list[ClaimShown] = Field(
        default_factory=list,
        description="The credential's main claims as shown (learner, title, level, credits, ...), once its fields are "
        "known to match their hashes; hidden claims are not listed.",
    )
    notices: list[str] = Field(
        default_factory=list,
        description="What an employer should know beside the checks: what the registry does not vouch for (e.g. the "
        "institution's name as the issuer wrote it), what could not be compared because it is hidden.",
    )
    anchor: AnchorFacts | None = Field(default=None, description="The anchor, when the root is anchored.")
    issuer: IssuerFacts | None = Field(default=None, description="The issuer, when the anchor was found.")
    credential_status: StatusFacts | None = Field(default=None, description="Lifecycle status, when read.")

    def check(self, name: CheckName | str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if c.status is CheckStatus.INVALID), None)


class BatchVerdicts(_Model):
    """Verdicts of a batch, in the order the bundles were given."""

    count: int = Field(description="Bundles verified.", examples=[2])
    valid_count: int = Field(description="How many of them are valid.", examples=[1])
    as_of_block: BlockInfo | None = Field(description="The one chain state every verdict of the batch is based on.")
    verdicts: list[Verdict] = Field(description="One verdict per bundle, in order.")


class CredentialStatusReport(_Model):
    """Quick status of a credential issued through this node (no bundle needed)."""

    credential_hash: str = Field(examples=["0x" + "9a" * 32])
    merkle_root: str = Field(description="The root it was anchored under.", examples=["0x" + "12" * 32])
    status: str = Field(description="active, suspended, superseded or revoked.", examples=["active"])
    reason_code: int = Field(description="Reason code of the last change (0: none).", examples=[0])
    since: int = Field(description="Since when, Unix seconds.", examples=[1795334400])
    replacement_root: str | None = Field(description="Replacement root, when superseded.", examples=[None])
    replacement_hash: str | None = Field(description="Replacement credential hash, when superseded.", examples=[None])
    issuer_id: int = Field(examples=[1])
    anchored_at: int = Field(description="Anchor time, Unix seconds.", examples=[1795334400])
    expires_at: int | None = Field(description="On-chain expiry, Unix seconds (null: none).", examples=[None])
    expired: bool = Field(description="True when the on-chain expiry has passed.", examples=[False])
    as_of_block: BlockInfo


# --- reading the chain once per run -----------------------------------------------------------------------------


class _Reader:
    """One verification run's view of the chain: one snapshot, every record asked at most once."""

    def __init__(self, view: ChainView) -> None:
        self.view = view.snapshot()
        self.as_of = self.view.as_of()
        self._memo: dict[tuple[str, Hashable], Any] = {}

    def _once(self, kind: str, key: K, fn: Callable[[K], T]) -> T:
        slot = (kind, key)
        if slot not in self._memo:
            self._memo[slot] = fn(key)
        result: T = self._memo[slot]
        return result

    def anchor(self, root: bytes) -> AnchorRecord | None:
        return self._once("anchor", root, self.view.anchor)

    def key(self, key_id: int) -> KeyRecord | None:
        return self._once("key", key_id, self.view.key)

    def issuer(self, issuer_id: int) -> IssuerRecord | None:
        return self._once("issuer", issuer_id, self.view.issuer)

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return self._once("issuer_types", issuer_id, self.view.issuer_types)

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        return self._once("issuer_identities", issuer_id, self.view.issuer_identities)

    def body(self, body_id: int) -> BodyRecord | None:
        return self._once("body", body_id, self.view.body)

    def body_types(self, body_id: int) -> list[bytes]:
        return self._once("body_types", body_id, self.view.body_types)

    def block(self, number: int) -> BlockRef | None:
        return self._once("block", number, self.view.block)

    def anchor_transaction(self, root: bytes) -> AnchorTx | None:
        return self._once("anchor_tx", root, self.view.anchor_transaction)

    def leaf_state(self, root: bytes, credential_hash: bytes, proof: list[bytes]) -> LeafState:
        return self.view.leaf_state(root, credential_hash, proof)


# --- the service ------------------------------------------------------------------------------------------------


class VerificationService:
    """Verdicts for bundles against one trusted chain id and registry, read through any ChainView."""

    def __init__(
        self, view: ChainView, chain_id: int, registry: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        if view.chain_id != chain_id or view.registry_address.lower() != registry.lower():
            raise ChainMismatchError(
                f"the chain view answers for chain {view.chain_id}, registry {view.registry_address}, but this "
                f"verifier is to trust chain {chain_id}, registry {registry}: point it at that chain and registry."
            )
        self.view = view
        self.chain_id = chain_id
        self.registry = registry
        self._clock = clock

    @property
    def needs_io(self) -> bool:
        """True when answering reads the chain (RPC): callers on an event loop should use a worker thread."""
        return not getattr(self.view, "in_memory", False)

    def verify(self, bundle: Mapping[str, Any] | str | bytes) -> Verdict:
        """The verdict for one bundle (a parsed JSON object, or the file's text)."""
        return self._verify(_Reader(self.view), bundle)

    def verify_many(self, bundles: Sequence[Mapping[str, Any] | str | bytes]) -> BatchVerdicts:
        """Verdicts for up to :data:`MAX_BATCH` bundles, in order, all against one chain snapshot."""
        if len(bundles) > MAX_BATCH:
            raise ValidationFailedError(
                f"{len(bundles):,} bundles in one batch; at most {MAX_BATCH:,} are verified at once. "
                "Split them into several batches."
            )
        reader = _Reader(self.view)
        verdicts = [self._verify(reader, b) for b in bundles]
        return BatchVerdicts(
            count=len(verdicts),
            valid_count=sum(v.valid for v in verdicts),
            as_of_block=BlockInfo.of(reader.as_of),
            verdicts=verdicts,
        )

    # --- one bundle -----------------------------------------------------------------------------------------

    def _verify(self, reader: _Reader, bundle: Mapping[str, Any] | str | bytes) -> Verdict:
        at = max(reader.as_of.timestamp, int(self._clock()))
        base: dict[str, Any] = {
            "as_of_block": BlockInfo.of(reader.as_of),
            "checked_at": at,
            "chain_id": self.chain_id,
            "registry": self.registry,
        }
        try:
            parsed = read_bundle(bundle, disclosure=False)
        except BundleReadError as exc:
            failed = _check(CheckName.FORMAT, CheckStatus.INVALID, exc.code, exc.detail, exc.fields)
            return Verdict(
                valid=False,
                summary=f"Not valid: {failed.message}",
                credential_hash=None,
                credential_type=None,
                checks=[failed, *_skip_all(CheckName.FORMAT, "the file could not be read as a credential")],
                **base,
            )
        checks: list[Check] = [
            _check(
                CheckName.FORMAT,
                CheckStatus.VALID,
                "OK",
                f"The file is a well-formed credreg credential bundle ({parsed.type_label}), read the one strict way.",
            )
        ]
        stated_hash = parsed.proof.credential_hash
        try:
            judge_disclosure(parsed)
        except BundleReadError as exc:
            failed = _check(CheckName.DISCLOSURE, CheckStatus.INVALID, exc.code, exc.detail, exc.fields)
            return Verdict(
                valid=False,
                summary=f"Not valid: {failed.message}",
                credential_hash=stated_hash,
                credential_type=parsed.type_label,
                checks=[*checks, failed, *_skip_all(CheckName.DISCLOSURE, "the holder's disclosure is not allowed")],
                hidden_fields=list(parsed.hidden_fields),
                **base,
            )
        checks.append(_disclosure_check(parsed))
        try:
            integrity = verify_integrity(parsed.document)
        except ValidationFailedError as exc:  # a value that cannot be hashed
            integrity = IntegrityResult((IntegrityCheck("format", "failed", exc.detail),))
        format_failure = next((c for c in integrity.checks if c.name == "format" and not c.passed), None)
        if format_failure is not None:
            failed = _check(CheckName.INTEGRITY, CheckStatus.INVALID, "MALFORMED_PROOF", format_failure.message)
            return Verdict(
                valid=False,
                summary=f"Not valid: {failed.message}",
                credential_hash=stated_hash,
                credential_type=parsed.type_label,
                checks=[*checks, failed, *_skip_all(CheckName.INTEGRITY, "the credential's proof could not be read")],
                **base,
            )
        checks.append(_integrity_check(integrity, parsed))
        integrity_ok = checks[-1].status is CheckStatus.VALID
        anchor_info = parsed.proof.anchor
        if anchor_info is None:
            checks.append(_skipped(CheckName.CHAIN, "the bundle has no anchor (it was never anchored)"))
        else:
            checks.append(self._chain_check(anchor_info.chain_id, anchor_info.registry))
        chain_ok = checks[-1].status is CheckStatus.VALID

        anchor: AnchorRecord | None = None
        anchor_facts: AnchorFacts | None = None
        issuer_facts: IssuerFacts | None = None
        status_facts: StatusFacts | None = None
        if not integrity_ok:
            reason = "the credential does not match its own proof, so its anchor proves nothing about it"
            checks += _skip_all(CheckName.CHAIN, reason, upto=CheckName.EXPIRY)
        elif not chain_ok or anchor_info is None:
            checks += _skip_all(
                CheckName.CHAIN, "the bundle is not from the chain and registry trusted here", upto=CheckName.EXPIRY
            )
        else:
            root = integrity.merkle_root
            credential_hash = integrity.credential_hash
            assert root is not None and credential_hash is not None  # integrity passed
            anchor = reader.anchor(root)
            anchor_check, anchor_facts = _anchor_check(
                reader, anchor, root, anchor_info.block_number, anchor_info.transaction_hash
            )
            checks.append(anchor_check)
            if anchor is None or anchor_check.status is not CheckStatus.VALID:
                checks += _skip_all(
                    CheckName.ANCHOR, "the root is not anchored in the trusted registry", upto=CheckName.EXPIRY
                )
            else:
                issuer_check, issuer_facts = _issuer_check(reader, anchor, parsed)
                checks.append(issuer_check)
                checks.append(_key_check(reader, anchor))
                proof = [bytes.fromhex(p[2:]) for p in anchor_info.merkle_proof]
                state = reader.leaf_state(root, credential_hash, proof)
                status_check, status_facts = _status_check(state, anchor, reader.as_of)
                checks.append(status_check)
                checks.append(_expiry_check(anchor, parsed, at))
        checks.append(_schema_check(parsed, integrity, integrity_ok))

        valid = all(c.status is CheckStatus.VALID for c in checks if c.name in REQUIRED) and not any(
            c.status is CheckStatus.INVALID for c in checks
        )
        claims = (
            [ClaimShown(label=c.label, path=c.path, value=c.value) for c in parsed.claims()] if integrity_ok else []
        )
        return Verdict(
            valid=valid,
            summary=_summary(valid, checks, parsed, anchor, issuer_facts, reader.as_of),
            claims=claims,
            notices=_notices(parsed, issuer_facts) if integrity_ok else [],
            credential_hash=(
                to_hex(integrity.credential_hash) if integrity.credential_hash else parsed.proof.credential_hash.lower()
            ),
            credential_type=parsed.type_label,
            checks=checks,
            hidden_fields=list(integrity.hidden_fields),
            anchor=anchor_facts,
            issuer=issuer_facts,
            credential_status=status_facts,
            **base,
        )

    def _chain_check(self, chain_id: int, registry: str) -> Check:
        if chain_id != self.chain_id:
            return _check(
                CheckName.CHAIN,
                CheckStatus.INVALID,
                "WRONG_CHAIN",
                f"The credential says it was anchored on chain {chain_id}, but this verifier trusts chain "
                f"{self.chain_id}. It cannot be confirmed here; verify it against a node of chain {chain_id} only if "
                "you trust that network.",
            )
        if registry.lower() != self.registry.lower():
            return _check(
                CheckName.CHAIN,
                CheckStatus.INVALID,
                "WRONG_REGISTRY",
                f"The credential says it was anchored in registry {registry}, but this verifier trusts registry "
                f"{self.registry} on chain {chain_id}. Another registry's anchors mean nothing here: anyone can deploy "
                "a registry. Verify it against that registry only if you trust it.",
            )
        return _check(
            CheckName.CHAIN,
            CheckStatus.VALID,
            "OK",
            f"The credential was anchored on chain {chain_id} in registry {self.registry}, the ones trusted here.",
        )


# --- the checks -------------------------------------------------------------------------------------------------


def _disclosure_check(parsed: ReadBundle) -> Check:
    hidden = parsed.hidden_fields
    if not hidden:
        return _check(CheckName.DISCLOSURE, CheckStatus.VALID, "OK", "Every field is shown; nothing is hidden.")
    return _check(
        CheckName.DISCLOSURE,
        CheckStatus.VALID,
        "FIELDS_HIDDEN",
        f"The holder hid {len(hidden)} field{'s' if len(hidden) != 1 else ''} ({', '.join(hidden)}), all of which "
        f"the {parsed.type_label} disclosure policy lets a holder hide; their hashes still count.",
        hidden,
    )


def _notices(parsed: ReadBundle, issuer: IssuerFacts | None) -> list[str]:
    """What the verdict's reader should know beside the checks (said whether or not the credential is valid)."""
    notices: list[str] = []
    if issuer is None:
        return notices
    registered = issuer.registered_name
    behind = f"issuer #{issuer.issuer_id}, registered as {issuer.identity}"
    if registered is not None:
        behind = f"{registered!r} ({behind})"
    elif parsed.issuer_name is not None:
        notices.append(
            f"The credential calls its issuer {parsed.issuer_name!r} (/issuer/name), but that is not the name the "
            f"registry holds for {behind} (the registry's hash of its registered name does not match): rely on "
            "the registered identity, not that name."
        )
    text = parsed.issuer_text
    if text is not None and text[1] != registered:
        path, value = text
        notices.append(
            f"The credential's own text names the institution {value!r} ({path}), which is not the issuer's "
            f"registered name: that text is the issuer's wording, which the registry does not vouch for. The "
            f"accredited issuer behind this credential is {behind}."
        )
    if parsed.level_hidden:
        notices.append(
            "The holder hid the NQF level, so it could not be compared with the issuer's accredited maximum; ask "
            "the holder to show it if the level matters."
        )
    return notices


def _integrity_check(result: IntegrityResult, parsed: ReadBundle) -> Check:
    by_name = {c.name: c for c in result.checks}
    fields, hashed, merkle = by_name.get("fields"), by_name.get("credentialHash"), by_name.get("merkleProof")
    if fields is not None and fields.status == "failed":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "FIELDS_ALTERED", fields.message, list(fields.fields))
    if hashed is not None and hashed.status == "failed":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "CREDENTIAL_HASH_MISMATCH", hashed.message)
    if hashed is not None and hashed.status == "skipped":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "FIELDS_ALTERED", hashed.message)
    if merkle is not None and merkle.status == "failed":
        code = "NOT_ANCHORED" if parsed.proof.anchor is None else "MERKLE_PROOF_INVALID"
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, code, merkle.message)
    hidden = len(result.hidden_fields)
    shown = len(result.shown_fields)
    return _check(
        CheckName.INTEGRITY,
        CheckStatus.VALID,
        "OK",
        f"All {shown} shown fields match their hashes"
        + (f" ({hidden} hidden by the holder; their hashes still count)" if hidden else "")
        + ", they add up to the credential hash, and the Merkle proof leads from it to the root "
        f"{to_hex(result.merkle_root) if result.merkle_root else '?'}.",
    )


def _anchor_check(
    reader: _Reader, anchor: AnchorRecord | None, root: bytes, block_number: int, tx_hash: str
) -> tuple[Check, AnchorFacts | None]:
    if anchor is None:
        if block_number > reader.as_of.number:
            return (
                _check(
                    CheckName.ANCHOR,
                    CheckStatus.INVALID,
                    "ANCHOR_NOT_YET_SEEN",
                    f"The bundle says its root was anchored in block {block_number}, but this verifier has only seen "
                    f"the chain up to block {reader.as_of.number}. Try again in a moment.",
                ),
                None,
            )
        return (
            _check(
                CheckName.ANCHOR,
                CheckStatus.INVALID,
                "ROOT_NOT_ANCHORED",
                f"The root {to_hex(root)} is not anchored in the trusted registry (as of block {reader.as_of.number}). "
                "The bundle's anchor details are false, or the chain it was anchored on was reset. Ask the issuer.",
            ),
            None,
        )
    bundle_tx = tx_hash.lower()
    where = f"block {block_number}, transaction {bundle_tx}"
    on_chain = reader.anchor_transaction(root)
    confirmed_tx: str | None = None
    confirmed_block: int | None = None
    if on_chain is not None:
        confirmed_tx, confirmed_block = on_chain.tx_hash, on_chain.block_number
        chain_where = f"block {on_chain.block_number}, transaction {on_chain.tx_hash}"
        if (on_chain.tx_hash, on_chain.block_number) == (bundle_tx, block_number):
            note = f" The chain's record of the anchor ({chain_where}) is the one the bundle gives."
        else:
            note = (
                f" Note: the bundle records {where}, but the chain anchored this root in {chain_where}: the bundle's "
                "transaction details are wrong (e.g. stale after a chain reorganisation). The anchor on chain is what "
                "counts, and the verdict gives the chain's record."
            )
    else:
        block = reader.block(block_number) if block_number <= reader.as_of.number else None
        if block is not None and block.timestamp == anchor.anchored_at:
            # block times strictly increase along a chain: the one block whose time is the anchor time anchored it
            confirmed_block = block_number
            note = (
                f" The bundle's block {block_number} is the anchoring block (its time is the anchor time); this "
                "verifier cannot look up the transaction, so the verdict does not give one."
            )
        else:
            note = (
                f" The bundle records {where}; this verifier could not confirm that with the chain, so the verdict "
                "gives neither. The anchor on chain is what counts."
            )
    facts = AnchorFacts(
        merkle_root=to_hex(root),
        issuer_id=anchor.issuer_id,
        key_id=anchor.key_id,
        signing_key=anchor.key,
        anchored_at=anchor.anchored_at,
        leaf_count=anchor.leaf_count,
        credential_type=to_hex(anchor.credential_type),
        expires_at=anchor.expires_at or None,
        transaction_hash=confirmed_tx,
        block_number=confirmed_block,
    )
    message = (
        f"The root was anchored by issuer #{anchor.issuer_id} with signing key {anchor.key} on "
        f"{_when(anchor.anchored_at)} ({anchor.leaf_count} credential{'s' if anchor.leaf_count != 1 else ''} "
        f"under it).{note}"
    )
    return _check(CheckName.ANCHOR, CheckStatus.VALID, "OK", message), facts


def _issuer_check(reader: _Reader, anchor: AnchorRecord, parsed: ReadBundle) -> tuple[Check, IssuerFacts | None]:
    def invalid(code: str, message: str, fields: Sequence[str] = ()) -> Check:
        return _check(CheckName.ISSUER, CheckStatus.INVALID, code, message, list(fields))

    issuer = reader.issuer(anchor.issuer_id)
    if issuer is None or issuer.status is AccreditationStatus.NONE:
        return invalid(
            "ISSUER_UNKNOWN", f"Issuer #{anchor.issuer_id}, which anchored the root, is not in the registry."
        ), None
    body = reader.body(issuer.body_id)
    name = parsed.issuer_name
    confirmed = (
        name is not None
        and parsed.issuer_ref == issuer.metadata_uri
        and issuer.metadata_hash == issuer_metadata_hash(issuer.metadata_uri, name)
    )
    facts = IssuerFacts(
        issuer_id=issuer.issuer_id,
        identity=issuer.metadata_uri,
        registered_name=name if confirmed else None,
        status=issuer.status.name.lower(),
        status_changed_at=issuer.status_changed_at,
        max_level=issuer.max_level,
        body_id=issuer.body_id,
        body_identity=body.metadata_uri if body is not None else None,
        body_status=body.status.name.lower() if body is not None else None,
    )
    current = issuer.metadata_uri
    who = f"issuer #{issuer.issuer_id} ({current})"
    # an identity the issuer has replaced since still names it: its earlier credentials keep the old one. Only this
    # issuer's own history counts (another issuer taking the old identity over later does not matter)
    former = parsed.issuer_ref != current
    held = reader.issuer_identities(issuer.issuer_id) if former else (current,)
    if parsed.issuer_ref not in held:
        history = (
            "which has never been registered under that identity"
            if held
            else "and the chain view used here knows only its current identity (e.g. a checkpoint made before "
            "identity histories were recorded); if the issuer may have changed its identity since, verify against a "
            "node of the chain or a new checkpoint"
        )
        return invalid(
            "ISSUER_MISMATCH",
            f"The credential names its issuer as {parsed.issuer_ref!r}, but it was anchored by {who}, {history}. "
            "A credential is only worth what the issuer that anchored it is worth; do not accept it as coming from "
            f"{parsed.issuer_ref!r}.",
            ["/issuer/id"],
        ), facts
    type_id = type_id_bytes32(parsed.type_name)
    if anchor.credential_type != type_id:
        anchored_as = _type_name(anchor.credential_type)
        return invalid(
            "TYPE_MISMATCH",
            f"The credential says it is a {parsed.type_name} credential, but its root was anchored as "
            f"{anchored_as}. An issuer accredited for one type cannot vouch for another; do not accept it.",
            ["/credentialSchema/id"],
        ), facts
    if type_id not in reader.issuer_types(issuer.issuer_id):
        return invalid(
            "TYPE_OUT_OF_SCOPE",
            f"{who} is not accredited for {parsed.type_name} credentials; do not accept it.",
        ), facts
    if body is None or body.status is AccreditationStatus.NONE:
        return invalid(
            "BODY_UNKNOWN", f"Body #{issuer.body_id}, which accredited {who}, is not in the registry."
        ), facts
    if type_id not in reader.body_types(body.body_id):
        return invalid(
            "TYPE_OUT_OF_SCOPE",
            f"Body #{body.body_id} ({body.metadata_uri}), which accredited {who}, is not itself accredited for "
            f"{parsed.type_name} credentials; do not accept it.",
        ), facts
    level, level_path = parsed.level, parsed.policy.level_field
    if level is not None and level > issuer.max_level:
        return invalid(
            "LEVEL_OUT_OF_SCOPE",
            f"The credential is at NQF level {level}, above level {issuer.max_level}, the highest {who} is "
            "accredited for. Do not accept it at that level.",
            [level_path] if level_path else [],
        ), facts
    if level is not None and level > body.max_level:
        return invalid(
            "LEVEL_OUT_OF_SCOPE",
            f"The credential is at NQF level {level}, above level {body.max_level}, the highest body "
            f"#{body.body_id} ({body.metadata_uri}), which accredited {who}, is accredited for. Do not accept it at "
            "that level.",
            [level_path] if level_path else [],
        ), facts
    anchored = anchor.anchored_at
    parties: list[tuple[str, IssuerRecord | BodyRecord]] = [
        (f"Issuer #{issuer.issuer_id}", issuer),
        (f"Body #{body.body_id}", body),
    ]
    for party, record in parties:
        if not _within(anchored, record.valid_from, record.valid_until):
            return invalid(
                "NOT_ACCREDITED_AT_ANCHOR",
                f"{party}'s accreditation window does not cover the anchor time {_when(anchored)}, which the "
                "registry should have refused. Do not accept it; report this to the registry's operators.",
            ), facts
        # strictly before: a change in the anchor's own second came after it (the contract refuses anchors otherwise)
        if record.status is not AccreditationStatus.ACTIVE and record.status_changed_at < anchored:
            return invalid(
                "NOT_ACCREDITED_AT_ANCHOR",
                f"{party} was {record.status.name.lower()} from {_when(record.status_changed_at)}, before the anchor "
                f"on {_when(anchored)}, which the registry should have refused. Do not accept it.",
            ), facts
    level_text = (
        f"; the credential's NQF level {level} is within it"
        if level is not None
        else (
            "; the holder hid the credential's NQF level, so it was not compared with that maximum"
            if parsed.level_hidden
            else ""
        )
    )
    issued_by = (
        f"Issued by issuer #{issuer.issuer_id} under its former identity {parsed.issuer_ref}; it is registered as "
        f"{current} now (the registry records the change, so it is the same issuer). It is accredited"
        if former
        else f"Issued by {who}, accredited"
    )
    message = (
        f"{issued_by} by body #{body.body_id} ({body.metadata_uri}) under the registry's "
        f"governance for {parsed.type_name} credentials up to NQF level {issuer.max_level}{level_text}. "
        "The registry only lets accredited issuers anchor, so the issuer was accredited when it anchored this."
    )
    code = "FORMER_IDENTITY" if former else "OK"
    for party, record in parties:
        if record.status is not AccreditationStatus.ACTIVE:
            code = "ACCREDITATION_CHANGED_AFTER_ANCHOR"
            message += (
                f" {party} was {record.status.name.lower()} on {_when(record.status_changed_at)}, after this "
                f"credential was anchored on {_when(anchored)}: that is not retroactive, so credentials anchored "
                "before it stay valid (it only stops new ones)."
            )
    return _check(CheckName.ISSUER, CheckStatus.VALID, code, message), facts


def _key_check(reader: _Reader, anchor: AnchorRecord) -> Check:
    key = reader.key(anchor.key_id)
    if key is None:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_UNKNOWN",
            f"The signing key #{anchor.key_id} that anchored the root is not in the registry; do not accept it.",
        )
    if key.issuer_id != anchor.issuer_id or key.key.lower() != anchor.key.lower():
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_MISMATCH",
            f"The signing key {anchor.key} is not a key of issuer #{anchor.issuer_id}; do not accept it.",
        )
    anchored = anchor.anchored_at
    if key.compromised_at and key.compromised_at <= anchored:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_COMPROMISED",
            f"The signing key {key.key} was declared compromised from {_when(key.compromised_at)}, at or before this "
            f"anchor on {_when(anchored)}: anything it anchored from then on is not trusted. Ask the issuer to "
            "re-issue the credential.",
        )
    if anchored < key.valid_from:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_NOT_VALID_AT_ANCHOR",
            f"The signing key {key.key} is valid only from {_when(key.valid_from)}, after this anchor on "
            f"{_when(anchored)}, which the registry should have refused. Do not accept it.",
        )
    message = (
        f"Anchored with signing key {key.key} of issuer #{key.issuer_id}, which was not cut off at the anchor time"
    )
    notes: list[str] = []
    if key.compromised_at:
        notes.append(
            f"the key was declared compromised from {_when(key.compromised_at)}, after this anchor: anchors made "
            "before the cut-off stay valid"
        )
    if not _within(anchored, key.valid_from, key.valid_until):  # retired later, from a time before this anchor
        notes.append(
            f"the key's window is now {_when(key.valid_from)} to {_until(key.valid_until)} (it was retired); "
            "retirement is not retroactive, only a compromise cut-off is"
        )
    if notes:
        message += "; " + "; ".join(notes)
    return _check(CheckName.KEY, CheckStatus.VALID, "OK", message + ".")


def _status_check(state: LeafState, anchor: AnchorRecord, as_of: BlockRef) -> tuple[Check, StatusFacts]:
    root_level = anchor.status is state.status and anchor.status_since == state.since and state.since > 0
    scope = "root" if root_level and state.status is not CredentialStatus.ACTIVE else "credential"
    facts = StatusFacts(
        status=state.status.name.lower(),
        reason_code=state.reason_code,
        since=state.since,
        scope=scope,
        replacement_root=to_hex(state.replacement_root) if state.replacement_root else None,
        replacement_hash=(
            to_hex(state.replacement_hash) if state.replacement_hash and state.replacement_hash != b"\0" * 32 else None
        ),
    )
    what = "The whole batch this credential belongs to was" if scope == "root" else "This credential was"
    since = f"on {_when(state.since)} ({reason_text(state.reason_code)})"
    as_of_text = f"as of block {as_of.number} ({_when(as_of.timestamp)})"
    if state.status is CredentialStatus.REVOKED:
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "REVOKED",
            f"{what} revoked by its issuer {since}; revocation is final. Do not accept it.",
        ), facts
    if state.status is CredentialStatus.SUPERSEDED:
        if facts.replacement_hash:
            replacement = f"credential {facts.replacement_hash} under root {facts.replacement_root}"
        else:
            replacement = f"the credentials under root {facts.replacement_root}"
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "SUPERSEDED",
            f"{what} superseded {since} by {replacement}. Ask the holder for the replacement credential and "
            "verify that one.",
        ), facts
    if state.status is CredentialStatus.SUSPENDED:
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "SUSPENDED",
            f"{what} suspended {since}: it is on hold and may be reinstated. Ask the issuer why, or verify again "
            "later.",
        ), facts
    if state.since > anchor.anchored_at:
        return _check(
            CheckName.STATUS,
            CheckStatus.VALID,
            "REINSTATED",
            f"Not revoked, suspended or superseded {as_of_text}: it was suspended and then reinstated {since}.",
        ), facts
    return _check(
        CheckName.STATUS, CheckStatus.VALID, "OK", f"Not revoked, suspended or superseded {as_of_text}."
    ), facts


def _expiry_check(anchor: AnchorRecord, parsed: ReadBundle, at: int) -> Check:
    if anchor.expires_at and at >= anchor.expires_at:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "EXPIRED",
            f"Expired on {_when(anchor.expires_at)} (the expiry recorded on chain when it was anchored). "
            "Ask the holder for a current credential.",
        )
    if parsed.valid_until is not None and at >= parsed.valid_until:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "EXPIRED",
            f"Expired on {_when(parsed.valid_until)} (its validUntil). Ask the holder for a current credential.",
            ["/validUntil"],
        )
    if parsed.valid_from > at:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "NOT_YET_VALID",
            f"Not valid before {_when(parsed.valid_from)} (its validFrom). Verify it again from then on.",
            ["/validFrom"],
        )
    ends = [t for t in (anchor.expires_at or None, parsed.valid_until) if t]
    until = f"until {_when(min(ends))}" if ends else "with no expiry"
    return _check(
        CheckName.EXPIRY,
        CheckStatus.VALID,
        "OK",
        f"Not expired at {_when(at)}: valid from {_when(parsed.valid_from)} {until}.",
    )


def _schema_check(parsed: ReadBundle, integrity: IntegrityResult, integrity_ok: bool) -> Check:
    if not integrity_ok:
        return _skipped(CheckName.SCHEMA, "the fields do not match their hashes, so their content says nothing")
    credential_type = parsed.credential_type
    subject = parsed.document.get("credentialSubject", {})
    hidden = integrity.hidden_fields

    def needs_hidden(path: str) -> bool:
        return any(path == h or h.startswith(path + "/") or path.startswith(h + "/") for h in hidden)

    errors = credential_type.check(subject)
    broken = [e for e in errors if not needs_hidden(e.path)]
    if broken:
        return _check(
            CheckName.SCHEMA,
            CheckStatus.INVALID,
            "SCHEMA_INVALID",
            f"The credential breaks the rules of {credential_type.label}: "
            + "; ".join(str(e) for e in broken)
            + ". The issuer must correct and re-issue it.",
            sorted({e.path for e in broken}),
        )
    if hidden:
        return _check(
            CheckName.SCHEMA,
            CheckStatus.VALID,
            "OK_SHOWN_FIELDS",
            f"The shown fields meet the rules of {credential_type.label}; the rules for the {len(hidden)} hidden "
            "field(s) were not checked (SKIPPED: the holder did not show them).",
            list(hidden),
        )
    return _check(
        CheckName.SCHEMA, CheckStatus.VALID, "OK", f"The credential meets the rules of {credential_type.label}."
    )


# --- quick status (GET /v1/status/{credentialHash}) ------------------------------------------------------------


class StatusService:
    """Status of a credential this node issued, by its hash alone: the store gives root and proof, the view the rest."""

    def __init__(self, store: Store, view: ChainView, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._view = view
        self._clock = clock

    def status(self, credential_hash: str) -> CredentialStatusReport:
        if not _HASH.fullmatch(credential_hash):
            raise ValidationFailedError(
                "a credential hash is 0x followed by 64 hexadecimal digits (the proof's credentialHash in the bundle)."
            )
        wanted = credential_hash.lower()
        rows = self._store.list_credentials(credential_hash=wanted, limit=10)
        if not rows:
            raise NotFoundError(
                f"no credential with hash {wanted} was issued through this node. To check a credential from "
                "anywhere, POST its bundle to /v1/verify."
            )
        anchored = [
            r
            for r in rows
            if r.status is OutboxStatus.ANCHORED and r.batch_id is not None and r.merkle_proof is not None
        ]
        if not anchored:
            raise CredentialNotAnchoredError(
                f"credential {wanted} is not anchored yet (it is {rows[0].status.value}); ask again in a few seconds."
            )
        row = anchored[0]
        assert row.batch_id is not None and row.merkle_proof is not None
        batch = self._store.get_batch(row.batch_id)
        if batch.root is None:
            raise CredentialNotAnchoredError(f"credential {wanted} is not anchored yet; ask again in a few seconds.")
        view = self._view.snapshot()
        as_of = view.as_of()
        root = bytes.fromhex(batch.root.removeprefix("0x"))
        anchor = view.anchor(root)
        if anchor is None:
            raise CredentialNotAnchoredError(
                f"credential {wanted} was anchored under root {batch.root}, but this node's view of the chain "
                f"(block {as_of.number}) does not show that anchor yet; ask again in a few seconds."
            )
        proof = [bytes.fromhex(p.removeprefix("0x")) for p in row.merkle_proof]
        state = view.leaf_state(root, bytes.fromhex(wanted[2:]), proof)
        at = max(as_of.timestamp, int(self._clock()))
        return CredentialStatusReport(
            credential_hash=wanted,
            merkle_root=to_hex(root),
            status=state.status.name.lower(),
            reason_code=state.reason_code,
            since=state.since,
            replacement_root=to_hex(state.replacement_root) if state.replacement_root else None,
            replacement_hash=(
                to_hex(state.replacement_hash)
                if state.replacement_hash and state.replacement_hash != b"\0" * 32
                else None
            ),
            issuer_id=anchor.issuer_id,
            anchored_at=anchor.anchored_at,
            expires_at=anchor.expires_at or None,
            expired=bool(anchor.expires_at) and at >= anchor.expires_at,
            as_of_block=BlockInfo.of(as_of),
        )


# --- helpers ----------------------------------------------------------------------------------------------------


def _check(name: CheckName, status: CheckStatus, code: str, message: str, fields: Sequence[str] = ()) -> Check:
    return Check(name=name, status=status, code=code, message=message, fields=list(fields))


def _skipped(name: CheckName, reason: str, code: str = "NOT_CHECKED") -> Check:
    return _check(name, CheckStatus.SKIPPED, code, f"Not checked: {reason}.")


def _skip_all(after: CheckName, reason: str, upto: CheckName = CheckName.SCHEMA) -> list[Check]:
    names = list(CheckName)
    return [_skipped(n, reason) for n in names[names.index(after) + 1 : names.index(upto) + 1]]


def _summary(
    valid: bool,
    checks: list[Check],
    parsed: ReadBundle,
    anchor: AnchorRecord | None,
    issuer: IssuerFacts | None,
    as_of: BlockRef,
) -> str:
    if not valid:
        failure = next((c for c in checks if c.status is CheckStatus.INVALID), None)
        return f"Not valid: {failure.message}" if failure else "Not valid."
    assert anchor is not None and issuer is not None
    named = parsed.issuer_ref
    if issuer.identity != named:
        named += f", registered as {issuer.identity} now"
    shown = [c for c in parsed.claims() if not c.path.endswith("/learner/name")]
    learner = parsed.value("/credentialSubject/learner/name")
    what = ", ".join(f"{c.label.lower()} {_claim_text(c.value)}" for c in shown[:4])
    who = f" of {learner}" if isinstance(learner, str) else ""
    hidden = f" The holder hid {len(parsed.hidden_fields)} field(s)." if parsed.hidden_fields else ""
    if issuer.registered_name is not None:
        named = f"{issuer.registered_name}, {named}"
    return (
        f"Valid: a {parsed.type_name} credential{who} ({what}), issued by issuer #{anchor.issuer_id} ({named}), "
        f"accredited by body #{issuer.body_id} ({issuer.body_identity}) under the registry's governance; anchored "
        f"{_when(anchor.anchored_at)}; not revoked, suspended, superseded or expired as of block {as_of.number} "
        f"({_when(as_of.timestamp)}).{hidden}"
    )


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value[:3]) + (" …" if len(value) > 3 else "")
    return str(value)


def _within(t: int, start: int, end: int) -> bool:
    return start <= t and (end in (0, OPEN_END) or t < end)


def _type_name(type_id: bytes) -> str:
    for t in known_types():
        if t.type_id == type_id:
            return t.name
    return f"an unknown type {to_hex(type_id)}"


def _iso(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _until(timestamp: int) -> str:
    return "no end" if timestamp in (0, OPEN_END) else _when(timestamp)
