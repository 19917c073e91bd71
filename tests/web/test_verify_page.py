"""The employer's verify page in Chromium: drop, pick or paste a bundle; the verdict for a person.

Genuine → valid, naming the issuer; tampered → not valid with the reason and what to do; the exact text is what is
verified (a duplicated member is refused); keyboard only; axe-core finds no serious or critical violation; phone
width and print; nothing is fetched from outside the node.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import ISSUER_NAME, WebNode, axe_violations, screenshot
from tests.web.helpers import RequestLog, drop_file, intercept_file_choosers

pytestmark = [pytest.mark.anvil, pytest.mark.browser]


def open_verify(page: Any, web_node: WebNode, path: str = "/") -> RequestLog:
    log = RequestLog(page, web_node.url)
    page.goto(web_node.url + path)
    intercept_file_choosers(page)
    page.wait_for_selector("#devnet-banner:not([hidden])")
    return log


def test_a_genuine_bundle_dropped_is_valid_and_names_its_issuer(page: Any, web_node: WebNode) -> None:
    log = open_verify(page, web_node)
    drop_file(page, "#drop-zone", web_node.bundle_file)
    page.wait_for_selector(".verdict.valid")

    summary = page.inner_text("#summary")
    assert summary.startswith("Valid:"), summary
    assert ISSUER_NAME in summary
    api = web_node.verify(web_node.bundle_file.read_text(encoding="utf-8"))["summary"]
    assert summary.split(" as of block")[0] == api.split(" as of block")[0]  # the API's own sentence (blocks move)
    assert page.inner_text(".badge") == "✓ Valid"
    claims = page.inner_text("dl.claims")
    for shown in ("BCom Accounting", "Thandiwe Nkosi", "360", "7"):
        assert shown in claims
    assert page.inner_text("#withheld") == "Nothing withheld: every field is shown."
    assert page.locator(".check").count() == 10
    assert page.locator(".check.invalid").count() == 0
    assert "Answer as of block" in page.inner_text("#freshness")
    assert "Transaction" in page.inner_text("dl.evidence")
    assert page.is_visible("#devnet-banner")
    assert page.evaluate("document.activeElement.id") == "summary"  # focus moves to the answer
    assert page.inner_text("#status") == "Verdict: valid."  # the live region announces it
    assert log.outside == []
    assert log.calls("POST") == ["/v1/verify"]
    screenshot(page, "verify-valid.png")


def test_a_tampered_bundle_is_not_valid_with_the_reason_and_what_to_do(page: Any, web_node: WebNode) -> None:
    log = open_verify(page, web_node, "/verify")
    page.set_input_files("#file", str(web_node.tampered_file))  # picked with the file chooser this time
    page.wait_for_selector(".verdict.invalid")

    summary = page.inner_text("#summary")
    assert summary.startswith("Not valid:"), summary
    failing = page.locator(".check.invalid")
    assert failing.count() == 1
    assert failing.get_attribute("data-check") == "integrity"
    reason = failing.locator(".check-message").inner_text()
    assert "/credentialSubject/qualification/title" in reason
    assert page.inner_text(".todo p") == reason  # what to do is the failing check's own message
    assert page.inner_text("#status") == "Verdict: not valid."
    assert log.outside == []
    screenshot(page, "verify-invalid.png")


def test_a_revoked_credential_says_so_and_what_to_do(page: Any, web_node: WebNode) -> None:
    open_verify(page, web_node)
    drop_file(page, "#drop-zone", web_node.revoked_file)
    page.wait_for_selector(".verdict.invalid")
    failing = page.locator(".check.invalid")
    assert failing.get_attribute("data-check") == "status"
    message = failing.locator(".check-message").inner_text()
    assert "revoked" in message.lower()
    assert page.inner_text(".todo p") == message
    assert page.locator(".todo .help").count() == 0  # the file is fine: no advice to ask for another copy
    assert "revoked" in page.inner_text("#summary").lower()
    screenshot(page, "verify-revoked.png")


def test_pasted_text_is_verified_exactly_as_written(page: Any, web_node: WebNode) -> None:
    """The page sends the text, never a re-serialised copy: a duplicated member name reaches the strict reader."""
    open_verify(page, web_node)
    text = web_node.bundle_file.read_text(encoding="utf-8")
    title = json.dumps(web_node.bundle["credentialSubject"]["qualification"]["title"])
    duplicated = text.replace(f'"title": {title}', f'"title": "MBA", "title": {title}', 1)
    assert duplicated != text
    page.fill("#paste", duplicated)
    page.click("text=Verify the pasted text")
    page.wait_for_selector(".verdict.invalid")
    assert page.locator(".check.invalid").get_attribute("data-check") == "format"
    assert "title" in page.inner_text(".todo")

    page.fill("#paste", "this is not JSON")
    page.click("text=Verify the pasted text")
    page.wait_for_selector("text=This is not a credential file")


def test_keyboard_only(page: Any, web_node: WebNode) -> None:
    open_verify(page, web_node)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the verifier"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.id"))
        if seen[-1] == "paste":
            break
    assert seen[0] == "file", seen  # the file picker is reachable (Space/Enter opens it)
    assert seen[-1] == "paste", seen
    with page.expect_file_chooser() as chooser:
        page.focus("#file")
        page.keyboard.press("Space")
    assert chooser.value.element.get_attribute("id") == "file"
    page.focus("#paste")
    page.keyboard.insert_text(web_node.bundle_file.read_text(encoding="utf-8"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Verify the pasted text"
    page.keyboard.press("Enter")
    page.wait_for_selector(".verdict.valid")
    assert page.evaluate("document.activeElement.id") == "summary"
    page.keyboard.press("Tab")  # onwards from the answer: the print button
    assert page.evaluate("document.activeElement.id") == "print"


@pytest.mark.parametrize("which", ["empty", "valid", "invalid"])
def test_no_serious_accessibility_violation(page: Any, web_node: WebNode, which: str) -> None:
    open_verify(page, web_node)
    if which != "empty":
        drop_file(page, "#drop-zone", web_node.bundle_file if which == "valid" else web_node.tampered_file)
        page.wait_for_selector(f".verdict.{which}")
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)[:4000]


def test_phone_width_and_print(page: Any, web_node: WebNode) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_verify(page, web_node)
    drop_file(page, "#drop-zone", web_node.bundle_file)
    page.wait_for_selector(".verdict.valid")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways at 360 px"
    page.eval_on_selector(".verdict", "e => e.scrollIntoView()")
    screenshot(page, "verify-phone.png", full_page=False)

    page.emulate_media(media="print")
    assert not page.is_visible("#drop-zone")
    assert not page.is_visible("header nav")
    assert not page.is_visible("#print")
    assert page.is_visible("#summary")
    assert page.is_visible("#devnet-banner")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, "verify-print.png")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
