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


def land_boards(url: str, token: str, warehouse, *, mapping=None, partition_key: str = "2026-11-01") -> None:
    """Land every board of the mapping (default: the repository's, the sandbox's boards) with a full pull,
    then apply the mapping for dbt, as the pipeline does before its dbt step."""
    import datetime as dt

    from customer_master.board_mapping import DEFAULT_MAPPING_PATH, load_board_mapping
    from customer_master.monday import MondayClient
    from customer_master.warehouse.base import RunInfo
    from customer_master.warehouse.landing import land_board
    from customer_master.warehouse.mapping import apply_board_mapping

    mapping = mapping or load_board_mapping(DEFAULT_MAPPING_PATH)
    with MondayClient(url, token, timeout=30) as client:
        for entity, board_id in mapping.board_ids.items():
            run = RunInfo("dbt-it", f"monday/{entity}", partition_key, dt.datetime(2026, 11, 1))
            land_board(client, warehouse, board_id, run=run, mode="full")
    apply_board_mapping(warehouse, mapping)
