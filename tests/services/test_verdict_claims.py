"""What a valid verdict says besides valid: the main claims shown, the accredited issuer behind the credential (its
registered name only when the registry confirms it), and what the registry does not vouch for.

On the in-memory chain (tests/fakechain.py): these are judgements of the verifier, not of the contracts.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from node.credentials.document import disclose
from node.services.verification import VerificationService
from tests.fakechain import FakeChain, FakeIssuer
from tests.samples import VALID

FORMAL = "formal-qualification"
ALL = (FORMAL, "micro-credential", "recognition-of-prior-learning")


@pytest.fixture
def chain() -> FakeChain:
    return FakeChain()


def service(chain: FakeChain) -> VerificationService:
    return VerificationService(chain, chain.chain_id, chain.registry_address, clock=lambda: chain.now)


def issuer(chain: FakeChain, name: str | None) -> FakeIssuer:
    return chain.add_issuer(chain.add_body(ALL), ALL, name=name)


def test_the_registered_name_is_confirmed_by_the_registry_hash(chain: FakeChain) -> None:
    uni = issuer(chain, "University of Example")  # the sample's institution text
    [bundle] = chain.issue(uni, FORMAL, [VALID[FORMAL]])
    verdict = service(chain).verify(bundle)
    assert verdict.valid, verdict.summary
    assert verdict.issuer is not None and verdict.issuer.registered_name == "University of Example"
    assert f"issued by issuer #{uni.issuer_id} (University of Example, {uni.uri})" in verdict.summary
    assert "accredited by body #1 (did:web:body1.credreg.test)" in verdict.summary
    assert verdict.notices == []  # the institution text is the registered name: nothing to warn about


def test_institution_text_that_is_not_the_registered_name_is_said_to_be_the_issuers_words(chain: FakeChain) -> None:
    other = issuer(chain, "Another College")
    [bundle] = chain.issue(other, FORMAL, [VALID[FORMAL]])
    verdict = service(chain).verify(bundle)
    assert verdict.valid
    [notice] = verdict.notices
    assert "names the institution 'University of Example'" in notice
    assert "not the issuer's registered name" in notice and "'Another College'" in notice


def test_a_name_the_registry_does_not_hold_is_not_called_registered(chain: FakeChain) -> None:
    unnamed = issuer(chain, None)  # accredited without a name hash
    unnamed.name = "University of Example"  # yet the issuing node writes one into its documents
    [bundle] = chain.issue(unnamed, FORMAL, [VALID[FORMAL]])
    verdict = service(chain).verify(bundle)
    assert verdict.valid
    assert verdict.issuer is not None and verdict.issuer.registered_name is None
    assert "University of Example," not in verdict.summary
    assert any("not the name the registry holds" in n for n in verdict.notices)


@pytest.mark.parametrize("type_name", ALL)
def test_the_claims_are_the_shown_main_fields_in_the_policy_order(chain: FakeChain, type_name: str) -> None:
    named = issuer(chain, "Registered Name")
    [bundle] = chain.issue(named, type_name, [VALID[type_name]])
    verdict = service(chain).verify(bundle)
    assert verdict.valid
    claims = {c.path: c.value for c in verdict.claims}
    assert claims["/credentialSubject/learner/name"] == VALID[type_name]["learner"]["name"]
    assert verdict.claims[0].label == "Learner"
    hidden = service(chain).verify(disclose(bundle, ["/credentialSubject/learner"]))
    assert hidden.valid
    assert "/credentialSubject/learner/name" not in {c.path for c in hidden.claims}
    assert [c for c in hidden.claims] == [c for c in verdict.claims if c.label != "Learner"]
    assert "The holder hid 3 field(s)." in hidden.summary or "The holder hid 4 field(s)." in hidden.summary


def test_a_verdict_that_fails_integrity_shows_no_claims(chain: FakeChain) -> None:
    [bundle] = chain.issue(issuer(chain, None), FORMAL, [VALID[FORMAL]])
    altered: dict[str, Any] = copy.deepcopy(bundle)
    altered["credentialSubject"]["qualification"]["title"] = "Doctor of Medicine"
    verdict = service(chain).verify(altered)
    assert not verdict.valid
    assert verdict.claims == [] and verdict.notices == []
