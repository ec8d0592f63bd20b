"""The delivery sheet as files people read: a self-contained printable HTML page, a CSV of every order,
and a Markdown preview of the next two delivery days (for the Dagster UI and the ops message).

The HTML has inline CSS and inline SVG charts, no external URL, and one printed page per detailed day.
Everything that comes from data is escaped (`html.escape`, or backslashes in Markdown). Large plans
stay readable: the detailed days, the late lists and the unschedulable lists are capped, and the sheet
says how much it does not show (the CSV always has every order).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from customer_master.reports.charts import sheet_charts
from customer_master.reports.delivery_sheet import (
    DETAILED_DAYS,
    PAST_DUE,
    PUSHED_BY_CAPACITY,
    CustomerRow,
    DeliveryDay,
    DeliverySheet,
    LateReason,
    SheetOrder,
    delivery_days,
    late_orders,
    unschedulable_by_reason,
    what_to_do,
)

MAX_DETAIL_ROWS = 3_000
"""Customer rows shown over all detailed days (a 100,000-order plan would print a book)."""
MAX_ORDER_NUMBERS = 40
"""Order numbers listed in one customer row."""
MAX_LIST_ROWS = 500
"""Rows per late-order table and per unschedulable reason."""
PREVIEW_ROWS = 30
"""Customer rows in the Markdown preview."""

CSV_COLUMNS: tuple[str, ...] = (
    "plan_date",
    "delivery_date",
    "line",
    "customer_id",
    "customer_name",
    "order_id",
    "order_number",
    "priority",
    "units",
    "quantity",
    "overtime_units",
    "window_start",
    "window_end",
    "requested_date",
    "status",
    "late_reason",
    "days_late",
    "reason",
    "what_to_do",
)
LATE_TITLES: dict[LateReason, str] = {
    PAST_DUE: "Already past due when planned (requested before the plan date)",
    PUSHED_BY_CAPACITY: "Pushed by capacity (requested on or after the plan date, scheduled after it)",
}


@dataclass(frozen=True, slots=True)
class SheetFiles:
    html: Path
    csv: Path


# --- small formatting helpers -------------------------------------------------------------------------
def fmt_units(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def fmt_day(day: dt.date) -> str:
    return day.strftime("%a %Y-%m-%d")


def _date(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _time(value: str | None) -> str:
    return "" if not value else value[:5]


def _cells(values: Iterable[str], tag: str = "td") -> str:
    return "".join(f"<{tag}>{v}</{tag}>" for v in values)


def _table(css_class: str, headers: Sequence[str], rows: Iterable[str]) -> str:
    """A table; `rows` are ready <tr> elements (their cells already escaped)."""
    head = _cells((escape(h) for h in headers), "th")
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _not_shown(count: int, what: str) -> str:
    if count <= 0:
        return ""
    return f'<p class="not-shown">{count:,} {escape(what)} not shown here: see the CSV.</p>'


# --- HTML sections ------------------------------------------------------------------------------------
STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12px; color: #222; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 6px; }
h3 { font-size: 14px; margin: 16px 0 4px; }
.meta, .not-shown, .advice { color: #555; } .advice { font-style: italic; }
table { border-collapse: collapse; margin: 4px 0 12px; width: 100%; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num, th.num { text-align: right; }
table.headline { width: auto; } table.headline td { font-size: 15px; font-weight: bold; }
tr.late td { background: #fdecea; } span.late { color: #b03a2e; font-weight: bold; }
tr.line-total td { background: #f7f7f7; font-weight: bold; }
figure.chart { margin: 8px 0 16px; } figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 4px; }
@media print {
  body { margin: 0; font-size: 10px; }
  section.day, section#late-orders, section#unschedulable, section#later-days { break-before: page;
    page-break-before: always; }
  thead { display: table-header-group; } tr, figure { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _headline(sheet: DeliverySheet) -> str:
    m = sheet.metrics
    items = (
        ("Orders planned", f"{m['orders_planned']:,}"),
        ("Scheduled", f"{m['scheduled']:,}"),
        ("Late", f"{m['late']:,} ({m['late_past_due']:,} past due, {m['late_pushed_by_capacity']:,} pushed)"),
        ("Unschedulable", f"{m['unschedulable']:,}"),
        ("Planned on time", fmt_rate(m.get("on_time_rate"))),
        ("Peak utilization", fmt_rate(m["peak_utilization"])),
        ("Delivered on time, last 12 weeks", fmt_rate(m.get("actual_on_time_rate"))),
    )
    head = _cells(escape(k) for k, _ in items)
    values = _cells(escape(v) for _, v in items)
    return (
        f'<section id="headline"><table class="headline"><tr>{head}</tr><tr>{values}</tr></table></section>'
    )


LATE_ROW = ' class="late"'


def _order_numbers(orders: Sequence[SheetOrder]) -> str:
    shown = [
        f'<span class="late">{escape(o.order_number)} (+{o.days_late} d)</span>'
        if o.is_late
        else escape(o.order_number)
        for o in orders[:MAX_ORDER_NUMBERS]
    ]
    more = len(orders) - MAX_ORDER_NUMBERS
    return ", ".join(shown) + (f" … and {more:,} more" if more > 0 else "")


def _customer_tr(line: str, row: CustomerRow) -> str:
    late = f'<span class="late">⚠ {row.late} late</span>' if row.late else ""
    css = LATE_ROW if row.late else ""
    cells = (
        escape(line),
        escape(row.customer_name),
        _order_numbers(row.orders),
        f"{len(row.orders):,}",
        fmt_units(row.units),
        escape(row.window),
        fmt_units(row.overtime_units),
        late,
    )
    return f"<tr{css}>{_cells(cells)}</tr>"


DAY_HEADERS = ("Line", "Customer", "Order numbers", "Orders", "Units", "Window", "Overtime units", "Late")


def _day_section(day: DeliveryDay, budget: int) -> tuple[str, int]:
    """One detailed day, at most `budget` customer rows; (html, rows shown)."""
    rows: list[str] = []
    shown = 0
    for line in day.lines:
        take = line.customers[: max(0, budget - shown)]
        shown += len(take)
        rows.extend(_customer_tr(line.line, customer) for customer in take)
        totals = (
            escape(line.line),
            "total",
            "",
            f"{line.orders:,}",
            fmt_units(line.units),
            "",
            fmt_units(line.overtime_units),
            f"{line.late:,}" if line.late else "",
        )
        rows.append(f'<tr class="line-total">{_cells(totals)}</tr>')
    summary = (
        f"{day.orders:,} orders, {fmt_units(day.units)} units, {fmt_units(day.overtime_units)} overtime units"
        f", {day.late:,} late"
    )
    body = (
        f'<section class="day" id="day-{day.date.isoformat()}"><h2>{escape(fmt_day(day.date))}</h2>'
        f'<p class="meta">{escape(summary)}</p>{_table("day-plan", DAY_HEADERS, rows)}'
        f"{_not_shown(day.customer_rows - shown, 'customer rows of this day')}</section>"
    )
    return body, shown


def _detailed_days(days: Sequence[DeliveryDay]) -> str:
    if not days:
        return '<section id="days"><h2>Delivery days</h2><p>Nothing is scheduled in this plan.</p></section>'
    parts, budget = [], MAX_DETAIL_ROWS
    for day in days:
        part, shown = _day_section(day, budget)
        parts.append(part)
        budget -= shown
    return f'<section id="days">{"".join(parts)}</section>'


def _later_days(days: Sequence[DeliveryDay]) -> str:
    if not days:
        return ""
    headers = ("Day", "Line", "Customers", "Orders", "Units", "Overtime units", "Late")
    rows = [
        f"<tr{LATE_ROW if line.late else ''}>"
        + _cells(
            (
                escape(fmt_day(day.date)),
                escape(line.line),
                f"{len(line.customers):,}",
                f"{line.orders:,}",
                fmt_units(line.units),
                fmt_units(line.overtime_units),
                f"{line.late:,}" if line.late else "",
            )
        )
        + "</tr>"
        for day in days
        for line in day.lines
    ]
    total = sum(d.orders for d in days)
    return (
        f'<section id="later-days"><h2>Later delivery days ({len(days):,} days, {total:,} orders)</h2>'
        f'<p class="meta">Per line and day; the orders are in the CSV.</p>'
        f"{_table('later-days', headers, rows)}</section>"
    )


def _quantity(o: SheetOrder) -> str:
    """As entered (a wrong one is often why the order is here); blank when the order has none."""
    return "" if o.quantity is None else fmt_units(o.quantity)


def _who(o: SheetOrder) -> tuple[str, str, str]:
    """An order's first cells in every order list: number, customer, priority (escaped)."""
    return escape(o.order_number), escape(o.customer_name), escape(o.priority or "")


