"""Accreditation acts: accredit / suspend / reinstate / withdraw bodies and issuers, register issuers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import requests
from web3.contract.contract import ContractFunction
from web3.exceptions import Web3Exception

from node.chain.bindings import AccreditationWrites
from node.chain.keystore import absolute_keystore_path
from node.chain.signers import ANCHOR_GAS, ANCHORS_TO_FUND, DEV_FUNDING_WEI, funding_advice
from node.credentials.hashing import issuer_metadata_hash
from node.errors import (
    AccreditationStateError,
    RegistryError,
)
from node.runtime import Node
from node.services.governance.acting import GovernanceActs
from node.services.governance.common import (
    _node_status,
    address,
    type_ids,
)
from node.services.governance.models import (
    AccreditationAction,
    AccreditedBody,
    AccreditedIssuer,
    ChainAct,
    Via,
)
from node.store.records import ApiKeyRole

log = logging.getLogger(__name__)

_Act = Callable[[AccreditationWrites, int, int], ContractFunction]

_BODY_ACTS: dict[AccreditationAction, _Act] = {
    AccreditationAction.SUSPEND: AccreditationWrites.suspend_body,
    AccreditationAction.REINSTATE: AccreditationWrites.reinstate_body,
    AccreditationAction.WITHDRAW: AccreditationWrites.withdraw_body,
}
"""Each action on a body, as the registry call it makes."""

_ISSUER_ACTS: dict[AccreditationAction, _Act] = {
    AccreditationAction.SUSPEND: AccreditationWrites.suspend_issuer,
    AccreditationAction.REINSTATE: AccreditationWrites.reinstate_issuer,
    AccreditationAction.WITHDRAW: AccreditationWrites.withdraw_issuer,
}
"""Each action on an issuer, as the registry call it makes."""


def fund_new_key(node: Node, signer: str) -> str | None:
    """A new issuer key must pay for its anchors. On the devnet it is funded from the dev account (DEVNET ONLY: 1
    ETH when it holds less); elsewhere, when its balance is short of :data:`ANCHORS_TO_FUND` anchors at the current
    gas price, the sentence saying which account to fund with how much (logged, and returned for the caller to
    show). None when nothing is left to do."""
    try:
        balance = int(node.w3.eth.get_balance(node.w3.to_checksum_address(signer)))
        if node.signers.on_devnet:
            if balance < DEV_FUNDING_WEI:
                tx_hash = node.signers.fund(signer, DEV_FUNDING_WEI - balance)
                log.info("devnet: funded issuer key %s from dev account 0 (tx %s)", signer, tx_hash)
            return None
        if balance >= ANCHORS_TO_FUND * ANCHOR_GAS * int(node.w3.eth.gas_price):
            return None
        advice = funding_advice(node.w3, signer, ANCHOR_GAS, on_devnet=False)
    except (RegistryError, Web3Exception, requests.RequestException, OSError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, RegistryError) else f"{type(exc).__name__}: {exc}"
        advice = f"its balance could not be checked or topped up ({detail}); make sure it holds ETH for its anchors"
    sentence = f"issuer key {signer} must be funded before it can anchor: {advice}"
    log.warning("%s", sentence)
    return sentence


class AccreditationActs(GovernanceActs):
    """Acts on bodies and issuers."""

    def accredit_body(
        self,
        admin: str,
        credential_types: Sequence[str],
        max_level: int,
        metadata_uri: str,
        valid_from: int | None = None,
        valid_until: int | None = None,
    ) -> AccreditedBody:
        registry = self._registry
        start = valid_from if valid_from is not None else registry.latest_timestamp()
        fn = registry.writes.accredit_body(
            address(admin, "admin"),
            type_ids(credential_types),
            max_level,
            start,
            valid_until or 0,
            metadata_uri,
        )
        act, receipt = self.act(fn, subject="the body")
        body_id = None
        if receipt is not None:
            body_id = int(registry.registry_events(receipt, "BodyAccredited")[0]["bodyId"])
        return AccreditedBody(body_id=body_id, act=act)

    def body_act(self, body_id: int, action: AccreditationAction, reason_code: int) -> ChainAct:
        self._chain_body(body_id)
        fn = _BODY_ACTS[action](self._registry.writes, body_id, reason_code)
        act, _ = self.act(fn, subject=f"body {body_id}")
        return act

    def accredit_issuer(
        self,
        *,
        body_id: int,
        name: str,
        metadata_uri: str,
        signer_address: str,
        credential_types: Sequence[str],
        max_level: int,
        valid_from: int | None = None,
        valid_until: int | None = None,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
        mint_api_key: bool = True,
    ) -> AccreditedIssuer:
        """Accredit an issuer under a body, add its signing key, record it on this node, and mint its API key."""
        registry = self._registry
        signer = address(signer_address, "signerAddress")
        keystore_path = absolute_keystore_path(keystore_path)
        self._check_signer(signer, keystore_path)
        body = self._chain_body(body_id)
        existing = registry.key_of(signer)
        if existing.issuer_id != 0:
            raise AccreditationStateError(
                f"signing key {signer} already belongs to issuer {existing.issuer_id}: give each issuer a fresh key "
                "(`credreg keys new`).",
                "CredentialRegistryKeyAlreadyRegistered",
                (signer,),
            )
        start = valid_from if valid_from is not None else max(registry.latest_timestamp(), body.valid_from)
        fn = registry.writes.accredit_issuer(
            body_id,
            type_ids(credential_types),
            max_level,
            start,
            valid_until or 0,
            metadata_uri,
            issuer_metadata_hash(metadata_uri, name),  # binds the registered name (the chain keeps only the hash)
        )
        admin_tm = self._admin_tm(body.admin, body_admin_keystore_path)
        act, receipt = self.act(fn, direct=admin_tm, subject=f"body {body_id}")
        if receipt is None:
            return AccreditedIssuer(
                issuer_id=None,
                act=act,
                key_act=None,
                registered=False,
                next_step=(
                    "the accreditation awaits other governors' approvals (POST /v1/governance/proposals/"
                    f"{act.proposal.id if act.proposal else '?'}/approve on their nodes); once executed, register "
                    "the issuer here with POST /v1/issuers/register."
                ),
            )
        issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
        return self._register(issuer_id, name, signer, keystore_path, act, mint_api_key, body_admin_keystore_path)

    def register_issuer(
        self,
        issuer_id: int,
        *,
        name: str,
        signer_address: str,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
        mint_api_key: bool = True,
    ) -> AccreditedIssuer:
        """Record an issuer already accredited on chain on this node (adding its signing key when needed)."""
        signer = address(signer_address, "signerAddress")
        keystore_path = absolute_keystore_path(keystore_path)
        self._check_signer(signer, keystore_path)
        self._chain_issuer(issuer_id)
        return self._register(issuer_id, name, signer, keystore_path, None, mint_api_key, body_admin_keystore_path)

    def _register(
        self,
        issuer_id: int,
        name: str,
        signer: str,
        keystore_path: str | None,
        act: ChainAct | None,
        mint_api_key: bool,
        body_admin_keystore_path: str | None,
    ) -> AccreditedIssuer:
        registry = self._registry
        record = self._chain_issuer(issuer_id)
        key = registry.key_of(signer)
        key_act: ChainAct | None = None
        if key.issuer_id not in (0, issuer_id):
            raise AccreditationStateError(
                f"signing key {signer} belongs to issuer {key.issuer_id}, not {issuer_id}: use a fresh key.",
                "CredentialRegistryKeyNotOfIssuer",
                (signer, issuer_id),
            )
        if key.issuer_id == 0:
            admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
            start = max(record.valid_from, registry.latest_timestamp())
            fn = registry.writes.add_issuer_key(issuer_id, signer, start, 0)
            key_act, receipt = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
            if receipt is None:
                return AccreditedIssuer(
                    issuer_id=issuer_id,
                    act=act or key_act,
                    key_act=key_act,
                    registered=False,
                    next_step=(
                        "adding the signing key awaits other governors' approvals; once executed, register the "
                        "issuer here with POST /v1/issuers/register."
                    ),
                )
        self._node.store.upsert_issuer(
            issuer_id,
            name=name,
            metadata_uri=record.metadata_uri,
            signer_address=signer,
            keystore_path=keystore_path,
            status=_node_status(record.status),
        )
        api_key = None
        if mint_api_key:
            label = f"{name[:188]} (first key)"  # a label is 200 characters at most (PostgreSQL enforces it)
            api_key = self._node.store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label=label)
        return AccreditedIssuer(
            issuer_id=issuer_id,
            act=act or key_act or ChainAct(via=Via.GOVERNANCE, executed=True, tx_hash=None, block_number=None),
            key_act=key_act,
            registered=True,
            api_key=api_key,
            next_step=fund_new_key(self._node, signer),
        )

    def issuer_act(
        self,
        issuer_id: int,
        action: AccreditationAction,
        reason_code: int,
        *,
        by_governance: bool = False,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Suspend / reinstate / withdraw an issuer (body admin key when held, else governance); the node's record
        follows the chain."""
        admin_tm, record = self._issuer_actor(issuer_id, body_admin_keystore_path)
        if action is AccreditationAction.REINSTATE and record.held_by_governance:
            by_governance = True  # only governance lifts a suspension governance imposed
        fn = _ISSUER_ACTS[action](self._registry.writes, issuer_id, reason_code)
        act, _ = self.act(fn, direct=None if by_governance else admin_tm, subject=f"issuer {issuer_id}")
        if act.executed:
            self._sync_issuer_status(issuer_id)
        return act
