"""Monday ingestion benchmark: extraction, parsing, DuckDB loading and end to end.

For each scenario (orders × added latency per request) a fresh child process measures, against the
sandbox running in its own process (so client and server do not share a GIL):

- extraction items/s: the orders board's cursor chain fetched and JSON-decoded, nothing else;
- parse items/s: `parse_items` over raw pages already in memory (up to 20,000 items);
- end-to-end seconds: `land_board` for every board into a fresh DuckDB file (the next page is
  fetched and parsed while the current one is staged);
- peak RSS of that child process.

Loading is measured once per size in a child of its own: the orders board's column-value rows
through `begin_board_load` → `add_page` → `commit` into a fresh DuckDB file, pages parsed up front.

Targets (issue 3): at 150 ms latency extraction ≥ 80 % of 500 items / 150 ms per board; parse ≥
50,000 items/s; load ≥ 200,000 rows/s; peak RSS < 1 GiB at 100,000 orders.

Resume (issue 10): the orders board landed when its cursor chain cannot outlast the cursors'
lifetime (20,000 orders, full 500-item pages at 250 ms, id pages nearly free, chains living 3 s):
the chain breaks and the board is finished by an id scan and `items(ids)`. Records/s and peak RSS,
next to the same landing on one unbroken chain (lifetime 1 h).

    python -m benchmarks.bench_monday_ingest                 # all scenarios, writes JSON + README table
    python -m benchmarks.bench_monday_ingest --orders 10000 --latency-ms 0   # one scenario
    python -m benchmarks.bench_monday_ingest --resume        # the resume scenario only (quick, ~30 s)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import peak_rss_mib, replace_readme_section, write_result

SCENARIOS = [(10_000, 0), (10_000, 150), (100_000, 0), (100_000, 150)]
PAGE_ITEMS = 500
PARSE_SAMPLE_ITEMS = 20_000
# CPU-bound stages are timed best-of-N: this shared 2-core machine's noise is ±20 % run to run.
REPEATS = 3
TARGETS = {"extraction_share_of_latency_limit": 0.8, "parse_items_per_s": 50_000,
           "load_rows_per_s": 200_000, "peak_rss_mib_at_100k": 1024}  # fmt: skip
# 500 items × 0.5 ms = 250 ms per full page: 40 pages take 10 s, a chain lives 3 s.
RESUME = {"orders": 20_000, "latency_per_item_ms": 0.5, "cursor_ttl_seconds": 3.0}


def run_scenario(orders: int, latency_ms: int) -> dict:
    """Runs in a child process; every number is measured here."""
    from customer_master.monday import MondayClient, parse_items
    from customer_master.monday.extract import _raw_pages
    from customer_master.monday.queries import ITEMS_FIRST_PAGE_QUERY, ITEMS_NEXT_PAGE_QUERY
    from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN, SandboxControl
    from customer_master.sandbox.process import sandbox_process
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from customer_master.warehouse.landing import land_board

    result: dict = {"orders": orders, "latency_ms": latency_ms}
    with sandbox_process(orders, seed=42, latency_ms=latency_ms) as url:
        control = SandboxControl(url.removesuffix("/v2"))
        with MondayClient(url, SANDBOX_TOKEN, timeout=120) as client:
            # Warm-up, untimed: the sandbox compiles each new query text once (tens of ms), which a
            # real API does not charge per client. The capacity board (> 500 items) uses both the
            # first-page and the next-page query.
            for _ in _raw_pages(
                client, BOARD_IDS["capacity"], first_query=ITEMS_FIRST_PAGE_QUERY,
                next_query=ITEMS_NEXT_PAGE_QUERY, purposes=("items_page", "next_items_page"),
            ):  # fmt: skip
                pass
            before = control.stats()
            # 1. extraction only: the orders board's cursor chain, JSON decoded, no parsing.
            sample: list[dict] = []
            items = 0
            started = time.perf_counter()
            for raw_items in _raw_pages(
                client, BOARD_IDS["orders"], first_query=ITEMS_FIRST_PAGE_QUERY,
                next_query=ITEMS_NEXT_PAGE_QUERY, purposes=("items_page", "next_items_page"),
            ):  # fmt: skip
                items += len(raw_items)
                if len(sample) < PARSE_SAMPLE_ITEMS:
                    sample.extend(raw_items)
            seconds = time.perf_counter() - started
            after = control.stats()
            requests = after["graphql_requests"] - before["graphql_requests"]
            processing_ms = (after["processing_us"] - before["processing_us"]) / 1000 / max(requests, 1)
            rate = items / seconds
            # The strict limit counts only the added latency; a real round trip also includes the
            # server's own processing (the sandbox reports it), so both shares are reported.
            limit = PAGE_ITEMS / (latency_ms / 1000) if latency_ms else None
            round_trip_limit = PAGE_ITEMS / ((latency_ms + processing_ms) / 1000)
            result["extraction"] = {
                "items": items, "requests": requests, "seconds": round(seconds, 3),
                "items_per_s": round(rate),
                "sandbox_processing_ms_per_request": round(processing_ms, 2),
                "latency_limit_items_per_s": round(limit) if limit else None,
                "share_of_latency_limit": round(rate / limit, 3) if limit else None,
                "round_trip_limit_items_per_s": round(round_trip_limit),
                "share_of_round_trip_limit": round(rate / round_trip_limit, 3),
            }  # fmt: skip

        # 2. parsing only, on raw pages in memory. In the pipeline the heap holds one page at a
        # time; here it holds the whole sample, which every garbage-collector pass would rescan.
        pages = [sample[i : i + PAGE_ITEMS] for i in range(0, len(sample), PAGE_ITEMS)]
        gc.collect()
        gc.freeze()
        seconds, parsed_values = min(_timed(_parse_all, parse_items, pages) for _ in range(REPEATS))
        result["parse"] = {"items": len(sample), "values": parsed_values, "seconds": round(seconds, 3),
                           "items_per_s": round(len(sample) / seconds), "best_of": REPEATS}  # fmt: skip
        del sample, pages
        gc.unfreeze()

        # 3. end to end into a fresh DuckDB: what a Dagster run of the three boards does.
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
            warehouse.ensure_schema()
            started = time.perf_counter()
            with MondayClient(url, SANDBOX_TOKEN, timeout=120) as client:
                reports = [
                    land_board(client, warehouse, board_id, mode="full", run=_run(name))
                    for name, board_id in BOARD_IDS.items()
                ]
            seconds = time.perf_counter() - started
        result["end_to_end"] = {
            "items": sum(r.result.items_loaded for r in reports),
            "column_values": sum(r.result.values_loaded for r in reports),
            "quarantined": sum(r.result.quarantined for r in reports),
            "api_calls": sum(r.api_calls for r in reports), "seconds": round(seconds, 3),
        }  # fmt: skip
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


def run_load_stage(orders: int) -> dict:
    """Runs in its own child process: the orders board parsed up front, then loaded and timed alone.

    Loading is measured apart from the pipeline because there it overlaps with the next page's
    fetch and parse in another thread, and would be charged for their share of the interpreter.
    """
    from customer_master.monday import MondayClient
    from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN
    from customer_master.sandbox.process import sandbox_process
    from customer_master.warehouse.duckdb import DuckDBWarehouse

    with sandbox_process(orders, seed=42) as url, MondayClient(url, SANDBOX_TOKEN, timeout=120) as client:
        board = client.get_board(BOARD_IDS["orders"])
        pages = list(client.iter_item_pages(board))
    rows = sum(page.value_count for page in pages)

    def load_once(warehouse: DuckDBWarehouse) -> None:
        with warehouse.begin_board_load(board, mode="full", since=None, run=_run("orders")) as load:
            for page in pages:
                load.add_page(page)
            load.set_state_changes([])
            load.commit(client.stats)

    timings = []
    for attempt in range(REPEATS):
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = DuckDBWarehouse(Path(tmp) / f"bench-{attempt}.duckdb")
            warehouse.ensure_schema()  # one-time setup, not part of a load
            timings.append(_timed(load_once, warehouse)[0])
    seconds = min(timings)
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        "best_of": REPEATS,
    }


def run_resume_stage(cursor_ttl_seconds: float) -> dict:
    """Runs in a child process: land the orders board with full pages slow and this cursor lifetime."""
    from customer_master.monday import MondayClient
    from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN, SandboxControl
    from customer_master.sandbox.process import sandbox_process
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from customer_master.warehouse.landing import land_board

    orders = RESUME["orders"]
    ttl = ["--cursor-ttl-seconds", str(cursor_ttl_seconds)]
    with sandbox_process(orders, extra_args=ttl) as url, tempfile.TemporaryDirectory() as tmp:
        control = SandboxControl(url.removesuffix("/v2"))
        control.set_faults(latency_per_item_ms=RESUME["latency_per_item_ms"])
        expected = next(b["active"] for b in control.stats()["workspace"].values()
                        if b["board_id"] == BOARD_IDS["orders"])  # fmt: skip
        warehouse = DuckDBWarehouse(Path(tmp) / "resume.duckdb")
        warehouse.ensure_schema()
        started = time.perf_counter()
        with MondayClient(url, SANDBOX_TOKEN, timeout=120) as client:
            report = land_board(client, warehouse, BOARD_IDS["orders"], mode="full", run=_run("orders"))
        seconds = time.perf_counter() - started
        landed = len(warehouse.active_item_ids(BOARD_IDS["orders"]))
        control.close()
    return {
        "orders": orders, "cursor_ttl_seconds": cursor_ttl_seconds,
        "latency_per_item_ms": RESUME["latency_per_item_ms"],
        "items": report.result.items_loaded, "column_values": report.result.values_loaded,
        "complete": landed == expected == report.result.items_loaded,
        "cursor_resumes": report.cursor_resumes, "hydrated_items": report.hydrated_items,
        "api_calls": report.api_calls, "seconds": round(seconds, 3),
        "records_per_s": round(report.result.items_loaded / seconds),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }  # fmt: skip


def _resume_results() -> dict:
    broken = _child_json(["--child", "resume", "--cursor-ttl-seconds", str(RESUME["cursor_ttl_seconds"])])
    unbroken = _child_json(["--child", "resume", "--cursor-ttl-seconds", "3600"])
    for label, r in (("chain breaks, resumed", broken), ("one unbroken chain", unbroken)):
        print(
            f"  resume scenario ({label}): {r['items']:,} items in {r['seconds']:.1f} s, "
            f"{r['records_per_s']:,} records/s, {r['cursor_resumes']} resume(s), "
            f"{r['hydrated_items']:,} hydrated, complete={r['complete']}, "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    return {"resumed": broken, "unbroken_chain": unbroken}


def _parse_all(parse_items, pages: list[list[dict]]) -> int:
    from customer_master.sandbox import BOARD_IDS

    return sum(parse_items(BOARD_IDS["orders"], page).value_count for page in pages)


def _timed(fn, *args):
    started = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - started, value


def _run(board: str):
    from customer_master.warehouse.base import RunInfo

    return RunInfo(
        run_id=f"bench-{board}", asset=f"monday/{board}", partition_key="2026-11-01",
        started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )  # fmt: skip


def _verdicts(results: list[dict]) -> dict[str, bool]:
    """Every reading of every target, so a partial pass is visible rather than averaged away."""
    slow = [r for r in results if r["latency_ms"] == 150]
    at_100k = [r for r in results if r["orders"] == 100_000]
    share = TARGETS["extraction_share_of_latency_limit"]
    return {
        "extraction_at_150ms_vs_added_latency": all(
            r["extraction"]["share_of_latency_limit"] >= share for r in slow
        ),
        "extraction_at_150ms_vs_round_trip": all(
            r["extraction"]["share_of_round_trip_limit"] >= share for r in slow
        ),
        "parse": all(r["parse"]["items_per_s"] >= TARGETS["parse_items_per_s"] for r in results),
        "load_every_scenario": all(r["load"]["rows_per_s"] >= TARGETS["load_rows_per_s"] for r in results),
        "load_at_100k": all(r["load"]["rows_per_s"] >= TARGETS["load_rows_per_s"] for r in at_100k),
        "peak_rss_at_100k": all(r["peak_rss_mib"] < TARGETS["peak_rss_mib_at_100k"] for r in at_100k),
    }


def _table(results: list[dict]) -> str:
    lines = [
        "| orders | added latency | extraction items/s | share of 500/latency | share of 500/round trip | "
        "parse items/s | load rows/s | end-to-end s | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ext, load = r["extraction"], r["load"]
        # Shares of a latency limit mean something only when there is latency to be limited by.
        strict = f"{ext['share_of_latency_limit']:.0%}" if r["latency_ms"] else "-"
        round_trip = f"{ext['share_of_round_trip_limit']:.0%}" if r["latency_ms"] else "-"
        lines.append(
            f"| {r['orders']:,} | {r['latency_ms']} ms | {ext['items_per_s']:,} | {strict} | "
            f"{round_trip} | {r['parse']['items_per_s']:,} | "
            f"{load['rows_per_s']:,} | "
            f"{r['end_to_end']['seconds']:.1f} | {r['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def _child(stage: str, orders: int, latency_ms: int) -> dict:
    """One stage in a fresh process, so each peak RSS and timing stands alone."""
    return _child_json(["--child", stage, "--orders", str(orders), "--latency-ms", str(latency_ms)])


def _child_json(args: list[str]) -> dict:
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_monday_ingest", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int)
    parser.add_argument("--latency-ms", type=int)
    parser.add_argument("--resume", action="store_true", help="run only the resume scenario")
    parser.add_argument("--child", choices=["pipeline", "load", "resume"], help=argparse.SUPPRESS)
    parser.add_argument("--cursor-ttl-seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "pipeline":
        print(json.dumps(run_scenario(args.orders, args.latency_ms)))
        return 0
    if args.child == "load":
        print(json.dumps(run_load_stage(args.orders)))
        return 0
    if args.child == "resume":
        print(json.dumps(run_resume_stage(args.cursor_ttl_seconds)))
        return 0
    if args.resume:
        print("resume scenario ...", flush=True)
        path = write_result("monday_ingest_resume", {"scenario": RESUME, "resume": _resume_results()})
        print(f"wrote {path}")
        return 0

    scenarios = [(args.orders, args.latency_ms)] if args.orders is not None else SCENARIOS
    results = []
    loads: dict[int, dict] = {}
    for orders, latency in scenarios:
        print(f"scenario: {orders:,} orders, {latency} ms added latency ...", flush=True)
        if orders not in loads:  # loading does not depend on the API's latency: once per size
            loads[orders] = _child("load", orders, 0)
        result = {**_child("pipeline", orders, latency or 0), "load": loads[orders]}
        results.append(result)
        ext, parse, load, e2e = result["extraction"], result["parse"], result["load"], result["end_to_end"]
        share = (
            f" ({ext['share_of_latency_limit']:.0%} of 500/latency, "
            f"{ext['share_of_round_trip_limit']:.0%} of 500/round trip)"
            if latency
            else ""
        )
        print(
            f"  extraction {ext['items_per_s']:,} items/s{share}; parse {parse['items_per_s']:,} items/s; "
            f"load {load['rows_per_s']:,} rows/s; end to end {e2e['seconds']:.1f} s; "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB"
        )
    verdicts = _verdicts(results) if args.orders is None else {}
    payload = {"targets": TARGETS, "scenarios": results, "targets_met": verdicts}
    if args.orders is None:
        print("resume scenario ...", flush=True)
        payload["resume"] = {"scenario": RESUME, **_resume_results()}
    path = write_result("monday_ingest", payload)
    if args.orders is None:
        replace_readme_section("monday_ingest", _table(results))
    print(f"targets met: {verdicts}\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
