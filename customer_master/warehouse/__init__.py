"""Raw landing into the SQL warehouse (DuckDB by default, SQL Server in production); no dagster here.

- `base`: the one interface callers use (`Warehouse`, `Session`, `BoardLoad`, `RunInfo`, ...).
- `tables`: table specs and DDL for both engines; `sql`: every statement, per engine.
- `validation`: the pure staging checks; `arrow`: columnar pages -> Arrow tables; `keys`: ids too
  long for an id column are quarantined per record (both engines alike).
- `analyst`: the analysts' read-only copy of the DuckDB file, and the error a held lock gives.
- `loader`: the engine-neutral staging -> validate -> swap; `duckdb` / `sqlserver`: the engines.
- `factory.open_warehouse`: pick one by name (SQL Server's driver is imported only when chosen).
"""
