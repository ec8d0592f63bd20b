"""The daily delivery sheet at scale: what publishing a plan adds to the nightly `delivery_plan` step.

One plan of the schedule benchmark's instance (bench_schedule.make_instance: 10 resources, 365 days,
95 % load) at 2,000 and 100,000 orders is written to a fresh DuckDB warehouse with `write_plan`, as
the asset writes it; then, timed per phase, `read_delivery_sheet` (the plan tables back, 8 weeks of
capacity, 12 weeks of history) and `write_delivery_sheet` (HTML with three matplotlib charts + CSV).
Each size runs in a fresh child process, so its peak RSS stands alone. Prints orders/s and peak memory,
writes benchmarks/results/delivery_sheet.json and the table in benchmarks/README.md.

    .venv/bin/python -m benchmarks.bench_delivery_sheet [--sizes 2000 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_schedule import PLAN_DATE, make_instance
from benchmarks.common import peak_rss_mib, replace_readme_section, write_result

SIZES = (2_000, 100_000)
RESOURCES, HORIZON_DAYS, LOAD = 10, 365, 0.95


def run_size(orders: int) -> dict:
    """Plan, write, then read and render the sheet of one plan; seconds per phase and peak RSS."""
    from customer_master.common import utcnow
    from customer_master.reports import read_delivery_sheet, write_delivery_sheet
    from customer_master.scheduling import PlanSettings, plan_deliveries
    from customer_master.scheduling.records import assignment_columns, capacity_columns, summarize
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from customer_master.warehouse.plans import write_plan

    order_list, windows, capacity, _regular = make_instance(orders, RESOURCES, HORIZON_DAYS, LOAD)
    settings = PlanSettings(plan_date=PLAN_DATE, horizon_days=HORIZON_DAYS, country="US")
    plan = plan_deliveries(order_list, windows, capacity, settings)
    with tempfile.TemporaryDirectory() as tmp:
        wh = DuckDBWarehouse(Path(tmp) / "warehouse.duckdb")
        write_plan(
            wh,
            PLAN_DATE,
            assignments=assignment_columns(plan),
            capacity=capacity_columns(plan),
            run=summarize(plan).run_row(settings, 0.0),
            run_id="bench",
            planned_at=utcnow(),
        )
        started = time.perf_counter()
        sheet = read_delivery_sheet(wh, PLAN_DATE)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        files = write_delivery_sheet(sheet, Path(tmp) / "reports")
        render_s = time.perf_counter() - started
        sizes = {"html_mib": files.html.stat().st_size / 2**20, "csv_mib": files.csv.stat().st_size / 2**20}
    total = read_s + render_s
    return {
        "orders": orders,
        "read_seconds": round(read_s, 2),
        "render_seconds": round(render_s, 2),
        "seconds": round(total, 2),
        "orders_per_s": round(orders / total),
        "html_mib": round(sizes["html_mib"], 2),
        "csv_mib": round(sizes["csv_mib"], 2),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def _in_child(orders: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_delivery_sheet", "--child", str(orders)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(rows: list[dict]) -> str:
    lines = [
        "| orders | read s | render s | total s | orders/s | HTML MiB | CSV MiB | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['orders']:,} | {r['read_seconds']:.2f} | {r['render_seconds']:.2f} | {r['seconds']:.2f} | "
        f"{r['orders_per_s']:,} | {r['html_mib']:.2f} | {r['csv_mib']:.2f} | {r['peak_rss_mib']:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_size(args.child)))
        return 0
    rows = []
    for orders in args.sizes:
        row = _in_child(orders)
        rows.append(row)
        print(
            f"delivery sheet, {orders:,} orders: read {row['read_seconds']:.2f} s + render "
            f"{row['render_seconds']:.2f} s = {row['seconds']:.2f} s ({row['orders_per_s']:,} orders/s), "
            f"HTML {row['html_mib']:.2f} MiB, CSV {row['csv_mib']:.2f} MiB, "
            f"peak RSS {row['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    path = write_result(
        "delivery_sheet", {"resources": RESOURCES, "horizon_days": HORIZON_DAYS, "runs": rows}
    )
    replace_readme_section("delivery_sheet", _table(rows))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