def _order_rows(orders: Sequence[SheetOrder], cells: Callable[[SheetOrder], Iterable[str]]) -> list[str]:
    """Table rows of the first MAX_LIST_ROWS orders (the section says how many are not shown)."""
    return ["<tr>" + _cells(cells(o)) + "</tr>" for o in orders[:MAX_LIST_ROWS]]


def _late_section(sheet: DeliverySheet) -> str:
    headers = ("Order", "Customer", "Priority", "Requested", "Scheduled", "Line", "Days late")
    parts = ['<section id="late-orders"><h2>Late orders</h2>']
    for why in (PAST_DUE, PUSHED_BY_CAPACITY):
        orders = late_orders(sheet, why)
        rows = _order_rows(
            orders,
            lambda o: (
                *_who(o),
                _date(o.requested_date),
                _date(o.delivery_date),
                escape(o.line or ""),
                f"{o.days_late:,}",
            ),
        )
        parts.append(f'<h3 id="late-{why}">{escape(LATE_TITLES[why])}: {len(orders):,}</h3>')
        if orders:
            parts.append(_table(f"late {why}", headers, rows))
            parts.append(_not_shown(len(orders) - MAX_LIST_ROWS, "late orders of this kind"))
    parts.append("</section>")
    return "".join(parts)


