"""The certificate round trip: GET /v1/credentials/{id}/certificate.pdf → rasterise (pdftoppm) → decode the QR code
(zxing-cpp) → open its link in Chromium → valid; the attached credential.json → POST /v1/verify → valid; the PDF
dropped on the verify page → valid; `credreg certificate ID` writes the same kind of file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from pypdf import PdfReader
from typer.testing import CliRunner

from node.cli import app
from tests.render.test_certificate import rasterise
from tests.web.conftest import WebNode, screenshot

pytestmark = [pytest.mark.anvil, pytest.mark.browser]


def certificate(web_node: WebNode, credential_id: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or web_node.api_key}"}
    return httpx.get(f"{web_node.url}/v1/credentials/{credential_id}/certificate.pdf", headers=headers, timeout=120)


def test_certificate_round_trip(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    answer = certificate(web_node, web_node.bundle["id"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    pdf = answer.content

    # the QR code, read off the printed page, opens the verify page on this credential
    links = [r.text for r in zxingcpp.read_barcodes(rasterise(pdf))]
    assert len(links) == 1 and links[0].startswith(web_node.url + "/verify#share=")
    page.goto(links[0])
    page.wait_for_selector(".verdict.valid")
    assert "Shared with you through a link" in page.inner_text("#share-note")

    # the attached credential is the holder's bundle, and verifies on its own
    attached = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attached) == ["credential.json"]
    text = attached["credential.json"][0].decode("utf-8")
    assert json.loads(text) == web_node.bundle
    verdict = web_node.verify(text)
    assert verdict["valid"], verdict["summary"]

    # dropping (choosing) the PDF on the verify page verifies it
    saved = tmp_path / "certificate.pdf"
    saved.write_bytes(pdf)
    page.goto(web_node.url + "/verify")
    page.set_input_files("#file", str(saved))
    page.wait_for_selector(".verdict.valid")
    assert web_node.bundle["credentialSubject"]["qualification"]["title"] in page.inner_text("#summary")
    screenshot(page, "verify-certificate-pdf.png", full_page=False)


def test_a_pdf_without_a_credential_says_so(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    from fpdf import FPDF

    plain = FPDF()
    plain.add_page()
    plain.set_font("helvetica", size=12)
    plain.cell(text="Not a certificate")
    path = tmp_path / "letter.pdf"
    path.write_bytes(bytes(plain.output()))
    page.goto(web_node.url + "/verify")
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".verdict.invalid")
    assert "carries no credential file" in page.inner_text("#summary")


def test_certificates_are_for_the_issuer_and_for_valid_credentials_only(web_node: WebNode) -> None:
    assert certificate(web_node, web_node.bundle["id"], key="crk_not-a-key").status_code == 401
    revoked = json.loads(web_node.revoked_file.read_text(encoding="utf-8"))
    refused = certificate(web_node, revoked["id"])
    assert refused.status_code == 409 and "does not verify now" in refused.json()["detail"]
    missing = certificate(web_node, "urn:uuid:00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_the_cli_writes_the_certificate(web_node: WebNode, tmp_path: Path) -> None:
    out = tmp_path / "thandiwe.pdf"
    env = {"CREDREG_API_URL": web_node.url, "CREDREG_API_KEY": web_node.api_key}
    result = CliRunner().invoke(app, ["certificate", web_node.bundle["id"], "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert out.stat().st_mode & 0o077 == 0  # it names the learner: private to its owner
    assert list(PdfReader(out).attachments) == ["credential.json"]
    bad = CliRunner().invoke(app, ["certificate", "not-an-id"], env=env)
    assert bad.exit_code == 1 and "not a credential id" in bad.output
