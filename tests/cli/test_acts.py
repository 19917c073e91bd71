"""node/cli/_acts.py: what the chain-acting commands share: reading --at, and the one line an act prints."""

from __future__ import annotations

import datetime as dt

import pytest

from node.cli._acts import act_line, show, when
from node.errors import ValidationFailedError
from node.services.governance import ChainAct, ProposalState, ProposalView, Via

NOON = int(dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(
    "text", ["2026-11-22T12:00:00Z", "2026-11-22T12:00:00+00:00", "2026-11-22T12:00:00", "2026-11-22T14:00:00+02:00"]
)
def test_at_reads_iso_8601_and_no_offset_means_utc(text: str) -> None:
    assert when(text) == NOON


def test_no_at_means_now_and_a_bad_one_is_one_sentence_naming_the_option() -> None:
    assert when(None) is None
    with pytest.raises(ValidationFailedError) as caught:
        when("22/11/2026", "--from")
    assert caught.value.detail.startswith("--from: '22/11/2026' is not an ISO 8601 time")
    assert "2026-11-22T08:00:00Z" in caught.value.detail  # an example of what it takes


def test_an_executed_act_names_its_transaction() -> None:
    done = ChainAct(via=Via.BODY_ADMIN, executed=True, tx_hash="0x" + "ab" * 32, block_number=12)
    assert act_line(done, "issuer 5 suspended") == f"issuer 5 suspended (tx 0x{'ab' * 32}, block 12)"
    quiet = ChainAct(via=Via.GOVERNANCE, executed=True, tx_hash=None, block_number=None)
    assert act_line(quiet, "nothing to do") == "nothing to do"


def test_a_proposed_act_says_how_the_other_governors_approve_it() -> None:
    proposal = ProposalView(
        id=7,
        proposer="0x" + "11" * 20,
        target="registry",
        target_address="0x" + "22" * 20,
        function="suspendBody",
        args={},
        deadline=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        state=ProposalState.PENDING,
        approvals=1,
        threshold=2,
        approved_by=["0x" + "11" * 20],
    )
    pending = ChainAct(via=Via.GOVERNANCE, executed=False, tx_hash="0x01", block_number=3, proposal=proposal)
    line = act_line(pending, "body 2 suspended")
    assert "body 2 suspended" not in line  # not done yet: it must not read as done
    assert line.startswith("proposed as proposal 7 (1 of 2 approvals)")
    assert "`credreg governance approve 7`" in line


def test_show_prints_json_with_dates_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    show({"id": 3, "at": dt.date(2026, 11, 22), "name": "Example"})
    printed = capsys.readouterr().out
    assert '"id": 3' in printed and '"at": "2026-11-22"' in printed and '"name": "Example"' in printed
