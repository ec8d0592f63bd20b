"""The schedule benchmark's reference: HiGHS with precedence as constraints (benchmarks/bench_schedule.py).

Issue 15 measures greedy + `improve` against the best HiGHS solution that keeps precedence, so the MILP's
precedence rows must say what `scheduling.precedence` says. On a small generated instance (solved to
optimality in seconds, real HiGHS) both directions are checked against the library's own check: the
engine's plans satisfy the rows, the reference's solution has no precedence violation, and the MILP
without the rows - free to trade a higher-priority order's lateness for lower ones - is a violation
exactly when the rows say it is.
"""

from __future__ import annotations

import pytest

pytest.importorskip("highspy")

from benchmarks.bench_schedule import run_quality  # noqa: E402

SMALL = {"name": "q7", "orders": 160, "resources": 1, "horizon_days": 30, "load": 0.95, "overtime_share": 0.0}


@pytest.fixture(scope="module")
def result() -> dict:
    return run_quality(SMALL, milp_seconds=3.0)


def test_the_engine_plans_are_solutions_of_the_reference_model(result: dict) -> None:
    assert result["greedy"]["feasible_in_model"] and result["improved"]["feasible_in_model"]
    assert result["reference"]["plans_keep_precedence"] == {"greedy": True, "improved": True}


def test_the_reference_keeps_precedence_by_the_library_check(result: dict) -> None:
    reference = result["reference"]
    assert reference["solution_keeps_precedence"]
    assert reference["library_precedence_violations"] == 0
    # Warm-started from greedy + improve: never worse than it, never better than its own bound.
    assert reference["dual_bound"] - 1e-6 <= reference["objective"] <= result["improved"]["objective"]


def test_the_rows_and_the_library_agree_on_a_plan_that_ignores_precedence(result: dict) -> None:
    unconstrained = result["milp"]
    # On this instance the cheapest plan breaks precedence (low orders spared at a higher one's cost):
    # the rows see it, and so does the library's check.
    assert not unconstrained["keeps_precedence"]
    assert unconstrained["library_precedence_violations"] > 0
    # Without the rows the optimum can only be as good or better: precedence has a price, never a gain.
    assert unconstrained["objective"] <= result["reference"]["objective"] + 1e-6
