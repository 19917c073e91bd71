"""Typed write calls: one builder per external state-changing function of the contracts, mirroring the interfaces.

``client.writes`` (the CredentialRegistry) and ``client.governance_writes`` (RegistryGovernance) of a
:class:`~node.chain.registry.RegistryClient` build them; nothing is sent until a TxManager transacts the result or
governance proposes it. tests/chain/test_bindings.py holds them to the ABI in contracts/build: every state-changing
function has exactly one builder of the same name (snake_case) and parameters, so a contract change that is not
mirrored here fails there. The one untyped way to build a call, a governance proposal of any function named at run
time, is :func:`node.chain.proposals.encode_call`.

One module per part of the interfaces: accreditation (bodies, issuers) and keys (IRegistryAccreditation), anchors and
lifecycle (IRegistryAnchors), governance (IRegistryGovernance).
"""

from __future__ import annotations

from collections.abc import Sequence

from web3.contract.contract import ContractFunction

from node.chain.bindings.accreditation import AccreditationWrites
from node.chain.bindings.anchors import AnchorWrites
from node.chain.bindings.governance import GovernanceWrites
from node.chain.bindings.keys import KeyWrites
from node.chain.bindings.lifecycle import LifecycleWrites


class RegistryWrites(AccreditationWrites, KeyWrites, AnchorWrites, LifecycleWrites):
    """Every write of the CredentialRegistry (ICredentialRegistry, plus OpenZeppelin's ``multicall``)."""

    def multicall(self, data: Sequence[bytes]) -> ContractFunction:
        """Several calls of the registry in one (the node runs it as a view: many reads in one eth_call)."""
        return self._fn("multicall", [bytes(d) for d in data])


__all__ = [
    "AccreditationWrites",
    "AnchorWrites",
    "GovernanceWrites",
    "KeyWrites",
    "LifecycleWrites",
    "RegistryWrites",
]
