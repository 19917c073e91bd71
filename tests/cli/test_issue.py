"""`credreg issue` against a real uvicorn on a free loopback port, serving a node on an in-process chain.

A stand-in batcher thread (the store's batch methods, as in tests/api) anchors what the CLI sends, so ``--wait`` and
``--out`` are exercised end to end without a chain transaction.
"""

from __future__ import annotations

import csv
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from node.cli import app
from node.credentials import loads_bundle, verify_integrity
from node.main import create_app
from node.runtime import Node
from node.store import AnchoringState, IssuerStatus
from tests.api.conftest import IssuerKey, add_issuer, chain_act, fake_anchor, open_test_node

FQ = "formal-qualification"
HEADER = (
    "type,clientRef,learner.name,learner.identity.type,learner.identity.number,learner.identity.country,"
    "qualification.id,qualification.title,qualification.nqfLevel,qualification.credits,institution,awardDate\n"
)


@dataclass(frozen=True)
class Served:
    url: str
    node: Node


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    node = open_test_node(tmp_path_factory.mktemp("cli-issue"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(node.settings, node=node), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", node)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        node.close()


class StandInBatcher:
    """Anchors (or fails) an issuer's pending credentials every few tens of milliseconds, until stopped."""

    def __init__(self, node: Node, issuer_id: int, fail: str | None = None) -> None:
        self._node, self._issuer_id, self._fail = node, issuer_id, fail
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            if self._node.store.pending_count(self._issuer_id):
                fake_anchor(self._node.store, self._issuer_id, fail=self._fail)

    def __enter__(self) -> StandInBatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def credreg(served: Served, issuer: IssuerKey | None, *args: str) -> Any:
    env = {"CREDREG_API_URL": served.url, "CREDREG_API_KEY": issuer.key if issuer else ""}
    return CliRunner().invoke(app, list(args), env=env)


def subject(n: int) -> dict[str, Any]:
    return {
        "learner": {"name": f"Learner {n}", "identity": {"type": "passport", "number": f"C{n:07d}", "country": "ZA"}},
        "qualification": {"id": "SAQA-7", "title": "National Certificate", "nqfLevel": 4, "credits": 120},
        "institution": "Example College",
        "awardDate": "2026-11-20",
    }


def counts(served: Served, issuer: IssuerKey) -> int:
    return sum(served.node.store.credential_counts(issuer.issuer_id).values())


def test_issue_a_json_file_wait_and_write_verifiable_bundles(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    credentials = [{"type": FQ, "credentialSubject": subject(n), "clientRef": f"nc-{n}"} for n in range(25)]
    credentials.append(dict(credentials[3]))  # the same clientRef twice: one credential
    source = tmp_path / "graduates.json"
    source.write_text(json.dumps({"credentials": credentials}))
    out_dir = tmp_path / "bundles"
    args = ("issue", str(source), "--wait", "--out", str(out_dir), "--chunk-size", "10", "--poll-interval", "0.05")
    with StandInBatcher(served.node, issuer.issuer_id):
        result = credreg(served, issuer, *args)
    assert result.exit_code == 0, result.output
    assert "accepted 26 credentials (25 distinct" in result.stdout
    assert "anchored 25, failed 0, still pending 0" in result.stdout
    assert issuer.key not in result.output
    bundles = sorted(out_dir.glob("*.json"))
    assert len(bundles) == 25
    for path in bundles:
        assert verify_integrity(loads_bundle(path.read_text())).ok
    with (out_dir / "index.csv").open() as handle:
        index = list(csv.DictReader(handle))
    assert [row["source"] for row in index] == [f"item {n}" for n in range(26)]
    assert index[25]["id"] == index[3]["id"]
    assert {row["status"] for row in index} == {"anchored"}

    again = credreg(served, issuer, "issue", str(source), "--out", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    with (tmp_path / "again" / "index.csv").open() as handle:
        assert [row["id"] for row in csv.DictReader(handle)] == [row["id"] for row in index]  # clientRefs: no repeats
    assert counts(served, issuer) == 25


def test_issue_a_csv_file_without_waiting(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    source = tmp_path / "graduates.csv"
    source.write_text(
        HEADER
        + "".join(
            f"{FQ},row-{n},Learner {n},passport,D{n:07d},ZA,SAQA-1,Diploma,6,360,TVET,2026-11-01\n" for n in range(3)
        )
    )
    result = credreg(served, issuer, "issue", str(source))
    assert result.exit_code == 0, result.output
    assert "accepted 3 credentials" in result.stdout
    assert "--wait" in result.stdout
    assert served.node.store.credential_counts(issuer.issuer_id)[AnchoringState.PENDING] == 3


def test_a_bad_row_stops_the_command_before_anything_is_sent(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    source = tmp_path / "graduates.csv"
    source.write_text(
        HEADER
        + f"{FQ},a,Sipho,passport,B1234567,ZA,SAQA-1,Diploma,6,360,TVET,2026-11-01\n"
        + f"{FQ},b,Thabo,passport,B1234568,ZA,SAQA-1,Diploma,level six,360,TVET,2026-11-01\n"
    )
    result = credreg(served, issuer, "issue", str(source), "--chunk-size", "1")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "row 3, column qualification.nqfLevel" in lines[0]
    assert "level six" not in result.output
    assert counts(served, issuer) == 0


def test_an_award_date_in_the_future_stops_the_command_before_anything_is_sent(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    source = tmp_path / "graduates.csv"
    source.write_text(HEADER + f"{FQ},a,Sipho,passport,B1234567,ZA,SAQA-1,Diploma,6,360,TVET,2099-11-01\n")
    result = credreg(served, issuer, "issue", str(source))
    assert result.exit_code == 1
    assert "row 2, column awardDate (/credentialSubject/awardDate): must not be in the future" in result.stderr
    assert "2099-11-01" not in result.output
    assert counts(served, issuer) == 0


def test_the_nodes_accreditation_refusals_name_the_rows_of_the_file(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node, max_level=5)
    source = tmp_path / "graduates.csv"
    levels = (4, 5, 6)  # the third row is above the issuer's accredited maximum: only the chain knows that
    source.write_text(
        HEADER
        + "".join(
            f"{FQ},lv-{n},Learner {n},passport,E{n:07d},ZA,SAQA-1,Diploma,{level},360,TVET,2026-11-01\n"
            for n, level in enumerate(levels)
        )
    )
    result = credreg(served, issuer, "issue", str(source), "--chunk-size", "2")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "row 4 /credentialSubject/qualification/nqfLevel: must be at most 5" in lines[0]
    assert "(rule: accreditedLevel)" in lines[0]
    assert "The 2 credentials before them were accepted" in lines[0]
    assert counts(served, issuer) == 2

    chain_act(served.node, "suspendIssuer", issuer.issuer_id, 5)
    again = credreg(served, issuer, "issue", str(source))
    assert again.exit_code == 1
    assert "every credential (/issuer): issuer #" in again.stderr
    assert "(rule: issuerActive)" in again.stderr
    assert counts(served, issuer) == 2


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("no-key", "no API key: set CREDREG_API_KEY"),
        ("bad-key", "(401)"),
        ("suspended", "is suspended"),
        ("unreachable", "cannot reach the node's API"),
        ("not-a-file", "cannot read"),
        ("wrong-suffix", "give a .json or a .csv file"),
    ],
)
def test_failures_are_one_clear_line(served: Served, tmp_path: Path, setup: str, needle: str) -> None:
    issuer: IssuerKey | None = add_issuer(
        served.node, IssuerStatus.SUSPENDED if setup == "suspended" else IssuerStatus.ACTIVE
    )
    source = tmp_path / "one.json"
    source.write_text(json.dumps([{"type": FQ, "credentialSubject": subject(1)}]))
    target = served
    if setup == "no-key":
        issuer = None
    elif setup == "bad-key":
        assert issuer is not None
        issuer = IssuerKey(issuer.issuer_id, "crk_wrong", issuer.metadata_uri, issuer.name)
    elif setup == "unreachable":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = probe.getsockname()[1]
        target = Served(f"http://127.0.0.1:{dead}", served.node)
    elif setup == "not-a-file":
        source = tmp_path / "missing.json"
    elif setup == "wrong-suffix":
        source = source.rename(tmp_path / "one.txt")
    result = credreg(target, issuer, "issue", str(source))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.output


def test_failed_anchors_are_summarised_with_their_reason(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    source = tmp_path / "two.json"
    source.write_text(json.dumps([{"type": FQ, "credentialSubject": subject(n)} for n in range(2)]))
    with StandInBatcher(served.node, issuer.issuer_id, fail="the key is not accredited for this type"):
        result = credreg(served, issuer, "issue", str(source), "--wait", "--poll-interval", "0.05")
    assert result.exit_code == 1
    assert "anchored 0, failed 2, still pending 0" in result.stdout
    assert "the key is not accredited for this type" in result.stdout
    assert "2 credential(s) failed to anchor" in result.stderr


def test_waiting_gives_up_after_the_timeout(served: Served, tmp_path: Path) -> None:
    issuer = add_issuer(served.node)
    source = tmp_path / "one.json"
    source.write_text(json.dumps([{"type": FQ, "credentialSubject": subject(1)}]))
    result = credreg(served, issuer, "issue", str(source), "--wait", "--timeout", "0.2", "--poll-interval", "0.05")
    assert result.exit_code == 1
    assert "still pending 1" in result.stdout
    assert "not anchored within 0.2 s" in result.stderr
