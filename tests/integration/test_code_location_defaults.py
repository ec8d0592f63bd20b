"""Issue 11: the code location loads quietly under one name, and the runs the UI launches are cheap.

* Loading the definitions warned on every command that `daily_pipeline_job` mixes backfill
  policies (the dbt schedule models had one, the boards and the plan none), and the UI's
  "Materialize all" dialog said "varying backfill policies".
* `make ui` printed "code location name ... does not match" 54 times: dg named the project after
  the checkout's folder, `dagster dev -m` after the module.
* A run launched from the UI took 4x the CLI's time: every step started a process of its own that
  imported dagster, dbt and the code location again, for steps that the warehouse pool (limit 1)
  runs one at a time anyway (timed in benchmarks/bench_ui_run.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import dagster as dg
import pytest
import yaml

from customer_master.definitions import defs
from customer_master.defs.shared import WAREHOUSE_POOL

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCATION = "customer_master"
# The implicit job behind "Materialize" / "Materialize all" in the UI and behind asset backfills.
ASSET_JOB = "__ASSET_JOB"


def test_loading_the_definitions_and_resolving_every_job_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        definitions = defs()
        jobs = definitions.get_repository_def().get_all_jobs()
    assert "daily_pipeline_job" in {job.name for job in jobs}


def test_every_daily_partitioned_asset_backfills_one_day_per_run():
    graph = defs().resolve_asset_graph()
    partitioned = [graph.get(key) for key in graph.materializable_asset_keys if graph.get(key).is_partitioned]
    names = {node.key.to_user_string() for node in partitioned}
    assert names >= {"monday/orders", "delivery_plan", "schedule_history"}
    policies = {node.backfill_policy for node in partitioned}
    assert policies == {dg.BackfillPolicy.multi_run(max_partitions_per_run=1)}, policies


def test_the_jobs_the_ui_launches_run_their_steps_in_the_run_process():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    # Why in-process costs no parallelism: every asset those jobs materialize is in the one pool.
    pools = {frozenset(graph.get(key).pools or ()) for key in graph.materializable_asset_keys}
    assert pools == {frozenset({WAREHOUSE_POOL})}, pools
    for name in ("daily_pipeline_job", ASSET_JOB, "monday_ingestion_job"):
        assert definitions.resolve_job_def(name).executor_def.name == "in_process", name


def test_every_way_of_loading_the_project_names_the_same_code_location():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())
    cloud = yaml.safe_load((PROJECT_ROOT / "dagster_cloud.yaml").read_text())
    names = {
        "pyproject [tool.dg.project]": pyproject["tool"]["dg"]["project"]["code_location_name"],
        "workspace.yaml": workspace["load_from"][0]["python_module"]["location_name"],
        "dagster_cloud.yaml": cloud["locations"][0]["location_name"],
    }
    assert set(names.values()) == {LOCATION}, names
    assert "-w workspace.yaml" in (PROJECT_ROOT / "Makefile").read_text()


def test_loading_through_the_workspace_prints_no_name_mismatch(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text())
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(venv_bin / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"Validation successful for code location {LOCATION}" in output
    assert "does not match" not in output
