"""`credreg disclose`: the holder hides fields on their own machine; the result verifies and shows only the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli import app
from node.credentials.bundle import dumps_bundle
from node.services.verification import VerificationService
from tests.fakechain import FakeChain
from tests.samples import VALID

FORMAL = "formal-qualification"
IDENTITY = "/credentialSubject/learner/identity"


@pytest.fixture
def issued(tmp_path: Path) -> tuple[FakeChain, Path]:
    chain = FakeChain()
    issuer = chain.add_issuer(chain.add_body((FORMAL,)), (FORMAL,))
    [bundle] = chain.issue(issuer, FORMAL, [VALID[FORMAL]])
    path = tmp_path / "bundle.json"
    path.write_text(dumps_bundle(bundle))
    return chain, path


def test_disclose_hides_the_fields_and_the_result_verifies(issued: tuple[FakeChain, Path], tmp_path: Path) -> None:
    chain, path = issued
    shared = tmp_path / "shared.json"
    result = CliRunner().invoke(app, ["disclose", str(path), "--hide", IDENTITY, "--out", str(shared)])
    assert result.exit_code == 0, result.output
    text = shared.read_text()
    assert VALID[FORMAL]["learner"]["identity"]["number"] not in text
    verdict = VerificationService(chain, chain.chain_id, chain.registry_address, clock=lambda: chain.now).verify(text)
    assert verdict.valid, verdict.summary
    assert verdict.hidden_fields == [f"{IDENTITY}/number", f"{IDENTITY}/type"]


def test_disclose_without_hide_lists_what_may_be_hidden(issued: tuple[FakeChain, Path]) -> None:
    _, path = issued
    result = CliRunner().invoke(app, ["disclose", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{IDENTITY}/number" in result.output and "/credentialSubject/awardDate" in result.output
    assert "/credentialSubject/qualification/title" not in result.output  # the claim itself is never hideable


@pytest.mark.parametrize(
    ("hide", "words"),
    [
        ("/credentialSubject/qualification/nqfLevel", "cannot be hidden"),
        ("/validUntil", "only fields under /credentialSubject"),
        ("/credentialSubject/nope", "no such field"),
    ],
)
def test_disclose_refuses_what_a_verifier_would_refuse(
    issued: tuple[FakeChain, Path], tmp_path: Path, hide: str, words: str
) -> None:
    _, path = issued
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["disclose", str(path), "--hide", hide, "--out", str(out)])
    assert result.exit_code == 1
    assert words in " ".join(result.output.split())
    assert not out.exists()


def test_disclose_reads_the_file_strictly(tmp_path: Path, issued: tuple[FakeChain, Path]) -> None:
    _, path = issued
    text = path.read_text()
    doubled = tmp_path / "doubled.json"
    doubled.write_text(text.replace('"id": "urn:uuid:', '"id": "urn:uuid:x", "id": "urn:uuid:', 1))
    result = CliRunner().invoke(app, ["disclose", str(doubled), "--hide", IDENTITY])
    assert result.exit_code == 1 and "repeats the member name 'id'" in " ".join(result.output.split())
    assert json.loads(text)  # the original is untouched
