"""Several organisations' nodes on one chain, each a separate OS process (``python -m node.cli serve``) with its
own data dir (a copy of the deployment manifest), SQLite store, keys and API keys; one anvil.

- the qualifications authority (A, the deployer: governor, k = 1) adds the quality council's governor key and sets
  k = 2 through governance itself; then a body accreditation proposed on A's node is pending until the council
  approves it on its own node (B), and executes only then;
- the council, as the accredited body, accredits a university on B (its body admin keystore is on B only); the
  university's node (C) holds the university's signing key and registers it, issues and anchors from there (the
  anchoring transaction is sent by that key);
- the employer's node (D: no keys, no admin key, only the chain's RPC URL) verifies the university's bundle as
  valid; the university revokes it on C; D's verdict says revoked within one block (blocks and ms measured).

D runs in a network namespace of its own, joined to the host by a veth pair, where the only thing it can reach is
a forwarder to the chain's RPC (checked: the university's API port cannot be reached from inside it). Where the
machine cannot make one (not root, no iproute2), the test skips saying what failed; under CI=true it fails instead
(CI runs on this kind of machine, as root, where namespaces work).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import Devnet
from node.chain.keystore import new_keystore
from node.chain.signers import DEV_GOVERNOR, dev_account
from node.config import Settings
from tests.conftest import start_devnet
from tests.network.nodes import (
    PASSPHRASE,
    Namespace,
    NodeProcess,
    api_key,
    fund,
    namespace,
    namespace_unavailable,
    new_key,
    poll_json,
    prepare_data_dir,
    start_node,
)
from tests.samples import numbered_subject

BLOCK_TIME_S = 1.0
"""The chain's block time (interval mining), as on a QBFT network with a 1 s period."""
POLL_S = 0.25
"""The employer node's indexer poll (CREDREG_INDEXER_POLL_INTERVAL_S): a quarter of the block time."""
TYPE = "formal-qualification"
UNIVERSITY = "University of the Western Cape"
UNIVERSITY_URI = "did:web:uwc.example"
KDF_COST = 2**10
"""scrypt n of the test keystores (cheap; the nodes decrypt whatever cost the file says)."""


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[Devnet, Path]]:
    """One anvil (1 s blocks) and the contracts deployed once by the authority's key; the manifest's path."""
    devnet = start_devnet(tmp_path / "anvil", block_time_s=BLOCK_TIME_S, snapshot_interval_s=None)
    try:
        manifest = tmp_path / "deployment" / "deployment.json"
        deploy(connect(devnet.url), dev_account(DEV_GOVERNOR), manifest, Settings().artifacts_dir)
        yield devnet, manifest
    finally:
        devnet.stop()


@pytest.fixture
def employer_namespace(chain: tuple[Devnet, Path]) -> Iterator[Namespace]:
    why = namespace_unavailable()
    if why is not None:
        message = f"no network namespace for the employer's node: {why}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI runs as root on a machine where `ip netns` works)", pytrace=False)
        pytest.skip(message)
    devnet, _ = chain
    with namespace(("127.0.0.1", int(devnet.url.rsplit(":", 1)[1]))) as ns:
        yield ns


def _keystore(directory: Path, name: str) -> tuple[str, str]:
    path = directory / "keys" / f"{name}.json"
    address = new_keystore(path, PASSPHRASE, kdf_cost=KDF_COST)
    return address, str(path)


def _wait(what: str, probe: Any, timeout_s: float = 60, every_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what}: not within {timeout_s:g} s")


