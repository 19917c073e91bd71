"""What issuance refuses besides a type's schema, so that nothing is accepted (202) that can never verify:

- **dates in the wrong form**: ``validFrom`` / ``validUntil`` must be ISO 8601 date-times with a time zone
  (:func:`parse_date_time`); a date alone, a time without a zone or a number of seconds does not say which moment
  it is, and is refused with the field named (rule ``format``);
- **an award date in the future** (``awardDate``, ``assessmentDate`` for recognition of prior learning): refused
  when it is later than today's date in the earliest time zone on Earth (UTC+14), i.e. at most one calendar day
  ahead of UTC; that is the only slack, and it also covers a small clock difference (rule ``notInFuture``);
- **anything outside the issuer's accreditation on chain**, judged by :mod:`node.services.accreditation` (the same
  judgement verification makes) from one read of the registry per submission (:func:`read_scope`):
  the credential type must be in the issuer's and its body's scope (``/type``, rule ``accreditedType``), the NQF
  level at most the issuer's and its body's maximum (the type's level field, rule ``accreditedLevel``), the issuer
  and its body
  accredited and active now (``/issuer``, rules ``issuerAccredited``, ``issuerActive``, ``issuerWindow``,
  ``bodyAccredited``, ``bodyActive``, ``bodyWindow``), the identity documents will name one the issuer has held
  (``/issuer/id``, rule ``issuerIdentity``), and the key the batcher will anchor with (the store's
  ``signer_address``) one of the issuer's keys that may anchor now (``/issuer``, rule ``signingKey``).

The registry is read through the indexer's mirror when the node runs one (``node.workers.mirror``: in memory,
microseconds), else over JSON-RPC (:class:`~node.readmodel.chainview.RpcChainView`, pinned to the latest block: six
calls). The mirror can lag the chain by about a block, so a refusal it causes is read again over JSON-RPC before it
is given (an issuer accredited a moment ago is not refused). When the chain cannot be read, the submission is
refused with :class:`~node.errors.ChainUnavailableError` (503), never accepted blindly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import requests
from web3.exceptions import Web3Exception

from node.chain.records import ChainBlock
from node.chain.registry import AccreditationStatus, BodyRecord, IssuerRecord, KeyRecord
from node.credentials.items import ItemProblem
from node.credentials.types import CredentialType, known_types, type_id_bytes32
from node.errors import ChainUnavailableError, RegistryError
from node.readmodel.chainview import RpcChainView
from node.runtime import Node
from node.services.accreditation import (
    Refusal,
    key_refusal,
    level_pointer,
    nqf_level,
    scope_refusal,
    standing_refusal,
)
from node.store import Issuer

# --- the issuer's accreditation on chain --------------------------------------------------------------------------


class AccreditationView(Protocol):
    """What issuance reads of the registry: the ChainView records, plus a signing key by its address."""

    def as_of(self) -> ChainBlock: ...

    def issuer(self, issuer_id: int) -> IssuerRecord | None: ...

    def issuer_types(self, issuer_id: int) -> list[bytes]: ...

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]: ...

    def body(self, body_id: int) -> BodyRecord | None: ...

    def body_types(self, body_id: int) -> list[bytes]: ...

    def key_of(self, address: str) -> KeyRecord | None: ...


@dataclass(frozen=True)
class AccreditationFacts:
    """What the registry says about an issuer, its body and the key the node anchors its credentials with."""

    issuer_id: int
    signer: str
    identity: str
    """The identity (metadata URI) this node writes into the issuer's documents."""
    issuer: IssuerRecord | None
    issuer_types: frozenset[bytes]
    body: BodyRecord | None
    body_types: frozenset[bytes]
    key: KeyRecord | None
    identity_held: bool
    """Whether ``identity`` is the issuer's current identity or one it held before."""
    block: ChainBlock = field(compare=False)
    source: str = field(compare=False)
    """``mirror`` or ``rpc``."""


