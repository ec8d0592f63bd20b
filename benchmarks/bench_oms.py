"""OMS benchmark: the nightly OMS sync (`sync_oms`) from the Shopify-shaped emulator into DuckDB, then
`dbt build` with both sources.

For each scenario (orders × added latency per page) a fresh child process runs `sync_oms` exactly as
the nightly asset does (full load, 250 orders per page, the emulator in its own process so client and
server do not share a GIL) into a fresh DuckDB file, driving dlt's three steps itself to time each:

- extraction orders/s: `pipeline.extract` (HTTP, JSON decode, the contract mapping of every order as
  it streams, dlt's extract files; also the deletions feed) — orders / extract seconds;
- load rows/s: `pipeline.normalize` + `pipeline.load` of dlt's raw tables (orders, their line items,
  events: every row dlt normalized) — rows / (normalize + load seconds);
- contract swap rows/s: `land_oms_contract` (stage, validate, one-transaction swap into
  `raw_oms_orders`) — contract rows / its seconds;
- end-to-end seconds of `sync_oms`, and the peak RSS of the child after the sync (before anything
  else runs in it); the resident set after each step and the estimated size of the contract rows
  `ContractCollector` keeps in memory until the swap.

With no added latency the same child then lands the Monday sandbox's three boards (10,000 orders,
same seed, so the OMS orders share its customers and some order numbers) into the same file, applies
the board mapping and times a full `dbt build` (as bench_dbt_models does); `order_master` rows by
source check that both sources are in. Clean data (`--no-dirt`) as in bench_dbt_models, so the data
tests measure speed, not the sandbox's dirt. A failing `dbt build` is reported (with its last lines),
not raised.

Targets (issue 12 §5): at 150 ms per page, extraction ≥ 80 % of 250 orders / 150 ms (1,333 orders/s);
peak RSS < 1 GiB at 100,000 orders.

    python -m benchmarks.bench_oms                                # all scenarios, JSON + README table
    python -m benchmarks.bench_oms --orders 5000 --latency-ms 150  # one scenario (quick)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import peak_rss_mib, replace_readme_section, write_result

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [(100_000, 0), (100_000, 150)]
MONDAY_ORDERS = 10_000
SEED = 42
PAGE_ORDERS = 250  # shopify.yml: page_size.size (Shopify's maximum `limit`)
TOKEN = "shpat_sandbox"
TARGETS = {"extraction_share_of_latency_limit": 0.8, "peak_rss_mib_at_100k": 1024}
ROW_SAMPLE = 2_000
RAW_SAMPLE_PAGES = 20  # contract rows sized one by one; the rest is extrapolated


def run_scenario(orders: int, latency_ms: int, *, with_dbt: bool) -> dict:
    """Runs in a child process; every number is measured here."""
    from customer_master.sandbox.oms import OmsControl
    from customer_master.sandbox.oms.process import oms_process
    from customer_master.sandbox.oms.server import API_PREFIXES

    result: dict = {"orders": orders, "latency_ms": latency_ms, "monday_orders": MONDAY_ORDERS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with oms_process(orders, SEED, monday_orders=MONDAY_ORDERS, latency_ms=latency_ms, dirt=False) as url:
            base = url.removesuffix(API_PREFIXES["shopify"])
            control = OmsControl(base)
            raw = _raw_pages_sample(url)  # before the sync: its own requests are not counted below
            before = control.stats()
            result |= _sync(path, Path(tmp) / "dlt", base)
            after = control.stats()
        result["pages"] = after["pages"] - before["pages"]
        result["event_pages"] = after["event_pages"] - before["event_pages"]
        result["extraction"] |= _limits(result, latency_ms) | {"raw_http": raw}
        result["peak_rss_mib"] = round(peak_rss_mib(), 1)  # the sync's peak: nothing else ran yet
        if with_dbt:
            result["dbt"] = _dbt_with_both_sources(path, Path(tmp))
    return result


def _sync(path: Path, pipeline_dir: Path, base_url: str) -> dict:
    """`sync_oms` as the nightly asset runs it (full), dlt's steps timed one by one."""
    from customer_master.oms.config import SHOPIFY_YML, load_oms_source
    from customer_master.oms.pipeline import duckdb_destination
    from customer_master.oms.source import OmsConnection
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from customer_master.warehouse.oms_landing import sync_oms

    source = load_oms_source(SHOPIFY_YML)
    steps: dict = {"rss_before_mib": _rss_mib(), "peak_before_mib": round(peak_rss_mib(), 1)}

    def drive(load) -> None:
        started = time.perf_counter()
        load.pipeline.extract(load.source, **load.run_kwargs)  # refresh="drop_resources" when full
        extracted = time.perf_counter()
        steps["rss_after_extract_mib"] = _rss_mib()
        steps["peak_after_extract_mib"] = round(peak_rss_mib(), 1)
        steps["contract_rows_mib"] = _contract_mib(load.collector)
        normalize_info = load.pipeline.normalize()
        normalized = time.perf_counter()
        steps["rss_after_normalize_mib"] = _rss_mib()
        steps["peak_after_normalize_mib"] = round(peak_rss_mib(), 1)
        load.pipeline.load()
        loaded = time.perf_counter()
        steps["rss_after_load_mib"] = _rss_mib()
        steps["peak_after_load_mib"] = round(peak_rss_mib(), 1)
        counts = {t: n for t, n in normalize_info.row_counts.items() if not t.startswith("_dlt")}
        steps.update(extract_s=extracted - started, normalize_s=normalized - extracted,
                     load_s=loaded - normalized, raw_rows=counts)  # fmt: skip

    warehouse = DuckDBWarehouse(path)
    connection = OmsConnection.resolve(source, api_url=base_url, token=TOKEN, username=None)
    started = time.perf_counter()
    report = sync_oms(
        warehouse, source, destination=duckdb_destination(path), pipeline_dir=pipeline_dir,
        connection=connection, run=_run("oms/orders"), requested="full", drive=drive,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    steps["rss_after_contract_mib"] = _rss_mib()
    return _sync_result(report, steps, seconds)


def _sync_result(report, steps: dict, seconds: float) -> dict:
    load, contract = report.load, report.contract
    raw_rows = sum(steps["raw_rows"].values())
    load_s = steps["normalize_s"] + steps["load_s"]
    return {
        "extraction": {
            "orders": load.records_extracted, "seconds": round(steps["extract_s"], 3),
            "orders_per_s": round(load.records_extracted / steps["extract_s"]),
        },
        "load": {
            "rows": raw_rows, "tables": steps["raw_rows"], "normalize_s": round(steps["normalize_s"], 3),
            "load_s": round(steps["load_s"], 3), "rows_per_s": round(raw_rows / load_s),
        },
        "contract": {
            "rows": contract.orders_loaded, "quarantined": contract.quarantined,
            "active_orders": contract.active_orders, "seconds": round(contract.seconds, 3),
            "rows_per_s": round(contract.orders_loaded / contract.seconds),
        },
        "end_to_end_seconds": round(seconds, 3),
        "memory_mib": {k.removesuffix("_mib"): v for k, v in steps.items() if k.endswith("_mib")},
    }  # fmt: skip


def _raw_pages_sample(api_url: str) -> dict:
    """The first RAW_SAMPLE_PAGES pages of the same chain fetched with plain `requests` and
    JSON-decoded, nothing else: the round trip the server and the wire cost, so the extraction's
    own client-side cost per page (dlt, the contract mapping) is the difference."""
    import requests

    url: str | None = f"{api_url}/orders.json?status=any&order=updated_at%20asc&limit={PAGE_ORDERS}"
    pages = orders = 0
    with requests.Session() as http:
        http.headers["X-Shopify-Access-Token"] = TOKEN
        started = time.perf_counter()
        while url and pages < RAW_SAMPLE_PAGES:
            response = http.get(url, timeout=120)
            response.raise_for_status()
            orders += len(response.json()["orders"])
            pages += 1
            url = response.links.get("next", {}).get("url")
        seconds = time.perf_counter() - started
    return {"pages": pages, "orders": orders, "ms_per_page": round(seconds * 1000 / max(pages, 1), 1)}


def _limits(result: dict, latency_ms: int) -> dict:
    """The page-latency limit: every page costs at least the added latency (the deletions feed's
    pages too, but they are not counted as orders, so this reading is the strict one)."""
    ext = result["extraction"]
    per_page_ms = ext["seconds"] * 1000 / max(result["pages"] + result["event_pages"], 1)
    if not latency_ms:
        return {"ms_per_request": round(per_page_ms, 1), "latency_limit_orders_per_s": None,
                "share_of_latency_limit": None}  # fmt: skip
    limit = PAGE_ORDERS / (latency_ms / 1000)
    return {"ms_per_request": round(per_page_ms, 1), "latency_limit_orders_per_s": round(limit),
            "share_of_latency_limit": round(ext["orders_per_s"] / limit, 3)}  # fmt: skip


def _dbt_with_both_sources(path: Path, tmp: Path) -> dict:
    """The Monday boards landed next to the OMS contract, the mapping applied, `dbt build` timed."""
    from customer_master.board_mapping import DEFAULT_MAPPING_PATH, load_board_mapping
    from customer_master.monday import MondayClient
    from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN
    from customer_master.sandbox.process import sandbox_process
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from customer_master.warehouse.landing import land_board
    from customer_master.warehouse.mapping import apply_board_mapping

    warehouse = DuckDBWarehouse(path)
    started = time.perf_counter()
    with (
        sandbox_process(MONDAY_ORDERS, seed=SEED, dirt=False) as url,
        MondayClient(url, SANDBOX_TOKEN, timeout=120) as client,
    ):
        for name, board_id in BOARD_IDS.items():
            land_board(client, warehouse, board_id, run=_run(f"monday/{name}"), mode="full")
    apply_board_mapping(warehouse, load_board_mapping(DEFAULT_MAPPING_PATH))
    out: dict = {"monday_ingest_seconds": round(time.perf_counter() - started, 2)}
    env = {**os.environ, "CM_DUCKDB_PATH": str(path), "DBT_TARGET": "duckdb"}
    started = time.perf_counter()
    build = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--profiles-dir", ".", "--quiet",
         "--target-path", str(tmp / "target")],
        cwd=ROOT / "dbt_project", env=env, capture_output=True, text=True,
    )  # fmt: skip
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["success"] = build.returncode == 0
    if not out["success"]:
        out["error_tail"] = (build.stdout + build.stderr).strip().splitlines()[-25:]
    out["order_master_by_source"] = _order_master_by_source(path)
    return out


