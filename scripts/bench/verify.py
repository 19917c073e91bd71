"""Verification throughput: offline (signed checkpoint, no network) and over JSON-RPC, each with its baseline.

Timings on these machines are noisy, so every figure comes with a baseline measured in the same run (``reference``):

- ``verify.offline_per_s``: bundles/s through the CLI's offline path in-process (``load_checkpoint`` with its
  signature check + ``verify_offline``), against ``verify.integrity_per_s``: the bare hash/Merkle check of the same
  bundles (:func:`node.credentials.document.verify_integrity`), the floor no verifier can beat.
- ``verify.rpc_per_s``: one verdict per call through :class:`RpcChainView` (a fresh chain snapshot per bundle, as
  ``credreg verify --rpc-url`` does), against ``verify.eth_call_per_s``: bare ``anchorOf`` eth_calls on the same anvil.
- ``verify.rpc_batch_per_s``: the same bundles through ``verify_many`` (one snapshot, issuer/key/body read once).

The HTTP figures against the indexer's mirror are measured elsewhere (they need the served app).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet
from node.chain.registry import type_id
from node.chain.signers import DEV_ISSUER, dev_account
from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings
from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, make_bundles
from node.credentials.document import build_document, verify_integrity
from node.readmodel.chainview import RpcChainView
from node.readmodel.checkpoint import create_checkpoint, load_checkpoint, verify_offline
from node.runtime import Node
from node.services.bootstrap import DEMO_ISSUER_URI, ensure_demo_issuer
from node.services.verification import VerificationService

OFFLINE_BUNDLES = 512
RPC_BUNDLES = 64
ROUNDS = 3

SUBJECT: dict[str, Any] = {
    "learner": {"name": "Thandiwe Nkosi", "identity": {"type": "passport", "number": "A1234567", "country": "ZA"}},
    "qualification": {"id": "94738", "title": "Bachelor of Commerce", "nqfLevel": 7, "credits": 360},
    "institution": "University of Example",
    "awardDate": "2025-04-12",
}

NOTES = """\
Verification throughput is reported against baselines from the same run. Offline, a verdict costs a few times the
bare integrity check (`verify.integrity_per_s`): the rest is the schema check (jsonschema), parsing the bundle
strictly, and the verdict's model; the checkpoint's signature is checked once per file. Over JSON-RPC a single verdict
needs about ten reads (block, anchor, leaf status, key, issuer and its scope, body and its scope, the anchor block),
so `verify.rpc_per_s` is roughly `verify.eth_call_per_s` / 10; `verify.rpc_batch_per_s` shares the snapshot and the
issuer/key/body reads across a batch, leaving about two reads per bundle (its root and its leaf status).
"""


def _rate(count: int, fn: Callable[[], object]) -> float:
    """Items per second: the best of ROUNDS runs of ``fn`` (which handles ``count`` items)."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(count / min(times), 1)


def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="credreg-bench-verify-") as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "data", devnet_port=0, confirmations=0)
        devnet = Devnet(
            state_dir=root / "anvil",
            node_modules=PROJECT_ROOT / "node_modules",
            chain_id=DEVNET_CHAIN_ID,
            port=0,
            block_time_s=None,
            snapshot_interval_s=None,
        )
        devnet.start()
        try:
            deploy(connect(devnet.url), dev_account(0), settings.manifest_path, settings.artifacts_dir)
            node = Node.open(settings, rpc_url=devnet.url)
            try:
                return _measure(node)
            finally:
                node.close()
        finally:
            devnet.stop()


def _measure(node: Node) -> dict[str, float]:
    ensure_demo_issuer(node)
    documents = [
        build_document("formal-qualification", SUBJECT, issuer_id=DEMO_ISSUER_URI) for _ in range(OFFLINE_BUNDLES)
    ]
    tree = batch_tree(documents)
    tm = node.signers.manager(dev_account(DEV_ISSUER))
    receipt = tm.transact(node.registry.anchor_fn(tree.root, len(documents), type_id("formal-qualification")))
    info = AnchorInfo(node.chain_id, node.manifest.registry, bytes(receipt["transactionHash"]), receipt["blockNumber"])
    texts = [dumps_bundle(b) for b in make_bundles(documents, tree, info)]
    view = RpcChainView(node.registry)
    service = VerificationService(view, node.chain_id, node.manifest.registry)

    signer = Account.create()
    checkpoint, verdicts = create_checkpoint(view, texts, signer)
    assert all(v.valid for v in verdicts), "bench bundles must verify"
    checkpoint_text = checkpoint.to_json()

    def offline() -> None:
        results = verify_offline(texts, load_checkpoint(checkpoint_text, signer.address))
        assert all(v.valid for v in results)

    def integrity() -> None:
        for text in texts:
            assert verify_integrity(json.loads(text)).ok

    sample = texts[:RPC_BUNDLES]

    def rpc_single() -> None:
        for text in sample:
            assert service.verify(text).valid

    def rpc_batch() -> None:
        assert service.verify_many(sample).valid_count == len(sample)

    roots = [tree.root] * RPC_BUNDLES

    def eth_calls() -> None:
        for r in roots:
            node.registry.anchor_of(r)

    figures = {
        "verify.offline_per_s": _rate(len(texts), offline),
        "verify.integrity_per_s": _rate(len(texts), integrity),
        "verify.rpc_per_s": _rate(len(sample), rpc_single),
        "verify.rpc_batch_per_s": _rate(len(sample), rpc_batch),
        "verify.eth_call_per_s": _rate(len(roots), eth_calls),
    }
    figures["verify.rpc_reads_per_verdict"] = round(figures["verify.eth_call_per_s"] / figures["verify.rpc_per_s"], 1)
    return figures


SPEC: dict[str, tuple[str, str | None, str]] = {
    "verify.offline_per_s": (
        "bundles/s",
        "verify.integrity_per_s",
        f"CLI offline path in-process: load_checkpoint (signature) + verify_offline, {OFFLINE_BUNDLES} bundles; "
        "reference: bare integrity check",
    ),
    "verify.integrity_per_s": (
        "bundles/s",
        None,
        "baseline: verify_integrity alone (field hashes, credential hash, proof)",
    ),
    "verify.rpc_per_s": (
        "bundles/s",
        "verify.eth_call_per_s",
        "one verdict per call over JSON-RPC (RpcChainView, fresh snapshot each), anvil; reference: bare eth_call/s",
    ),
    "verify.rpc_batch_per_s": (
        "bundles/s",
        "verify.eth_call_per_s",
        f"verify_many of {RPC_BUNDLES} bundles over JSON-RPC (one snapshot, issuer/key/body read once)",
    ),
    "verify.eth_call_per_s": ("calls/s", None, "baseline: bare anchorOf eth_call through web3.py on the same anvil"),
    "verify.rpc_reads_per_verdict": ("ratio", None, "eth_call_per_s / rpc_per_s: the reads one RPC verdict costs"),
}


def run() -> dict[str, dict[str, Any]]:
    values = measure()
    figures: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        unit, reference, note = SPEC[name]
        figures[name] = {
            "value": value,
            "unit": unit,
            "budget": None,
            "reference": values[reference] if reference else None,
            "note": note,
        }
    return figures


if __name__ == "__main__":
    for key, figure in run().items():
        print(f"{key:32} {figure['value']:>10} {figure['unit']}")
