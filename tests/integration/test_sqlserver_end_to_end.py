"""SQL Server end to end: the sandbox landed with the SQL Server loader, then `dbt build --target
sqlserver` on top. Runs only against a live server: CM_SQLSERVER_DSN for the loader and the
CM_SQLSERVER_HOST/_DATABASE/_USER/_PASSWORD variables for dbt's `sqlserver` target (README,
"Production: SQL Server"). No SQL Server engine can run on the development machine, so here the
same SQL is proven offline instead (test_dbt_sqlserver_compile.py, test_sqlserver_statements.py).
"""

from __future__ import annotations

import os
import uuid

import pytest

from customer_master.sandbox import BOARD_IDS

from .dbt_helpers import land_boards, run_dbt

LIVE = bool(os.environ.get("CM_SQLSERVER_DSN")) and bool(os.environ.get("CM_SQLSERVER_HOST"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not LIVE,
        reason="CM_SQLSERVER_DSN and CM_SQLSERVER_HOST are not set: no SQL Server for the end-to-end run",
    ),
]


def test_the_sandbox_lands_and_the_dbt_models_build_on_sql_server(sandbox, tmp_path):
    from customer_master.warehouse.sqlserver import SqlServerWarehouse

    # Fresh schemas per run, so a shared development database is never disturbed.
    raw_schema = f"cm_e2e_{uuid.uuid4().hex[:8]}"
    warehouse = SqlServerWarehouse(
        os.environ["CM_SQLSERVER_DSN"], schema=raw_schema, staging_schema=raw_schema + "_stg"
    )
    land_boards(sandbox.url, sandbox.token, warehouse)
    assert warehouse.table_counts()["raw_monday_items"] > 0

    env = {"CM_SQLSERVER_RAW_SCHEMA": raw_schema, "CM_SQLSERVER_SCHEMA": raw_schema + "_dbt"}
    build = run_dbt(["build", "--target", "sqlserver"], tmp_path, env=env, timeout=900)
    assert build.returncode == 0, build.stdout[-4000:]
    with warehouse.session() as s:
        orders = s.query(f'SELECT COUNT(*) FROM "{raw_schema}_dbt"."order_master"')[0][0]
    assert orders == len(sandbox.workspace_active_item_ids(BOARD_IDS["orders"]))
