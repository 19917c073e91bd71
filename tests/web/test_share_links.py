"""Share links in Chromium: the learner's page encrypts a disclosure and makes a link; a fresh browser context (the
employer) opens it and sees a valid verdict with the withheld fields; revoked and expired links say so; the node's
row holds no personal value and no key; the QR code on the page decodes to the link."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import BytesIO
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import update

from node.store.models import ShareRow
from tests.web.conftest import FORMAL, WebNode, axe_violations, screenshot
from tests.web.helpers import RequestLog

pytestmark = [pytest.mark.anvil, pytest.mark.browser]

IDENTITY_NUMBER = "/credentialSubject/learner/identity/number"
CREDITS = "/credentialSubject/qualification/credits"


def make_link(
    page: Any, web_node: WebNode, *, hide: tuple[str, ...] = (IDENTITY_NUMBER, CREDITS), opens: str = ""
) -> str:
    page.goto(web_node.url + "/wallet")
    page.set_input_files("#file", str(web_node.bundle_file))
    page.wait_for_selector("#credential:not([hidden])")
    for path in hide:
        page.check(f"input[value='{path}']")
    if opens:
        page.fill("#share-max-opens", opens)
    page.click("#create-share")
    page.wait_for_selector("#share-link")
    link = str(page.input_value("#share-link"))
    assert link.startswith(web_node.url + "/verify#share=")
    return link


def share_id(link: str) -> str:
    return link.split("#share=", 1)[1].split(".", 1)[0]


def open_link(browser: Any, link: str) -> Any:
    """The employer: a browser context of their own (no storage shared with the learner's)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(45_000)
    tab.goto(link)
    return tab


def test_a_share_link_opens_valid_in_a_fresh_browser(page: Any, browser: Any, web_node: WebNode) -> None:
    learner_requests = RequestLog(page, web_node.url)
    link = make_link(page, web_node)
    screenshot(page, "share-link.png")
    assert axe_violations(page) == []  # the page with the link, its QR code and the list of links
    # what went to the node: ciphertext only, and never the key that is in the link's fragment
    key = link.rsplit(".", 1)[1]
    assert learner_requests.outside == []
    employer = open_link(browser, link)
    try:
        employer.wait_for_selector(".verdict.valid")
        withheld = employer.eval_on_selector_all(".withheld-field", "items => items.map(i => i.dataset.path)")
        assert sorted(withheld) == sorted([IDENTITY_NUMBER, CREDITS])
        assert "Shared with you through a link" in employer.inner_text("#share-note")
        assert "opened 1 time" in employer.inner_text("#share-note")
        assert FORMAL["learner"]["name"] in employer.inner_text(".verdict")  # type: ignore[index]
        assert axe_violations(employer) == []
        screenshot(employer, "share-opened.png")
    finally:
        employer.context.close()

    row = web_node.node.store.share_row_bytes(share_id(link))
    stored = repr({k: v for k, v in row.items() if k != "ciphertext"}).encode() + bytes(row["ciphertext"])  # type: ignore[arg-type]
    for value in ("Thandiwe Nkosi", "9001015009086", "BCom Accounting", "SAQA-12345", "2026-11-20", key):
        assert value.encode() not in stored, value
    assert base64.urlsafe_b64decode(key + "=") not in stored  # nor the raw key bytes

    # the learner sees the open counted
    page.click("#link-list li:first-child .check-link")
    page.wait_for_function("() => document.querySelector('#link-list .link-state').textContent.includes('opened 1')")
    assert "Active until" in page.inner_text("#link-list .link-state")


def test_a_revoked_link_says_revoked(page: Any, browser: Any, web_node: WebNode) -> None:
    link = make_link(page, web_node, hide=())
    page.click("#link-list li:first-child .revoke-link")
    page.wait_for_function("() => document.querySelector('#link-list .link-state').textContent.startsWith('Revoked')")
    employer = open_link(browser, link)
    try:
        employer.wait_for_selector(".verdict.invalid")
        assert employer.inner_text("#summary") == "This share link was revoked by the learner."
    finally:
        employer.context.close()
    assert web_node.node.store.share_row_bytes(share_id(link))["ciphertext"] is None


def test_an_expired_link_says_expired_and_the_node_holds_no_ciphertext(
    page: Any, browser: Any, web_node: WebNode
) -> None:
    link = make_link(page, web_node, hide=(IDENTITY_NUMBER,))
    ident = share_id(link)
    store = web_node.node.store
    with store.engine.begin() as connection:  # the week passes
        expires = store.get_share(ident).expires_at
        connection.execute(update(ShareRow).where(ShareRow.id == ident).values(expires_at=expires - timedelta(days=8)))
    employer = open_link(browser, link)
    try:
        employer.wait_for_selector(".verdict.invalid")
        assert employer.inner_text("#summary") == "This share link has expired."
        assert "no longer holds" in employer.inner_text(".todo")
    finally:
        employer.context.close()
    assert store.share_row_bytes(ident)["ciphertext"] is None
    answer = httpx.get(f"{web_node.url}/v1/shares/{ident}")
    assert answer.status_code == 410 and "expired" in answer.json()["detail"]


def test_a_link_cut_short_or_with_another_key_does_not_open(page: Any, browser: Any, web_node: WebNode) -> None:
    link = make_link(page, web_node, hide=())
    other_key = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    for broken, summary in (
        (link.rsplit(".", 1)[0] + "." + other_key, "The link's key does not open this credential."),
        (link[:-5], "This share link is incomplete."),
    ):
        employer = open_link(browser, broken)
        try:
            employer.wait_for_selector(".verdict.invalid")
            assert employer.inner_text("#summary") == summary
        finally:
            employer.context.close()


def test_the_qr_code_on_the_page_is_the_link(page: Any, web_node: WebNode) -> None:
    link = make_link(page, web_node, opens="3")
    assert "for 3 opens" in page.inner_text(".share-made")
    picture = Image.open(BytesIO(page.locator("#share-qr").screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(picture)]
    assert decoded == [link]
    with page.expect_download() as download:
        page.click("#qr-png")
    assert download.value.suggested_filename == "thandiwe-nkosi-bcom-qr.png"
    png = Image.open(download.value.path())
    assert png.format == "PNG" and [r.text for r in zxingcpp.read_barcodes(png)] == [link]
