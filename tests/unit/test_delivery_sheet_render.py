"""The delivery sheet over a plan made by the real engine in memory: the late split, unschedulable groups
with the runbook's advice, escaping, the two-day Markdown preview, the charts, the CSV and an empty plan."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from customer_master.reports import (
    WHAT_TO_DO,
    markdown_preview,
    next_delivery_day,
    render_csv,
    render_html,
    write_delivery_sheet,
)
from customer_master.reports.delivery_sheet import (
    PAST_DUE,
    PUSHED_BY_CAPACITY,
    WeekRate,
    history_weeks,
    late_orders,
    sheet_from_plan,
    unschedulable_by_reason,
    weekly_rates,
)
from customer_master.reports.render import CSV_COLUMNS, MAX_LIST_ROWS
from customer_master.scheduling import REASONS, CapacityDay, Order, PlanSettings, plan_deliveries

D = dt.date(2026, 12, 3)  # a Thursday
DAY = dt.timedelta(days=1)
NAMES = {"c1": "Smith & <Sons>", "c2": "Acme", "c3": "Gone Ltd"}


def known_plan(plan_date: dt.date = D):
    """One line of 10 units a day. A (rush, past due) takes Thursday; B (8 units) no longer fits there and
    goes Friday, a day late; C (low) fills Friday; E is for Monday; F, G, H cannot be scheduled."""
    orders = [
        Order("A", "c1", "rush", 4.0, plan_date - 3 * DAY),
        Order("B", "c2", "normal", 8.0, plan_date),
        Order("C", "c1", "low", 2.0, plan_date + DAY),
        Order("E", "c2", "normal", 5.0, plan_date + 4 * DAY),
        Order("F", "c1", "normal", -1.0, plan_date),
        Order("G", "ghost", "high", 1.0, plan_date),
        Order("H", "c3", "normal", 1.0, plan_date),
    ]
    capacity = [CapacityDay("L1", plan_date + i * DAY, 10.0) for i in range(14)]
    settings = PlanSettings(plan_date=plan_date, horizon_days=14, country=None)
    return plan_deliveries(
        orders, {"c1": None, "c2": None, "c3": None}, capacity, settings, frozenset({"c3"})
    )


@pytest.fixture
def sheet():
    numbers = {o: f"#{o}-100" for o in "ABCEFGH"}
    at = dt.datetime(2026, 12, 3, 2, 30)
    return sheet_from_plan(known_plan(), order_numbers=numbers, customer_names=NAMES, generated_at=at)


def test_the_late_orders_split_into_past_due_and_pushed_by_capacity(sheet):
    assert [(o.order_id, o.days_late) for o in late_orders(sheet, PAST_DUE)] == [("A", 3)]
    assert [(o.order_id, o.delivery_date) for o in late_orders(sheet, PUSHED_BY_CAPACITY)] == [("B", D + DAY)]
    m = sheet.metrics
    assert (m["orders_planned"], m["scheduled"], m["late"], m["unschedulable"]) == (7, 4, 2, 3)
    assert (m["late_past_due"], m["late_pushed_by_capacity"]) == (1, 1)
    assert m["on_time_rate"] == pytest.approx(0.5)
    assert m["peak_utilization"] == pytest.approx(1.0)
    assert "actual_on_time_rate" not in m  # no delivery history: left out, never None


def test_unschedulable_orders_are_grouped_by_reason_with_the_runbooks_advice(sheet):
    groups = {reason: [o.order_id for o in orders] for reason, orders in unschedulable_by_reason(sheet)}
    assert groups == {"invalid_quantity": ["F"], "unknown_customer": ["G"], "customer_inactive": ["H"]}
    assert set(WHAT_TO_DO) == set(REASONS)  # every reason the engine can give has advice
    assert "add capacity or overtime on the capacity board" in WHAT_TO_DO["no_capacity"]
    page = render_html(sheet)
    for reason in groups:
        section = page[page.index(f'id="reason-{reason}"') :]
        assert section.index("What to do:") < section.index("</div>")
    assert "restore it, or relink the order" in page


def test_html_escapes_names_and_flags_late_orders(sheet):
    page = render_html(sheet)
    assert "Smith &amp; &lt;Sons&gt;" in page
    assert "<Sons>" not in page
    assert "<h1>Delivery sheet 2026-12-03</h1>" in page
    assert '<span class="late">#A-100 (+3 d)</span>' in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//|url\((?!#)|@import", page)  # self-contained
    assert set(re.findall(r"https?://[^\"' ]+", page)) <= {  # only the SVG namespace names
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "@media print" in page and "break-before: page" in page
    assert [m.group(1) for m in re.finditer(r'<section class="day" id="day-([\d-]+)"', page)] == [
        "2026-12-03",
        "2026-12-04",
        "2026-12-07",
    ]


def test_the_three_charts_are_inline_svg(sheet):
    page = render_html(sheet)
    for chart_id in ("chart-utilization", "chart-lateness", "chart-on-time"):
        figure = page[page.index(f'<figure class="chart" id="{chart_id}">') :]
        assert figure.index("<svg") < figure.index("</figure>")
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert "No data: no earlier plans or deliveries" in page  # no history in memory
    assert render_html(sheet) == page  # deterministic SVG: a rerun writes the same file


def test_markdown_preview_shows_exactly_the_next_two_delivery_days(sheet):
    md = markdown_preview(sheet, days=2)
    assert "Thu 2026-12-03" in md and "Fri 2026-12-04" in md
    assert "2026-12-07" not in md and "#E-100" not in md
    assert "Smith & \\<Sons\\>" in md
    assert "⚠ **1 late** (#A-100)" in md
    assert md.splitlines()[-1] == (
        "Not shown: 0 customer rows of these days, 1 later delivery days (1 orders), 3 unschedulable orders."
    )


def test_next_delivery_day_summarises_the_first_day(sheet):
    day = next_delivery_day(sheet)
    assert day is not None
    assert (day.date, day.orders, day.units, day.lines, day.late, day.unschedulable) == (
        D,
        1,
        4.0,
        ("L1",),
        1,
        3,
    )


def test_the_csv_has_one_row_per_order_with_status_and_advice(sheet):
    rows = list(csv.DictReader(io.StringIO(render_csv(sheet))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_id = {r["order_id"]: r for r in rows}
    assert len(rows) == 7 == len(by_id)
    assert (by_id["A"]["status"], by_id["A"]["late_reason"], by_id["A"]["days_late"]) == (
        "late",
        "past_due",
        "3",
    )
    assert (by_id["B"]["status"], by_id["B"]["late_reason"]) == ("late", "pushed_by_capacity")
    assert (by_id["E"]["status"], by_id["E"]["late_reason"], by_id["E"]["window_start"]) == (
        "scheduled",
        "",
        "08:00",
    )
    assert (
        by_id["H"]["status"] == "unschedulable"
        and by_id["H"]["what_to_do"] == WHAT_TO_DO["customer_inactive"]
    )
    assert by_id["A"]["customer_name"] == "Smith & <Sons>"  # raw in the CSV: the csv module quotes


def test_an_empty_plan_renders_and_writes_without_error(tmp_path):
    empty = sheet_from_plan(
        plan_deliveries([], {}, [], PlanSettings(plan_date=D, horizon_days=7, country=None))
    )
    page = render_html(empty)
    assert page.count("No data:") == 3
    assert "Nothing is scheduled in this plan." in page
    assert next_delivery_day(empty) is None
    assert markdown_preview(empty).endswith("0 unschedulable orders.")
    assert empty.metrics == {
        "orders_planned": 0,
        "scheduled": 0,
        "late": 0,
        "late_past_due": 0,
        "late_pushed_by_capacity": 0,
        "unschedulable": 0,
        "peak_utilization": 0.0,
    }
    files = write_delivery_sheet(empty, tmp_path)
    assert files.csv.read_text().strip() == ",".join(CSV_COLUMNS)


def test_weekly_rates_take_each_weeks_latest_plan_and_sum_deliveries():
    weeks = history_weeks(D)
    assert len(weeks) == 12 and weeks[-1] == dt.date(2026, 11, 23) and weeks[0].weekday() == 0
    plans = [(dt.date(2026, 11, 23), 10, 5), (dt.date(2026, 11, 25), 4, 1)]  # Mon, then Wed: Wed counts
    delivered = [(dt.date(2026, 11, 24), 3, 3), (dt.date(2026, 11, 27), 1, 0)]
    rates = weekly_rates(plans, delivered, weeks)
    assert rates[-1] == WeekRate(dt.date(2026, 11, 23), 4, 3, 4, 3)
    assert (rates[-1].planned_rate, rates[-1].actual_rate, rates[-1].label) == (0.75, 0.75, "2026-W48")
    assert rates[0].planned_rate is None and rates[0].actual_rate is None
    sheet = sheet_from_plan(known_plan(), history=rates)
    assert sheet.metrics["actual_on_time_rate"] == pytest.approx(0.75)
    assert "No data: no earlier plans" not in render_html(sheet)


def test_long_lists_are_capped_and_say_how_much_is_not_shown():
    orders = [Order(f"o{i:04d}", "c1", "normal", 1.0, D - DAY) for i in range(MAX_LIST_ROWS + 20)]
    capacity = [CapacityDay("L1", D + i * DAY, 1000.0) for i in range(7)]
    plan = plan_deliveries(
        orders, {"c1": None}, capacity, PlanSettings(plan_date=D, horizon_days=7, country=None)
    )
    page = render_html(sheet_from_plan(plan))
    assert "20 late orders of this kind not shown here: see the CSV." in page
    assert " … and " in page  # one customer row lists the first order numbers only
