"""Gas budgets: measured here (through the bench's own measuring code), never read from docs/benchmarks.json.

Gas is deterministic (seeded inputs, same EVM), so a figure above its budget is a regression, not noise.
"""

from __future__ import annotations

import pytest

from scripts.bench import gas

# The issue's budgets (the contract's headline figures).
BUDGETS = {
    "gas.anchor_single": 48_168,
    "gas.per_credential_batch_1024": 50,
    "gas.anchor_delegated": 56_000,
    "gas.revoke_leaf_1024": 55_000,
}
# Regression guards for every other figure: today's measurement plus a little room.
GUARDS = {
    "gas.anchor_root": 48_800,
    "gas.per_credential_batch_16": 3_050,
    "gas.per_credential_batch_65536": 0.75,
    "gas.suspend_leaf_1024": 52_200,
    "gas.reinstate_leaf_1024": 79_600,
    "gas.revoke_root": 32_250,
    "gas.accredit_issuer": 164_000,
    "gas.add_key": 179_500,
    "gas.rotate_key": 188_500,
}


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return gas.measure()


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_figure_within_issue_budget(figures: dict[str, float], name: str) -> None:
    assert figures[name] <= BUDGETS[name], f"{name} = {figures[name]:,} rose above its budget {BUDGETS[name]:,}"


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_figure_within_regression_guard(figures: dict[str, float], name: str) -> None:
    assert figures[name] <= GUARDS[name], f"{name} = {figures[name]:,} rose above its guard {GUARDS[name]:,}"


def test_every_figure_is_budgeted_or_guarded(figures: dict[str, float]) -> None:
    assert set(figures) == set(BUDGETS) | set(GUARDS)
    assert set(figures) == set(gas.SPEC)
    assert not set(BUDGETS) & set(GUARDS)


def test_budgets_here_match_the_bench_spec() -> None:
    """The budgets asserted here are the ones the bench reports (docs/benchmarks.md shows SPEC's)."""
    assert {name: spec[1] for name, spec in gas.SPEC.items() if spec[1] is not None} == BUDGETS


def test_single_anchor_beats_openattestation_and_delegation_beats_eas(figures: dict[str, float]) -> None:
    assert figures["gas.anchor_single"] < gas.OA_ISSUE
    assert figures["gas.revoke_leaf_1024"] < gas.OA_REVOKE_1024
    assert figures["gas.anchor_delegated"] < gas.EAS_ATTEST_BY_DELEGATION / 4