def _unschedulable_section(sheet: DeliverySheet) -> str:
    groups = unschedulable_by_reason(sheet)
    if not groups:
        return '<section id="unschedulable"><h2>Unschedulable orders</h2><p>None.</p></section>'
    headers = ("Order", "Customer", "Priority", "Requested", "Quantity")
    parts = ['<section id="unschedulable"><h2>Unschedulable orders</h2>']
    for reason, orders in groups:
        rows = _order_rows(orders, lambda o: (*_who(o), _date(o.requested_date), _quantity(o)))
        parts.append(
            f'<div class="reason" id="reason-{escape(reason)}"><h3>{escape(reason)}: {len(orders):,}</h3>'
            f'<p class="advice">What to do: {escape(what_to_do(reason))}</p>'
            f"{_table('unschedulable', headers, rows)}"
            f"{_not_shown(len(orders) - MAX_LIST_ROWS, 'orders with this reason')}</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _charts_section(sheet: DeliverySheet) -> str:
    figures = "".join(
        f'<figure class="chart" id="{c.chart_id}"><figcaption>{escape(c.title)}</figcaption>{c.svg}</figure>'
        for c in sheet_charts(sheet)
    )
    return f'<section id="charts"><h2>Charts</h2>{figures}</section>'


def render_html(sheet: DeliverySheet) -> str:
    """The whole sheet as one self-contained HTML document."""
    days = delivery_days(sheet)
    title = f"Delivery sheet {sheet.plan_date.isoformat()}"
    planned = f" · plan written {sheet.planned_at:%Y-%m-%d %H:%M} UTC" if sheet.planned_at else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="meta">Generated {sheet.generated_at:%Y-%m-%d %H:%M} UTC{escape(planned)}</p></header>'
        f"{_headline(sheet)}{_charts_section(sheet)}"
        f"{_detailed_days(days[:DETAILED_DAYS])}{_later_days(days[DETAILED_DAYS:])}"
        f"{_late_section(sheet)}{_unschedulable_section(sheet)}"
        "</body></html>\n"
    )


# --- CSV ----------------------------------------------------------------------------------------------
def _csv_sort_key(o: SheetOrder) -> tuple[int, str, str, str, str, str]:
    if o.is_scheduled:
        return (0, _date(o.delivery_date), o.line or "", o.customer_name, o.order_number, o.order_id)
    return (1, o.reason or "", "", o.customer_name, o.order_number, o.order_id)


