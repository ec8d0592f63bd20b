"""The written delivery sheet in a real browser: Debian's headless chromium (driven by Playwright, as in
tests/e2e/ui_browser.py) opens the HTML file and shows the title, the day tables with rows, and the three
charts as SVG with a size, without a console error. Skipped without chromium."""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.reports import write_delivery_sheet
from customer_master.reports.delivery_sheet import history_weeks, sheet_from_plan, weekly_rates
from customer_master.scheduling import CapacityDay, Order, PlanSettings, plan_deliveries
from tests.e2e.ui_browser import BROWSER_TIMEOUT_MS, CHROMIUM, NO_CHROMIUM

pytestmark = pytest.mark.slow

D = dt.date(2026, 12, 3)
DAY = dt.timedelta(days=1)
CHARTS = ("chart-utilization", "chart-lateness", "chart-on-time")


def _sheet():
    """Three lines, 400 orders of 60 customers: full days with overtime, a maintenance day, late orders,
    unschedulable ones, and twelve weeks of history."""
    priorities = ("rush", "high", "normal", "low")
    orders = [
        Order(f"o{i:03d}", f"c{i % 60}", priorities[i % 4], 1.0 + i % 5, D + (i % 25 - 5) * DAY, f"L{i % 3}")
        for i in range(400)
    ] + [Order("bad", "c1", "normal", -1.0, D)]
    capacity = [
        CapacityDay(f"L{line}", D + i * DAY, 40.0, 10.0, maintenance=(line == 1 and i == 6))
        for line in range(3)
        for i in range(70)
    ]
    settings = PlanSettings(plan_date=D, horizon_days=70, country="US")
    plan = plan_deliveries(orders, {f"c{i}": None for i in range(60)}, capacity, settings)
    weeks = history_weeks(D)
    history = weekly_rates(
        [(w + 2 * DAY, 100, 10 + n) for n, w in enumerate(weeks)],
        [(w + DAY, 80, 70 - n) for n, w in enumerate(weeks)],
        weeks,
    )
    names = {f"c{i}": f"Customer {i} & <Co>" for i in range(60)}
    return sheet_from_plan(plan, customer_names=names, history=history)


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_sheet_renders_in_chromium(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    files = write_delivery_sheet(_sheet(), tmp_path)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(files.html.as_uri())
            assert page.title() == "Delivery sheet 2026-12-03"
            expect(page.get_by_role("heading", name="Delivery sheet 2026-12-03")).to_be_visible()
            first_day = page.locator("section.day").first.locator("table.day-plan tbody tr")
            expect(first_day.first).to_be_visible()
            assert first_day.count() > 3
            assert "Customer" in first_day.first.inner_text() and "& <Co>" in first_day.first.inner_text()
            expect(page.locator("table.late tbody tr").first).to_be_visible()
            expect(page.locator("#reason-invalid_quantity")).to_contain_text("What to do")
            for chart_id in CHARTS:
                svg = page.locator(f"figure.chart#{chart_id} svg").first
                expect(svg).to_be_visible()
                box = svg.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50, (chart_id, box)
            page.screenshot(path=tmp_path / "delivery_sheet.png", full_page=True)
        except Exception:
            page.screenshot(path=tmp_path / "failure.png")
            raise
        finally:
            browser.close()
    assert errors == []
