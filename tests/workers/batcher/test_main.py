"""``python -m node.workers.batcher`` (node/workers/batcher/__main__.py), run in-process: --until-idle anchors the
outbox and says so, --retry-failed puts failed batches back, and a node it cannot open is one line and exit 2."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.runtime import Node
from node.services.bootstrap import DemoIssuer
from node.store import AnchoringState, BatchStatus, NewCredential
from node.workers.batcher.__main__ import main
from tests.drills.chaincheck import issue


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    """main() installs SIGINT/SIGTERM handlers as a process would; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_node_it_cannot_open_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "--rpc-url", "http://127.0.0.1:1", "--until-idle"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "127.0.0.1:1" in lines[0], lines


@pytest.mark.anvil
def test_until_idle_then_retry_failed(devnode: tuple[Node, DemoIssuer], capsys: pytest.CaptureFixture[str]) -> None:
    node, demo = devnode
    ids = issue(node.store, demo.issuer_id, 3)
    refused = NewCredential("unaccredited-type", "1", "0x" + "ab" * 32, {"credentialSubject": {}})
    node.store.add_credentials(demo.issuer_id, [refused])
    where = ["--data-dir", str(node.settings.data_dir), "--rpc-url", str(node.rpc_url)]

    assert main([*where, "--until-idle", "--timeout", "60"]) == 0
    assert capsys.readouterr().out.strip().endswith("idle: 1 batches, 3 credentials anchored")
    assert all(node.store.get_credential(i).status is AnchoringState.ANCHORED for i in ids)
    [failed] = node.store.batches_with_status(BatchStatus.FAILED)

    assert main([*where, "--retry-failed"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"reset 1 failed batches for anchoring: [{failed.id}]")
    assert node.store.get_batch(failed.id).status is BatchStatus.BUILT
