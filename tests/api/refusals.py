"""The accreditation refusals issuance must give before its 202, one case each: how to make the issuer (on the test
chain of tests/api/conftest.py), a credential it may not issue, and the JSON pointer and rule the 422 names.

Shared by tests/services/test_issuance.py (IssuanceService) and tests/api/routes/test_credentials.py (single, bulk,
CSV).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from node.runtime import Node
from tests.api.conftest import IssuerKey, accreditation_body, add_issuer, chain_act
from tests.samples import VALID

FQ = "formal-qualification"
MICRO = "micro-credential"
RPL = "recognition-of-prior-learning"
LEARNER_NAME = "Refused Learner-Surname"
"""In every case's subject: a 422 must never quote it."""


def chain_now(node: Node) -> int:
    """The later of the chain's latest block time and this machine's clock (what issuance judges at)."""
    return max(node.registry.latest_timestamp(), int(time.time()))


def subject_of(type_name: str, **changes: Any) -> dict[str, Any]:
    subject = copy.deepcopy(VALID[type_name])
    subject["learner"] = {**subject["learner"], "name": LEARNER_NAME}
    for key, value in changes.items():
        if key == "qualification_level":
            subject["qualification"]["nqfLevel"] = value
        else:
            subject[key] = value
    return subject


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Node], IssuerKey]
    type_name: str
    subject: dict[str, Any]
    path: str
    rule: str
    every_item: bool
    """A problem of the issuer itself (reported once for every item) rather than of the item."""
    good: tuple[str, dict[str, Any]] | None = None
    """A credential the same issuer may issue (in scope), for the cases that concern one item."""

    def __str__(self) -> str:
        return self.name


def _then(issuer: IssuerKey, act: Callable[[IssuerKey], object]) -> IssuerKey:
    act(issuer)
    return issuer


def _signer(node: Node, issuer: IssuerKey) -> str:
    return node.store.get_issuer(issuer.issuer_id).signer_address


def _suspended_body(node: Node) -> IssuerKey:
    body_id = accreditation_body(node, fresh=True)
    issuer = add_issuer(node, body_id=body_id)
    chain_act(node, "suspendBody", body_id, 5, governance=True)
    return issuer


CASES: list[Case] = [
    Case(
        "type-out-of-scope",
        lambda node: add_issuer(node, types=[FQ]),
        MICRO,
        subject_of(MICRO),
        "/type",
        "accreditedType",
        False,
        (FQ, subject_of(FQ)),
    ),
    Case(
        "level-formal-qualification",
        lambda node: add_issuer(node, max_level=6),
        FQ,
        subject_of(FQ, qualification_level=7),
        "/credentialSubject/qualification/nqfLevel",
        "accreditedLevel",
        False,
        (FQ, subject_of(FQ, qualification_level=6)),
    ),
    Case(
        "level-micro-credential",
        lambda node: add_issuer(node, max_level=4),
        MICRO,
        subject_of(MICRO, nqfLevel=5),
        "/credentialSubject/nqfLevel",
        "accreditedLevel",
        False,
        (MICRO, subject_of(MICRO)),  # no level at all: nothing to limit
    ),
    Case(
        "level-recognition-of-prior-learning",
        lambda node: add_issuer(node, max_level=4),
        RPL,
        subject_of(RPL, nqfLevel=5),
        "/credentialSubject/nqfLevel",
        "accreditedLevel",
        False,
        (RPL, subject_of(RPL, nqfLevel=4)),
    ),
    Case(
        "issuer-suspended",
        lambda node: _then(add_issuer(node), lambda i: chain_act(node, "suspendIssuer", i.issuer_id, 5)),
        FQ,
        subject_of(FQ),
        "/issuer",
        "issuerActive",
        True,
    ),
    Case(
        "issuer-withdrawn",
        lambda node: _then(add_issuer(node), lambda i: chain_act(node, "withdrawIssuer", i.issuer_id, 10)),
        FQ,
        subject_of(FQ),
        "/issuer",
        "issuerActive",
        True,
    ),
    Case(
        "issuer-window-ended",
        lambda node: add_issuer(node, valid_from=chain_now(node) - 7200, valid_until=chain_now(node) - 60),
        FQ,
        subject_of(FQ),
        "/issuer",
        "issuerWindow",
        True,
    ),
    Case(
        "issuer-window-not-started",
        lambda node: add_issuer(node, valid_from=chain_now(node) + 3600, key_from=chain_now(node) - 3600),
        FQ,
        subject_of(FQ),
        "/issuer",
        "issuerWindow",
        True,
    ),
    Case("body-suspended", _suspended_body, FQ, subject_of(FQ), "/issuer", "bodyActive", True),
    Case(
        "key-not-registered",
        lambda node: add_issuer(node, key=False),
        FQ,
        subject_of(FQ),
        "/issuer",
        "signingKey",
        True,
    ),
    Case(
        "key-retired",
        lambda node: _then(
            add_issuer(node),
            lambda i: chain_act(node, "retireIssuerKey", i.issuer_id, _signer(node, i), chain_now(node) - 60),
        ),
        FQ,
        subject_of(FQ),
        "/issuer",
        "signingKey",
        True,
    ),
    Case(
        "key-cut-off",
        lambda node: _then(
            add_issuer(node),
            lambda i: chain_act(node, "cutOffIssuerKey", i.issuer_id, _signer(node, i), chain_now(node) - 60),
        ),
        FQ,
        subject_of(FQ),
        "/issuer",
        "signingKey",
        True,
    ),
    Case(
        "key-not-yet-valid",
        lambda node: add_issuer(node, key_from=chain_now(node) + 3600),
        FQ,
        subject_of(FQ),
        "/issuer",
        "signingKey",
        True,
    ),
]
