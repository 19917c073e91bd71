"""The verify page in Chromium: drop a bundle → verdict shown, and open a share link → verdict shown, beside the API.

One node under uvicorn (as in verify_http: one worker, no access log, the indexer's mirror), on loopback, and
Debian's Chromium driven by Playwright (headless). Each run is one bundle of the 256 genuine ones:
- `web.time_to_verdict_ms`: on the loaded verify page, a File dropped on the drop zone (a DataTransfer, as a person's
  drag does) until the verdict's article is in the page, timed inside the page (performance.now);
- `verify.p50_ms`: the same bundles posted one at a time to POST /v1/verify from this process (httpx, keep-alive),
  the API's own share of that time;
- `web.share_open_ms`: a share link (the bundle encrypted as the learner's page does: AES-GCM, the key in the
  #fragment) opened in a fresh tab until the verdict is shown: navigation, fetch, decryption and verification.

python -m scripts.bench web
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scripts.bench.verify_http import _free_port, _prepare, _wait_http

RUNS = 50
CHROMIUM = Path(os.environ.get("CREDREG_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

NOTES = f"""\
`web.time_to_verdict_ms`: p50 over {RUNS} runs of dropping a genuine bundle (a File in a DataTransfer, as a drag
does) on the verify page already loaded in headless Chromium until the verdict is in the page, timed inside the page;
`verify.p50_ms` beside it: p50 of the same bundles posted one at a time to POST /v1/verify from the bench process
(keep-alive), so the page's own cost is the difference. `web.share_open_ms`: p50 over {RUNS} share links (made as the
learner's page makes them: AES-GCM, the key in the #fragment) each opened in a new tab until the verdict is shown
(navigation, the page's modules, GET /v1/shares/{{id}}, WebCrypto decryption, POST /v1/verify, rendering). One node
under uvicorn (one worker, the indexer's mirror), anvil and Chromium share the machine's two cores.
"""

DROP_AND_WAIT = """async (text) => {
  const zone = document.getElementById("drop-zone");
  document.getElementById("verdict").replaceChildren();
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], "bundle.json", { type: "application/json" }));
  const started = performance.now();
  const shown = new Promise((resolve) => {
    const seen = () => document.querySelector("#verdict .verdict");
    if (seen()) return resolve();
    const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); resolve(); } });
    observer.observe(document.getElementById("verdict"), { childList: true, subtree: true });
  });
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  await shown;
  if (!document.querySelector("#verdict .verdict.valid")) throw new Error("the verdict was not valid");
  return performance.now() - started;
}"""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _share_link(url: str, bundle: bytes) -> str:
    key = AESGCM.generate_key(bit_length=256)
    iv = os.urandom(12)
    body = {"ciphertext": _b64url(iv + AESGCM(key).encrypt(iv, bundle, None)), "expiresInSeconds": 3600}
    created = httpx.post(f"{url}/v1/shares", json=body, timeout=30)
    created.raise_for_status()
    return f"{url}/verify#share={created.json()['id']}.{_b64url(key)}"


def _api_p50(url: str, bodies: list[bytes]) -> float:
    times = []
    with httpx.Client(base_url=url, headers={"Content-Type": "application/json"}, timeout=30) as client:
        for body in bodies[:5]:  # warm-up
            client.post("/v1/verify", content=body)
        for body in bodies[:RUNS]:
            started = time.perf_counter()
            answer = client.post("/v1/verify", content=body)
            times.append((time.perf_counter() - started) * 1000)
            if not answer.json().get("valid"):
                raise RuntimeError("a bench bundle did not verify")
    return statistics.median(times)


def _browser_figures(url: str, bodies: list[bytes]) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    links = [_share_link(url, body) for body in bodies[:RUNS]]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{url}/verify")
            page.wait_for_selector("#drop-zone")
            for body in bodies[:3]:  # warm-up: modules, policies, connections
                page.evaluate(DROP_AND_WAIT, body.decode())
            drops = [float(page.evaluate(DROP_AND_WAIT, body.decode())) for body in bodies[:RUNS]]
            opens = []
            for link in links:
                tab = browser.new_page()
                started = time.perf_counter()
                tab.goto(link)
                tab.wait_for_selector("#verdict .verdict.valid", timeout=60_000)
                opens.append((time.perf_counter() - started) * 1000)
                tab.close()
        finally:
            browser.close()
    return statistics.median(drops), statistics.median(opens)


def run() -> dict[str, dict[str, Any]]:
    if not CHROMIUM.is_file():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (make setup does it as root)")
    with tempfile.TemporaryDirectory() as tmp_name:
        devnet, data_dir, bodies = _prepare(Path(tmp_name))
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "CREDREG_SHARE_CREATES_PER_MINUTE": str(RUNS * 4),
        }
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "scripts.bench.verify_http", "node", str(port), data_dir, devnet.url], env=env
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{url}/readyz")
            api_p50 = _api_p50(url, bodies)
            drop_p50, share_p50 = _browser_figures(url, bodies)
        finally:
            server.terminate()
            server.wait(timeout=30)
            devnet.stop()
    return {
        "web.time_to_verdict_ms": {
            "value": round(drop_p50, 1),
            "unit": "ms",
            "reference": round(api_p50, 2),
            "note": f"p50 of {RUNS}, drop → verdict in Chromium; reference: verify.p50_ms",
        },
        "verify.p50_ms": {"value": round(api_p50, 2), "unit": "ms", "note": f"p50 of {RUNS} sequential POSTs"},
        "web.share_open_ms": {
            "value": round(share_p50, 1),
            "unit": "ms",
            "note": f"p50 of {RUNS}, open a share link in a new tab → verdict",
        },
        "web.drop_to_api_ratio": {
            "value": round(drop_p50 / api_p50, 2),
            "unit": "ratio",
            "note": "the page's time over the API's: what the browser adds",
        },
    }
