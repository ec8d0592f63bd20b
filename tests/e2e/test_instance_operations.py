"""The shipped Dagster instance (deploy/dagster.yaml) under operations that broke it (issue 11):
a run killed with kill -9 while holding the `warehouse` pool slot, and two `dagster` commands
starting together on a fresh DAGSTER_HOME. Real `dagster` subprocesses on real SQLite storage.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.daemon import MonitoringDaemon

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

ROOT = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).with_name("dagster"))
POOL = "warehouse"

SLOT_JOB = """
import time
import dagster as dg

@dg.asset(pool="warehouse")
def holds_the_warehouse_slot() -> None:
    time.sleep(300)

defs = dg.Definitions(
    assets=[holds_the_warehouse_slot],
    jobs=[dg.define_asset_job("slot_job", selection=[holds_the_warehouse_slot])],
)
"""

TINY_JOB = """
import dagster as dg

@dg.asset
def tiny() -> int:
    return 1

defs = dg.Definitions(assets=[tiny], jobs=[dg.define_asset_job("tiny_job", selection=[tiny])])
"""


def _claimed(instance: dg.DagsterInstance) -> list[str]:
    return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def test_a_killed_run_is_failed_by_run_monitoring_and_frees_its_warehouse_slot(shipped_instance, tmp_path):
    shipped = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())["run_monitoring"]
    # The default run launcher cannot check a run's process, so a dead STARTED run is found by its
    # age (max_runtime_seconds) and its slot freed after it ended (free_slots_after_run_end_seconds).
    assert shipped["enabled"] is True
    assert shipped["max_runtime_seconds"] > 0 and shipped["free_slots_after_run_end_seconds"] > 0
    assert MonitoringDaemon.daemon_type() in shipped_instance.get_required_daemon_types()

    job_file = tmp_path / "slot_job.py"
    job_file.write_text(SLOT_JOB)
    worker = subprocess.Popen(
        [DAGSTER, "job", "execute", "-f", str(job_file), "-j", "slot_job"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _claimed(shipped_instance) and time.monotonic() < deadline:
            time.sleep(0.5)
        (run_id,) = _claimed(shipped_instance)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the run worker and its step process, no clean-up
        worker.wait()
    time.sleep(1)
    assert shipped_instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    assert _claimed(shipped_instance) == [run_id]  # what blocked every later run

    # Wait an hour and a minute? No: the same settings, shortened in this copy only.
    home = Path(os.environ["DAGSTER_HOME"])
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    config["run_monitoring"].update(max_runtime_seconds=1, free_slots_after_run_end_seconds=1)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with (
        dg.DagsterInstance.get() as instance,
        WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as ws,
    ):
        daemon = MonitoringDaemon(interval_seconds=instance.run_monitoring_poll_interval_seconds)
        daemon._logger = logging.getLogger("test.monitoring_daemon")  # set by the daemon controller
        list(daemon.run_iteration(ws))  # what the daemon does every poll: the run is too old, failed
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        time.sleep(2.5)
        list(daemon.run_iteration(ws))  # next poll: the ended run's slot is freed
        assert _claimed(instance) == []


def test_setup_migrates_the_instance_so_concurrent_first_commands_succeed(tmp_path):
    home = tmp_path / "fresh_home"
    make = subprocess.run(
        # -o: never re-sync the venv from a test; only the instance rule runs.
        ["make", "-C", str(ROOT), "-o", ".venv/.synced", f"DAGSTER_HOME={home}", f"{home}/dagster.yaml"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert make.returncode == 0, make.stderr
    for db in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        assert (home / db).exists(), f"{db} not created by the setup step"

    job_file = tmp_path / "tiny_job.py"
    job_file.write_text(TINY_JOB)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    runs = [
        subprocess.Popen(
            [DAGSTER, "job", "execute", "-f", str(job_file), "-j", "tiny_job"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [r.status for r in instance.get_runs()] == [dg.DagsterRunStatus.SUCCESS] * 2
