"""The governance service: every act and view of the rooms beside this module, on one object."""

from __future__ import annotations

from node.services.governance.accreditation import AccreditationActs
from node.services.governance.keys import KeyActs
from node.services.governance.proposals import ProposalActs


class GovernanceService(AccreditationActs, KeyActs, ProposalActs):
    """Accreditation and governance acts of one node (see :mod:`node.services.governance` for who signs what)."""


__all__ = ["GovernanceService"]
