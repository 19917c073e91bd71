"""Every custom error of the contracts -> the node's error class and one sentence that says what to do.

One table for the whole node: governance and lifecycle acts (:func:`explain`, :func:`explained`), the batcher's
reasons for a failed batch, and anything else that meets a decoded revert (``ContractRevertError.error_name``).
``tests/chain/test_errors.py`` checks the table against the ABI in ``contracts/build``: every custom error of every
contract is mapped, and no mapped name is missing from the ABI.

An entry whose class is :class:`ContractRevertError` itself keeps the class of the refusal it explains (a mined
revert stays a ``TransactionRevertedError``): those errors have no more precise node error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from node.chain.values import OPEN_END, AccreditationStatus, CredentialStatus
from node.errors import (
    AccreditationStateError,
    ContractForbiddenError,
    ContractInputError,
    ContractNotFoundError,
    ContractRevertError,
    InvalidTransitionError,
    ProposalStateError,
    TransactionRevertedError,
)

STATUS_WORDS = {
    CredentialStatus.ACTIVE: "active",
    CredentialStatus.SUSPENDED: "suspended",
    CredentialStatus.SUPERSEDED: "superseded",
    CredentialStatus.REVOKED: "revoked",
}
ACCREDITATION_WORDS = {
    AccreditationStatus.NONE: "not accredited",
    AccreditationStatus.ACTIVE: "active",
    AccreditationStatus.SUSPENDED: "suspended",
    AccreditationStatus.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True)
class Refusal:
    """The arguments of one decoded custom error, read for a sentence (never failing on a missing argument)."""

    args: tuple[object, ...]
    subject: str = "the credential"

    def g(self, i: int) -> str:
        """Argument ``i`` as text."""
        return str(self.args[i]) if len(self.args) > i else "?"

    def h(self, i: int) -> str:
        """Argument ``i`` as 0x hex (bytes)."""
        return _hex(self.args[i]) if len(self.args) > i else "?"

    def w(self, i: int) -> str:
        """Argument ``i`` as a moment (unix seconds; the open end says so)."""
        try:
            return _when(self.args[i])
        except (IndexError, ValueError):
            return "?"


@dataclass(frozen=True)
class ContractErrorEntry:
    error: type[ContractRevertError]
    """The node's error class (ContractRevertError itself: keep the refusal's own class)."""
    sentence: Callable[[Refusal], str]
    """What happened and what to do, from the error's arguments and the subject acted on."""


def _hex(value: object) -> str:
    return "0x" + value.hex() if isinstance(value, bytes | bytearray) else str(value)


def _when(value: object) -> str:
    seconds = int(str(value))
    if seconds >= OPEN_END:
        return "open end"
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _transition(r: Refusal) -> str:
    frm, to = CredentialStatus(int(str(r.args[2]))), CredentialStatus(int(str(r.args[3])))
    now = f"{r.subject} is {STATUS_WORDS[frm]}"
    if frm in (CredentialStatus.REVOKED, CredentialStatus.SUPERSEDED):
        return f"{now}, and that is final: nothing can change it any more (issue a new credential instead)."
    if to is CredentialStatus.ACTIVE:
        return f"{now}: only a suspended credential can be reinstated."
    return f"{now} already: reinstate it first, or revoke / supersede it."


def _accreditation_change(r: Refusal) -> str:
    frm, to = AccreditationStatus(int(str(r.args[1]))), AccreditationStatus(int(str(r.args[2])))
    return (
        f"{r.subject} is {ACCREDITATION_WORDS[frm]} and cannot become {ACCREDITATION_WORDS[to]}: suspend only "
        "what is active, reinstate only what is suspended; a withdrawal is final. (A suspension imposed by "
        "governance is lifted by governance only.)"
    )


E = ContractErrorEntry

