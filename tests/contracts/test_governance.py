"""k-of-n governance: proposals, approvals, deadlines, and governance of itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts.conftest import FORMAL, Chain


@pytest.fixture
def gov(make_chain: Callable[..., Chain]) -> Chain:
    return make_chain(governors=3, threshold=2)


def _propose(c: Chain, deadline_in: int = 3600) -> int:
    admin = c.account()
    call = c.registry.functions.accreditBody(admin.address, [FORMAL], 5, 0, 0, "https://b")
    return c.propose(call, deadline=c.now() + deadline_in)


def test_a_proposal_needs_k_distinct_governors(gov: Chain) -> None:
    c = gov
    g1, g2, g3 = c.governors
    pid = _propose(c)
    assert c.refused(c.governance.functions.execute(pid), g1) == ("RegistryGovernanceNotEnoughApprovals", (pid, 1, 2))
    assert c.refused(c.governance.functions.approve(pid), g1) == (
        "RegistryGovernanceAlreadyApproved",
        (pid, g1.address),
    )
    c.send(c.governance.functions.approve(pid), g3)
    receipt = c.send(c.governance.functions.execute(pid), g2)
    names = [n for n, _ in c.events(receipt)]
    assert "BodyAccredited" in names
    assert "ProposalExecuted" in names
    assert c.registry.functions.bodyOf(1).call()[2] == 1
    assert c.refused(c.governance.functions.execute(pid), g1)[0] == "RegistryGovernanceAlreadyExecuted"
    assert c.refused(c.governance.functions.approve(pid), g2)[0] == "RegistryGovernanceAlreadyExecuted"


def test_a_proposal_expires_after_its_deadline(gov: Chain) -> None:
    c = gov
    pid = _propose(c, deadline_in=60)
    c.advance(120)
    assert c.refused(c.governance.functions.approve(pid), c.governors[1])[0] == "RegistryGovernanceProposalExpired"
    assert c.refused(c.governance.functions.execute(pid), c.governors[0])[0] == "RegistryGovernanceProposalExpired"
    assert c.refused(c.governance.functions.approve(999), c.governors[1]) == (
        "RegistryGovernanceUnknownProposal",
        (999,),
    )


def test_a_failing_call_bubbles_the_registry_error_and_stays_pending(gov: Chain) -> None:
    c = gov
    pid = c.propose(c.registry.functions.suspendBody(42, 1))
    c.send(c.governance.functions.approve(pid), c.governors[1])
    assert c.refused(c.governance.functions.execute(pid), c.governors[0]) == ("CredentialRegistryUnknownBody", (42,))
    assert c.governance.functions.proposalOf(pid).call()[3] is False


def test_governance_changes_itself_only_through_proposals(gov: Chain) -> None:
    c = gov
    g1, g2, g3 = c.governors
    newcomer = c.account()
    c.govern(c.governance.functions.addGovernor(newcomer.address), target=c.governance.address)
    assert c.governance.functions.isGovernor(newcomer.address).call() is True
    c.govern(c.governance.functions.setThreshold(3), target=c.governance.address)
    c.threshold = 3
    assert c.governance.functions.threshold().call() == 3
    # removing a governor drops their approval from pending proposals
    pid = _propose(c)
    c.send(c.governance.functions.approve(pid), g2)
    c.send(c.governance.functions.approve(pid), g3)
    assert c.governance.functions.approvalCount(pid).call() == 3
    c.govern(c.governance.functions.removeGovernor(g3.address), target=c.governance.address)
    assert c.governance.functions.approvalCount(pid).call() == 2
    assert c.refused(c.governance.functions.execute(pid), g1)[0] == "RegistryGovernanceNotEnoughApprovals"
    # k can never exceed n
    pid = c.propose(c.governance.functions.setThreshold(4), target=c.governance.address)
    for g in (g2, newcomer):
        c.send(c.governance.functions.approve(pid), g)
    assert c.refused(c.governance.functions.execute(pid), g1) == ("RegistryGovernanceInvalidThreshold", (4, 3))


def test_constructor_refuses_an_unreachable_threshold(chain: Chain) -> None:
    from tests.contracts.conftest import artifact

    art = artifact("RegistryGovernance")
    factory = chain.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    g = chain.account()
    from tests.contracts.conftest import decode_revert

    with pytest.raises(Exception) as refused:  # noqa: PT011 - the backend's exception type; decoded below
        factory.constructor([g.address], 2).transact({"from": chain.funder})
    assert decode_revert(refused.value) == ("RegistryGovernanceInvalidThreshold", (2, 1))