def read_facts(view: AccreditationView, stored: Issuer, source: str) -> AccreditationFacts:
    """One read of the issuer's records (types, body and its types, the signing key, identities if needed)."""
    block = view.as_of()
    issuer = view.issuer(stored.id)
    known = issuer is not None and issuer.status is not AccreditationStatus.NONE
    body = view.body(issuer.body_id) if issuer is not None and known else None
    held = (
        issuer is not None
        and known
        and (stored.metadata_uri == issuer.metadata_uri or stored.metadata_uri in view.issuer_identities(stored.id))
    )
    return AccreditationFacts(
        issuer_id=stored.id,
        signer=stored.signer_address,
        identity=stored.metadata_uri,
        issuer=issuer if known else None,
        issuer_types=frozenset(view.issuer_types(stored.id)) if known else frozenset(),
        body=body if body is not None and body.status is not AccreditationStatus.NONE else None,
        body_types=frozenset(view.body_types(body.body_id)) if body is not None else frozenset(),
        key=view.key_of(stored.signer_address),
        identity_held=held,
        block=block,
        source=source,
    )


_STANDING_RULES = {
    ("ISSUER_UNKNOWN", "issuer"): "issuerAccredited",
    ("BODY_UNKNOWN", "body"): "bodyAccredited",
    ("NOT_ACTIVE", "issuer"): "issuerActive",
    ("NOT_ACTIVE", "body"): "bodyActive",
    ("OUTSIDE_WINDOW", "issuer"): "issuerWindow",
    ("OUTSIDE_WINDOW", "body"): "bodyWindow",
}

CHAIN_RULES = frozenset(
    {*_STANDING_RULES.values(), "issuerIdentity", "signingKey", "accreditedType", "accreditedLevel"}
)
"""The rules whose problems come from the registry's state (a refusal the mirror gives is read again over RPC)."""


def _standing_advice(refusal: Refusal, issuer_id: int) -> str:
    if refusal.code == "ISSUER_UNKNOWN":
        return (
            f"issuer {issuer_id} of this node is not accredited in the registry, so nothing it issues can be "
            "anchored: the operator must accredit it (POST /v1/issuers) or record it under its on-chain id "
            "(POST /v1/issuers/register)"
        )
    if refusal.party == "body":
        who, what = "the registry's governance", "nothing its issuers issue can be anchored"
    else:
        who, what = "its accreditation body", "nothing it issues can be anchored"
    if refusal.code == "NOT_ACTIVE":
        todo = f"ask {who} to reinstate it"
    elif refusal.code == "OUTSIDE_WINDOW":
        todo = f"{who} must accredit it for a window that covers now"
    else:
        todo = f"{who} must accredit it"
    return f"{refusal.message}, so {what}: {todo}"


