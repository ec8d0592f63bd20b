"""`make bench`: every benchmark, one after the other (each writes its JSON and README table)."""

from benchmarks import (
    bench_dbt_models,
    bench_delivery_sheet,
    bench_monday_ingest,
    bench_oms,
    bench_order_latency,
    bench_schedule,
    bench_ui_run,
)

BENCHMARKS = [
    bench_monday_ingest,
    bench_dbt_models,
    bench_oms,
    bench_schedule,
    bench_delivery_sheet,
    bench_ui_run,
    bench_order_latency,
]

if __name__ == "__main__":
    for bench in BENCHMARKS:
        print(f"== {bench.__name__}")
        bench.main([])
