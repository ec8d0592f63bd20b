"""The delivery sheet's three charts, drawn with matplotlib (Agg) and returned as inline SVG text.

* utilization: line x day heat map of the plan's capacity for the next 8 weeks; overtime (over 100 %)
  in its own colour and labelled, holidays and maintenance days hatched, days without capacity grey;
* lateness: late orders per priority, split past due when planned vs pushed by capacity;
* on-time: planned vs actual on-time share per ISO week over the 12 weeks before the plan date.

Every chart draws a "no data" figure instead of failing when there is nothing to show. The SVG is
deterministic (fixed hash salt, no date) so a rerun writes the same file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from customer_master.reports.delivery_sheet import (
    UTILIZATION_WEEKS,
    DeliverySheet,
    lateness_by_priority,
)

OVERTIME_COLOUR = "#c0392b"
NO_CAPACITY_COLOUR = "#e6e6e6"
PAST_DUE_COLOUR = "#7f8c8d"
PUSHED_COLOUR = "#e67e22"
PLANNED_COLOUR = "#2c7fb8"
ACTUAL_COLOUR = "#31a354"


# No RDF block (date, creator): the SVG stays deterministic and carries no URL but its namespaces.
NO_METADATA: dict[str, None] = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of the sheet: `chart_id` is the HTML id of its <figure>."""

    chart_id: str
    title: str
    svg: str


@contextmanager
def _svg_settings(salt: str) -> Iterator[None]:
    # Text stays text (small, searchable); a fixed salt keeps the clip-path ids stable and distinct.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, without pyplot: no global figure registry to leak or share between
    threads (the sheet is drawn inside Dagster workers)."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def svg_text(fig: Figure) -> str:
    """The figure as an inline <svg> element (no XML prologue or DOCTYPE)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=NO_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def no_data_figure(message: str) -> Figure:
    fig = new_figure(7.5, 1.6)
    fig.text(0.5, 0.5, f"No data: {message}", ha="center", va="center", fontsize=11, color="#555555")
    return fig


def utilization_figure(sheet: DeliverySheet) -> Figure:
    """Line x day heat map of utilization over the next UTILIZATION_WEEKS weeks of the plan."""
    end = sheet.plan_date + dt.timedelta(weeks=UTILIZATION_WEEKS)
    cells = [c for c in sheet.capacity if sheet.plan_date <= c.day < end]
    if not cells:
        return no_data_figure("this plan has no capacity rows for the next 8 weeks")
    lines = sorted({c.line for c in cells})
    days = [sheet.plan_date + dt.timedelta(days=i) for i in range(UTILIZATION_WEEKS * 7)]
    grid = np.full((len(lines), len(days)), np.nan)
    row_of = {line: i for i, line in enumerate(lines)}
    fig = new_figure(11, 1.2 + 0.38 * len(lines))
    ax = fig.subplots()
    holiday = maintenance = overtime = False
    for c in cells:
        y, x = row_of[c.line], (c.day - sheet.plan_date).days
        if c.capacity_units > 0:
            grid[y, x] = c.utilization
        if c.is_holiday or c.is_maintenance:
            holiday |= c.is_holiday
            maintenance |= c.is_maintenance
            hatch = "xx" if c.is_maintenance else "//"
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, hatch=hatch, lw=0, ec="#333333"))
        if c.utilization > 1.0 + 1e-9:
            overtime = True
            ax.text(x, y, f"{c.utilization:.0%}", ha="center", va="center", fontsize=5, color="white")
    cmap = ListedColormap(matplotlib.colormaps["YlGnBu"](np.linspace(0.05, 0.85, 256))).with_extremes(
        over=OVERTIME_COLOUR, bad=NO_CAPACITY_COLOUR
    )
    image = ax.imshow(
        np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, norm=Normalize(0.0, 1.0), interpolation="none"
    )
    bar = fig.colorbar(image, ax=ax, extend="max", fraction=0.03, pad=0.01)
    bar.set_label("utilization (over 100 % = overtime)")
    bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_yticks(range(len(lines)), lines)
    mondays = [i for i, d in enumerate(days) if d.weekday() == 0]
    ax.set_xticks(mondays, [days[i].strftime("%a %d %b") for i in mondays], rotation=0)
    ax.set_title(f"Capacity utilization per line, {days[0]} to {days[-1]}")
    legend = [Patch(fc=NO_CAPACITY_COLOUR, label="no capacity")]
    if overtime:
        legend.append(Patch(fc=OVERTIME_COLOUR, label="overtime (> 100 %)"))
    if holiday:
        legend.append(Patch(fc="white", ec="#333333", hatch="//", label="holiday"))
    if maintenance:
        legend.append(Patch(fc="white", ec="#333333", hatch="xx", label="maintenance"))
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=len(legend), frameon=False)
    return fig


def lateness_figure(sheet: DeliverySheet) -> Figure:
    """Late orders per priority: past due when planned, stacked with pushed by capacity."""
    rows = lateness_by_priority(sheet)
    if not any(past + pushed for _, past, pushed in rows):
        return no_data_figure("no late orders in this plan")
    labels = [p for p, _, _ in rows]
    past = np.array([r[1] for r in rows])
    pushed = np.array([r[2] for r in rows])
    fig = new_figure(7.5, 3.2)
    ax = fig.subplots()
    ax.bar(labels, past, color=PAST_DUE_COLOUR, label="already past due when planned")
    ax.bar(labels, pushed, bottom=past, color=PUSHED_COLOUR, label="pushed by capacity")
    for x, total in enumerate(past + pushed):
        if total:
            ax.text(x, total, str(int(total)), ha="center", va="bottom")
    ax.set_ylabel("late orders")
    ax.set_title("Late orders by priority")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def on_time_figure(sheet: DeliverySheet) -> Figure:
    """Planned vs actual on-time share per ISO week (gaps where a week has no plan or delivery)."""
    weeks = sheet.history
    planned = [w.planned_rate for w in weeks]
    actual = [w.actual_rate for w in weeks]
    if all(r is None for r in planned + actual):
        return no_data_figure("no earlier plans or deliveries in the last 12 weeks")
    x = np.arange(len(weeks))
    fig = new_figure(7.5, 3.2)
    ax = fig.subplots()
    for rates, colour, label in ((planned, PLANNED_COLOUR, "planned"), (actual, ACTUAL_COLOUR, "actual")):
        values = np.array([np.nan if r is None else r for r in rates])
        ax.plot(x, values, marker="o", color=colour, label=f"{label} on time")
    ax.set_xticks(x, [w.label for w in weeks], rotation=45, ha="right")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("on time")
    ax.set_title("Plan vs actual on-time rate per week")
    ax.legend(frameon=False, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def sheet_charts(sheet: DeliverySheet) -> list[Chart]:
    """The three charts, in the order the sheet shows them."""
    drawn = (
        ("chart-utilization", "Capacity utilization, next 8 weeks", utilization_figure),
        ("chart-lateness", "Late orders by priority", lateness_figure),
        ("chart-on-time", "Plan vs actual on-time rate, last 12 weeks", on_time_figure),
    )
    charts = []
    for chart_id, title, draw in drawn:
        with _svg_settings(chart_id):
            charts.append(Chart(chart_id, title, svg_text(draw(sheet))))
    return charts