@dataclass
class IssuerScope:
    """The accreditation facts of one submission, judged: the issuer's own problems and each item's (memoised per
    (type, level), so a bulk of 10,000 judges a handful of combinations)."""

    facts: AccreditationFacts
    at: int
    """The moment judged (Unix seconds): the later of this machine's clock and the block read."""
    standing: list[ItemProblem]
    _memo: dict[tuple[str, int, int | None], tuple[ItemProblem, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def judge(cls, facts: AccreditationFacts, now: dt.datetime) -> IssuerScope:
        at = max(int(now.timestamp()), facts.block.timestamp)
        problems: list[ItemProblem] = []
        refusal = standing_refusal(facts.issuer, facts.body, at)
        if refusal is not None:
            rule = _STANDING_RULES.get((refusal.code, refusal.party), "issuerAccredited")
            problems.append(ItemProblem("/issuer", rule, _standing_advice(refusal, facts.issuer_id)))
        if facts.issuer is not None and not facts.identity_held:
            problems.append(
                ItemProblem(
                    "/issuer/id",
                    "issuerIdentity",
                    f"issuer {facts.issuer_id} is recorded on this node under an identity it has never held in the "
                    f"registry (there it is {facts.issuer.metadata_uri}), so its credentials would never verify: the "
                    "operator must record it again (POST /v1/issuers/register)",
                )
            )
        if facts.issuer is not None:
            key = key_refusal(facts.key, facts.issuer_id, at)
            if key is not None and not (refusal is not None and key.code == "KEY_NOT_EFFECTIVE"):
                problems.append(
                    ItemProblem(
                        "/issuer",
                        "signingKey",
                        f"this node anchors issuer {facts.issuer_id}'s credentials with the key {facts.signer}, and "
                        f"{key.message}: the operator must give the issuer a valid signing key "
                        f"(POST /v1/issuers/{facts.issuer_id}/keys with useForSigning, or keys/rotate)",
                    )
                )
        return cls(facts, at, problems)

    @property
    def judges_items(self) -> bool:
        """False when the issuer or its body is not in the registry at all (its standing problem says it all)."""
        return self.facts.issuer is not None and self.facts.body is not None

    def item_problems(self, credential_type: CredentialType, subject: object) -> tuple[ItemProblem, ...]:
        """The problems of one credential of a known type: its type and level against the accreditation."""
        if not self.judges_items:
            return ()
        level = nqf_level(credential_type, subject)
        memo_key = (credential_type.name, credential_type.version, level)
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = self._judge_item(credential_type, level)
        return found

    def _judge_item(self, credential_type: CredentialType, level: int | None) -> tuple[ItemProblem, ...]:
        facts, type_name = self.facts, credential_type.name
        refusal = scope_refusal(facts.issuer, facts.issuer_types, facts.body, facts.body_types, type_name, level)
        if refusal is None or facts.issuer is None or facts.body is None:
            return ()
        if refusal.code == "LEVEL_OUT_OF_SCOPE":
            pointer = level_pointer(credential_type) or "/credentialSubject"
            if refusal.party == "body":
                whose = f"body {facts.body.body_id}, which accredited issuer {facts.issuer_id}, is accredited for"
                highest = facts.body.max_level
            else:
                whose, highest = f"issuer {facts.issuer_id} is accredited for", facts.issuer.max_level
            return (
                ItemProblem(pointer, "accreditedLevel", f"must be at most {highest}, the highest NQF level {whose}"),
            )
        if refusal.code == "TYPE_OUT_OF_SCOPE":
            allowed = self.accredited_types()
            offer = f"; it may issue: {', '.join(allowed)}" if allowed else ""
            return (ItemProblem("/type", "accreditedType", f"is not accredited: {refusal.message}{offer}"),)
        return ()

    def accredited_types(self) -> list[str]:
        """The known credential types both the issuer and its body are accredited for."""
        both = self.facts.issuer_types & self.facts.body_types
        return sorted({t.name for t in known_types() if type_id_bytes32(t.name) in both})

    def confirmable(self, rules: set[str]) -> bool:
        """Whether a refusal with these rules should be read again over JSON-RPC (the mirror may lag the chain)."""
        return self.facts.source == "mirror" and bool(rules & CHAIN_RULES)


_READ_FAULTS: tuple[type[BaseException], ...] = (
    RegistryError,
    Web3Exception,
    requests.RequestException,
    ConnectionError,
    TimeoutError,
)


def read_scope(node: Node, stored: Issuer, now: dt.datetime, *, rpc: bool = False) -> IssuerScope:
    """The issuer's accreditation, judged at ``now``: from the indexer's mirror when the node runs one (unless
    ``rpc``), else over JSON-RPC; ChainUnavailableError (503) when the chain cannot be read."""
    mirror = node.workers.mirror
    if not rpc and mirror is not None:
        return IssuerScope.judge(read_facts(mirror.snapshot(), stored, "mirror"), now)
    try:
        facts = read_facts(RpcChainView(node.registry).snapshot(), stored, "rpc")
    except _READ_FAULTS as exc:
        raise ChainUnavailableError(
            f"the registry could not be read to check issuer {stored.id}'s accreditation ({type(exc).__name__}), "
            "so nothing was accepted (a credential is only accepted once its issuer is known to be accredited for "
            "it): try again in a moment; if it persists, the operator should check the node's JSON-RPC endpoint."
        ) from exc
    return IssuerScope.judge(facts, now)
