"""Operations across nodes: how soon another organisation's node sees a revocation, and how soon a node killed with
kill -9 is ready again.

Figures:
- ops.revocation_seen_by_other_node_ms: a university revokes on its node (its own process, data dir and keystore); an
  employer's node (another process: no keys, only the chain's RPC URL) is asked POST /v1/verify until it says
  revoked; p50 over REVOCATIONS credentials, from the revoke request (which returns once mined) to that verdict.
- ops.restart_to_ready_s: the university's node, holding RESTART_N anchored credentials, killed with SIGKILL and
  started again: seconds until /readyz answers 200 (reference: the same node's first start, empty store).

python -m scripts.bench ops
"""

from __future__ import annotations

import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.keystore import new_keystore
from node.chain.signers import DEV_GOVERNOR, dev_account
from node.config import Settings
from tests.conftest import start_devnet
from tests.network.nodes import (
    PASSPHRASE,
    NodeProcess,
    api_key,
    fund,
    poll_json,
    prepare_data_dir,
    start_node,
)
from tests.samples import numbered_subject

BLOCK_TIME_S = 1.0
POLL_S = 0.25
"""The employer node's CREDREG_INDEXER_POLL_INTERVAL_S (unset, a node polls at CREDREG_DEVNET_BLOCK_TIME_S, 1 s)."""
REVOCATIONS = 7
RESTART_N = 100_000
BULK = 10_000
"""The API's largest bulk: the register is filled in RESTART_N // BULK requests."""
TYPE = "formal-qualification"
NAME = "Bench University"

NOTES = f"""\
Two or three `credreg serve` processes on one anvil ({BLOCK_TIME_S:g} s interval mining), each with its own data dir
(a copy of the deployment manifest), SQLite store and keys, all given the chain as CREDREG_RPC_URL (so no devnet key
is used): an authority's node (governor key, k = 1, and the body admin's keystore) accredits a body and a university
and stops; the university's node (its signing key in its own keystore, the batcher as a thread) issues and revokes;
the employer's node (no keys, no admin key; indexer polling every {POLL_S:g} s) verifies.
`ops.revocation_seen_by_other_node_ms`: for each of {REVOCATIONS} anchored credentials, the time from the
university's revoke request (answered once the transaction is mined: up to a block) to the first verdict of the
employer's node that says revoked, polled every 20 ms; the p50, with the p50 from the revoke reply and the blocks
between the revocation's block and the chain head at that verdict in the note. It cannot be much below the wait for
the block; expected: at most a block plus the employer's poll and a receipt poll. `ops.restart_to_ready_s`: the
university's node with {RESTART_N:,} anchored credentials killed with
SIGKILL, then started again: seconds from the new process's start to /readyz 200 (the store migrates, the indexer
catches up from its cursor); reference: the first start of the same node with an empty store (also alone). Loopback
only, the machine's two cores shared by anvil, the nodes and the client; tests/network/test_several_nodes.py runs
the same across four nodes with the employer's in a network namespace. Three earlier runs on 2026-12-04 (a busy
machine): revocation p50 1,011, 1,025 and 1,045 ms, always in the revocation's own block (0 blocks later), 4 to
143 ms after the revoke reply; restart to ready 4.50, 3.49 and 5.06 s against a first start of 6.17, 3.95 and 2.94
s: with 10,000 credentials a restart takes about as long as a first start, and single runs vary by a second or
two.
"""


def _setup(tmp: Path, rpc_url: str, manifest: Path) -> tuple[int, str, str]:
    """Accredit a body and a university through an authority's node; (issuer id, signer, signer keystore)."""
    w3 = connect(rpc_url)
    auth_dir, uni_dir = tmp / "authority", tmp / "university"
    for d in (auth_dir, uni_dir):
        prepare_data_dir(d, manifest)
    body_admin = new_keystore(auth_dir / "keys" / "body.json", PASSPHRASE, kdf_cost=2**10)
    signer_keystore = uni_dir / "keys" / "signer.json"
    signer = new_keystore(signer_keystore, PASSPHRASE, kdf_cost=2**10)
    for address in (body_admin, signer):
        fund(w3, address)
    authority = start_node(
        "authority", auth_dir, rpc_url, admin_key=api_key(),
        env={"CREDREG_DEPLOYER_KEY": dev_account(DEV_GOVERNOR).key.hex(), "CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE,
             "CREDREG_BATCHER_ENABLED": "false"},
    )  # fmt: skip
    try:
        authority.wait_ready()
        with authority.admin() as a:
            body_request = {"admin": body_admin, "credentialTypes": [TYPE], "maxLevel": 10,
                            "metadataUri": "did:web:body.example"}  # fmt: skip
            body = poll_json(a, "POST", "/v1/bodies", json=body_request)
            issuer = poll_json(a, "POST", "/v1/issuers", json={
                "bodyId": body["bodyId"], "name": NAME, "metadataUri": "did:web:bench-uni.example",
                "signerAddress": signer, "credentialTypes": [TYPE], "maxLevel": 8, "mintApiKey": False,
                "bodyAdminKeystorePath": str(auth_dir / "keys" / "body.json"),
            })  # fmt: skip
    finally:
        authority.stop()
    return int(issuer["issuerId"]), signer, str(signer_keystore)


def _university(uni_dir: Path, rpc_url: str, admin: str, port: int | None = None) -> NodeProcess:
    return start_node(
        "university", uni_dir, rpc_url, admin_key=admin, port=port,
        env={"CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE, "CREDREG_BATCHER_PROCESS": "false",
             "CREDREG_BATCH_MAX_WAIT_MS": "300"},
    )  # fmt: skip


