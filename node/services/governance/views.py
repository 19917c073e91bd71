"""Read views of governance: bodies, issuers (with keys and accreditation path) and proposals, from the chain."""

from __future__ import annotations

from typing import Any

from node.chain.errors import explained
from node.chain.registry import (
    AccreditationStatus,
    BodyRecord,
    IssuerRecord,
    KeyRecord,
    ProposalRecord,
    RegistryClient,
)
from node.errors import (
    NotFoundError,
)
from node.runtime import Node
from node.services.governance.common import (
    _dt,
    _dt_or_open,
    _jsonable,
    _node_status,
    _status_word,
    _type_names,
)
from node.services.governance.models import (
    BodyView,
    IssuerDetail,
    IssuerView,
    KeyState,
    KeyView,
    PathStep,
    ProposalState,
    ProposalView,
    TypeView,
)
from node.store.records import Issuer


class GovernanceViews:
    """What the chain says about bodies, issuers and proposals, with this node's issuer records."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._registry: RegistryClient = node.registry

    # --- proposals -----------------------------------------------------------------------------------------------

    def proposal(self, proposal_id: int) -> ProposalView:
        registry = self._registry
        with explained("the proposal"):
            if not 1 <= proposal_id <= registry.proposal_count():
                raise NotFoundError(f"there is no proposal {proposal_id}: list them with GET /v1/governance/proposals.")
            return self._view(registry.proposal_of(proposal_id), registry.threshold(), registry.governors())

    def proposals(self, state: ProposalState | None = None, limit: int = 100) -> list[ProposalView]:
        """The newest ``limit`` proposals (in ``state`` when given), oldest first."""
        registry = self._registry
        threshold, governors, now = registry.threshold(), registry.governors(), registry.latest_timestamp()
        views: list[ProposalView] = []
        for proposal_id in range(registry.proposal_count(), 0, -1):
            if len(views) >= limit:
                break
            view = self._view(registry.proposal_of(proposal_id), threshold, governors, now)
            if state is None or view.state is state:
                views.append(view)
        return views[::-1]

    def _view(
        self, record: ProposalRecord, threshold: int, governors: list[str], now: int | None = None
    ) -> ProposalView:
        registry = self._registry
        now = registry.latest_timestamp() if now is None else now
        decoded = registry.decode_call(record.target, record.data)
        names = {
            registry.registry_address.lower(): "registry",
            registry.governance_address.lower(): "governance",
        }
        if record.executed:
            state = ProposalState.EXECUTED
        elif record.deadline < now:
            state = ProposalState.EXPIRED
        elif record.approvals >= threshold:
            state = ProposalState.READY
        else:
            state = ProposalState.PENDING
        return ProposalView(
            id=record.proposal_id,
            proposer=record.proposer,
            target=names.get(record.target.lower(), record.target),
            target_address=record.target,
            function=decoded[0] if decoded else None,
            args={k.rstrip("_"): _jsonable(v) for k, v in decoded[1].items()} if decoded else {},
            deadline=_dt(record.deadline),
            state=state,
            approvals=record.approvals,
            threshold=threshold,
            approved_by=[g for g in governors if registry.has_approved(record.proposal_id, g)],
        )

    # --- bodies --------------------------------------------------------------------------------------------------

    def bodies(self) -> list[BodyView]:
        return [self.body(i) for i in range(1, self._registry.body_count() + 1)]

    def body(self, body_id: int) -> BodyView:
        record = self._chain_body(body_id)
        names = _type_names()
        return BodyView(
            id=body_id,
            admin=record.admin,
            status=_status_word(record.status),
            max_level=record.max_level,
            valid_from=_dt(record.valid_from),
            valid_until=_dt_or_open(record.valid_until),
            status_changed_at=_dt(record.status_changed_at),
            metadata_uri=record.metadata_uri,
            credential_types=[
                TypeView(id="0x" + t.hex(), name=names.get(t)) for t in self._registry.body_types(body_id)
            ],
        )

    def _chain_body(self, body_id: int) -> BodyRecord:
        if not 1 <= body_id <= self._registry.body_count():
            raise NotFoundError(f"there is no accreditation body {body_id}: list bodies with GET /v1/bodies.")
        return self._registry.body_of(body_id)

    # --- issuers -------------------------------------------------------------------------------------------------

    def _chain_issuer(self, issuer_id: int) -> IssuerRecord:
        with explained(f"issuer {issuer_id}"):
            record = self._registry.issuer_of(issuer_id)
        if record.status is AccreditationStatus.NONE:
            raise NotFoundError(f"there is no issuer {issuer_id} on chain: list issuers with GET /v1/issuers.")
        return record

    def _stored(self, issuer_id: int) -> Issuer | None:
        try:
            return self._node.store.get_issuer(issuer_id)
        except NotFoundError:
            return None

    def _issuer_view(self, record: IssuerRecord, stored: Issuer | None) -> dict[str, Any]:
        return {
            "id": record.issuer_id,
            "name": stored.name if stored else None,
            "metadata_uri": record.metadata_uri,
            "body_id": record.body_id,
            "status": _status_word(record.status),
            "held_by_governance": record.held_by_governance,
            "max_level": record.max_level,
            "valid_from": _dt(record.valid_from),
            "valid_until": _dt_or_open(record.valid_until),
            "status_changed_at": _dt(record.status_changed_at),
            "registered_on_node": stored is not None,
            "node_status": stored.status.value if stored else None,
            "signer_address": stored.signer_address if stored else None,
        }

    def issuers(self) -> list[IssuerView]:
        """The issuers this node has registered, each with its on-chain accreditation ("not accredited" for a record
        the chain does not know, e.g. after the chain was reset)."""
        return [
            IssuerView(**self._issuer_view(self._registry.issuer_of(s.id), s)) for s in self._node.store.list_issuers()
        ]

    def issuer(self, issuer_id: int) -> IssuerDetail:
        registry = self._registry
        record = self._chain_issuer(issuer_id)
        stored = self._stored(issuer_id)
        body = registry.body_of(record.body_id)
        now = registry.latest_timestamp()
        names = _type_names()
        signer = stored.signer_address.lower() if stored else None
        keys = [self._key_view(registry.key_of(k), now, signer) for k in registry.issuer_keys(issuer_id)]
        governors, threshold = registry.governors(), registry.threshold()
        path = [
            PathStep(
                level="governance",
                address=registry.governance_address,
                status="active",
                detail=f"{threshold}-of-{len(governors)} governors: {', '.join(governors)}",
            ),
            PathStep(
                level="body",
                id=body.body_id,
                address=body.admin,
                status=_status_word(body.status),
                detail=f"{body.metadata_uri} (max level {body.max_level})",
            ),
            PathStep(
                level="issuer",
                id=issuer_id,
                status=_status_word(record.status),
                detail=f"{record.metadata_uri} (max level {record.max_level})",
            ),
        ]
        return IssuerDetail(
            **self._issuer_view(record, stored),
            credential_types=[TypeView(id="0x" + t.hex(), name=names.get(t)) for t in registry.issuer_types(issuer_id)],
            keys=keys,
            accreditation_path=path,
        )

    @staticmethod
    def _key_view(key: KeyRecord, now: int, signer: str | None) -> KeyView:
        if key.compromised_at and now >= key.compromised_at:
            state = KeyState.CUT_OFF
        elif now < key.valid_from:
            state = KeyState.NOT_YET_VALID
        elif now >= key.valid_until:
            state = KeyState.RETIRED
        elif key.effective_until == 0 or not key.effective_from <= now < key.effective_until:
            state = KeyState.INACTIVE
        else:
            state = KeyState.ACTIVE
        return KeyView(
            address=key.key,
            key_id=key.key_id,
            valid_from=_dt(key.valid_from),
            valid_until=_dt_or_open(key.valid_until),
            compromised_at=_dt(key.compromised_at) if key.compromised_at else None,
            effective_from=_dt(key.effective_from) if key.effective_until else None,
            effective_until=_dt_or_open(key.effective_until),
            state=state,
            node_signs_with_it=signer is not None and key.key.lower() == signer,
        )

    def _sync_issuer_status(self, issuer_id: int) -> None:
        stored = self._stored(issuer_id)
        if stored is None:
            return
        record = self._registry.issuer_of(issuer_id)
        self._node.store.upsert_issuer(
            issuer_id,
            name=stored.name,
            metadata_uri=stored.metadata_uri,
            signer_address=stored.signer_address,
            keystore_path=stored.keystore_path,
            status=_node_status(record.status),
        )

    def _require_stored(self, issuer_id: int) -> Issuer:
        stored = self._stored(issuer_id)
        if stored is None:
            raise NotFoundError(
                f"issuer {issuer_id} is not registered on this node: register it first (POST /v1/issuers/register)."
            )
        return stored
