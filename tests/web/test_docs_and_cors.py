"""In Chromium: /docs and /redoc render with every request refused that leaves the node; a page on another origin
can verify through the public routes and cannot call a write route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebNode
from tests.web.helpers import RequestLog

pytestmark = [pytest.mark.anvil, pytest.mark.browser]


def test_swagger_ui_renders_offline(page: Any, web_node: WebNode) -> None:
    log = RequestLog(page, web_node.url)
    page.goto(web_node.url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "credreg" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("[data-path='/v1/verify']")
    assert log.outside == []


def test_redoc_renders_offline(page: Any, web_node: WebNode) -> None:
    log = RequestLog(page, web_node.url)
    page.goto(web_node.url + "/redoc")
    page.wait_for_selector("h1:has-text('credreg')")
    page.wait_for_selector("h2:has-text('Verify a credential bundle')")
    assert log.outside == []


def test_a_page_on_another_origin_can_verify_but_not_write(page: Any, web_node: WebNode) -> None:
    # the same node under another name is another origin (localhost vs 127.0.0.1): the browser applies CORS
    other = web_node.url.replace("127.0.0.1", "localhost")
    page.goto(other + "/openapi.json")  # a document without a CSP of its own, so only CORS decides
    bundle = web_node.bundle_file.read_text(encoding="utf-8")
    result = page.evaluate(
        """async ([node, bundle]) => {
            const verdict = await fetch(node + "/v1/verify", {
                method: "POST", headers: { "Content-Type": "application/json" }, body: bundle,
            }).then((r) => r.json());
            let write;
            try {
                const r = await fetch(node + "/v1/credentials", {
                    method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
                });
                write = "answered " + r.status;
            } catch (err) {
                write = "blocked";
            }
            return { valid: verdict.valid, write };
        }""",
        [web_node.url, bundle],
    )
    assert result == {"valid": True, "write": "blocked"}