def _wait_anchored(client: httpx.Client, total: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listed = poll_json(client, "GET", "/v1/credentials", params={"status": "anchored", "limit": 1})
        if listed["total"] >= total:
            return
        time.sleep(0.5)
    raise RuntimeError(f"fewer than {total} credentials anchored in {timeout_s:g} s")


def _revocations(
    uni_key: str, university: NodeProcess, employer: NodeProcess, w3: Any
) -> list[tuple[float, float, int]]:
    """(ms from the revoke request, and from its reply, to the employer's revoked verdict; blocks after the
    revocation's block)."""
    out: list[tuple[float, float, int]] = []
    with university.client(uni_key) as c, employer.client() as d:
        ids = [
            poll_json(c, "POST", "/v1/credentials", json={"type": TYPE, "credentialSubject": numbered_subject(i)})["id"]
            for i in range(REVOCATIONS)
        ]
        bundles = []
        for cid in ids:
            deadline = time.monotonic() + 60
            while (record := poll_json(c, "GET", f"/v1/credentials/{cid}"))["status"] != "anchored":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"credential {cid} not anchored in 60 s")
                time.sleep(0.2)
            bundles.append(record["bundle"])
        for cid, bundle in zip(ids, bundles, strict=True):
            deadline = time.monotonic() + 30
            while not poll_json(d, "POST", "/v1/verify", json=bundle)["valid"]:  # the employer's mirror has it
                if time.monotonic() > deadline:
                    raise RuntimeError("the employer's node never found the credential valid")
                time.sleep(0.1)
            sent = time.monotonic()
            mined = poll_json(c, "POST", f"/v1/credentials/{cid}/revoke", json={"reasonCode": 2})["act"]["blockNumber"]
            replied = time.monotonic()
            while True:
                verdict = poll_json(d, "POST", "/v1/verify", json=bundle)
                status = verdict.get("credentialStatus") or {}
                if status.get("status") == "revoked":
                    now = time.monotonic()
                    out.append(((now - sent) * 1000, (now - replied) * 1000, int(w3.eth.block_number) - int(mined)))
                    break
                if time.monotonic() - sent > 30:
                    raise RuntimeError("the employer's node never said revoked")
                time.sleep(0.02)
    return out


def run() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        devnet = start_devnet(tmp / "anvil", block_time_s=BLOCK_TIME_S, snapshot_interval_s=None)
        nodes: list[NodeProcess] = []
        try:
            w3 = connect(devnet.url)
            manifest = tmp / "deployment" / "deployment.json"
            deploy(w3, dev_account(DEV_GOVERNOR), manifest, Settings().artifacts_dir)
            issuer_id, signer, keystore = _setup(tmp, devnet.url, manifest)
            uni_dir, emp_dir = tmp / "university", tmp / "employer"
            prepare_data_dir(emp_dir, manifest)
            admin = api_key()
            university = _university(uni_dir, devnet.url, admin)
            nodes.append(university)
            first_start_s = university.wait_ready()  # alone, as the restart below
            quiet = {"CREDREG_BATCHER_ENABLED": "false", "CREDREG_INDEXER_POLL_INTERVAL_S": str(POLL_S)}
            employer = start_node("employer", emp_dir, devnet.url, env=quiet)
            nodes.append(employer)
            employer.wait_ready()
            with university.admin() as c:
                uni_key = poll_json(c, "POST", "/v1/issuers/register", json={
                    "issuerId": issuer_id, "name": NAME, "signerAddress": signer, "keystorePath": keystore,
                })["apiKey"]  # fmt: skip
            seen = _revocations(uni_key, university, employer, w3)

            with university.client(uni_key, timeout_s=300) as c:
                for start in range(0, RESTART_N, BULK):
                    items = [
                        {"type": TYPE, "credentialSubject": numbered_subject(i, prefix="R")}
                        for i in range(start, min(start + BULK, RESTART_N))
                    ]
                    poll_json(c, "POST", "/v1/credentials/bulk", json={"credentials": items})
                _wait_anchored(c, RESTART_N + REVOCATIONS, timeout_s=600)
            port = int(university.url.rsplit(":", 1)[1])
            university.proc.send_signal(signal.SIGKILL)
            university.proc.wait(timeout=30)
            restarted = _university(uni_dir, devnet.url, admin, port=port)
            nodes.append(restarted)
            restart_s = restarted.wait_ready(timeout_s=300)
            with restarted.client(uni_key) as c:
                total = poll_json(c, "GET", "/v1/credentials", params={"limit": 1})["total"]
        finally:
            for n in nodes:
                n.stop()
            devnet.stop()
    ms = [m for m, _, _ in seen]
    after_reply = statistics.median(r for _, r, _ in seen)
    blocks = sorted(b for _, _, b in seen)
    return {
        "ops.revocation_seen_by_other_node_ms": {
            "value": round(statistics.median(ms), 1),
            "unit": "ms",
            "note": f"revoke on the university's node → the employer's node says revoked; p50 of {len(ms)} "
            f"(min {min(ms):.0f}, max {max(ms):.0f} ms; p50 after the revoke reply {after_reply:.0f} ms); "
            f"block time {BLOCK_TIME_S:g} s, employer poll {POLL_S:g} s; "
            f"blocks after the revocation's block: {', '.join(map(str, blocks))}",
        },
        "ops.restart_to_ready_s": {
            "value": round(restart_s, 2),
            "unit": "s",
            "reference": round(first_start_s, 2),
            "note": f"kill -9 of the university's node holding {total:,} anchored credentials "
            "→ /readyz 200; reference: its first start, empty store",
        },
    }