def _order_master_by_source(path: Path) -> dict[str, int] | str:
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute("select source, count(*) from order_master group by 1 order by 1").fetchall()
    except duckdb.Error as exc:
        return f"not readable: {str(exc).splitlines()[0]}"
    return {str(source): int(n) for source, n in rows}


def _rss_mib() -> float:
    """Resident set now (not the peak): VmRSS of /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _contract_mib(collector) -> float:
    """Estimated heap of what the collector keeps until the swap: the OrderRow objects with their
    values, and its source_id -> position index. Sized on a sample, extrapolated."""
    rows = collector.batch.rows
    if not rows:
        return 0.0
    sample = rows[: min(len(rows), ROW_SAMPLE)]
    per_row = sum(_row_bytes(r) for r in sample) / len(sample)
    keys = list(collector._index)
    sampled = keys[:ROW_SAMPLE]
    key_bytes = sum(sys.getsizeof(k) for k in sampled) * len(keys) / max(len(sampled), 1)
    index_bytes = sys.getsizeof(collector._index) + key_bytes
    list_bytes = sys.getsizeof(rows) + sys.getsizeof(collector.batch.quarantine)
    return round((per_row * len(rows) + index_bytes + list_bytes) / 2**20, 1)


def _row_bytes(row) -> int:
    values = [getattr(row, name) for name in row.__slots__ if not name.startswith("__")]
    # Shared singletons (None, True, False, small ints, interned literals) cost nothing per row.
    owned = [v for v in values if v is not None and not isinstance(v, bool)]
    return sys.getsizeof(row) + sum(sys.getsizeof(v) for v in owned)


def _run(asset: str):
    from customer_master.warehouse.base import RunInfo

    return RunInfo(
        run_id=f"bench-{asset.replace('/', '-')}", asset=asset, partition_key="2026-11-01",
        started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )  # fmt: skip


def _verdicts(results: list[dict]) -> dict[str, bool]:
    slow = [r for r in results if r["latency_ms"] == 150]
    at_100k = [r for r in results if r["orders"] == 100_000]
    share = TARGETS["extraction_share_of_latency_limit"]
    verdicts = {
        "extraction_at_150ms": bool(slow)
        and all(r["extraction"]["share_of_latency_limit"] >= share for r in slow),
        "peak_rss_at_100k": bool(at_100k)
        and all(r["peak_rss_mib"] < TARGETS["peak_rss_mib_at_100k"] for r in at_100k),
    }
    dbt = [r["dbt"] for r in results if "dbt" in r]
    if dbt:
        verdicts["dbt_build_succeeds"] = all(d["success"] for d in dbt)
    return verdicts


def _table(results: list[dict]) -> str:
    lines = [
        "| orders | added latency | extraction orders/s | share of 250/latency | ms per request | "
        "load rows/s (raw tables) | contract swap rows/s | end-to-end s | peak RSS MiB | "
        "contract rows in memory MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ext = r["extraction"]
        share = f"{ext['share_of_latency_limit']:.0%}" if r["latency_ms"] else "-"
        lines.append(
            f"| {r['orders']:,} | {r['latency_ms']} ms | {ext['orders_per_s']:,} | {share} | "
            f"{ext['ms_per_request']:.0f} | {r['load']['rows_per_s']:,} | {r['contract']['rows_per_s']:,} | "
            f"{r['end_to_end_seconds']:.1f} | {r['peak_rss_mib']:.0f} | "
            f"{r['memory_mib']['contract_rows']:.0f} |"
        )
    for r in results:
        if "dbt" in r:
            lines += ["", _dbt_line(r)]
    return "\n".join(lines)


def _dbt_line(r: dict) -> str:
    d = r["dbt"]
    by_source = d["order_master_by_source"]
    sources = by_source
    if isinstance(by_source, dict):
        sources = ", ".join(f"{s} {n:,}" for s, n in by_source.items())
    state = "" if d["success"] else " — **FAILED** (see `results/bench_oms.json`, `dbt.error_tail`)"
    return (
        f"`dbt build` with both sources ({r['orders']:,} OMS orders, {r['monday_orders']:,} Monday orders): "
        f"{d['seconds']:.1f} s{state}; order_master by source: {sources}."
    )


def _print(result: dict) -> None:
    ext, load, contract, mem = result["extraction"], result["load"], result["contract"], result["memory_mib"]
    share = f" ({ext['share_of_latency_limit']:.0%} of 250/latency)" if result["latency_ms"] else ""
    print(
        f"  extraction {ext['orders_per_s']:,} orders/s{share}, {ext['ms_per_request']:.0f} ms/request; "
        f"load {load['rows_per_s']:,} rows/s ({load['rows']:,} raw rows); "
        f"contract swap {contract['rows_per_s']:,} rows/s; end to end {result['end_to_end_seconds']:.1f} s; "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB (contract rows ~{mem['contract_rows']:.0f} MiB; "
        f"RSS before/extract/normalize/load/contract {mem['rss_before']:.0f}/{mem['rss_after_extract']:.0f}/"
        f"{mem['rss_after_normalize']:.0f}/{mem['rss_after_load']:.0f}/{mem['rss_after_contract']:.0f})",
        flush=True,
    )
    if "dbt" in result:
        print(f"  {_dbt_line(result)}", flush=True)
        for line in result["dbt"].get("error_tail", []):
            print(f"    | {line}")


def _child(orders: int, latency_ms: int, with_dbt: bool) -> dict:
    """One scenario in a fresh process, so each peak RSS and timing stands alone."""
    args = ["--child", "--orders", str(orders), "--latency-ms", str(latency_ms)]
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_oms", *args, *([] if with_dbt else ["--no-dbt"])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--no-dbt", action="store_true", help="skip the Monday landing and dbt build")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        with_dbt = not args.no_dbt and args.latency_ms == 0
        print(json.dumps(run_scenario(args.orders, args.latency_ms, with_dbt=with_dbt)))
        return 0

    scenarios = [(args.orders, args.latency_ms)] if args.orders is not None else SCENARIOS
    results = []
    for orders, latency in scenarios:
        print(f"scenario: {orders:,} orders, {latency} ms added latency per page ...", flush=True)
        result = _child(orders, latency, with_dbt=not args.no_dbt and latency == 0)
        results.append(result)
        _print(result)
    verdicts = _verdicts(results) if args.orders is None else {}
    path = write_result("bench_oms", {"targets": TARGETS, "scenarios": results, "targets_met": verdicts})
    if args.orders is None:
        replace_readme_section("oms", _table(results))
    print(_table(results))
    for name, ok in verdicts.items():
        print(f"  {name}: {'PASS' if ok else 'FAIL'}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
