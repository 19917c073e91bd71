"""IssuanceService and the pure pieces around it: checking items, building documents, the outbox, CSV reading."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import pytest
import requests

from node.chain.records import ChainBlock
from node.credentials import verify_integrity
from node.credentials.csvfile import parse_csv
from node.credentials.items import (
    EVERY_ITEM,
    MAX_BULK,
    IssueItem,
    Problem,
    SubmissionInvalidError,
    latest_award_date,
)
from node.errors import (
    BatchStateError,
    ChainUnavailableError,
    ConfigurationError,
    ForbiddenError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from node.readmodel.chainview import RpcChainView
from node.runtime import Node
from node.services.issuance import IssuanceService, check_items
from node.store import AnchoringState, ApiKeyRole, IssuerStatus, Principal
from tests.api.conftest import add_issuer, chain_act, fake_anchor, open_test_node
from tests.api.refusals import CASES, LEARNER_NAME, Case
from tests.samples import VALID

NODE_BACKENDS = ("sqlite", "postgresql")  # this module's node runs once per database (tests/conftest.py)

FQ = "formal-qualification"
UTC = dt.UTC


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, node_database: Callable[[], str | None]) -> Iterator[Node]:
    with closing(open_test_node(tmp_path_factory.mktemp("issuance"), database_url=node_database())) as opened:
        yield opened


@pytest.fixture
def service(node: Node) -> IssuanceService:
    return IssuanceService(node)


def principal_of(node: Node, status: IssuerStatus = IssuerStatus.ACTIVE) -> Principal:
    issuer = add_issuer(node, status)
    principal = node.store.authenticate(issuer.key)
    assert principal is not None
    return principal


def subject(n: int = 0) -> dict[str, Any]:
    return {
        "learner": {"name": f"Learner {n}", "identity": {"type": "passport", "number": f"P{n:07d}", "country": "ZA"}},
        "qualification": {"id": "SAQA-1", "title": "Diploma", "nqfLevel": 6, "credits": 360},
        "institution": "TVET College",
        "awardDate": "2026-11-20",
    }


def item(n: int = 0, **changes: Any) -> IssueItem:
    fields: dict[str, Any] = {"type_name": FQ, "subject": subject(n), **changes}
    return IssueItem(**fields)


# --- checking ---------------------------------------------------------------------------------------------------


def test_check_items_reports_every_problem_with_index_pointer_and_rule() -> None:
    bad = subject(1)
    bad["qualification"]["credits"] = 0
    del bad["institution"]
    now = dt.datetime(2026, 11, 22, tzinfo=UTC)
    problems = check_items(
        [
            item(0),
            item(1, subject=bad),
            item(2, type_name="no-such-type"),
            item(3, version=7),
            item(4, valid_until=dt.datetime(2026, 1, 1)),
            item(5, type_name=""),
            item(6, client_ref="x" * 201),
            item(7, valid_from=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))),
        ],
        now=now,
    )
    by_index: dict[int, list[Problem]] = {}
    for problem in problems:
        by_index.setdefault(problem.index, []).append(problem)
    assert 0 not in by_index
    assert {(p.path, p.rule) for p in by_index[1]} == {
        ("/credentialSubject/qualification/credits", "minimum"),
        ("/credentialSubject/institution", "required"),
    }
    assert [(p.path, p.rule) for p in by_index[2]] == [("/type", "enum")]
    assert "no-such-type" not in by_index[2][0].message  # an unknown name is not repeated (it could be anything)
    assert [(p.path, p.rule) for p in by_index[3]] == [("/version", "enum")]
    assert "known versions: 1" in by_index[3][0].message
    assert [(p.path, p.rule) for p in by_index[4]] == [("/validUntil", "exclusiveMinimum")]
    assert [(p.path, p.rule) for p in by_index[5]] == [("/type", "required")]
    assert [(p.path, p.rule) for p in by_index[6]] == [("/clientRef", "maxLength")]
    assert [(p.path, p.rule) for p in by_index[7]] == [("/validFrom", "format")]


def test_the_error_lists_items_or_csv_rows_and_words_a_single_credential_apart() -> None:
    problems = [Problem(1, "/credentialSubject/learner/name", "required", "is required")]
    bulk = SubmissionInvalidError(problems, [item(0), item(1)])
    assert "1 of 2 credentials are not valid, so none was accepted" in bulk.detail
    assert "item 1 /credentialSubject/learner/name: is required (rule: required)" in bulk.detail
    rows = SubmissionInvalidError(problems, [item(0, row=2), item(1, row=5)])
    assert "row 5, column learner.name (/credentialSubject/learner/name): is required" in rows.detail
    assert "upload the file again" in rows.detail
    single = SubmissionInvalidError(
        [Problem(0, "/credentialSubject", "type", "must be an object")], [item()], single=True
    )
    assert single.detail.startswith(
        "The credential is not valid, so it was not accepted (1 problem): /credentialSubject"
    )
    assert single.status_code == 422


# --- submitting -------------------------------------------------------------------------------------------------


def test_submit_builds_sealed_documents_for_the_issuer_and_writes_them_all(
    node: Node, service: IssuanceService
) -> None:
    principal = principal_of(node)
    issuer = node.store.get_issuer(principal.issuer_id or 0)
    until = dt.datetime(2036, 11, 20, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    accepted = service.submit(principal, [item(0), item(1, valid_until=until, client_ref="ref-1")])
    assert [a.client_ref for a in accepted] == [None, "ref-1"]
    first, second = (node.store.get_credential(a.id, issuer.id) for a in accepted)
    assert (first.type_name, first.type_version, first.status) == (FQ, "1", AnchoringState.PENDING)
    document = json.loads(second.document)
    assert document["issuer"] == {"id": issuer.metadata_uri, "name": issuer.name}
    assert document["validUntil"] == "2036-11-20T10:30:00Z"
    assert document["credentialSchema"]["id"].endswith("/formal-qualification/v1")
    assert document["proof"]["credentialHash"] == second.credential_hash
    assert verify_integrity(document, require_anchor=False).ok
    assert json.loads(first.document)["id"] != document["id"]
    # one id for issuer and holder: the API's id is the uuid of the document's urn:uuid id, and either finds it
    assert document["id"] == f"urn:uuid:{second.id}"
    assert node.store.get_credential(document["id"], issuer.id).id == second.id


def test_the_outbox_holds_each_document_as_compact_json_with_its_characters_as_given(
    node: Node, service: IssuanceService
) -> None:
    principal = principal_of(node)
    named = subject(0)
    named["learner"]["name"] = "Zoë Nkosi-Müller"
    [accepted] = service.submit(principal, [item(0, subject=named)])
    stored = node.store.get_credential(accepted.id).document
    assert "Zoë Nkosi-Müller" in stored
    assert stored == json.dumps(json.loads(stored), ensure_ascii=False, separators=(",", ":"))


def test_submit_is_all_or_nothing(node: Node, service: IssuanceService) -> None:
    principal = principal_of(node)
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [item(0), item(1, type_name="unknown"), item(2), item(3, subject={})])
    assert sorted({p.index for p in caught.value.problems}) == [1, 3]
    assert sum(node.store.credential_counts(principal.issuer_id).values()) == 0


def test_submit_refuses_empty_and_oversized_submissions(node: Node, service: IssuanceService) -> None:
    principal = principal_of(node)
    with pytest.raises(ValidationFailedError, match="send at least one"):
        service.submit(principal, [])
    with pytest.raises(PayloadTooLargeError, match="at most 10,000"):
        service.submit(principal, [item()] * (MAX_BULK + 1))


def test_only_an_active_issuer_key_may_submit(node: Node, service: IssuanceService) -> None:
    with pytest.raises(ForbiddenError, match="is suspended"):
        service.submit(principal_of(node, IssuerStatus.SUSPENDED), [item()])
    admin = Principal(key_id=0, role=ApiKeyRole.ADMIN, issuer_id=None, label="ops", prefix="env")
    with pytest.raises(ForbiddenError, match="needs an issuer API key"):
        service.submit(admin, [item()])
    with pytest.raises(ForbiddenError):
        service.get(admin, "any")


def test_an_issuer_registered_without_a_did_or_https_uri_is_a_configuration_error(
    node: Node, service: IssuanceService
) -> None:
    issuer = add_issuer(node, uri="ftp://nope")  # the registry takes any URI; a document cannot name it
    principal = node.store.authenticate(issuer.key)
    assert principal is not None
    with pytest.raises(ConfigurationError, match=f"issuer {issuer.issuer_id} is registered .* register it again"):
        service.submit(principal, [item()])


def test_submit_one_returns_the_credential_first_issued_under_a_client_ref(
    node: Node, service: IssuanceService
) -> None:
    principal = principal_of(node)
    first = service.submit_one(principal, item(0, client_ref="same"))
    fake_anchor(node.store, principal.issuer_id or 0)
    again = service.submit_one(principal, item(5, client_ref="same"))  # other content: the first one wins
    assert (again.id, again.credential_hash) == (first.id, first.credential_hash)
    assert again.status is AnchoringState.ANCHORED
    assert again.bundle is not None and verify_integrity(again.bundle).ok


def test_submit_one_of_a_new_credential_answers_what_the_store_holds(node: Node, service: IssuanceService) -> None:
    principal = principal_of(node)
    view = service.submit_one(principal, item(7, client_ref="fresh-7"))  # answered without reading it back
    stored = service.get(principal, view.id)
    fields = ("id", "status", "type_name", "type_version", "credential_hash", "client_ref", "batch_id", "anchored_at")
    assert [getattr(view, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert view.status is AnchoringState.PENDING


def test_a_failed_credential_keeps_its_reason_and_is_listed_as_failed(node: Node, service: IssuanceService) -> None:
    principal = principal_of(node)
    accepted = service.submit(principal, [item()])
    batch = node.store.claim_batch(principal.issuer_id or 0, 10)
    assert batch is not None
    node.store.mark_failed(batch.batch_id, "stopped")
    assert service.get(principal, accepted[0].id).failure_reason == "stopped"
    view = service.list_credentials(principal, status=AnchoringState.FAILED)
    assert [v.id for v in view.items] == [accepted[0].id]
    assert view.total == 1


def test_get_without_anchor_data_is_a_clear_batch_state_error(
    node: Node, service: IssuanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = principal_of(node)
    accepted = service.submit(principal, [item()])
    fake_anchor(node.store, principal.issuer_id or 0)
    real = node.store.get_batch

    def without_tx(batch_id: int) -> Any:
        from dataclasses import replace

        return replace(real(batch_id), tx_hash=None)

    monkeypatch.setattr(node.store, "get_batch", without_tx)
    with pytest.raises(BatchStateError, match="batch records are inconsistent"):
        service.get(principal, accepted[0].id)


# --- types and CSV ----------------------------------------------------------------------------------------------


def csv_items(text: str) -> list[IssueItem]:
    return parse_csv(text.encode("utf-8"))


def test_parse_csv_coerces_per_type_and_counts_rows_like_a_spreadsheet() -> None:
    items = csv_items(
        "Type,credentialSubject.title,competencies,hours,nqfLevel,learner.name,validFrom,version,clientRef\n"
        'micro-credential,"Line one\nline two","[""a"", ""b""]",12,4,Zodwa,2026-11-01T10:00:00+02:00,1,c-1\n'
        ",,,,,,,,\n"
        "micro-credential,Course,x;y,twelve,,Ayanda,yesterday,v2,\n"
    )
    assert [i.row for i in items] == [2, 4]  # a quoted line break stays in row 2; the blank row 3 is skipped
    first, second = items
    assert first.subject == {
        "title": "Line one\nline two",
        "competencies": ["a", "b"],
        "hours": 12,
        "nqfLevel": 4,
        "learner": {"name": "Zodwa"},
    }
    assert first.valid_from == dt.datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert (first.version, first.client_ref, first.problems) == (1, "c-1", ())
    assert second.subject["competencies"] == ["x", "y"]
    assert second.subject["hours"] == "twelve"  # left as text: the schema names the rule
    assert {(p.path, p.rule) for p in second.problems} == {("/validFrom", "format"), ("/version", "type")}
    problems = check_items(items)
    assert ("/credentialSubject/hours", "type") in {(p.path, p.rule) for p in problems if p.index == 1}


def test_parse_csv_flags_stray_cells_and_unknown_fields() -> None:
    items = csv_items(f"type,learner.name,,nickname\n{FQ},Zanele,oops,Zee,extra\n")
    assert {p.rule for p in items[0].problems} == {"columns"}
    assert len(items[0].problems) == 2
    problems = check_items(items)
    assert ("/credentialSubject/nickname", "additionalProperties") in {(p.path, p.rule) for p in problems}


# --- what can never verify is refused before it is accepted ----------------------------------------------------


def test_a_csv_date_or_a_time_without_a_zone_is_refused_naming_its_column() -> None:
    items = csv_items(f"type,validFrom,validUntil\n{FQ},2026-11-01,2036-11-01T00:00:00\n")
    assert {(p.path, p.rule) for p in items[0].problems} == {("/validFrom", "format"), ("/validUntil", "format")}
    assert all("time zone" in p.message for p in items[0].problems)


def test_award_dates_may_be_today_anywhere_on_earth_but_not_later() -> None:
    now = dt.datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # already 5 December in UTC+14 (from 10:00 UTC)
    assert latest_award_date(now) == dt.date(2026, 12, 5)
    assert latest_award_date(dt.datetime(2026, 12, 4, 9, 59, tzinfo=UTC)) == dt.date(2026, 12, 4)
    fine = item(0, subject={**subject(0), "awardDate": "2026-12-05"})
    future = item(1, subject={**subject(1), "awardDate": "2026-12-06"})
    rpl = IssueItem(
        "recognition-of-prior-learning", {**VALID["recognition-of-prior-learning"], "assessmentDate": "2027-01-01"}
    )
    not_a_date = item(3, subject={**subject(3), "awardDate": "2999-02-30"})  # the schema's rule, not this one
    problems = check_items([fine, future, rpl, not_a_date], now=now)
    assert {(p.index, p.path, p.rule) for p in problems} == {
        (1, "/credentialSubject/awardDate", "notInFuture"),
        (2, "/credentialSubject/assessmentDate", "notInFuture"),
        (3, "/credentialSubject/awardDate", "date"),
    }
    assert all("2026-12-06" not in p.message and "2027-01-01" not in p.message for p in problems)


def test_a_credential_that_expires_before_it_is_issued_is_refused() -> None:
    now = dt.datetime(2026, 12, 4, tzinfo=UTC)
    problems = check_items(
        [item(0, valid_from=dt.datetime(2020, 1, 1, tzinfo=UTC), valid_until=dt.datetime(2021, 1, 1, tzinfo=UTC))],
        now=now,
    )
    assert [(p.path, p.rule) for p in problems] == [("/validUntil", "exclusiveMinimum")]
    assert "can never verify" in problems[0].message


@pytest.mark.parametrize("case", CASES, ids=str)
def test_submit_refuses_what_the_issuers_accreditation_does_not_cover(
    node: Node, service: IssuanceService, case: Case
) -> None:
    issuer = case.make(node)
    principal = node.store.authenticate(issuer.key)
    assert principal is not None
    good = IssueItem(*case.good) if case.good else item(0)
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [good, IssueItem(case.type_name, case.subject)])
    problems = {(p.index, p.path, p.rule) for p in caught.value.problems}
    assert problems == {(EVERY_ITEM if case.every_item else 1, case.path, case.rule)}, caught.value.detail
    assert caught.value.status_code == 422
    assert LEARNER_NAME not in caught.value.detail
    assert sum(node.store.credential_counts(issuer.issuer_id).values()) == 0
    if case.good is not None:  # what is in scope is still accepted
        assert len(service.submit(principal, [good])) == 1


def test_the_refusals_say_what_the_registry_says_and_what_to_do(node: Node, service: IssuanceService) -> None:
    narrow = add_issuer(node, types=[FQ], max_level=6)
    principal = node.store.authenticate(narrow.key)
    assert principal is not None
    micro = IssueItem("micro-credential", VALID["micro-credential"])
    high = item(1, subject={**subject(1), "qualification": {**subject(1)["qualification"], "nqfLevel": 8}})
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [micro, high])
    detail = caught.value.detail
    assert f"is not accredited for micro-credential credentials; it may issue: {FQ} (rule: accreditedType)" in detail
    assert f"must be at most 6, the highest NQF level issuer {narrow.issuer_id} is accredited for" in detail
    chain_act(node, "suspendIssuer", narrow.issuer_id, 5)
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [item(0)], single=True)
    assert caught.value.detail.startswith("The credential is not valid, so it was not accepted (1 problem): /issuer: ")
    assert f"issuer #{narrow.issuer_id} ({narrow.metadata_uri}) is suspended since" in caught.value.detail
    assert "ask its accreditation body to reinstate it" in caught.value.detail
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [item(0), item(1), item(2)])
    assert "3 of 3 credentials are not valid, so none was accepted (1 problem): every credential (/issuer)" in (
        caught.value.detail
    )


def test_the_registry_is_read_once_per_submission(
    node: Node, service: IssuanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = principal_of(node)
    calls: list[str] = []
    for name in ("issuer", "issuer_types", "body", "body_types", "key_of", "snapshot"):
        real = getattr(RpcChainView, name)

        def counted(self: RpcChainView, *args: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append(_name)
            return _real(self, *args)

        monkeypatch.setattr(RpcChainView, name, counted)
    assert len(service.submit(principal, [item(n) for n in range(200)])) == 200
    assert sorted(calls) == sorted(["snapshot", "issuer", "issuer_types", "body", "body_types", "key_of"])


def test_an_unreadable_chain_is_a_503_and_nothing_is_accepted(
    node: Node, service: IssuanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = principal_of(node)

    def down(self: RpcChainView) -> RpcChainView:
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(RpcChainView, "snapshot", down)
    with pytest.raises(ChainUnavailableError, match=r"could not be read to check issuer .* nothing was accepted") as e:
        service.submit(principal, [item(0)])
    assert e.value.status_code == 503
    assert sum(node.store.credential_counts(principal.issuer_id).values()) == 0


class LaggingMirror:
    """The indexer's mirror a block behind: it does not know the issuers accredited since (every answer empty)."""

    def __init__(self) -> None:
        self.reads = 0

    def snapshot(self) -> LaggingMirror:
        self.reads += 1
        return self

    def as_of(self) -> ChainBlock:
        return ChainBlock(1, "0x" + "00" * 32, 0)

    def issuer(self, issuer_id: int) -> None:
        return None

    def issuer_types(self, issuer_id: int) -> list[bytes]:
        return []

    def issuer_identities(self, issuer_id: int) -> tuple[str, ...]:
        return ()

    def body(self, body_id: int) -> None:
        return None

    def body_types(self, body_id: int) -> list[bytes]:
        return []

    def key_of(self, address: str) -> None:
        return None


