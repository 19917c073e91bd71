"""The credential lifecycle: revoke, suspend, reinstate or supersede one anchored credential or a whole batch (root).

Who acts
    - an issuer, with its own signing key (the key this node anchors its credentials with), on its own credentials;
    - governance (a governor or admin API key), through a proposal of the node's governor key: executed at once when
      k == 1, else pending until other governors approve it.

The contract keeps statuses per (root, credential) and per root, with reason codes and times, so verification
sees a change from the block that carries it. Invalid transitions (revoking twice, reinstating an active
credential) are refused by the contract before anything is sent and reported as a 409 with a sentence.
The optional ``note`` never goes on chain (POPIA: no personal data on chain).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from web3.contract.contract import ContractFunction

from node.chain.bindings import LifecycleWrites
from node.credentials.hash32 import Hash32
from node.errors import CredentialNotAnchoredError, ForbiddenError, NotFoundError, ValidationFailedError
from node.runtime import Node
from node.services.governance import ChainAct, GovernanceService, Via, status_word
from node.services.reasons import REASON_CODES, ReasonCode
from node.store.records import AnchoringState, ApiKeyRole, Batch, BatchStatus, Credential, IssuerStatus, Principal


def reason_table() -> str:
    """The table as one line per code (for OpenAPI descriptions and CLI help)."""
    return "; ".join(f"{int(code)} = {text}" for code, text in REASON_CODES.items())


class LifecycleAction(StrEnum):
    REVOKE = "revoke"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    SUPERSEDE = "supersede"


_CREDENTIAL_ACTS: dict[LifecycleAction, Callable[[LifecycleWrites, bytes, bytes, int], ContractFunction]] = {
    LifecycleAction.REVOKE: LifecycleWrites.revoke_credential,
    LifecycleAction.SUSPEND: LifecycleWrites.suspend_credential,
    LifecycleAction.REINSTATE: LifecycleWrites.reinstate_credential,
}
"""Each action on one credential, as the registry call it makes (supersede takes the replacement: built apart)."""

_ROOT_ACTS: dict[LifecycleAction, Callable[[LifecycleWrites, bytes, int], ContractFunction]] = {
    LifecycleAction.REVOKE: LifecycleWrites.revoke_root,
    LifecycleAction.SUSPEND: LifecycleWrites.suspend_root,
    LifecycleAction.REINSTATE: LifecycleWrites.reinstate_root,
}
"""Each action on a whole batch (root), as the registry call it makes (supersede: built apart)."""


class Scope(StrEnum):
    CREDENTIAL = "credential"
    BATCH = "batch"


@dataclass(frozen=True)
class Actor:
    """Who acts: an issuer with its own signing key (``issuer_id``), or governance (``issuer_id`` None)."""

    issuer_id: int | None = None

    @classmethod
    def governance(cls) -> Actor:
        return cls(None)

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if principal.role is ApiKeyRole.ISSUER:
            if principal.issuer_id is None:
                raise ForbiddenError("this issuer key names no issuer: mint a new key for the issuer.")
            return cls(principal.issuer_id)
        return cls.governance()

    @property
    def is_governance(self) -> bool:
        return self.issuer_id is None


@dataclass(frozen=True, kw_only=True)
class Replacement:
    root: str
    credential_hash: str | None
    credential_id: str | None = None
    batch_id: int


@dataclass(frozen=True, kw_only=True)
class LifecycleResult:
    """What a lifecycle act did: the on-chain change (or the pending proposal) and the status now."""

    scope: Scope
    action: LifecycleAction
    credential_id: str | None
    batch_id: int
    root: str
    credential_hash: str | None
    reason_code: int
    reason: str
    note: str | None
    status: str
    replacement: Replacement | None = None
    act: ChainAct


class LifecycleService:
    def __init__(self, node: Node) -> None:
        self._node = node
        self._governance = GovernanceService(node)

    # --- public --------------------------------------------------------------------------------------------------

    def act_on_credential(
        self,
        actor: Actor,
        credential_id: str,
        action: LifecycleAction,
        reason_code: int,
        *,
        note: str | None = None,
        replacement_id: str | None = None,
    ) -> LifecycleResult:
        self._check_actor(actor)
        reason = self._reason(reason_code)
        self._check_replacement_given(action, replacement_id, "replacementId")
        credential = self._node.store.get_credential(credential_id, actor.issuer_id)
        batch = self._anchored(credential)
        root, credential_hash = Hash32.of(batch.root or ""), Hash32.of(credential.credential_hash)
        subject = f"credential {credential_id}"
        replacement: Replacement | None = None
        registry = self._node.registry
        if action is LifecycleAction.SUPERSEDE:
            assert replacement_id is not None
            if replacement_id == credential_id:
                raise ValidationFailedError("replacementId: a credential cannot replace itself; name the new one")
            try:
                new = self._node.store.get_credential(replacement_id, credential.issuer_id)
            except NotFoundError as exc:
                raise ValidationFailedError(
                    f"replacementId: {replacement_id} is not a credential of issuer {credential.issuer_id}; issue the "
                    "corrected credential first and use the id the node returned"
                ) from exc
            new_batch = self._anchored(new, "the replacement ")
            replacement = Replacement(
                root=new_batch.root or "",
                credential_hash=new.credential_hash,
                credential_id=new.id,
                batch_id=new_batch.id,
            )
            fn = registry.writes.supersede_credential(
                root,
                credential_hash,
                Hash32.of(replacement.root),
                Hash32.of(new.credential_hash),
                reason_code,
            )
        else:
            fn = _CREDENTIAL_ACTS[action](registry.writes, root, credential_hash, reason_code)
        act = self._send(actor, credential.issuer_id, fn, subject)
        proof: list[bytes] = [Hash32.of(p) for p in credential.merkle_proof or ()]
        status, _, _ = registry.status_of(root, credential_hash, proof)
        return LifecycleResult(
            scope=Scope.CREDENTIAL,
            action=action,
            credential_id=credential.id,
            batch_id=batch.id,
            root=batch.root or "",
            credential_hash=credential.credential_hash,
            reason_code=reason_code,
            reason=reason,
            note=note,
            status=status_word(status),
            replacement=replacement,
            act=act,
        )

    def act_on_batch(
        self,
        actor: Actor,
        batch_id: int,
        action: LifecycleAction,
        reason_code: int,
        *,
        note: str | None = None,
        replacement_batch_id: int | None = None,
    ) -> LifecycleResult:
        self._check_actor(actor)
        reason = self._reason(reason_code)
        self._check_replacement_given(action, replacement_batch_id, "replacementBatchId")
        batch = self._batch(actor, batch_id)
        root = Hash32.of(batch.root or "")
        subject = f"batch {batch_id}"
        replacement: Replacement | None = None
        registry = self._node.registry
        if action is LifecycleAction.SUPERSEDE:
            assert replacement_batch_id is not None
            if replacement_batch_id == batch_id:
                raise ValidationFailedError("replacementBatchId: a batch cannot replace itself; name the new batch")
            try:
                new = self._batch(Actor(batch.issuer_id), replacement_batch_id)
            except NotFoundError as exc:
                raise ValidationFailedError(
                    f"replacementBatchId: {replacement_batch_id} is not a batch of issuer {batch.issuer_id}"
                ) from exc
            replacement = Replacement(root=new.root or "", credential_hash=None, batch_id=new.id)
            fn = registry.writes.supersede_root(root, Hash32.of(replacement.root), reason_code)
        else:
            fn = _ROOT_ACTS[action](registry.writes, root, reason_code)
        act = self._send(actor, batch.issuer_id, fn, subject)
        record = registry.anchor_of(root)
        return LifecycleResult(
            scope=Scope.BATCH,
            action=action,
            credential_id=None,
            batch_id=batch.id,
            root=batch.root or "",
            credential_hash=None,
            reason_code=reason_code,
            reason=reason,
            note=note,
            status=status_word(record.status),
            replacement=replacement,
            act=act,
        )

    # --- helpers -------------------------------------------------------------------------------------------------

    @staticmethod
    def _reason(code: int) -> str:
        text = REASON_CODES.get(code)
        if text is None:
            raise ValidationFailedError(f"reasonCode: {code} is not a known reason; use one of: {reason_table()}")
        return text

    @staticmethod
    def _check_replacement_given(action: LifecycleAction, replacement: object, field: str) -> None:
        if action is LifecycleAction.SUPERSEDE and replacement is None:
            raise ValidationFailedError(f"{field}: supersede needs the replacement (anchor it first, then name it)")
        if action is not LifecycleAction.SUPERSEDE and replacement is not None:
            raise ValidationFailedError(f"{field}: only supersede takes a replacement; leave it out")

    def _anchored(self, credential: Credential, which: str = "") -> Batch:
        if credential.status is not AnchoringState.ANCHORED or credential.batch_id is None:
            raise CredentialNotAnchoredError(
                f"{which}credential {credential.id} is {credential.status.value}, not anchored yet: wait until "
                f"GET /v1/credentials/{credential.id} shows status 'anchored', then retry."
            )
        return self._node.store.get_batch(credential.batch_id)

    def _batch(self, actor: Actor, batch_id: int) -> Batch:
        batch = self._node.store.get_batch(batch_id)
        if actor.issuer_id is not None and batch.issuer_id != actor.issuer_id:
            raise NotFoundError(f"batch {batch_id} not found")
        if batch.status is not BatchStatus.CONFIRMED or not batch.root:
            raise CredentialNotAnchoredError(
                f"batch {batch_id} is {batch.status.value}, not anchored yet: wait until its credentials show "
                "status 'anchored', then retry."
            )
        return batch

    def _check_actor(self, actor: Actor) -> None:
        """An issuer acts only while active on this node (checked before anything is looked up or sent)."""
        if actor.issuer_id is None:
            return
        issuer = self._node.store.get_issuer(actor.issuer_id)
        if issuer.status is not IssuerStatus.ACTIVE:
            raise ForbiddenError(
                f"issuer {actor.issuer_id} is {issuer.status.value}: it cannot change credentials now; ask governance "
                "(a governor key) to act, or have the issuer reinstated first."
            )

    def _send(self, actor: Actor, issuer_id: int, fn: ContractFunction, subject: str) -> ChainAct:
        if actor.is_governance:
            act, _ = self._governance.act(fn, subject=subject)
            return act
        issuer = self._node.store.get_issuer(issuer_id)
        signers = self._node.signers
        tm = signers.manager(signers.account_for(issuer.signer_address, issuer.keystore_path))
        act, _ = self._governance.act(fn, direct=tm, via=Via.ISSUER_KEY, subject=subject)
        return act


__all__ = [
    "REASON_CODES",
    "Actor",
    "LifecycleAction",
    "LifecycleResult",
    "LifecycleService",
    "ReasonCode",
    "Scope",
    "reason_table",
]