CONTRACT_ERRORS: dict[str, ContractErrorEntry] = {
    # --- the credential registry: anchors and status ------------------------------------------------------------
    "CredentialRegistryAlreadyAnchored": E(
        ContractRevertError,
        lambda r: f"root {r.h(0)} is already anchored on this chain: use the existing anchor.",
    ),
    "CredentialRegistryZeroRoot": E(ContractRevertError, lambda r: "a Merkle root of zero anchors nothing."),
    "CredentialRegistryZeroLeafCount": E(
        ContractRevertError, lambda r: "a batch of zero credentials anchors nothing: anchor at least one credential."
    ),
    "CredentialRegistryExpiryNotInFuture": E(
        ContractRevertError,
        lambda r: f"the expiry {r.w(0)} is already in the past: re-issue with a later expiry.",
    ),
    "CredentialRegistrySignatureExpired": E(
        ContractRevertError,
        lambda r: f"the delegated anchoring signature expired at {r.w(0)}: sign it again with a later deadline.",
    ),
    "CredentialRegistryUnknownRoot": E(
        ContractNotFoundError,
        lambda r: f"{r.subject}'s root is not anchored on this chain: check the batch was confirmed on this network.",
    ),
    "CredentialRegistryInvalidProof": E(
        ContractRevertError,
        lambda r: (
            f"the Merkle proof does not lead from credential {r.h(1)} to root {r.h(0)}: use the proof in the "
            "credential's bundle."
        ),
    ),
    "CredentialRegistryZeroCredentialHash": E(
        ContractInputError, lambda r: "a credential hash of zero names no credential."
    ),
    "CredentialRegistryInvalidTransition": E(InvalidTransitionError, _transition),
    "CredentialRegistryInvalidReplacement": E(
        ContractInputError,
        lambda r: (
            "the replacement must be another credential (or batch) that is already anchored: anchor the "
            "replacement first and wait until it shows as anchored."
        ),
    ),
    "CredentialRegistryNotRootIssuer": E(
        ContractForbiddenError,
        lambda r: (
            f"the key {r.g(0)} may not change {r.subject}: it is not a currently valid key of the "
            "issuer (suspended issuer, retired or cut-off key). Add a valid key, or ask governance to act."
        ),
    ),
    # --- the credential registry: accreditation -----------------------------------------------------------------
    "CredentialRegistryNotGovernance": E(
        ContractForbiddenError,
        lambda r: "only governance may do this (e.g. lift a suspension governance imposed): act with a governor key.",
    ),
    "CredentialRegistryNotBodyAdmin": E(
        ContractForbiddenError,
        lambda r: (
            f"the key {r.g(0)} is neither governance nor the admin of body {r.g(1)}: "
            "act through governance or with the body admin's key."
        ),
    ),
    "CredentialRegistryUnknownBody": E(
        ContractNotFoundError,
        lambda r: f"there is no accreditation body {r.g(0)}: list bodies with GET /v1/bodies.",
    ),
    "CredentialRegistryUnknownIssuer": E(
        ContractNotFoundError,
        lambda r: f"there is no issuer {r.g(0)} on chain: list issuers with GET /v1/issuers.",
    ),
    "CredentialRegistryBodyNotActive": E(
        AccreditationStateError,
        lambda r: (
            f"accreditation body {r.g(0)} is not active now: reinstate it (governance) before acting or "
            "anchoring under it."
        ),
    ),
    "CredentialRegistryIssuerNotActive": E(
        AccreditationStateError,
        lambda r: (
            f"issuer {r.g(0)} is not active now (suspended or withdrawn): settle it with its accreditation "
            "body, and reinstate it before anchoring or changing its keys."
        ),
    ),
    "CredentialRegistryInvalidAccreditationChange": E(AccreditationStateError, _accreditation_change),
    "CredentialRegistryTypeOutOfScope": E(
        ContractInputError,
        lambda r: (
            f"credential type {r.h(1)} is outside the scope of body or issuer {r.g(0)} (not accredited for "
            "this credential type): grant or anchor only types it holds, or ask its accreditation body to add the type."
        ),
    ),
    "CredentialRegistryLevelOutOfScope": E(
        ContractInputError,
        lambda r: f"level {r.g(0)} is above the {r.g(1)} the grantor holds: lower maxLevel.",
    ),
    "CredentialRegistryWindowOutOfScope": E(
        ContractInputError,
        lambda r: (
            f"the validity window reaches outside the grantor's window [{r.w(2)}, {r.w(3)}): narrow "
            "validFrom/validUntil."
        ),
    ),
    "CredentialRegistryInvalidWindow": E(ContractInputError, lambda r: "validFrom must be before validUntil."),
    "CredentialRegistryInvalidScope": E(
        ContractInputError,
        lambda r: "a scope needs at least one credential type (and not too many) and a maxLevel of at least 1.",
    ),
    "CredentialRegistryDuplicateType": E(
        ContractInputError, lambda r: "a credential type is listed twice: list each once."
    ),
    "CredentialRegistryZeroAddress": E(ContractInputError, lambda r: "the zero address cannot be an admin or a key."),
    # --- the credential registry: signing keys ------------------------------------------------------------------
    "CredentialRegistryKeyAlreadyRegistered": E(
        AccreditationStateError,
        lambda r: f"key {r.g(0)} is already registered (a key belongs to one issuer, once): use a fresh key.",
    ),
    "CredentialRegistryUnknownKey": E(
        ContractNotFoundError,
        lambda r: (
            f"key {r.g(0)} is not registered on chain: ask the issuer's accreditation body to add it "
            "(addIssuerKey), or use a key that is; list the issuer's keys with GET /v1/issuers/{id}."
        ),
    ),
    "CredentialRegistryKeyNotOfIssuer": E(
        ContractInputError,
        lambda r: f"key {r.g(0)} does not belong to issuer {r.g(1)}: name a key of that issuer.",
    ),
    "CredentialRegistryKeyEndNotEarlier": E(
        AccreditationStateError,
        lambda r: (
            f"key {r.g(0)} already ends at {r.w(1)}: a retirement or cut-off may only move earlier; pick an "
            "earlier time."
        ),
    ),
    "CredentialRegistryKeyNotValidNow": E(
        ContractForbiddenError,
        lambda r: (
            f"key {r.g(0)} is not valid now (outside its validity window, or cut off as compromised): use "
            "another key of the issuer, or add one."
        ),
    ),
    # --- governance (k-of-n) ------------------------------------------------------------------------------------
    "RegistryGovernanceNotGovernor": E(
        ContractForbiddenError,
        lambda r: (
            f"the node's governor key {r.g(0)} is not a governor of this registry: set "
            "CREDREG_DEPLOYER_KEY to a governor's key."
        ),
    ),
    "RegistryGovernanceUnknownProposal": E(
        ContractNotFoundError,
        lambda r: f"there is no proposal {r.g(0)}: list them with GET /v1/governance/proposals.",
    ),
    "RegistryGovernanceProposalExpired": E(
        ProposalStateError, lambda r: f"proposal {r.g(0)} expired at {r.w(1)}: propose it again."
    ),
    "RegistryGovernanceAlreadyApproved": E(
        ProposalStateError,
        lambda r: f"governor {r.g(1)} already approved proposal {r.g(0)}: another governor must approve it.",
    ),
    "RegistryGovernanceAlreadyExecuted": E(
        ProposalStateError, lambda r: f"proposal {r.g(0)} was already executed: nothing left to do."
    ),
    "RegistryGovernanceNotEnoughApprovals": E(
        ProposalStateError,
        lambda r: (
            f"proposal {r.g(0)} has {r.g(1)} of the {r.g(2)} approvals it needs: ask other governors to "
            "approve it first."
        ),
    ),
    "RegistryGovernanceInvalidThreshold": E(
        ContractInputError,
        lambda r: f"a threshold of {r.g(0)} is impossible with {r.g(1)} governors: choose 1..number of governors.",
    ),
    "RegistryGovernanceAlreadyGovernor": E(
        AccreditationStateError, lambda r: f"{r.g(0)} is already a governor: nothing to add."
    ),
    "RegistryGovernanceZeroAddress": E(ContractInputError, lambda r: "the zero address cannot be a governor."),
    "RegistryGovernanceDeadlineInPast": E(
        ContractInputError, lambda r: "the proposal's deadline is in the past: propose with a later deadline."
    ),
    "RegistryGovernanceNotSelf": E(
        ContractForbiddenError,
        lambda r: "governance settings change only through a proposal: use POST /v1/governance/proposals.",
    ),
    # --- OpenZeppelin library errors (ECDSA, EIP712's ShortStrings, Address) ------------------------------------
    "ECDSAInvalidSignature": E(
        ContractRevertError, lambda r: "the signature does not recover to a signer: sign the message again."
    ),
    "ECDSAInvalidSignatureLength": E(
        ContractRevertError,
        lambda r: f"a signature of {r.g(0)} bytes is malformed: give the 65-byte signature (r, s, v).",
    ),
    "ECDSAInvalidSignatureS": E(
        ContractRevertError,
        lambda r: (
            "the signature's s value is in the upper half (a malleable signature): sign again with a standard signer."
        ),
    ),
    "InvalidShortString": E(
        ContractRevertError, lambda r: "the contract's EIP-712 name or version is malformed: redeploy the contract."
    ),
    "StringTooLong": E(
        ContractRevertError,
        lambda r: "the contract's EIP-712 name or version is too long: redeploy with a shorter one.",
    ),
    "AddressEmptyCode": E(
        ContractRevertError,
        lambda r: f"there is no contract at {r.g(0)}: check the call's target address (the deployment manifest).",
    ),
    "FailedCall": E(
        ContractRevertError,
        lambda r: "a call the contract made failed without a reason: check the proposal's target and arguments.",
    ),
    "InsufficientBalance": E(
        ContractRevertError,
        lambda r: f"the contract holds {r.g(0)} wei but the call sends {r.g(1)}: send less value, or fund it first.",
    ),
}
"""Every custom error in the ABI of ``contracts/build`` (checked by tests/chain/test_errors.py)."""


