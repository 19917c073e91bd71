"""Browser tests: Debian's Chromium driven by Playwright against a real node on a real anvil.

The browser is the system's (``/usr/bin/chromium``, installed by ``make setup`` where it can: ``apt-get install
chromium``); Playwright's own browser downloads are never used. Under ``CI=true`` a missing browser fails the test;
elsewhere the tests skip with a line saying how to install it.

Fixtures: ``web_node`` (one node per test module: anvil, deployed contracts, the demo issuer, a batcher, uvicorn on a
free port, and a few anchored bundles written to files), ``browser`` (one Chromium per module, closed before the
suite moves on, so Playwright's event loop never outlives the module) and ``page`` (a fresh context per test: a fresh
profile, cookies, storage and cache not shared between tests).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS
from node.config import PROJECT_ROOT, Settings
from node.main import create_app
from node.runtime import Node
from node.services.bootstrap import DEMO_ISSUER_NAME, ensure_demo_issuer
from tests.conftest import start_devnet

CHROMIUM = Path(os.environ.get("CREDREG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ISSUER_NAME = DEMO_ISSUER_NAME

FORMAL = {
    "learner": {"name": "Thandiwe Nkosi", "identity": {"type": "za-id", "number": "9001015009086"}},
    "qualification": {"id": "SAQA-12345", "title": "BCom Accounting", "nqfLevel": 7, "credits": 360},
    "institution": ISSUER_NAME,
    "awardDate": "2026-11-20",
}
REVOKED = {
    **FORMAL,
    "learner": {"name": "Sipho Dlamini", "identity": {"type": "passport", "number": "A1234567", "country": "ZA"}},
}


@dataclass(frozen=True)
class WebNode:
    url: str
    node: Node
    bundle: dict[str, Any]
    bundle_file: Path
    tampered_file: Path
    revoked_file: Path
    files: Path
    api_key: str
    """The demo issuer's API key (devnet)."""

    def verify(self, text: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/v1/verify", content=text, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert response.status_code == 200, response.text
        verdict: dict[str, Any] = response.json()
        return verdict


def _isolated_settings(data_dir: Path) -> Settings:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CREDREG_"):
                patch.delenv(name)
        return Settings(data_dir=data_dir, devnet_port=0, batch_max_wait_ms=300)


def _wait_anchored(client: httpx.Client, credential_id: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/credentials/{credential_id}").json()
        if body.get("status") == "anchored" and body.get("bundle"):
            bundle: dict[str, Any] = body["bundle"]
            return bundle
        time.sleep(0.25)
    raise AssertionError(f"credential {credential_id} not anchored in {timeout_s:g} s")


def _wait_revoked(url: str, text: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        verdict = httpx.post(f"{url}/v1/verify", content=text, headers={"Content-Type": "application/json"}).json()
        if not verdict["valid"]:
            return
        time.sleep(0.25)
    raise AssertionError(f"the revocation did not show in {timeout_s:g} s")


@pytest.fixture(scope="module")
def web_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebNode]:
    root = tmp_path_factory.mktemp("web")
    devnet = start_devnet(root / "anvil")
    try:
        settings = _isolated_settings(root / "data")
        deploy(
            connect(devnet.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir
        )
        node = Node.open(settings, rpc_url=devnet.url)
        demo = ensure_demo_issuer(node)
        server = uvicorn.Server(uvicorn.Config(create_app(settings, node=node), port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            headers = {"Authorization": f"Bearer {demo.api_key}"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                items = [{"type": "formal-qualification", "credentialSubject": s} for s in (FORMAL, REVOKED)]
                accepted = client.post("/v1/credentials/bulk", json={"credentials": items})
                assert accepted.status_code == 202, accepted.text
                genuine_id, revoked_id = accepted.json()["ids"]
                bundle = _wait_anchored(client, genuine_id)
                revoked = _wait_anchored(client, revoked_id)
                answer = client.post(f"/v1/credentials/{revoked_id}/revoke", json={"reasonCode": 2})
                assert answer.status_code in (200, 202), answer.text
            files = root / "files"
            files.mkdir()
            revoked_file = files / "revoked.json"
            revoked_file.write_text(json.dumps(revoked, indent=2) + "\n", encoding="utf-8")
            _wait_revoked(url, revoked_file.read_text(encoding="utf-8"))
            bundle_file = files / "thandiwe-nkosi-bcom.json"
            bundle_file.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            tampered = json.loads(json.dumps(bundle))
            tampered["credentialSubject"]["qualification"]["title"] = "MBA"
            tampered_file = files / "tampered.json"
            tampered_file.write_text(json.dumps(tampered, indent=2) + "\n", encoding="utf-8")
            yield WebNode(url, node, bundle, bundle_file, tampered_file, revoked_file, files, demo.api_key)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            node.close()
    finally:
        devnet.stop()


def _browser_missing() -> str:
    return (
        f"no Chromium at {CHROMIUM}: install it with `apt-get update && apt-get install -y chromium` "
        "(as root; `make setup` does this when it can) or point CREDREG_CHROMIUM at one"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)) and shutil.which(str(CHROMIUM)) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(_browser_missing() + " — under CI=true a missing browser fails the run")
        pytest.skip(_browser_missing())
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed: run `make setup`")
        pytest.skip("playwright is not installed: run `make setup`")
    with sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary user-data dir of its own, removed when it closes
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(45_000)  # generous: the CI machine has 2 shared cores
    try:
        yield tab
    finally:
        context.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Take a screenshot; it goes to docs/screenshots/ when that has none of this name yet or when
    ``CREDREG_SCREENSHOTS=update`` (so an ordinary run leaves the committed images alone), else beside the test's
    temporary files (``$TMPDIR/credreg-screenshots``)."""
    path = SCREENSHOTS / name
    if path.exists() and os.environ.get("CREDREG_SCREENSHOTS") != "update":
        path = Path(tempfile.gettempdir()) / "credreg-screenshots" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image: bytes = page.screenshot(path=str(path), full_page=full_page)
    assert image.startswith(b"\x89PNG"), name
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (the pinned npm package) injected into the page: its serious and critical violations."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
