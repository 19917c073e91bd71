"""`credreg governance` (node/cli/governance.py) on anvil: with k == 1 a proposal by the node's governor executes at
once; list and show read it back; a step a proposal cannot take is one clear line."""

from __future__ import annotations

import json
import re

import pytest

from tests.cli.conftest import OnChain, one_clear_line, table_row

pytestmark = pytest.mark.anvil


def test_propose_executes_at_once_with_k_of_1_and_reads_back(on_chain: OnChain) -> None:
    proposed = on_chain("governance", "propose", "governance", "setThreshold", "1")
    assert proposed.exit_code == 0, proposed.output
    done = re.fullmatch(r"proposal (\d+) executed \(tx 0x[0-9a-f]{64}, block \d+\)", proposed.stdout.strip())
    assert done, proposed.stdout
    proposal_id = done.group(1)

    listed = on_chain("governance", "list", "--state", "executed")
    assert listed.exit_code == 0, listed.output
    _, state, approvals, call, _ = table_row(listed.stdout, proposal_id)
    assert (state, approvals) == ("executed", "1/1") and call.startswith("governance.setThreshold(")

    shown = on_chain("governance", "show", proposal_id)
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert (data["id"], data["state"], data["function"], data["approvals"]) == (
        int(proposal_id),
        "executed",
        "setThreshold",
        1,
    )

    for step in ("approve", "execute"):  # done already: nothing on chain, and it says so
        one_clear_line(on_chain("governance", step, proposal_id), f"proposal {proposal_id} was already executed")


def test_mistakes_are_one_clear_line(on_chain: OnChain) -> None:
    one_clear_line(on_chain("governance", "show", "999"), "there is no proposal 999")
    one_clear_line(
        on_chain("governance", "propose", "registry", "noSuchFunction"), "no state-changing function 'noSuchFunction'"
    )
    one_clear_line(on_chain("governance", "propose", "elsewhere", "setThreshold", "1"), "'registry' or 'governance'")
