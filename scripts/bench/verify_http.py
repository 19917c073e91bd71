"""POST /v1/verify over HTTP at 32 concurrent clients, against a bare FastAPI JSON endpoint (same run, same settings).

The node serves verification from the indexer's in-memory mirror (no JSON-RPC per request). Both servers run as
separate processes under uvicorn with the same settings (one worker, no access log); the load comes from this
process (a minimal asyncio HTTP/1.1 client, 32 concurrent keep-alive connections), so on a 2-core machine server
and client each get about one core. The ratio is the figure that means something.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CLIENTS = 32
WARMUP_S = 2.0
DURATION_S = 8.0
BUNDLES = 256
TYPE = "formal-qualification"

NOTES = f"""\
`verify.rps` / `verify.p99_ms`: POST /v1/verify with {BUNDLES} distinct genuine bundles (round robin) from
{CLIENTS} concurrent keep-alive clients for {DURATION_S:g} s after a {WARMUP_S:g} s warm-up, against the node served by
uvicorn (one worker, no access log) with the indexer's mirror; `verify.baseline_rps` / `verify.baseline_p99_ms`: the
same load, same bodies, against a bare FastAPI endpoint that parses the JSON body and returns a small JSON object,
under the same uvicorn settings. Goal: ratio ≥ 0.5 and p99 ≤ 3 times the baseline's. Every verdict in the run is checked
to be `valid`.
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:g} s")


def baseline_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/verify")
    def verify(bundle: dict[str, Any]) -> dict[str, Any]:
        return {"valid": True, "fields": len(bundle)}

    return app


def _serve(which: str, port: int, data_dir: str = "", rpc_url: str = "") -> None:
    import uvicorn

    if which == "baseline":
        app = baseline_app()
    else:
        from node.config import Settings
        from node.main import create_app
        from node.runtime import Node

        settings = Settings(data_dir=Path(data_dir))
        app = create_app(settings, node=Node.open(settings, rpc_url=rpc_url))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> bytes:
    """One HTTP/1.1 keep-alive POST on an open connection (a minimal client: httpx itself would be the bottleneck)."""
    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    await writer.drain()
    header = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if not header.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected response: {header[:40]!r}")
    return await reader.readexactly(length)


async def _load(port: int, bodies: list[bytes]) -> tuple[float, float, int]:
    latencies: list[float] = []
    invalid = 0
    measure_from = time.perf_counter() + WARMUP_S
    stop_at = measure_from + DURATION_S
    head = b"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "

    async def worker(offset: int) -> None:
        nonlocal invalid
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while (now := time.perf_counter()) < stop_at:
                answer = await _post(reader, writer, head, bodies[i % len(bodies)])
                done = time.perf_counter()
                if b'"valid":true' not in answer:
                    invalid += 1
                if now >= measure_from:
                    latencies.append(done - now)
                i += CLIENTS
        finally:
            writer.close()

    await asyncio.gather(*(worker(k) for k in range(CLIENTS)))
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    return len(latencies) / DURATION_S, p99, invalid


def _prepare(tmp: Path) -> tuple[Any, str, list[bytes]]:
    from node.chain.client import connect
    from node.chain.deploy import deploy
    from node.chain.devnet import Devnet
    from node.chain.registry import type_id
    from node.chain.signers import DEV_GOVERNOR, DEV_ISSUER, dev_account
    from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings
    from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, make_bundles
    from node.credentials.document import build_document
    from node.runtime import Node
    from node.services.bootstrap import DEMO_ISSUER_URI, ensure_demo_issuer

    devnet = Devnet(tmp / "devnet", PROJECT_ROOT / "node_modules", DEVNET_CHAIN_ID, port=0, block_time_s=0.5,
                    snapshot_interval_s=None)  # fmt: skip
    devnet.start()
    settings = Settings(data_dir=tmp / "data")
    deploy(connect(devnet.url), dev_account(DEV_GOVERNOR), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=devnet.url)
    try:
        demo = ensure_demo_issuer(node)
        docs = []
        for i in range(BUNDLES):
            subject = {
                "learner": {
                    "name": f"Learner {i}",
                    "identity": {"type": "passport", "number": f"A{i:07d}", "country": "ZA"},
                },
                "qualification": {"id": "94738", "title": "Bachelor of Commerce", "nqfLevel": 7, "credits": 360},
                "institution": "University of Example",
                "awardDate": "2025-04-12",
            }
            docs.append(build_document(TYPE, subject, issuer_id=DEMO_ISSUER_URI, issuer_name="Demo University"))
        tree = batch_tree(docs)
        receipt = node.signers.manager(dev_account(DEV_ISSUER)).transact(
            node.registry.anchor_fn(tree.root, len(docs), type_id(TYPE), 0)
        )
        anchor = AnchorInfo(
            chain_id=node.chain_id,
            registry=node.manifest.registry,
            transaction_hash=bytes(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
        )
        bodies = [dumps_bundle(b).encode() for b in make_bundles(docs, tree, anchor)]
        del demo
    finally:
        node.close()
    return devnet, str(tmp / "data"), bodies


def run() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        devnet, data_dir, bodies = _prepare(tmp)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            node_port, base_port = _free_port(), _free_port()
            me = [sys.executable, "-m", "scripts.bench.verify_http"]
            procs.append(subprocess.Popen([*me, "node", str(node_port), data_dir, devnet.url], env=env))
            procs.append(subprocess.Popen([*me, "baseline", str(base_port)], env=env))
            _wait_http(f"http://127.0.0.1:{node_port}/readyz")
            _wait_http(f"http://127.0.0.1:{base_port}/docs")
            base_rps, base_p99, _ = asyncio.run(_load(base_port, bodies))
            rps, p99, invalid = asyncio.run(_load(node_port, bodies))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
            devnet.stop()
    if invalid:
        raise RuntimeError(f"{invalid} verdicts were not valid: the bench bundles should all verify")
    return {
        "verify.rps": {
            "value": round(rps, 1),
            "unit": "requests/s",
            "note": f"{CLIENTS} clients, mirror",
            "reference": round(base_rps, 1),
        },
        "verify.p99_ms": {
            "value": round(p99, 2),
            "unit": "ms",
            "note": f"{CLIENTS} clients",
            "budget": round(3 * base_p99, 2),
        },
        "verify.baseline_rps": {
            "value": round(base_rps, 1),
            "unit": "requests/s",
            "note": "bare FastAPI JSON endpoint",
        },
        "verify.baseline_p99_ms": {"value": round(base_p99, 2), "unit": "ms", "note": "bare FastAPI JSON endpoint"},
        "verify.ratio_to_baseline": {
            "value": round(rps / base_rps, 3),
            "unit": "ratio",
            "note": "goal ≥ 0.5 (higher is better)",
        },
        "verify.p99_ratio_to_baseline": {
            "value": round(p99 / base_p99, 2),
            "unit": "ratio",
            "budget": 3,
            "note": "goal ≤ 3",
        },
    }


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    _serve(kind, port, *sys.argv[3:])
