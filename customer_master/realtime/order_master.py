"""Bring order_master up to date for a batch of changes: dbt on that one model, incrementally.

Seconds count here (a change must be in order_master within 30 s), so the run avoids what a dbt
subprocess costs on every call:
- dbt runs in this process (`dbtRunner`), imported on a thread as the run starts (`prewarm`): a
  `dbt` subprocess would import it again after the changes landed;
- the changed ids travel in the environment (`DBT_ORDER_CHANGES`, read by
  dbt_project/macros/order_changes.sql), not in `--vars`: a var that differs on every run makes dbt
  parse the whole project again (~7 s); a changed env var re-parses only the files that read it;
- the runs share one target directory (`target/realtime`), so each finds the previous one's partial
  parse state.
A DuckDB file held by another process (the nightly run's dbt, an analyst's write connection) is
waited for, like the loader waits, up to `lock_timeout_seconds`. An order_master whose columns a
deploy changed (dbt refuses the incremental run: `on_schema_change='fail'`) is rebuilt whole, once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from customer_master.warehouse.analyst import is_lock_message

log = logging.getLogger(__name__)

CHANGES_ENV = "DBT_ORDER_CHANGES"
REALTIME_TARGET_DIR = "realtime"


def dbt_args(
    *,
    project_dir: Path,
    profiles_dir: Path,
    target: str,
    dbt_vars: Mapping[str, Any],
    target_path: Path,
    select: str = "order_master",
) -> list[str]:
    return [
        "run",
        "--select",
        select,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir),
        "--target",
        target,
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
        "--vars",
        json.dumps(dict(dbt_vars), sort_keys=True),
        # Nothing reads this run's manifest.json/run_results.json, and the relation cache would list
        # every schema for one model's sake: together 0.6 s of a 2.4 s run.
        "--no-write-json",
        "--no-populate-cache",
    ]


def prewarm() -> threading.Thread:
    """Import dbt on a thread while the run reads and lands the changes (~3.5 s of imports that
    would otherwise come after them); `build_order_master` waits for it through Python's import lock."""

    def load() -> None:
        import dbt.cli.main  # noqa: F401

    thread = threading.Thread(target=load, name="dbt-import", daemon=True)
    thread.start()
    return thread


def failure_messages(result: Any) -> list[str]:
    """What dbt said went wrong: the failed nodes' messages, else the exception."""
    messages = []
    for node in getattr(getattr(result, "result", None), "results", None) or ():
        status = str(getattr(node, "status", ""))
        if status.lower().endswith(("error", "fail")) and getattr(node, "message", None):
            messages.append(str(node.message))
    if not messages and getattr(result, "exception", None) is not None:
        messages.append(f"{type(result.exception).__name__}: {result.exception}")
    return messages or ["dbt reported a failure without a message (see target/realtime/dbt.log)"]


def is_schema_drift(messages: Sequence[str]) -> bool:
    """dbt refused the incremental run because order_master's columns differ from the model's
    (`on_schema_change='fail'`): a deploy changed the model and no full build has run since."""
    return any("schemas on this incremental model are out of sync" in m for m in messages)


def is_lock_failure(messages: Sequence[str]) -> bool:
    """Whether dbt failed because another process holds the DuckDB file (it is worth waiting)."""
    return any(is_lock_message(m) for m in messages)


def build_order_master(
    order_changes: Mapping[str, Sequence[str]],
    *,
    project_dir: Path,
    profiles_dir: Path,
    target: str,
    dbt_vars: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    target_path: Path | None = None,
    lock_timeout_seconds: float = 30.0,
) -> float:
    """`dbt run --select order_master` for these changed ids, in process; returns the seconds it took.
    `env` adds environment variables for the profile (e.g. CM_DUCKDB_PATH: the file the run landed
    the changes in); `target_path` replaces the shared `target/realtime` (tests run side by side).
    Raises RuntimeError with dbt's own messages when it fails."""
    from dbt.cli.main import dbtRunner  # imported here: only a realtime run needs it

    args_for = functools.partial(
        dbt_args,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        dbt_vars=dbt_vars,
        target_path=target_path or project_dir / "target" / REALTIME_TARGET_DIR,
    )
    args = args_for()
    rebuilding_whole = False
    started = time.perf_counter()
    deadline = time.monotonic() + lock_timeout_seconds
    changes = json.dumps({k: list(v) for k, v in order_changes.items()}, sort_keys=True)
    # The profile reads its paths relative to the project and its settings from the environment,
    # as a `dbt` process started in dbt_project/ would.
    with _environment({**(env or {}), CHANGES_ENV: changes}), _working_directory(project_dir):
        while True:
            try:
                result = dbtRunner().invoke(args)
            finally:
                release_duckdb()
            if result.success:
                return time.perf_counter() - started
            messages = failure_messages(result)
            if is_schema_drift(messages) and not rebuilding_whole:
                # Rebuilt whole, once, with the views it reads (they may have changed too): the same
                # rows the incremental run would give, in the new shape; the nightly does the same.
                log.warning(
                    "order_master's columns differ from its model (a deploy changed it since the last "
                    "full build): rebuilding it whole with the views it reads"
                )
                rebuilding_whole = True
                os.environ[CHANGES_ENV] = "{}"  # no ids: order_master is a table, rebuilt whole
                args = args_for(select="+order_master")
                continue
            if not (is_lock_failure(messages) and time.monotonic() < deadline):
                raise RuntimeError("dbt run of order_master failed: " + "; ".join(messages[-3:]))
            log.info("the warehouse is locked by another process; dbt tries again in 1 s")
            time.sleep(1.0)


def release_duckdb() -> None:
    """Close the DuckDB file dbt-duckdb keeps open in this process after a run (its environment is a
    class attribute that outlives the invocation): otherwise this process would hold the warehouse's
    write lock, and open it with a configuration no other connection here may differ from."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # SQL Server only
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


@contextmanager
def _environment(updates: Mapping[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