def csv_rows(sheet: DeliverySheet) -> list[dict[str, str]]:
    """One row per order of the plan: scheduled by day, line, customer; then unschedulable by reason."""
    rows = []
    for o in sorted(sheet.orders, key=_csv_sort_key):
        why = o.late_reason(sheet.plan_date)
        rows.append(
            {
                "plan_date": sheet.plan_date.isoformat(),
                "delivery_date": _date(o.delivery_date),
                "line": o.line or "",
                "customer_id": o.customer_id or "",
                "customer_name": o.customer_name,
                "order_id": o.order_id,
                "order_number": o.order_number,
                "priority": o.priority or "",
                "units": f"{o.units:g}",
                "quantity": "" if o.quantity is None else f"{o.quantity:g}",
                "overtime_units": f"{o.overtime_units:g}",
                "window_start": _time(o.window_start),
                "window_end": _time(o.window_end),
                "requested_date": _date(o.requested_date),
                "status": o.sheet_status,
                "late_reason": why or "",
                "days_late": str(o.days_late) if o.is_scheduled else "",
                "reason": "" if o.is_scheduled else o.reason or "",
                "what_to_do": "" if o.is_scheduled else what_to_do(o.reason),
            }
        )
    return rows


def render_csv(sheet: DeliverySheet) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(sheet))
    return out.getvalue()


# --- Markdown preview ---------------------------------------------------------------------------------
# Inline specials only: every line the preview writes starts with its own marker, never with data.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_customer(row: CustomerRow) -> str:
    numbers = ", ".join(md_escape(o.order_number) for o in row.orders[:10])
    if len(row.orders) > 10:
        numbers += f" … +{len(row.orders) - 10}"
    late = [o for o in row.orders if o.is_late]
    flag = (
        f" ⚠ **{len(late)} late** ({', '.join(md_escape(o.order_number) for o in late[:5])})" if late else ""
    )
    window = f" · {row.window}" if row.window else ""
    return f"  - {md_escape(row.customer_name)}: {numbers} · {fmt_units(row.units)} units{window}{flag}"


def markdown_preview(sheet: DeliverySheet, days: int = 2, max_rows: int = PREVIEW_ROWS) -> str:
    """The next `days` delivery days (per day: line -> customer rows), then a count of what is not shown."""
    all_days = delivery_days(sheet)
    shown_days, hidden_days = all_days[:days], all_days[days:]
    lines = [f"**Delivery sheet {sheet.plan_date.isoformat()}**", ""]
    if not shown_days:
        lines.append("Nothing is scheduled in this plan.")
    hidden_rows = 0
    budget = max_rows
    for day in shown_days:
        late = f", ⚠ {day.late:,} late" if day.late else ""
        lines.append(f"**{fmt_day(day.date)}**: {day.orders:,} orders, {fmt_units(day.units)} units{late}")
        for line in day.lines:
            take = line.customers[: max(0, budget)]
            hidden_rows += len(line.customers) - len(take)
            budget -= len(take)
            if take:
                lines.append(f"- *{md_escape(line.line)}*")
                lines.extend(_md_customer(c) for c in take)
        lines.append("")
    unschedulable = sum(not o.is_scheduled for o in sheet.orders)
    hidden_orders = sum(d.orders for d in hidden_days)
    lines.append(
        f"Not shown: {hidden_rows:,} customer rows of these days, {len(hidden_days):,} later delivery days "
        f"({hidden_orders:,} orders), {unschedulable:,} unschedulable orders."
    )
    return "\n".join(lines)


# --- files --------------------------------------------------------------------------------------------
def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see the old or the new file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        # mkstemp creates 0600; a sheet is for people (a file share, a web server): the usual mode.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sheet_paths(directory: Path, plan_date: dt.date) -> SheetFiles:
    stem = directory / f"delivery-sheet-{plan_date.isoformat()}"
    return SheetFiles(html=stem.with_suffix(".html"), csv=stem.with_suffix(".csv"))


def write_delivery_sheet(sheet: DeliverySheet, directory: Path) -> SheetFiles:
    """Write delivery-sheet-<plan date>.html and .csv into `directory` (replacing earlier ones)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = sheet_paths(directory, sheet.plan_date)
    _write_atomically(files.csv, render_csv(sheet))
    _write_atomically(files.html, render_html(sheet))
    return files
