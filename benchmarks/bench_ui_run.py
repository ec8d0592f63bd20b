"""A run launched from the UI against the same run from the CLI.

The nightly job launched from the UI used to take four times as long as `dagster job execute` on the
same machine. This benchmark launches it both ways on the shipped instance (a copy of
deploy/dagster.yaml in a temporary DAGSTER_HOME, so the `warehouse` pool's limit of 1 applies to
both), each against the sandbox and a fresh DuckDB file:

* CLI: `dagster job execute -w workspace.yaml -j daily_pipeline_job` for today's partition, timed
  from the command's start to its exit (code location load included);
* UI: `dagster dev -w workspace.yaml` (webserver + daemon, as `make ui`), then `launchRun` of the
  same job and partition through the webserver's GraphQL API (what the launchpad sends), timed from
  the launch to the run's end (queue, run worker start, code location load, steps);
* UI backfill (`--backfill-days N`, default 2; 0 skips it): `launchPartitionBackfill` of the job's
  assets for the last N days, as "Materialize all" sends it, timed to the backfill's end.

Peak memory is the largest resident set of the process tree (sampled every 0.2 s) during each.

    python -m benchmarks.bench_ui_run                    # writes JSON + README section
    python -m benchmarks.bench_ui_run --backfill-days 0  # single runs only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psutil

from benchmarks.common import replace_readme_section, write_result

# The project the runs load; `--source` points it at another copy (e.g. `git archive` of a commit)
# to measure a before/after on the same machine.
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
JOB = "daily_pipeline_job"
LOCATION = "customer_master"
ORDERS = 2000  # the demo's sandbox
RATIO_TARGET = 1.2  # a UI-launched run within 1.2x of the CLI
RUN_TIMEOUT_S = 1800
DONE_RUN = {"SUCCESS", "FAILURE", "CANCELED"}
DONE_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TreeSampler:
    """Peak summed RSS of a process and its descendants, sampled on a thread."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for p in [self.root, *self.root.children(recursive=True)]:
                    with suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak / 2**20


def base_env(home: Path, data_dir: Path, sandbox_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "MONDAY_", "DAGSTER_"))}
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DAGSTER_HOME=str(home),
        CM_DATA_DIR=str(data_dir),
        # dbt's profile reads the file's path from this variable, not from CM_DATA_DIR.
        CM_DUCKDB_PATH=str(data_dir / "warehouse.duckdb"),
        MONDAY_API_URL=sandbox_url,
        MONDAY_API_TOKEN="sandbox-token",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
    )
    return env


def make_home(parent: Path, name: str) -> Path:
    home = parent / name
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return home


def today_partition() -> str:
    from customer_master.defs.shared import daily_partitions

    return daily_partitions.get_last_partition_key()


def cli_run(tmp: Path, sandbox_url: str, partition: str) -> dict:
    env = base_env(make_home(tmp, "home_cli"), tmp / "data_cli", sandbox_url)
    cmd = [str(BIN / "dagster"), "job", "execute", "-m", "customer_master.definitions", "-j", JOB,
           "--tags", json.dumps({"dagster/partition": partition})]  # fmt: skip
    started = time.perf_counter()
    out = subprocess.PIPE
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    with TreeSampler(proc.pid) as mem:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    seconds = time.perf_counter() - started
    ok = proc.returncode == 0 and "RUN_SUCCESS" in out
    if not ok:
        print(out[-4000:], file=sys.stderr)
    return {"seconds": round(seconds, 1), "success": ok, "peak_rss_mib": round(mem.peak_mib)}


