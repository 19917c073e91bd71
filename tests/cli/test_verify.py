"""`credreg verify` (node/cli/verify.py): mistakes that stop it before any verdict are one line and exit 1, never 3
(3 says "not valid"; 1 says "could not verify at all"). Verifying against a chain and offline against a checkpoint is
driven in tests/services/test_verification.py (it needs that file's world on anvil)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from node.cli import app
from node.cli.verify import EXIT_INVALID
from node.credentials.bundle import dumps_bundle
from tests.fakechain import FakeChain
from tests.samples import VALID

FORMAL = "formal-qualification"
SIGNER = "0x" + "11" * 20


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    chain = FakeChain()
    issuer = chain.add_issuer(chain.add_body((FORMAL,)), (FORMAL,))
    [bundle] = chain.issue(issuer, FORMAL, [VALID[FORMAL]])
    path = tmp_path / "bundle.json"
    path.write_text(dumps_bundle(bundle))
    return path


def credreg(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def assert_could_not_verify(result: Any, *needles: str) -> None:
    assert result.exit_code == 1 != EXIT_INVALID, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_trust_signer_goes_only_with_a_checkpoint(bundle_file: Path) -> None:
    result = credreg("verify", str(bundle_file), "--trust-signer", SIGNER)
    assert_could_not_verify(result, "--trust-signer only goes with --checkpoint")


def test_a_checkpoint_needs_the_signer_you_trust(bundle_file: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp.json"
    checkpoint.write_text("{}")
    result = credreg("verify", str(bundle_file), "--checkpoint", str(checkpoint))
    assert_could_not_verify(result, "--checkpoint needs --trust-signer")


def test_a_checkpoint_that_is_not_one_is_refused(bundle_file: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp.json"
    checkpoint.write_text("not json at all")
    result = credreg("verify", str(bundle_file), "--checkpoint", str(checkpoint), "--trust-signer", SIGNER)
    assert_could_not_verify(result, "the checkpoint is not valid JSON", "checkpoint create")


def test_a_bundle_file_that_is_not_text_is_one_line_naming_it(tmp_path: Path) -> None:
    binary = tmp_path / "photo.json"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not utf-8")
    result = credreg("verify", str(binary), "--rpc-url", "http://127.0.0.1:1")
    assert_could_not_verify(result, "cannot read the bundle file", str(binary))


def test_an_unreachable_chain_is_one_line_not_a_verdict(bundle_file: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = credreg("verify", str(bundle_file), "--rpc-url", dead)
    assert_could_not_verify(result, dead.removeprefix("http://"))