@pytest.mark.anvil
def test_four_organisations_one_chain(
    chain: tuple[Devnet, Path], employer_namespace: Namespace, tmp_path: Path
) -> None:
    devnet, manifest = chain
    w3 = connect(devnet.url)
    ns = employer_namespace

    # --- each organisation's own data dir, keys and API key -------------------------------------------------------
    dirs = {n: tmp_path / n for n in ("authority", "council", "university", "employer")}
    for d in dirs.values():
        prepare_data_dir(d, manifest)
    council_governor = new_key()
    body_admin, body_admin_keystore = _keystore(dirs["council"], "body-admin")
    signer, signer_keystore = _keystore(dirs["university"], "uwc-signer")
    for address in (council_governor.address, body_admin, signer):
        fund(w3, address)
    quiet = {"CREDREG_BATCHER_ENABLED": "false", "CREDREG_INDEXER_POLL_INTERVAL_S": str(POLL_S)}
    authority = start_node(
        "authority", dirs["authority"], devnet.url, admin_key=api_key(),
        env=quiet | {"CREDREG_DEPLOYER_KEY": dev_account(DEV_GOVERNOR).key.hex()},
        keys={"governor": dev_account(DEV_GOVERNOR).address},
    )  # fmt: skip
    council = start_node(
        "council", dirs["council"], devnet.url, admin_key=api_key(),
        env=quiet | {"CREDREG_DEPLOYER_KEY": council_governor.key.hex(), "CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE},
        keys={"governor": council_governor.address, "body admin": body_admin},
    )  # fmt: skip
    university = start_node(
        "university", dirs["university"], devnet.url, admin_key=api_key(),
        env={"CREDREG_KEYSTORE_PASSPHRASE": PASSPHRASE, "CREDREG_BATCHER_PROCESS": "false",
             "CREDREG_BATCH_MAX_WAIT_MS": "200", "CREDREG_INDEXER_POLL_INTERVAL_S": str(POLL_S)},
        keys={"issuer signer": signer},
    )  # fmt: skip
    employer = start_node(
        "employer", dirs["employer"], ns.rpc_url, host=ns.ns_ip, netns=ns.name,
        env={"CREDREG_BATCHER_ENABLED": "false", "CREDREG_INDEXER_POLL_INTERVAL_S": str(POLL_S)},
    )  # fmt: skip
    nodes = [authority, council, university, employer]
    try:
        for n in nodes:
            n.wait_ready()
        assert len({n.url for n in nodes}) == 4 and len({n.data_dir for n in nodes}) == 4
        _scenario(w3, ns, authority, council, university, employer, body_admin, body_admin_keystore, signer,
                  signer_keystore)  # fmt: skip
    finally:
        for n in nodes:
            n.stop()


def _scenario(
    w3: Web3,
    ns: Namespace,
    authority: NodeProcess,
    council: NodeProcess,
    university: NodeProcess,
    employer: NodeProcess,
    body_admin: str,
    body_admin_keystore: str,
    signer: str,
    signer_keystore: str,
) -> None:
    governance = authority.keys["governor"], council.keys["governor"]

    # --- (1) k-of-n across organisations, set up through governance itself ------------------------------------------
    with authority.admin() as a, council.admin() as b:
        added = a.post("/v1/governance/proposals", json={"target": "governance", "function": "addGovernor",
                                                         "args": [governance[1]]})  # fmt: skip
        assert added.status_code == 201, added.text  # k = 1: executed at once
        raised = a.post("/v1/governance/proposals", json={"target": "governance", "function": "setThreshold",
                                                          "args": [2]})  # fmt: skip
        assert raised.status_code == 201, raised.text
        pending = a.post("/v1/bodies", json={"admin": body_admin, "credentialTypes": [TYPE, "micro-credential"],
                                             "maxLevel": 10, "metadataUri": "did:web:council.example"})  # fmt: skip
        assert pending.status_code == 202, pending.text  # 2 of 2: waits for the council
        proposal = pending.json()["act"]["proposal"]
        assert proposal is not None and not pending.json()["act"]["executed"]
        pid = proposal["id"]
        assert poll_json(b, "GET", "/v1/bodies") == [], "nothing executes on one governor's approval"
        seen = poll_json(b, "GET", f"/v1/governance/proposals/{pid}")  # the council's node reads it from the chain
        assert seen["state"] == "pending", seen
        approved = b.post(f"/v1/governance/proposals/{pid}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["executed"] is True, approved.json()
        bodies = poll_json(a, "GET", "/v1/bodies")
        assert [x["admin"].lower() for x in bodies] == [body_admin.lower()], bodies
        body_id = bodies[0]["id"]
        done = poll_json(a, "GET", f"/v1/governance/proposals/{pid}")
        assert done["state"] == "executed", done

        # --- (2) the council, as the body, accredits the university on its own node -------------------------------
        accredited = b.post("/v1/issuers", json={
            "bodyId": body_id, "name": UNIVERSITY, "metadataUri": UNIVERSITY_URI, "signerAddress": signer,
            "credentialTypes": [TYPE], "maxLevel": 8, "bodyAdminKeystorePath": body_admin_keystore,
            "mintApiKey": False,
        })  # fmt: skip
        assert accredited.status_code == 201, accredited.text
        assert accredited.json()["act"]["via"] == "body-admin", accredited.json()
        issuer_id = accredited.json()["issuerId"]

    with university.admin() as c:
        registered = c.post("/v1/issuers/register", json={
            "issuerId": issuer_id, "name": UNIVERSITY, "signerAddress": signer, "keystorePath": signer_keystore,
        })  # fmt: skip
        assert registered.status_code in (200, 201), registered.text
        assert registered.json()["keyAct"] is None  # the key was added by the body; the university only holds it
        issuer_key = registered.json()["apiKey"]
        assert issuer_key

    with university.client(issuer_key) as c:
        subject = numbered_subject(1, prefix="U", institution=UNIVERSITY)
        issued = c.post("/v1/credentials", json={"type": TYPE, "credentialSubject": subject})
        assert issued.status_code == 202, issued.text
        cid = issued.json()["id"]

        def anchored() -> Any:
            record = poll_json(c, "GET", f"/v1/credentials/{cid}")
            return record if record["status"] == "anchored" else None

        bundle = _wait("anchored on the university's node", anchored)["bundle"]
    anchor_tx = bundle["proof"]["anchor"]["transactionHash"]
    assert w3.eth.get_transaction(anchor_tx)["from"].lower() == signer.lower(), "anchored from the university's key"

    # --- (3) the employer's node: no keys, only the chain --------------------------------------------------------
    host_port = int(university.url.rsplit(":", 1)[1])
    assert not ns.can_connect("127.0.0.1", host_port), "the university's API is not on the namespace's loopback"
    assert not ns.can_connect(ns.host_ip, host_port), "nor reachable through the veth"
    assert ns.can_connect(ns.host_ip, int(ns.rpc_url.rsplit(":", 1)[1])), "the chain's RPC is"
    assert "default" not in ns.routes(), ns.routes()
    assert employer.admin_key is None and employer.keys == {}
    with employer.client() as d:
        assert d.get("/v1/governance/proposals").status_code == 401  # it holds no key of any kind
        verdict = poll_json(d, "POST", "/v1/verify", json=bundle)
        assert verdict["valid"] is True, verdict
        assert verdict["issuer"]["issuerId"] == issuer_id and verdict["issuer"]["bodyId"] == body_id

        with university.client(issuer_key) as c:
            sent = time.monotonic()
            revoked = c.post(f"/v1/credentials/{cid}/revoke", json={"reasonCode": 2})
            replied = time.monotonic()
        assert revoked.status_code == 200, revoked.text
        act = revoked.json()["act"]
        assert act["via"] == "issuer-key" and act["executed"], act
        mined = act["blockNumber"]
        while True:
            verdict = poll_json(d, "POST", "/v1/verify", json=bundle)
            head = w3.eth.block_number
            if verdict["credentialStatus"] and verdict["credentialStatus"]["status"] == "revoked":
                seen_at = time.monotonic()
                break
            assert head <= mined + 2, f"the employer's node still says {verdict['summary']!r} at block {head}"
            time.sleep(0.05)
    assert verdict["valid"] is False
    blocks = head - mined
    print(
        f"\nrevocation mined in block {mined}; the employer's node said revoked at chain head {head} "
        f"({blocks} block(s) later; verdict as of block {verdict['asOfBlock']['number']}), "
        f"{(seen_at - sent) * 1000:.0f} ms after the revoke request, {(seen_at - replied) * 1000:.0f} ms after "
        f"the university's node replied (block time {BLOCK_TIME_S:g} s)"
    )
    assert blocks <= 1, f"seen {blocks} blocks after the revocation's block (goal: within one)"
    assert verdict["asOfBlock"]["number"] >= mined
