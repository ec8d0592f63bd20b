"""`make demo` looks like a business day: `python -m customer_master.demo` end to end, in a subprocess
with a fresh Dagster instance (the one `make setup` ships) and a fresh data directory (no warehouse or
snapshots of an earlier demo), on today's data.

The bands are the issue's (tests/unit/test_demo_profile.py checks the same profile in memory on other
days): the run succeeds, no critical check fails, under 10 % of the scheduled orders are late with some
pushed by capacity, the lines 80-95 % loaded over the next 10 working days; the run's log (dbt's
per-node lines) goes to the log file, not the console.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from customer_master.settings import env_var_names

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DAGSTER_YAML = ROOT / "deploy" / "dagster.yaml"
TIMEOUT_SECONDS = 240
SUMMARY = re.compile(
    r"^(?P<planned>\d+) orders planned for the next 10 working days, lines (?P<util>[\d.]+) % loaded; "
    r"(?P<late>\d+) of (?P<scheduled>\d+) scheduled late \([\d.]+ %: (?P<past_due>\d+) past due, "
    r"(?P<pushed>\d+) pushed by capacity or delivery days\), (?P<unschedulable>\d+) unschedulable "
    r"\((?P<bad_data>\d+) for bad data\)\.$",
    re.MULTILINE,
)
# dbt's per-node lines ("1 of 52 START sql table model main.order_master ... [RUN]", "... OK created ...").
DBT_NODE_LINE = re.compile(r"\d+ of \d+ (START|OK|PASS|WARN|ERROR|FAIL)\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo run: (completed process, data dir)."""
    tmp = tmp_path_factory.mktemp("demo")
    home, data = tmp / "dagster_home", tmp / "data"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if k not in env_var_names() and k != "CM_REPORTS_DIR"}
    env |= {"DAGSTER_HOME": str(home), "CM_DATA_DIR": str(data), "MONDAY_API_TOKEN": "sandbox-token"}
    dagster = Path(sys.executable).with_name("dagster")
    subprocess.run(
        [str(dagster), "instance", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
    )
    proc = subprocess.run(
        [sys.executable, "-m", "customer_master.demo"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    return proc, data


def _summary(stdout: str) -> dict[str, float]:
    match = SUMMARY.search(stdout)
    assert match, f"no summary line in:\n{stdout[-3000:]}"
    return {k: float(v) for k, v in match.groupdict().items()}


def test_the_demo_succeeds(demo):
    proc, _ = demo
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"


def test_no_critical_check_fails(demo):
    proc, _ = demo
    checks = proc.stdout.split("\nchecks:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert checks, proc.stdout
    assert not [line for line in checks if line.strip().startswith("FAIL")], "\n".join(checks)
    assert any("schedule_calculation_errors" in line and line.strip().startswith("pass") for line in checks)


def test_the_plan_looks_like_a_business_day(demo):
    s = _summary(demo[0].stdout)
    assert s["late"] < 0.10 * s["scheduled"], s
    assert s["pushed"] >= 1, s
    assert 80 <= s["util"] <= 95, s
    assert s["bad_data"] < 0.01 * (s["scheduled"] + s["unschedulable"]), s


def test_the_run_log_goes_to_the_log_file_not_the_console(demo):
    proc, data = demo
    log = data / "logs" / f"demo-{dt.date.today().isoformat()}.log"
    assert log.is_file()
    text = log.read_text()
    assert DBT_NODE_LINE.search(text), "dbt's per-node lines are not in the log file"
    assert " - INFO - " in text
    assert not DBT_NODE_LINE.search(proc.stdout), proc.stdout
    assert " - INFO - " not in proc.stdout
    assert " - INFO - " not in proc.stderr
    assert f"run log (dbt included): {log}" in proc.stdout


def test_the_tue_thu_key_account_has_the_most_orders_pushed_by_capacity(demo):
    import duckdb

    from customer_master.sandbox.generator import generate_workspace, profile_spec

    key_account = str(generate_workspace(profile_spec("demo")).board_by_key("customers").items[0].id)
    with duckdb.connect(str(demo[1] / "warehouse.duckdb"), read_only=True) as con:
        pushed = con.execute(
            "select customer_id, count(*) from plan_assignments"
            " where is_late and requested_date >= plan_date group by 1 order by 2 desc, 1"
        ).fetchall()
    assert pushed and pushed[0][0] == key_account, pushed


def test_the_demo_ends_with_where_the_delivery_sheet_is(demo):
    proc, data = demo
    sheet = data / "reports" / f"delivery-sheet-{dt.date.today().isoformat()}.html"
    assert f"delivery sheet: {sheet}" in proc.stdout and sheet.is_file()
    assert "explore: make ui" in proc.stdout and "docs/runbook.md" in proc.stdout


DIGEST = re.compile(r"^daily digest: \[(?P<level>\w+)\](?P<text>.*)$", re.MULTILINE)
FAILED_COUNTS = re.compile(r" with (?P<counts>[\w ]+?) failed checks?\.")


def test_the_digest_counts_exactly_the_failed_checks_the_list_shows_and_takes_their_level(demo):
    proc, _ = demo
    checks = proc.stdout.split("\nchecks:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    failed = {"critical": 0, "warn": 0}
    for line in checks:
        verdict = line.split()[0]
        if verdict in ("FAIL", "WARN"):
            failed["critical" if verdict == "FAIL" else "warn"] += 1
    digest = DIGEST.search(proc.stdout)
    assert digest, proc.stdout[-3000:]
    counts = FAILED_COUNTS.search(digest["text"])
    counted = dict.fromkeys(failed, 0) | {
        severity: int(n)
        for n, severity in re.findall(r"(\d+) (critical|warn)", counts["counts"] if counts else "")
    }
    assert counted == failed, (digest[0][:400], checks)
    assert digest["level"] == ("critical" if failed["critical"] else "warn" if failed["warn"] else "info")
