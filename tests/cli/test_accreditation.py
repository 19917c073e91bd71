"""`credreg issuers|keys|bodies` (node/cli/accreditation.py) on anvil: the demo issuer's accreditation read back as
the API shows it, an issuer suspended and reinstated by its body's admin, and mistakes as one clear line."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import OnChain, one_clear_line, table_row

pytestmark = pytest.mark.anvil


def test_show_an_issuer_and_its_body(on_chain: OnChain) -> None:
    issuer_id = str(on_chain.demo.issuer_id)
    shown = on_chain("issuers", "show", issuer_id)
    assert shown.exit_code == 0, shown.output
    issuer = json.loads(shown.stdout)
    assert issuer["id"] == on_chain.demo.issuer_id and issuer["status"] == "active"
    assert [step["level"] for step in issuer["accreditationPath"]] == ["governance", "body", "issuer"]

    body_id = str(issuer["bodyId"])
    body = json.loads(on_chain("bodies", "show", body_id).stdout)
    assert body["id"] == issuer["bodyId"] and body["status"] == "active"
    listed = on_chain("bodies", "list")
    assert listed.exit_code == 0, listed.output
    assert table_row(listed.stdout, body_id)[1] == "active"


def test_suspend_and_reinstate_an_issuer_by_its_body_admin(on_chain: OnChain) -> None:
    issuer_id = str(on_chain.demo.issuer_id)
    for action, status in (("suspend", "suspended"), ("reinstate", "active")):
        result = on_chain("issuers", action, issuer_id, "--reason", "3")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"issuer {issuer_id}: {action} done via body-admin (tx 0x"), result.stdout
        listed = on_chain("issuers", "list")
        assert table_row(listed.stdout, issuer_id)[2] == status, listed.stdout
    one_clear_line(on_chain("issuers", "reinstate", issuer_id, "--reason", "3"), "is active and cannot become active")


def test_mistakes_are_one_clear_line(on_chain: OnChain) -> None:
    one_clear_line(on_chain("issuers", "show", "999"), "there is no issuer 999")
    one_clear_line(on_chain("bodies", "show", "999"), "999")
    cutoff = on_chain("keys", "cutoff", str(on_chain.demo.issuer_id), on_chain.demo.signer, "--at", "yesterday")
    one_clear_line(cutoff, "--at: 'yesterday' is not an ISO 8601 time")
