"""Governance and accreditation: bodies, issuers, signing keys and k-of-n proposals, with the keys the node holds.

Who signs what
    - Governance acts (accredit / suspend / reinstate / withdraw a body, anything an issuer's body admin cannot do):
      the node's governor key (CREDREG_DEPLOYER_KEY, or anvil dev account 0 on the devnet) *proposes* through the
      governance contract. When the proposer's approval already reaches k (k == 1), the node executes at once;
      otherwise the proposal waits for other governors (``approve`` on their nodes) and the act says so.
    - Issuer acts (accredit an issuer, suspend / reinstate / withdraw it, add / rotate / cut off its keys): the body's
      admin key when this node holds it (a keystore given in the request, or a devnet dev key), else governance.

Every governance act is first simulated as the governance contract (``eth_call`` from its address), so a refusal
(wrong status, scope, window) is reported before anything is proposed: a refused request writes nothing on chain.
Contract custom errors become the node's error classes with a sentence that says what to do (:func:`explain`, the one
table in :mod:`node.chain.errors`).

The rooms: ``models`` (the values acts and views return), ``views`` (read views), ``acting`` (who signs, how an act
is sent or proposed), ``accreditation`` (bodies and issuers), ``keys`` (signing keys), ``proposals`` (k-of-n),
``service`` (:class:`GovernanceService`, all of them), ``common`` (small shared helpers).
"""

from __future__ import annotations

from node.chain.errors import explain, explained
from node.services.governance.common import address, status_word, type_ids
from node.services.governance.models import (
    DEFAULT_TTL_S,
    ZERO32,
    AccreditationAction,
    AccreditedBody,
    AccreditedIssuer,
    BodyView,
    ChainAct,
    IssuerDetail,
    IssuerView,
    KeyState,
    KeyView,
    PathStep,
    ProposalState,
    ProposalView,
    TypeView,
    Via,
)
from node.services.governance.service import GovernanceService

__all__ = [
    "DEFAULT_TTL_S",
    "ZERO32",
    "AccreditationAction",
    "AccreditedBody",
    "AccreditedIssuer",
    "BodyView",
    "ChainAct",
    "GovernanceService",
    "IssuerDetail",
    "IssuerView",
    "KeyState",
    "KeyView",
    "PathStep",
    "ProposalState",
    "ProposalView",
    "TypeView",
    "Via",
    "address",
    "explain",
    "explained",
    "status_word",
    "type_ids",
]
