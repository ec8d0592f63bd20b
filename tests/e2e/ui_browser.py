"""The Dagster UI in a real browser (a helper of tests/e2e/test_ui_launch.py): "Materialize all" on the
global asset lineage opens the partition launchpad of the one daily partition set, and one click on
"Latest" makes it launch today's partition.

Issue 11 saw the dialog open with 0 partitions selected and a "varying backfill policies" notice.
Both are the Dagster 1.13 UI's own behaviour, found with this check: the dialog opens with an empty
selection on purpose (Dagster's LaunchAssetChoosePartitionsDialog, `defaultSelection: 'empty'`, since
1.10), and the notice appears for any two assets with a backfill policy because the UI compares the
policy objects by identity, not by value (every daily asset here has the same policy,
defs/shared.py DAILY_BACKFILL_POLICY, and test_code_location_defaults.py holds that). The notice is
wording only; each asset's own policy applies. tests/e2e/test_ui_launch.py runs this check on
the UI `make ui` starts (one start serves both tests: CI time). The browser is
Debian's `chromium`, headless, driven by Playwright for Python (never Playwright's own browser
download); without it the check is skipped (`apt-get install chromium`, or `make system-deps` as root).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

BROWSER_TIMEOUT_MS = 60_000
CHROMIUM = shutil.which("chromium")
NO_CHROMIUM = "Debian's chromium is not installed: apt-get install chromium (or make system-deps as root)"
# The header of the dialog's "Partition selection" section: "0 partitions", "1 partition", "All partitions".
PARTITION_COUNT = re.compile(r"Partition selection\s*(\d+|All) partitions?")
# What the dialog says when the selected root assets are partitioned differently.
DIFFERENT_PARTITIONS = re.compile(r"different partition definitions", re.IGNORECASE)


def check_materialize_all(ui_url: str, tmp_path: Path) -> None:
    """Materialize all on the global lineage: the launchpad of the one daily partition set, and one
    click on Latest gives today's partition in one run (screenshots in tmp_path)."""
    from playwright.sync_api import expect, sync_playwright

    today = dt.datetime.now(dt.UTC).date().isoformat()  # the UI runs with the default CM_TIMEZONE, UTC
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        try:
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            expect.set_options(timeout=BROWSER_TIMEOUT_MS)
            # Dismissed "Join the Dagster community" (shown once per fresh DAGSTER_HOME on localhost).
            page.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
            page.goto(f"{ui_url}/asset-groups")  # Lineage: the global asset graph of the location
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
