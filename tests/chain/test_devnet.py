"""The devnet keeps its state across a clean stop, and loses at most one snapshot interval to a kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from node.chain.client import connect
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet, anvil_binary, pid_alive, pid_file
from node.config import DEVNET_CHAIN_ID
from node.errors import ConfigurationError, DevnetError
from tests.conftest import NODE_MODULES, start_devnet
from tests.serving import free_port

DEV = Account.from_key(DEV_PRIVATE_KEYS[0])
BOB = Account.from_key(DEV_PRIVATE_KEYS[1]).address


def send_value(w3: Web3, wei: int) -> int:
    """Send ``wei`` to BOB and wait for it to be mined; returns the block number."""
    tx = {
        "to": BOB,
        "value": wei,
        "gas": 21_000,
        "maxFeePerGas": w3.to_wei(20, "gwei"),
        "maxPriorityFeePerGas": 1,
        "nonce": w3.eth.get_transaction_count(DEV.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    tx_hash = w3.eth.send_raw_transaction(DEV.sign_transaction(tx).raw_transaction)
    return int(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["blockNumber"])


def test_devnet_uses_our_chain_id_and_mines_on_an_interval(anvil: Devnet) -> None:
    w3 = connect(anvil.url)
    assert w3.eth.chain_id == DEVNET_CHAIN_ID not in (1337, 31337)
    first = w3.eth.block_number
    time.sleep(0.7)
    assert w3.eth.block_number > first, "interval mining must produce blocks with no transactions"


def test_clean_stop_and_start_keeps_state(tmp_path: Path) -> None:
    state_dir = tmp_path / "devnet"
    devnet = start_devnet(state_dir, snapshot_interval_s=60)
    w3 = connect(devnet.url)
    before = w3.eth.get_balance(BOB)
    block = send_value(w3, 12345)
    devnet.stop()
    assert json.loads((state_dir / "state.json").read_text()), "a clean stop leaves a loadable snapshot"

    devnet = start_devnet(state_dir, snapshot_interval_s=60)
    try:
        w3 = connect(devnet.url)
        assert w3.eth.get_balance(BOB) == before + 12345
        assert w3.eth.block_number >= block
    finally:
        devnet.stop()


def test_kill_9_loses_at_most_the_last_snapshot_interval(tmp_path: Path) -> None:
    state_dir = tmp_path / "devnet"
    devnet = start_devnet(state_dir, snapshot_interval_s=0.3)
    w3 = connect(devnet.url)
    before = w3.eth.get_balance(BOB)
    send_value(w3, 777)
    time.sleep(1.0)  # > one snapshot interval: this transfer is in a snapshot
    assert devnet.process is not None
    os.kill(devnet.process.pid, signal.SIGKILL)
    devnet.process.wait()
    devnet.stop()  # the snapshot thread notices; stop() must not fail on a dead anvil

    json.loads((state_dir / "state.json").read_text())  # never a half-written file
    devnet = start_devnet(state_dir, snapshot_interval_s=0.3)
    try:
        assert connect(devnet.url).eth.get_balance(BOB) == before + 777
    finally:
        devnet.stop()


def test_port_already_taken_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        devnet = Devnet(tmp_path / "d", NODE_MODULES, DEVNET_CHAIN_ID, port=port)
        with pytest.raises(DevnetError, match=f"port {port} .* already in use"):
            devnet.start()


def test_missing_anvil_says_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(DevnetError, match="make setup"):
        anvil_binary(tmp_path / "node_modules")


def test_unwritable_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    devnet = Devnet(blocker / "devnet", NODE_MODULES, DEVNET_CHAIN_ID, port=0)
    with pytest.raises(ConfigurationError, match=r"not writable.*CREDREG_DATA_DIR"):
        devnet.start()


def test_a_snapshot_taken_while_a_block_was_mined_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """anvil dumps its block list before its accounts: a block mined in between would leave an anchor's record in
    the file without its transaction and log. Such a dump is taken again; if blocks keep coming, the previous
    snapshot is kept rather than replaced."""
    import node.chain.devnet as devnet_module

    devnet = Devnet(tmp_path, NODE_MODULES, DEVNET_CHAIN_ID, port=0)
    devnet.url = "http://127.0.0.1:1"
    heads = iter([7, 8, 8, 8])  # a block lands during the first dump only
    dumps = iter([json.dumps({"dump": n}).encode().hex() for n in (1, 2)])

    def fake_rpc(url: str, method: str, params: object = None, timeout: float = 10.0) -> object:
        return hex(next(heads)) if method == "eth_blockNumber" else "0x" + next(dumps)

    monkeypatch.setattr(devnet_module, "rpc", fake_rpc)
    devnet.snapshot()
    assert json.loads(devnet.state_file.read_text()) == {"dump": 2}

    moving = iter(range(100))
    monkeypatch.setattr(
        devnet_module,
        "rpc",
        lambda url, method, *a, **k: hex(next(moving)) if method == "eth_blockNumber" else "0x" + b"{}".hex(),
    )
    with pytest.raises(DevnetError, match="previous snapshot is kept"):
        devnet.snapshot()
    assert json.loads(devnet.state_file.read_text()) == {"dump": 2}


def test_an_orphaned_devnet_is_snapshotted_and_stopped_by_the_next_start(tmp_path: Path) -> None:
    """Where nothing stopped anvil when its node died (no PR_SET_PDEATHSIG outside Linux, or an older node), the pid
    file lets the next start find it: its chain is saved in a last snapshot and it is stopped, so the port is free and
    the new anvil carries on with everything the orphan had, even what no periodic snapshot held yet."""
    state_dir = tmp_path / "devnet"
    port = free_port()
    orphan = Devnet(state_dir, NODE_MODULES, DEVNET_CHAIN_ID, port=port, block_time_s=0.2, snapshot_interval_s=None)
    orphan.start()
    assert orphan.process is not None
    orphan_pid = orphan.process.pid
    w3 = connect(orphan.url)
    before = w3.eth.get_balance(BOB)
    send_value(w3, 4242)
    dead = subprocess.Popen(["true"])
    dead.wait()
    record = json.loads(pid_file(state_dir).read_text())
    pid_file(state_dir).write_text(json.dumps(record | {"owner_pid": dead.pid, "owner_start_ticks": None}))
    orphan.process = None  # this object forgets it, as a dead node would

    devnet = Devnet(state_dir, NODE_MODULES, DEVNET_CHAIN_ID, port=port, block_time_s=0.2, snapshot_interval_s=None)
    try:
        devnet.start()
        assert not pid_alive(orphan_pid)
        assert connect(devnet.url).eth.get_balance(BOB) == before + 4242
        assert json.loads(pid_file(state_dir).read_text())["pid"] == devnet.info().pid
    finally:
        devnet.stop()
        if pid_alive(orphan_pid):
            os.kill(orphan_pid, signal.SIGKILL)
    assert not pid_file(state_dir).exists()


def test_a_supervised_devnet_is_not_started_twice(anvil: Devnet) -> None:
    again = Devnet(anvil.state_dir, NODE_MODULES, DEVNET_CHAIN_ID, port=0)
    with pytest.raises(DevnetError, match=f"already runs at {anvil.url}"):
        again.start()


@pytest.mark.parametrize(
    ("system", "machine", "package"),
    [
        ("Linux", "x86_64", "anvil-linux-amd64"),
        ("Linux", "aarch64", "anvil-linux-arm64"),
        ("Darwin", "x86_64", "anvil-darwin-amd64"),
        ("Darwin", "arm64", "anvil-darwin-arm64"),
    ],
)
def test_the_anvil_binary_is_the_one_for_this_platform(tmp_path: Path, system: str, machine: str, package: str) -> None:
    """npm @foundry-rs/anvil installs only this platform's optional package: node_modules/@foundry-rs/<package>/bin."""
    for other in ("anvil-linux-amd64", "anvil-linux-arm64", "anvil-darwin-amd64", "anvil-darwin-arm64"):
        binary = tmp_path / "@foundry-rs" / other / "bin" / "anvil"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
    assert anvil_binary(tmp_path, system=system, machine=machine) == tmp_path / "@foundry-rs" / package / "bin/anvil"
    (tmp_path / "@foundry-rs" / package / "bin" / "anvil").unlink()
    with pytest.raises(DevnetError, match=rf"anvil is not installed for .*{package}.*make setup"):
        anvil_binary(tmp_path, system=system, machine=machine)


@pytest.mark.parametrize(
    ("system", "machine", "named"), [("Linux", "riscv64", "linux-riscv64"), ("FreeBSD", "amd64", "freebsd-x64")]
)
def test_a_platform_npm_ships_no_anvil_for_is_named(system: str, machine: str, named: str) -> None:
    with pytest.raises(DevnetError, match=rf"ships no anvil binary for this platform \({named};.*CREDREG_RPC_URL"):
        anvil_binary(NODE_MODULES, system=system, machine=machine)