@contextmanager
def dagster_dev(tmp: Path, sandbox_url: str):
    """`dagster dev -w workspace.yaml` on a free port; yields (graphql client, port, process)."""
    from dagster_graphql import DagsterGraphQLClient

    env = base_env(make_home(tmp, "home_ui"), tmp / "data_ui", sandbox_url)
    port = free_port()
    log = open(tmp / "dagster_dev.log", "w")  # noqa: SIM115 (closed below)
    cmd = [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for_location(port)
        yield DagsterGraphQLClient("127.0.0.1", port_number=port), port, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


LOCATION_STATUS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def wait_for_location(port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": LOCATION_STATUS}, timeout=5)
            entries = r.json()["data"]["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the code location did not load within {timeout:.0f} s")


def ui_run(client, proc, partition: str) -> dict:
    with TreeSampler(proc.pid) as mem:
        started = time.perf_counter()
        run_id = client.submit_job_execution(
            JOB, repository_location_name=LOCATION, tags={"dagster/partition": partition}
        )
        status = wait(lambda: client.get_run_status(run_id).value, DONE_RUN)
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "success": status == "SUCCESS", "peak_rss_mib": round(mem.peak_mib),
            "run_id": run_id}  # fmt: skip


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on PartitionSetNotFoundError { message }
  }
}"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status numPartitions runs(limit: 100) { runId status } }
  }
}"""
JOB_ASSETS = """
query($selector: PipelineSelector!) {
  assetNodes(pipeline: $selector) { assetKey { path } isExecutable }
}"""


def ui_backfill(client, proc, partitions: list[str]) -> dict:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "pipelineName": JOB}
    nodes = client._execute(JOB_ASSETS, {"selector": selector})["assetNodes"]
    keys = [{"path": n["assetKey"]["path"]} for n in nodes if n["isExecutable"]]
    params = {"partitionNames": partitions, "assetSelection": keys, "fromFailure": False, "tags": []}
    with TreeSampler(proc.pid) as mem:
        started = time.perf_counter()
        launched = client._execute(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if launched["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"backfill not launched: {launched}")
        backfill_id = launched["backfillId"]
        final: dict = {}

        def status() -> str:
            final.update(client._execute(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"])
            return final["status"]

        state = wait(status, DONE_BACKFILL)
        seconds = time.perf_counter() - started
    runs = final.get("runs") or []
    return {"seconds": round(seconds, 1), "success": state in ("COMPLETED", "COMPLETED_SUCCESS")
            and all(r["status"] == "SUCCESS" for r in runs), "runs": len(runs),
            "peak_rss_mib": round(mem.peak_mib), "partitions": partitions}  # fmt: skip


def wait(poll, done: set[str], interval: float = 0.5) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        state = poll()
        if state in done:
            return state
        time.sleep(interval)
    raise TimeoutError(f"not done within {RUN_TIMEOUT_S} s")


def measure(backfill_days: int, parts: set[str]) -> dict:
    from customer_master.defs.shared import daily_partitions
    from customer_master.sandbox.process import sandbox_process

    partition = today_partition()
    keys = daily_partitions.get_partition_keys()
    result: dict = {"job": JOB, "partition": partition, "orders": ORDERS}
    with tempfile.TemporaryDirectory(prefix="bench_ui_") as name, sandbox_process(ORDERS) as url:
        tmp = Path(name)
        if parts & {"ui", "backfill"}:
            with dagster_dev(tmp, url) as (client, _port, proc):
                if "ui" in parts:
                    result["ui_run"] = ui_run(client, proc, partition)
                    print(f"UI run:  {result['ui_run']}", flush=True)
                if "backfill" in parts and backfill_days:
                    result["ui_backfill"] = ui_backfill(client, proc, keys[-backfill_days:])
                    print(f"UI backfill: {result['ui_backfill']}", flush=True)
        if "cli" in parts:
            result["cli_run"] = cli_run(tmp, url, partition)
            print(f"CLI run: {result['cli_run']}", flush=True)
    if "ui_run" in result and "cli_run" in result:
        result["ui_over_cli"] = round(result["ui_run"]["seconds"] / result["cli_run"]["seconds"], 2)
        result["targets_met"] = {"ui_within_1_2x_cli": result["ui_over_cli"] <= RATIO_TARGET}
    return result


def table(r: dict) -> str:
    rows = [
        "| launch | seconds | peak RSS MiB (process tree) | success |",
        "|---|---:|---:|:---:|",
        f"| CLI `dagster job execute` | {r['cli_run']['seconds']} | {r['cli_run']['peak_rss_mib']} | "
        f"{'yes' if r['cli_run']['success'] else 'no'} |",
        f"| UI `launchRun` | {r['ui_run']['seconds']} | {r['ui_run']['peak_rss_mib']} | "
        f"{'yes' if r['ui_run']['success'] else 'no'} |",
    ]
    if "ui_backfill" in r:
        b = r["ui_backfill"]
        rows.append(
            f"| UI backfill, {len(b['partitions'])} days ({b['runs']} runs) | {b['seconds']} | "
            f"{b['peak_rss_mib']} | {'yes' if b['success'] else 'no'} |"
        )
    met = "yes" if r["targets_met"]["ui_within_1_2x_cli"] else "no"
    return (
        f"`{r['job']}`, partition {r['partition']}, sandbox with {r['orders']:,} orders. "
        f"UI / CLI = {r['ui_over_cli']} (target ≤ {RATIO_TARGET}: {met}).\n\n" + "\n".join(rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backfill-days", type=int, default=2, help="days in the UI backfill (0: none)")
    parser.add_argument("--no-write", action="store_true", help="print only (no JSON, no README)")
    parser.add_argument("--source", type=Path, help="project copy to run (default: this checkout)")
    parser.add_argument("--parts", default="ui,backfill,cli", help="which launches to time (comma list)")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if args.source:
        global ROOT
        ROOT = args.source.resolve()
    result = measure(args.backfill_days, parts)
    if parts != {"ui", "backfill", "cli"}:
        print(json.dumps(result, indent=2))
        return 0
    print(table(result))
    if not args.no_write:
        path = write_result("ui_run", result)
        replace_readme_section("ui_run", table(result))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
