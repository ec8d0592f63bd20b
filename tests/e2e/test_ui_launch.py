"""`make ui` (issue 11): starts clean on the ports it is given and stops when told to.

It used to print "code location name ... does not match" dozens of times, ignore CM_SANDBOX_PORT,
always take port 3000, and leave the sandbox, `dagster dev`, the webserver and the daemon running
for more than a minute after Ctrl-C or a SIGTERM. Real processes throughout: make, the sandbox,
`dagster dev` on a temporary DAGSTER_HOME.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from customer_master.sandbox import BOARD_IDS
from customer_master.sandbox.control import SandboxControl
from tests.e2e.ui_browser import CHROMIUM, NO_CHROMIUM, check_materialize_all

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 240
# The issue saw processes left running for more than a minute. Idle, everything is gone in a few
# seconds; the daemon finishes the sensor tick it is in first, which on a loaded 2-core CI machine
# (a fresh clone's first start) took more than 15 s once.
# Two code locations stop (two code servers) beside the webserver and daemon; on a busy 2-core CI
# machine that took longer than one location's 45 s. The bound proves they all stop, nothing orphaned.
STOP_TIMEOUT_S = 60  # the Makefile kills what `dagster dev` has not stopped after 30 s
LOCATION_STATUS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
# The asset graph the UI draws: each asset's downstream keys.
ASSET_GRAPH = "{ assetNodes { assetKey { path } groupName dependedByKeys { path } } }"


def _downstream_of(ui_url: str, start: str) -> set[str]:
    """Every asset the UI's lineage shows downstream of `start` ("oms/orders")."""
    nodes = httpx.post(f"{ui_url}/graphql", json={"query": ASSET_GRAPH}, timeout=30).json()["data"][
        "assetNodes"
    ]
    below = {
        "/".join(n["assetKey"]["path"]): {"/".join(k["path"]) for k in n["dependedByKeys"]} for n in nodes
    }
    seen, todo = set(), [start]
    while todo:
        for key in below.get(todo.pop(), set()) - seen:
            seen.add(key)
            todo.append(key)
    return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_loaded(proc: subprocess.Popen, ui_port: int, sandbox_port: int) -> None:
    """/server_info answers, the code location has loaded, and the sandbox listens on its port."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "make ui exited while starting"
        try:
            base = f"http://127.0.0.1:{ui_port}"
            httpx.get(f"{base}/server_info", timeout=5).raise_for_status()
            graphql = httpx.post(f"{base}/graphql", json={"query": LOCATION_STATUS}, timeout=5)
            entries = graphql.json()["data"]["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                with socket.create_connection(("127.0.0.1", sandbox_port), timeout=5):
                    return
        except (httpx.HTTPError, OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(f"make ui did not come up within {START_TIMEOUT_S} s")


def _default_stop_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm-to-make"])
def test_make_ui_starts_one_code_location_on_the_given_ports_and_stops_every_process(tmp_path, stop):
    ui_port, sandbox_port, oms_port, webhook_port = _free_port(), _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "CM_UI_PORT": str(ui_port),
        "CM_SANDBOX_PORT": str(sandbox_port),
        "CM_OMS_PORT": str(oms_port),
        "CM_WEBHOOK_PORT": str(webhook_port),
        "CM_DATA_DIR": str(tmp_path / "data"),
        "CM_DUCKDB_PATH": str(tmp_path / "data" / "warehouse.duckdb"),
    }
    for name in (
        "MONDAY_API_URL",
        "CM_OMS_ENABLED",
        "OMS_API_URL",
        "OMS_API_TOKEN",
        "CM_REALTIME_MODE",
        "CM_CHANGE_STORE",
    ):
        env.pop(name, None)
    log = tmp_path / "make_ui.log"
    # `-o .venv/.synced`: this test runs inside the project's venv; re-syncing it is not under test.
    cmd = ["make", "--no-print-directory", "-o", ".venv/.synced", "ui", f"DAGSTER_HOME={tmp_path / 'home'}"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As from a terminal: a suite started in the background (`nohup make test &`, or under a
            # harness that ignores SIGTERM) passes SIGINT/SIGTERM on ignored, and a signal ignored on
            # entry can be neither trapped by the recipe's shell nor heard by `dagster dev`.
            preexec_fn=_default_stop_signals,
        )
    children: list[psutil.Process] = []
    try:
        _wait_until_loaded(proc, ui_port, sandbox_port)
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()[:4]) for c in children)
        for part in (
            "customer_master.sandbox serve",
            "customer_master.sandbox.oms serve",
            "customer_master.realtime serve",
            "dagster_webserver",
            "dagster._daemon",
        ):
            assert part in names, names
        # Both code locations loaded; order changes are live: the receiver answers and the sandbox's
        # Orders board has the webhooks `make ui` registered for it.
        graphql = httpx.post(
            f"http://127.0.0.1:{ui_port}/graphql", json={"query": LOCATION_STATUS}, timeout=10
        )
        locations = {e["name"] for e in graphql.json()["data"]["workspaceOrError"]["locationEntries"]}
        assert locations == {"customer_master", "customer_master_realtime"}
        httpx.get(f"http://127.0.0.1:{webhook_port}/health", timeout=5).raise_for_status()
        control = SandboxControl(f"http://127.0.0.1:{sandbox_port}")
        assert len(control.webhooks(BOARD_IDS["orders"])) == 7
        # The OMS is on against its emulator, and the lineage shows it feeding order_master.
        with socket.create_connection(("127.0.0.1", oms_port), timeout=5):
            pass
        if stop == "ctrl-c":
            assert {"stg_oms__orders", "order_master", "order_conflicts"} <= _downstream_of(
                f"http://127.0.0.1:{ui_port}", "oms/orders"
            )
        # One UI start serves the browser check too (each start costs most of a minute of CI).
        if stop == "ctrl-c" and CHROMIUM:
            check_materialize_all(f"http://127.0.0.1:{ui_port}", tmp_path)
        if stop == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends to the foreground group
        else:
            proc.send_signal(signal.SIGTERM)  # make forwards SIGTERM to the recipe's shell
        _gone, alive = psutil.wait_procs([psutil.Process(proc.pid), *children], timeout=STOP_TIMEOUT_S)
        assert not alive, f"still running {STOP_TIMEOUT_S} s after {stop}: {[p.cmdline()[:4] for p in alive]}"
    finally:
        # On a failure, leave nothing behind: the jobs run in process groups of their own.
        for child in children:
            if child.is_running():
                child.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    output = log.read_text()
    assert f"Dagster UI: http://127.0.0.1:{ui_port}" in output
    assert "does not match" not in output, output[-3000:]
    if stop == "ctrl-c" and not CHROMIUM:
        pytest.skip(f"started and stopped; the browser check did not run: {NO_CHROMIUM}")
