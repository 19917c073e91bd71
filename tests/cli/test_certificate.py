"""`credreg certificate ID` (node/cli/certificate.py): what stops it before anything is written is one line and exit
1, and no file is left behind. The PDF itself, fetched from a served node, is checked in tests/web/test_certificate.py
(it needs the browser suite's node)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from node.cli import app
from tests.serving import free_port

CREDENTIAL = "0b6c8a4e-3f0e-4c4e-9a55-7c1d2f3e4a5b"


def certificate(tmp_path: Path, *args: str, key: str = "crk_test", api: str = "http://127.0.0.1:1") -> Any:
    env = {"CREDREG_API_KEY": key, "CREDREG_API_URL": api, "COLUMNS": "250"}
    return CliRunner().invoke(app, ["certificate", *args, "--out", str(tmp_path / "c.pdf")], env=env)


def assert_one_line(result: Any, tmp_path: Path, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing is written when it fails"


@pytest.mark.parametrize("key", ["", "   "])
def test_no_api_key_says_which_variable_to_set(tmp_path: Path, key: str) -> None:
    assert_one_line(certificate(tmp_path, CREDENTIAL, key=key), tmp_path, "no API key", "CREDREG_API_KEY")


@pytest.mark.parametrize("credential_id", ["not-an-id", "12345", CREDENTIAL + "0", "urn:uuid:" + CREDENTIAL[:-1]])
def test_what_is_not_a_credential_id_is_refused_before_any_request(tmp_path: Path, credential_id: str) -> None:
    assert_one_line(certificate(tmp_path, credential_id), tmp_path, "not a credential id")


def test_a_node_that_does_not_answer_is_one_line_naming_it(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{free_port()}"
    assert_one_line(certificate(tmp_path, "urn:uuid:" + CREDENTIAL, api=api), tmp_path, api.removeprefix("http://"))
