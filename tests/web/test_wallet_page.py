"""The learner's page in Chromium: load a bundle, withhold two fields, save the copy; it verifies with exactly those
two withheld, on the API and on the verify page. Disclosure happens in the browser: the page sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.credentials.document import disclose
from tests.web.conftest import WebNode, axe_violations, screenshot
from tests.web.helpers import RequestLog, drop_file, intercept_file_choosers

pytestmark = [pytest.mark.anvil, pytest.mark.browser]

IDENTITY_NUMBER = "/credentialSubject/learner/identity/number"
CREDITS = "/credentialSubject/qualification/credits"
HIDE = [IDENTITY_NUMBER, CREDITS]


def open_wallet(page: Any, web_node: WebNode) -> RequestLog:
    log = RequestLog(page, web_node.url)
    page.goto(web_node.url + "/wallet")
    page.set_input_files("#file", str(web_node.bundle_file))
    page.wait_for_selector("#credential:not([hidden])")
    return log


def offered(page: Any) -> list[str]:
    return [str(p) for p in page.eval_on_selector_all("input[name=hide]", "boxes => boxes.map(b => b.value)")]


def test_only_the_fields_the_policy_lets_a_holder_hide_are_offered(page: Any, web_node: WebNode) -> None:
    open_wallet(page, web_node)
    assert offered(page) == [
        "/credentialSubject/learner/name",
        "/credentialSubject/learner/identity/type",
        IDENTITY_NUMBER,
        CREDITS,
        "/credentialSubject/awardDate",
    ]
    kept = page.inner_text("ul.kept")
    for claim in ("BCom Accounting", "SAQA-12345", "NQF level: 7", "Institution: Demo University (devnet)"):
        assert claim in kept


def test_hide_two_fields_the_saved_copy_verifies_with_exactly_those_withheld(
    page: Any, web_node: WebNode, tmp_path: Path
) -> None:
    log = open_wallet(page, web_node)
    page.check(f"input[value='{IDENTITY_NUMBER}']")
    page.check(f"input[value='{CREDITS}']")
    assert page.inner_text("#choice-summary") == "2 fields withheld: identity number, credits."
    screenshot(page, "wallet.png")
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "thandiwe-nkosi-bcom-shared.json"
    # nothing left the device: the page asked the node only for its policies and health, and sent nothing
    assert log.calls("POST") == []
    assert log.outside == []

    text = saved.read_text(encoding="utf-8")
    disclosed = json.loads(text)
    assert "9001015009086" not in text
    assert "credits" not in disclosed["credentialSubject"]["qualification"]
    assert set(disclosed["proof"]["fieldHashes"]) == set(web_node.bundle["proof"]["fieldHashes"])
    assert set(web_node.bundle["proof"]["salts"]) - set(disclosed["proof"]["salts"]) == set(HIDE)
    assert disclosed == disclose(web_node.bundle, HIDE)  # the same copy `credreg disclose` makes
    verdict = web_node.verify(text)
    assert verdict["valid"], verdict["summary"]
    assert sorted(verdict["hiddenFields"]) == sorted(HIDE)

    page.goto(web_node.url + "/verify")
    drop_file(page, "#drop-zone", saved)
    page.wait_for_selector(".verdict.valid")
    withheld = page.eval_on_selector_all(".withheld-field", "items => items.map(i => i.dataset.path)")
    assert sorted(withheld) == sorted(HIDE)
    assert page.inner_text("#withheld").startswith("2 fields withheld: identity number, credits.\n")
    screenshot(page, "verify-disclosed.png")


def test_withholding_a_whole_object_removes_it_and_still_verifies(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    """All of the learner's fields withheld: the emptied objects are removed too (as `credreg disclose` does)."""
    page.goto(web_node.url + "/wallet")
    drop_file(page, "#drop-zone", web_node.bundle_file)  # dropped this time
    page.wait_for_selector("#credential:not([hidden])")
    learner = [p for p in offered(page) if p.startswith("/credentialSubject/learner/")]
    for path in learner:
        page.check(f"input[value='{path}']")
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "all-learner.json"
    download.value.save_as(saved)
    disclosed = json.loads(saved.read_text(encoding="utf-8"))
    assert "learner" not in disclosed["credentialSubject"]
    assert disclosed == disclose(web_node.bundle, ["/credentialSubject/learner"])
    verdict = web_node.verify(saved.read_text(encoding="utf-8"))
    assert verdict["valid"], verdict["summary"]
    assert sorted(verdict["hiddenFields"]) == sorted(learner)


def test_keyboard_only_and_accessibility(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    RequestLog(page, web_node.url)
    page.goto(web_node.url + "/wallet")
    intercept_file_choosers(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(web_node.bundle_file))
    page.wait_for_selector("#credential:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "choose-heading"
    checked = []
    for _ in range(8):
        page.keyboard.press("Tab")
        value = page.evaluate("document.activeElement.value")
        if value in HIDE:
            page.keyboard.press("Space")
            checked.append(value)
        if page.evaluate("document.activeElement.id") == "download":
            break
    assert checked == HIDE
    assert page.evaluate("document.activeElement.id") == "download"
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = tmp_path / "keyboard.json"
    download.value.save_as(saved)
    assert sorted(web_node.verify(saved.read_text(encoding="utf-8"))["hiddenFields"]) == sorted(HIDE)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)[:4000]


def test_a_file_that_is_not_a_credential_is_refused_plainly(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    page.goto(web_node.url + "/wallet")
    junk = tmp_path / "notes.json"
    junk.write_text('{"hello": "world"}', encoding="utf-8")
    page.set_input_files("#file", str(junk))
    page.wait_for_selector("#status .error")
    assert "not a credreg credential" in page.inner_text("#status")
    assert page.is_hidden("#credential")


def test_values_from_the_file_are_shown_as_text_never_run(page: Any, web_node: WebNode, tmp_path: Path) -> None:
    hostile = json.loads(web_node.bundle_file.read_text(encoding="utf-8"))
    markup = '<img src="x" onerror="window.pwned = 1">'
    hostile["credentialSubject"]["learner"]["name"] = markup
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile), encoding="utf-8")
    page.goto(web_node.url + "/wallet")
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#credential:not([hidden])")
    assert markup in page.inner_text("#hideable")
    assert page.locator("#hideable img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_phone_width(page: Any, web_node: WebNode) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_wallet(page, web_node)
    page.check(f"input[value='{IDENTITY_NUMBER}']")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways at 360 px"
    page.eval_on_selector("#credential", "e => e.scrollIntoView()")
    screenshot(page, "wallet-phone.png", full_page=False)