def test_the_mirror_is_read_first_and_a_refusal_it_causes_is_confirmed_on_chain(
    node: Node, service: IssuanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = LaggingMirror()
    monkeypatch.setattr(node.workers, "mirror", mirror)
    fresh = principal_of(node)  # accredited a moment ago: the mirror has not seen it yet, the chain has
    assert len(service.submit(fresh, [item(0)])) == 1
    assert mirror.reads == 1
    node.store.upsert_issuer(  # recorded on this node under an id the registry does not know
        9_999, name="Nowhere College", metadata_uri="did:web:nowhere.example", signer_address="0x" + "1" * 40
    )
    nowhere = node.store.authenticate(node.store.create_api_key(ApiKeyRole.ISSUER, 9_999, label="unknown"))
    assert nowhere is not None
    with pytest.raises(SubmissionInvalidError) as caught:  # the chain confirms what the mirror says
        service.submit(nowhere, [item(0)])
    assert mirror.reads == 2
    assert [(p.path, p.rule) for p in caught.value.problems] == [("/issuer", "issuerAccredited")]
    assert "POST /v1/issuers/register" in caught.value.detail


def test_documents_must_name_an_identity_the_issuer_holds_or_held_in_the_registry(
    node: Node, service: IssuanceService
) -> None:
    issuer = add_issuer(node)
    principal = node.store.authenticate(issuer.key)
    assert principal is not None
    signer = node.store.get_issuer(issuer.issuer_id).signer_address
    new_uri = f"did:web:renamed-{issuer.issuer_id}.example"
    chain_act(node, "setIssuerMetadata", issuer.issuer_id, new_uri, b"\0" * 32)
    # the node still writes the identity the issuer held before: its credentials verify (FORMER_IDENTITY)
    assert len(service.submit(principal, [item(0)])) == 1
    node.store.upsert_issuer(
        issuer.issuer_id, name=issuer.name, metadata_uri="did:web:never.example", signer_address=signer
    )
    with pytest.raises(SubmissionInvalidError) as caught:
        service.submit(principal, [item(1)])
    assert [(p.path, p.rule) for p in caught.value.problems] == [("/issuer/id", "issuerIdentity")]
    assert new_uri in caught.value.detail