def sentence(exc: ContractRevertError, subject: str = "the credential") -> str | None:
    """The table's sentence for a decoded custom error; None when it names none the table knows."""
    entry = CONTRACT_ERRORS.get(exc.error_name or "")
    return None if entry is None else entry.sentence(Refusal(exc.error_args, subject))


def explain(exc: ContractRevertError, subject: str = "the credential") -> ContractRevertError:
    """The node's error class and a what-to-do sentence for a contract custom error (unknown ones pass through)."""
    name = exc.error_name
    if name is None or type(exc) not in (ContractRevertError, TransactionRevertedError):
        return exc
    entry = CONTRACT_ERRORS.get(name)
    if entry is None:
        return exc
    cls = type(exc) if entry.error is ContractRevertError else entry.error
    return cls(entry.sentence(Refusal(exc.error_args, subject)), name, exc.error_args)


@contextmanager
def explained(subject: str = "the credential") -> Iterator[None]:
    """Re-raise contract refusals inside the block as the node's errors (see :func:`explain`)."""
    try:
        yield
    except ContractRevertError as exc:
        raised = explain(exc, subject)
        if raised is exc:
            raise
        raise raised from exc


__all__ = ["ACCREDITATION_WORDS", "CONTRACT_ERRORS", "STATUS_WORDS", "ContractErrorEntry", "explain", "explained"]
