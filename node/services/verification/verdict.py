"""The verdict: every check, its status and code, and the facts read; and the helpers that make checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from node.chain.records import ChainBlock
from node.chain.registry import (
    OPEN_END,
)
from node.credentials.keccak import to_hex
from node.credentials.types import known_types

MAX_BATCH = 1000
"""Most bundles one batch verification takes (POST /v1/verify/batch)."""

_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


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
    def of(cls, ref: ChainBlock) -> BlockInfo:
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


def _check(name: CheckName, status: CheckStatus, code: str, message: str, fields: Sequence[str] = ()) -> Check:
    return Check(name=name, status=status, code=code, message=message, fields=list(fields))


def _skipped(name: CheckName, reason: str, code: str = "NOT_CHECKED") -> Check:
    return _check(name, CheckStatus.SKIPPED, code, f"Not checked: {reason}.")


def _skip_all(after: CheckName, reason: str, upto: CheckName = CheckName.SCHEMA) -> list[Check]:
    names = list(CheckName)
    return [_skipped(n, reason) for n in names[names.index(after) + 1 : names.index(upto) + 1]]


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
