"""The code location loads the way `dagster dev`, `dg` and Dagster+ load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from customer_master.definitions import defs

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable_and_wire_every_resource():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    job = definitions.resolve_job_def("monday_ingestion_job")
    assert job.partitions_def is not None
    keys = {key.to_user_string() for key in definitions.resolve_all_asset_keys()}
    assert {"monday/customers", "monday/orders", "monday/capacity"} <= keys


def test_dg_check_defs_passes():
    venv_bin = Path(sys.executable).parent
    # dg starts the code location in a process of its own, which finds dbt on PATH as a user's would.
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(venv_bin / "dg"), "check", "defs"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
