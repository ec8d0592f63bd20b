"""Run the real dbt CLI of this venv against dbt_project/, with its own target/log dirs per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def run_dbt(
    args: list[str], work: Path, *, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`dbt <args> --profiles-dir . --target-path <work>/target --log-path <work>/logs` from dbt_project/.

    A private target path keeps parallel runs (the Dagster wiring, a developer's shell) from sharing
    partial-parse state and compiled files.
    """
    full_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    full_env.pop("DBT_TARGET", None)
    full_env.update(env or {})
    cmd = [
        str(DBT),
        *args,
        "--profiles-dir",
        ".",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    return subprocess.run(
        cmd, cwd=DBT_PROJECT_DIR, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def run_results(work: Path) -> dict[str, dict]:
    """unique_id -> result of the last dbt invocation in `work`."""
    data = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"]: r for r in data["results"]}
