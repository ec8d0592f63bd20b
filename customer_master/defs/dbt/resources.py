"""The dbt CLI resource (profiles in the project; the target comes from settings)."""

import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from customer_master.defs.dbt.project import dbt_project


def dbt_executable() -> str:
    """The dbt installed beside this interpreter (the project's venv), whether or not it is on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())}
    )
