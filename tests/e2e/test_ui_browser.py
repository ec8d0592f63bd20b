"""The Dagster UI in a real browser: "Materialize all" on the global asset lineage opens the partition
launchpad of the one daily partition set, and one click on "Latest" makes it launch today's partition.

Issue 11 saw the dialog open with 0 partitions selected and a "varying backfill policies" notice.
Both are the Dagster 1.13 UI's own behaviour, found with this test: the dialog opens with an empty
selection on purpose (Dagster's LaunchAssetChoosePartitionsDialog, `defaultSelection: 'empty'`, since
1.10), and the notice appears for any two assets with a backfill policy because the UI compares the
policy objects by identity, not by value (every daily asset here has the same policy,
defs/shared.py DAILY_BACKFILL_POLICY, and test_code_location_defaults.py holds that). The notice is
wording only; each asset's own policy applies. Real processes as `make ui` starts them, on free ports and a
temporary, migrated DAGSTER_HOME: the sandbox and `dagster dev -w workspace.yaml`. The browser is
Debian's `chromium`, headless, driven by Playwright for Python (never Playwright's own browser
download); without it the test skips (`apt-get install chromium`, or `make system-deps` as root).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DAGSTER = VENV_BIN / "dagster"
START_TIMEOUT_S = 240
STOP_TIMEOUT_S = 15
BROWSER_TIMEOUT_MS = 60_000
LOCATION_STATUS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
# The header of the dialog's "Partition selection" section: "0 partitions", "1 partition", "All partitions".
PARTITION_COUNT = re.compile(r"Partition selection\s*(\d+|All) partitions?")
# What the dialog says when the selected root assets are partitioned differently.
DIFFERENT_PARTITIONS = re.compile(r"different partition definitions", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_loaded(procs: list[subprocess.Popen], ui_port: int, sandbox_port: int, log: Path) -> None:
    """/server_info answers, the code location has loaded, and the sandbox listens on its port."""
    base = f"http://127.0.0.1:{ui_port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert all(p.poll() is None for p in procs), (
            f"a process exited while starting:\n{log.read_text()[-3000:]}"
        )
        try:
            httpx.get(f"{base}/server_info", timeout=5).raise_for_status()
            graphql = httpx.post(f"{base}/graphql", json={"query": LOCATION_STATUS}, timeout=5)
            entries = graphql.json()["data"]["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                with socket.create_connection(("127.0.0.1", sandbox_port), timeout=5):
                    return
        except (httpx.HTTPError, OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(f"the UI did not come up within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def _stop(procs: dict[subprocess.Popen, signal.Signals]) -> None:
    """Each process group gets its stop signal (Ctrl-C for `dagster dev`, SIGTERM for the sandbox);
    whatever (webserver, daemon, code server) still runs after STOP_TIMEOUT_S is killed."""
    everything = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            everything += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    for proc, stop_signal in procs.items():
        if proc.poll() is None:
            os.killpg(proc.pid, stop_signal)
    _gone, alive = psutil.wait_procs(everything, timeout=STOP_TIMEOUT_S)
    if alive:
        print(f"still running {STOP_TIMEOUT_S} s after the stop signals, killed: {[p.pid for p in alive]}")
    for leftover in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftover.kill()
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture()
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed: apt-get install chromium (or make system-deps as root)"
        )
    return path


@pytest.fixture()
def dagster_ui(tmp_path: Path) -> Iterator[str]:
    """The sandbox and `dagster dev -w workspace.yaml`, as `make ui` starts them; yields the UI's URL."""
    ui_port, sandbox_port = _free_port(), _free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "MONDAY_API_TOKEN": os.environ.get("MONDAY_API_TOKEN") or "sandbox-token",
        "CM_SANDBOX_PORT": str(sandbox_port),
        "CM_DAGSTER_UI_URL": f"http://127.0.0.1:{ui_port}",
        "CM_DATA_DIR": str(tmp_path / "data"),
        "CM_DUCKDB_PATH": str(tmp_path / "data" / "warehouse.duckdb"),
    }
    env.pop("MONDAY_API_URL", None)
    # Migrated first, as `make setup` does: the webserver and the daemon must not race to create it.
    subprocess.run(
        [str(DAGSTER), "instance", "migrate"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
    )
    log = tmp_path / "ui.log"
    commands = [
        (
            [sys.executable, "-m", "customer_master.sandbox", "serve", "--port", str(sandbox_port)],
            signal.SIGTERM,
        ),
        ([str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(ui_port)], signal.SIGINT),
    ]
    procs: dict[subprocess.Popen, signal.Signals] = {}
    with log.open("w") as out:
        try:
            for cmd, stop_signal in commands:  # each in a process group of its own, as in make ui
                proc = subprocess.Popen(
                    cmd,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                procs[proc] = stop_signal
            _wait_until_loaded(list(procs), ui_port, sandbox_port, log)
            yield f"http://127.0.0.1:{ui_port}"
        finally:
            _stop(procs)


def test_materialize_all_launches_the_latest_daily_partition_in_one_click(chromium, dagster_ui, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    today = dt.datetime.now(dt.UTC).date().isoformat()  # the UI runs with the default CM_TIMEZONE, UTC
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        try:
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            expect.set_options(timeout=BROWSER_TIMEOUT_MS)
            # Dismissed "Join the Dagster community" (shown once per fresh DAGSTER_HOME on localhost).
            page.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
            page.goto(f"{dagster_ui}/asset-groups")  # Lineage: the global asset graph of the location
            expect(page.get_by_text("Global asset lineage")).to_be_visible()
            page.get_by_role("button", name="Materialize all").click()

            dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
            expect(dialog).to_be_visible()
            # One daily partition set for every partitioned asset: the launchpad offers a partition
            # selection (assets with differing partitions would only offer "All partitions").
            expect(dialog).to_contain_text(PARTITION_COUNT)
            expect(dialog).not_to_contain_text(DIFFERENT_PARTITIONS)
            opened = dialog.inner_text()
            dialog.get_by_role("button", name="Latest", exact=True).click()
            expect(dialog).to_contain_text(re.compile(r"Partition selection\s*1 partition(?!s)"))
            expect(dialog.get_by_role("textbox").first).to_have_value(today)
            launch = dialog.get_by_role("button", name="Launch 1 run")
            expect(launch).to_be_enabled()
            page.screenshot(path=tmp_path / "materialize_all_latest.png")
        except Exception:
            page.screenshot(path=tmp_path / "failure.png")
            print(f"the page showed:\n{page.locator('body').inner_text()}\n--- {tmp_path / 'failure.png'}")
            raise
        finally:
            browser.close()
    # Dagster's own choice since 1.10: the dialog opens with nothing selected (see the module docstring).
    assert PARTITION_COUNT.search(opened).group(1) == "0", opened
