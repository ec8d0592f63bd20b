"""Every SQL statement the warehouses issue, built by small functions over the table specs.

One `Statements` object per engine (`duckdb` or `tsql`) renders the same logical statements with
that engine's table locations and types. The SQL is written in the portable subset both engines
accept (double-quoted identifiers, `?` parameters, `CASE`, `COALESCE`, `IN`/`EXISTS` subqueries,
`BEGIN TRANSACTION`/`COMMIT TRANSACTION`): no `LIMIT`, `::`, `||`, `CREATE OR REPLACE`, `MERGE`,
`ON CONFLICT` or correlated `UPDATE ... FROM`. `Statements.catalog()` enumerates them all, so a
test can parse each one as T-SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from customer_master.warehouse.tables import (
    ITEM_REQUIRED,
    OPS_QUARANTINE,
    OPS_RUN_LOG,
    OPS_SYNC_STATE,
    PRODUCTION_TABLES,
    QUARANTINE_FIELDS,
    RAW_BOARDS,
    RAW_COLUMNS,
    RAW_ITEMS,
    RAW_VALUES,
    STAGING_CHANGES,
    STAGING_ITEMS,
    STAGING_PRIOR,
    STAGING_QUARANTINE,
    STAGING_TABLES,
    STAGING_VALUES,
    STATE_CHANGED_AT,
    VALUE_REQUIRED,
    Col,
    Engine,
    TableSpec,
    quote,
    render_add_column,
    render_columns,
    render_create_index,
    render_create_table,
    render_type,
    staging_name,
)

BEGIN = "BEGIN TRANSACTION"
COMMIT = "COMMIT TRANSACTION"
ROLLBACK_DUCKDB = "ROLLBACK"
ROLLBACK_TSQL = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION"
TSQL_SESSION_SETUP: tuple[str, ...] = ("SET XACT_ABORT ON",)

LINEAGE = ("_partition_key", "_run_id", "_loaded_at")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True, slots=True)
class Statements:
    engine: Engine
    raw_schema: str = "main"
    ops_schema: str = "main"
    staging_schema: str = "staging"
    # Where dbt builds the marts and snapshots (the delivery planner reads them).
    marts_schema: str = "main"

    def __post_init__(self) -> None:
        for schema in (self.raw_schema, self.ops_schema, self.staging_schema, self.marts_schema):
            if not _IDENT.fullmatch(schema):
                raise ValueError(f"schema names must be plain identifiers, got {schema!r}")

    # --- names -------------------------------------------------------------------------------------
    def schema_of(self, spec: TableSpec) -> str:
        return {"raw": self.raw_schema, "ops": self.ops_schema, "staging": self.staging_schema}[spec.role]

    def ref(self, spec: TableSpec) -> str:
        return f"{quote(self.schema_of(spec))}.{quote(spec.name)}"

    def mart_ref(self, name: str) -> str:
        """A dbt model or snapshot (built by dbt, read by the planner)."""
        return f"{quote(self.marts_schema)}.{quote(name)}"

    @property
    def stages_in_temp(self) -> bool:
        """DuckDB stages in the load connection's TEMP tables: they are never written to the log
        (the commits that remain are the swap's), and a killed process leaves nothing behind.
        SQL Server stages in a real schema, which a later load clears."""
        return self.engine == "duckdb"

    def staging_ref(self, spec: TableSpec, board_id: str) -> str:
        name = quote(staging_name(spec, board_id))
        if self.stages_in_temp:
            return f'"temp"."main".{name}'
        return f"{quote(self.staging_schema)}.{name}"

    def typ(self, col: Col) -> str:
        return render_type(col.type, self.engine)

    def cast_param(self, col: Col) -> str:
        """A typed parameter (`CAST(? AS NVARCHAR(128))`): binds NULL safely on SQL Server."""
        return f"CAST(? AS {self.typ(col)})"

    @property
    def rollback(self) -> str:
        return ROLLBACK_TSQL if self.engine == "tsql" else ROLLBACK_DUCKDB

    @property
    def session_setup(self) -> tuple[str, ...]:
        return TSQL_SESSION_SETUP if self.engine == "tsql" else ()

    # --- DDL ----------------------------------------------------------------------------------------
    def schemas(self) -> list[str]:
        staging = [] if self.stages_in_temp else [self.staging_schema]
        return list(dict.fromkeys([self.raw_schema, self.ops_schema, *staging]))

    def schema_exists(self) -> str:
        """params: schema name -> a count (0 or more)."""
        return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?"

    def create_schema(self, schema: str) -> str:
        """Issued after `schema_exists` said 0. T-SQL wants CREATE SCHEMA alone in its batch (no IF)."""
        if self.engine == "duckdb":
            return f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"
        return f"CREATE SCHEMA {quote(schema)}"

    def create_production_tables(self) -> list[str]:
        out = []
        for spec in PRODUCTION_TABLES:
            schema = self.schema_of(spec)
            out.append(render_create_table(spec, schema, self.engine))
            if self.engine == "tsql":
                ix = render_create_index(spec, schema)
                if ix:
                    out.append(ix)
        return out

    def existing_columns(self) -> str:
        """(schema, table, column, character maximum length) of the live production tables (the
        length is -1 for NVARCHAR(MAX), NULL where it does not apply); params: the schema names."""
        schemas = sorted({self.raw_schema, self.ops_schema})
        marks = ", ".join("?" for _ in schemas)
        return (
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH "
            f"FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA IN ({marks})"
        )

    def existing_columns_params(self) -> list[str]:
        return sorted({self.raw_schema, self.ops_schema})

    def add_column(self, spec: TableSpec, col: Col) -> str:
        return render_add_column(spec, self.schema_of(spec), col, self.engine)

    def needs_widening(self, col: Col, live_length: int | None) -> bool:
        """SQL Server: a column the spec makes NVARCHAR(MAX) that an older table has as NVARCHAR(n)
        (names were NVARCHAR(1000) once). DuckDB's VARCHAR has no length."""
        return (
            self.engine == "tsql"
            and self.typ(col).endswith("(MAX)")
            and live_length is not None
            and int(live_length) != -1
        )

    def widen_column(self, spec: TableSpec, col: Col) -> str:
        """T-SQL: `ALTER COLUMN` to the spec's type, nullability kept (never on an index key: only
        name/text columns are MAX)."""
        null = "NULL" if col.nullable else "NOT NULL"
        return f"ALTER TABLE {self.ref(spec)} ALTER COLUMN {quote(col.name)} {self.typ(col)} {null}"

    def drop_table(self, ref: str) -> str:
        return f"DROP TABLE IF EXISTS {ref}"

    def create_staging(self, spec: TableSpec, board_id: str) -> str:
        name = staging_name(spec, board_id)
        if self.stages_in_temp:
            staged = TableSpec(name, "staging", spec.columns)
            columns = render_columns(staged, self.engine)
            return f"CREATE TEMP TABLE {self.staging_ref(spec, board_id)} ({columns})"
        return render_create_table(
            TableSpec(name, "staging", spec.columns), self.staging_schema, self.engine, if_not_exists=False
        )

    def drop_staging(self, board_id: str) -> list[str]:
        return [self.drop_table(self.staging_ref(spec, board_id)) for spec in STAGING_TABLES]

    def begin_load(self, board_id: str) -> list[str]:
        """Clear whatever an earlier, interrupted load of this board left, then create fresh staging."""
        return self.drop_staging(board_id) + [self.create_staging(s, board_id) for s in STAGING_TABLES]

    # --- bulk inserts -------------------------------------------------------------------------------
    @staticmethod
    def insert_values(ref: str, columns: Sequence[str]) -> str:
        cols = ", ".join(quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {ref} ({cols}) VALUES ({marks})"

    @staticmethod
    def insert_from_relation(ref: str, columns: Sequence[str], relation: str) -> str:
        """DuckDB: append a registered Arrow table (`relation`) by column name."""
        cols = ", ".join(quote(c) for c in columns)
        return f"INSERT INTO {ref} ({cols}) SELECT {cols} FROM {quote(relation)}"

    # --- validation counts (params noted per statement) -------------------------------------------
    def count_staged_items(self, board_id: str) -> str:
        """params: board_id -> rows, duplicate ids, missing required, foreign rows, max updated_at."""
        missing = " OR ".join(f"{quote(c)} IS NULL" for c in ITEM_REQUIRED)
        return (
            'SELECT COUNT(*), COUNT("item_id") - COUNT(DISTINCT "item_id"), '
            f"SUM(CASE WHEN {missing} THEN 1 ELSE 0 END), "
            'SUM(CASE WHEN "board_id" <> ? THEN 1 ELSE 0 END), '
            'MAX("updated_at") FROM ' + self.staging_ref(STAGING_ITEMS, board_id)
        )

    def count_staged_values(self, board_id: str) -> str:
        """params: board_id -> rows, missing required, foreign rows."""
        missing = " OR ".join(f"{quote(c)} IS NULL" for c in VALUE_REQUIRED)
        return (
            f"SELECT COUNT(*), SUM(CASE WHEN {missing} THEN 1 ELSE 0 END), "
            'SUM(CASE WHEN "board_id" IS NULL OR "board_id" <> ? THEN 1 ELSE 0 END) '
            "FROM " + self.staging_ref(STAGING_VALUES, board_id)
        )

    def count_duplicate_values(self, board_id: str) -> str:
        return (
            'SELECT COUNT(*) FROM (SELECT "item_id", "column_id" FROM '
            + self.staging_ref(STAGING_VALUES, board_id)
            + ' GROUP BY "item_id", "column_id" HAVING COUNT(*) > 1) AS d'
        )

    def count_orphan_values(self, board_id: str) -> str:
        sv = self.staging_ref(STAGING_VALUES, board_id)
        si = self.staging_ref(STAGING_ITEMS, board_id)
        return (
            f"SELECT COUNT(*) FROM {sv} AS v WHERE NOT EXISTS "
            f'(SELECT 1 FROM {si} AS i WHERE i."item_id" = v."item_id")'
        )

    def count_staged_quarantine(self, board_id: str) -> str:
        """params: board_id -> rows, foreign rows."""
        return (
            'SELECT COUNT(*), SUM(CASE WHEN "board_id" IS NULL OR "board_id" <> ? THEN 1 ELSE 0 END) '
            "FROM " + self.staging_ref(STAGING_QUARANTINE, board_id)
        )

    def count_active(self) -> str:
        """params: board_id, 'active'."""
        return f'SELECT COUNT(*) FROM {self.ref(RAW_ITEMS)} WHERE "board_id" = ? AND "state" = ?'

    def count_active_after_full(self, board_id: str) -> str:
        """params: 'active', 'active' -> staged active items that no state change takes out."""
        si = self.staging_ref(STAGING_ITEMS, board_id)
        sc = self.staging_ref(STAGING_CHANGES, board_id)
        return (
            f'SELECT COUNT(*) FROM {si} AS i WHERE i."state" = ? AND NOT EXISTS '
            f'(SELECT 1 FROM {sc} AS c WHERE c."item_id" = i."item_id" AND c."state" <> ?)'
        )

    def count_reported_deletions(self, board_id: str) -> str:
        """params: board_id, 'active', 'deleted' -> active items a reported state change marks deleted."""
        sc = self.staging_ref(STAGING_CHANGES, board_id)
        return (
            f'SELECT COUNT(*) FROM {self.ref(RAW_ITEMS)} WHERE "board_id" = ? AND "state" = ? '
            f'AND "item_id" IN (SELECT "item_id" FROM {sc} WHERE "state" = ?)'
        )

    def count_unreported_retirements(self, board_id: str) -> str:
        """FULL loads. params: board_id, 'active' -> active items `retire_unreported` would mark deleted."""
        si = self.staging_ref(STAGING_ITEMS, board_id)
        sc = self.staging_ref(STAGING_CHANGES, board_id)
        return (
            f'SELECT COUNT(*) FROM {self.ref(RAW_ITEMS)} AS p WHERE p."board_id" = ? AND p."state" = ? '
            f'AND NOT EXISTS (SELECT 1 FROM {si} AS i WHERE i."item_id" = p."item_id") '
            f'AND NOT EXISTS (SELECT 1 FROM {sc} AS c WHERE c."item_id" = p."item_id")'
        )

    # --- the swap (between BEGIN and COMMIT) --------------------------------------------------------
    def delete_staged(self, spec: TableSpec, board_id: str) -> str:
        """params: board_id. Removes the production rows of every staged item (items or values)."""
        return (
            f'DELETE FROM {self.ref(spec)} WHERE "board_id" = ? AND "item_id" IN '
            f'(SELECT "item_id" FROM {self.staging_ref(STAGING_ITEMS, board_id)})'
        )

    def insert_staged(self, spec: TableSpec, staging: TableSpec, board_id: str) -> str:
        """params: _partition_key, _run_id, _loaded_at."""
        fields = staging.column_names
        lineage = [spec.col(c) for c in LINEAGE]
        cols = ", ".join(quote(c) for c in (*fields, *LINEAGE))
        select = ", ".join([*(quote(c) for c in fields), *(self.cast_param(c) for c in lineage)])
        source = self.staging_ref(staging, board_id)
        return f"INSERT INTO {self.ref(spec)} ({cols}) SELECT {select} FROM {source}"

    def discard_stale_staged(self, board_id: str) -> list[str]:
        """CHANGES loads: drop staged items (and their values) that production already holds in a
        newer version, so a change read before a later one never overwrites it. params: board_id."""
        items, values = self.staging_ref(STAGING_ITEMS, board_id), self.staging_ref(STAGING_VALUES, board_id)
        stale = (
            f'SELECT s."item_id" FROM {items} AS s JOIN {self.ref(RAW_ITEMS)} AS r '
            'ON r."board_id" = ? AND r."item_id" = s."item_id" WHERE r."updated_at" > s."updated_at"'
        )
        return [
            f'DELETE FROM {values} WHERE "item_id" IN ({stale})',
            f'DELETE FROM {items} WHERE "item_id" IN ({stale})',
        ]

    def save_prior_states(self, board_id: str) -> str:
        """params: board_id. Production's state and `_state_changed_at` of every staged item, kept in
        staging before `delete_staged` removes those rows (`insert_staged_items` reads them)."""
        cols = ", ".join(quote(c) for c in STAGING_PRIOR.column_names)
        return (
            f"INSERT INTO {self.staging_ref(STAGING_PRIOR, board_id)} ({cols}) SELECT {cols} "
            f'FROM {self.ref(RAW_ITEMS)} WHERE "board_id" = ? AND "item_id" IN '
            f'(SELECT "item_id" FROM {self.staging_ref(STAGING_ITEMS, board_id)})'
        )

    def insert_staged_items(self, board_id: str) -> str:
        """The staged items with lineage; `_state_changed_at` is the load time when production had the
        item in another state (archived/deleted and now re-pulled active), else production's value
        (NULL for a new item). params: _partition_key, _run_id, _loaded_at, the load time."""
        fields = STAGING_ITEMS.column_names
        lineage = [RAW_ITEMS.col(c) for c in LINEAGE]
        cols = ", ".join(quote(c) for c in (*fields, *LINEAGE, STATE_CHANGED_AT.name))
        changed_at = quote(STATE_CHANGED_AT.name)
        select = ", ".join(
            [
                *(f"i.{quote(c)}" for c in fields),
                *(self.cast_param(c) for c in lineage),
                f'CASE WHEN p."item_id" IS NOT NULL AND p."state" <> i."state" '
                f"THEN {self.cast_param(STATE_CHANGED_AT)} ELSE p.{changed_at} END",
            ]
        )
        return (
            f"INSERT INTO {self.ref(RAW_ITEMS)} ({cols}) SELECT {select} "
            f"FROM {self.staging_ref(STAGING_ITEMS, board_id)} AS i "
            f'LEFT JOIN {self.staging_ref(STAGING_PRIOR, board_id)} AS p ON p."item_id" = i."item_id"'
        )

    def apply_state_change(self, board_id: str) -> str:
        """params: new state, new state, load time, _partition_key, _run_id, _loaded_at, board_id,
        state (of the changes). `_state_changed_at` moves only when the state really changes (SET
        expressions see the row as it was)."""
        return (
            f'UPDATE {self.ref(RAW_ITEMS)} SET "state" = ?, '
            f'"_state_changed_at" = CASE WHEN "state" <> ? THEN {self.cast_param(STATE_CHANGED_AT)} '
            'ELSE "_state_changed_at" END, "_partition_key" = ?, "_run_id" = ?, '
            '"_loaded_at" = ? WHERE "board_id" = ? AND "item_id" IN '
            f'(SELECT "item_id" FROM {self.staging_ref(STAGING_CHANGES, board_id)} WHERE "state" = ?)'
        )

    def retire_unreported(self, board_id: str) -> str:
        """FULL loads: an active item neither pulled nor reported gone is marked deleted.

        params: 'deleted', load time, _partition_key, _run_id, _loaded_at, board_id, 'active'. Staged
        item ids are validated NOT NULL first, so `NOT IN` is safe.
        """
        return (
            f'UPDATE {self.ref(RAW_ITEMS)} SET "state" = ?, "_state_changed_at" = ?, "_partition_key" = ?, '
            '"_run_id" = ?, "_loaded_at" = ? WHERE "board_id" = ? AND "state" = ? AND "item_id" NOT IN '
            f'(SELECT "item_id" FROM {self.staging_ref(STAGING_ITEMS, board_id)}) AND "item_id" NOT IN '
            f'(SELECT "item_id" FROM {self.staging_ref(STAGING_CHANGES, board_id)})'
        )

    def delete_board(self) -> str:
        """params: board_id."""
        return f'DELETE FROM {self.ref(RAW_BOARDS)} WHERE "board_id" = ?'

    def insert_board(self) -> str:
        return self.insert_values(self.ref(RAW_BOARDS), RAW_BOARDS.column_names)

    @staticmethod
    def partition_predicate(partition_key: str | None) -> str:
        """`= ?` (param: the key) or `IS NULL` (no param): NULL never equals NULL in SQL."""
        return '"_partition_key" IS NULL' if partition_key is None else '"_partition_key" = ?'

    def delete_columns_snapshot(self, partition_key: str | None) -> str:
        """params: board_id[, partition_key]."""
        return f'DELETE FROM {self.ref(RAW_COLUMNS)} WHERE "board_id" = ? AND ' + self.partition_predicate(
            partition_key
        )

    def delete_quarantine(self, board_id: str, partition_key: str | None, *, full: bool) -> str:
        """params: 'monday', board_id[, partition_key].

        FULL: the (board, partition) quarantine is replaced. INCREMENTAL: only the rows of the items
        this load touched (staged or quarantined again) and item-less rows are replaced.
        """
        sql = (
            f'DELETE FROM {self.ref(OPS_QUARANTINE)} WHERE "source" = ? AND "board_id" = ? AND '
            + self.partition_predicate(partition_key)
        )
        if not full:
            sql += (
                ' AND ("item_id" IS NULL OR "item_id" IN '
                f'(SELECT "item_id" FROM {self.staging_ref(STAGING_ITEMS, board_id)}) OR "item_id" IN '
                f'(SELECT "item_id" FROM {self.staging_ref(STAGING_QUARANTINE, board_id)}))'
            )
        return sql

    def insert_quarantine(self, board_id: str) -> str:
        """params: source, _partition_key, _run_id, quarantined_at."""
        spec = OPS_QUARANTINE
        cols = ", ".join(quote(c) for c in spec.column_names)
        select = ", ".join(
            [
                self.cast_param(spec.col("source")),
                *(quote(c) for c in QUARANTINE_FIELDS),
                self.cast_param(spec.col("_partition_key")),
                self.cast_param(spec.col("_run_id")),
                self.cast_param(spec.col("quarantined_at")),
            ]
        )
        return (
            f"INSERT INTO {self.ref(spec)} ({cols}) SELECT {select} "
            f"FROM {self.staging_ref(STAGING_QUARANTINE, board_id)}"
        )

    def select_sync_state(self) -> str:
        """params: source, board_id."""
        cols = ", ".join(quote(c) for c in OPS_SYNC_STATE.column_names)
        return f'SELECT {cols} FROM {self.ref(OPS_SYNC_STATE)} WHERE "source" = ? AND "board_id" = ?'

    def delete_sync_state(self) -> str:
        """params: source, board_id."""
        return f'DELETE FROM {self.ref(OPS_SYNC_STATE)} WHERE "source" = ? AND "board_id" = ?'

    def insert_sync_state(self) -> str:
        return self.insert_values(self.ref(OPS_SYNC_STATE), OPS_SYNC_STATE.column_names)

    # --- reads and the run log ---------------------------------------------------------------------
    def insert_run_log(self) -> str:
        return self.insert_values(self.ref(OPS_RUN_LOG), OPS_RUN_LOG.column_names)

    def active_item_ids(self) -> str:
        """params: board_id, 'active'."""
        return f'SELECT "item_id" FROM {self.ref(RAW_ITEMS)} WHERE "board_id" = ? AND "state" = ?'

    def count_staging(self, spec: TableSpec, board_id: str) -> str:
        return f"SELECT COUNT(*) FROM {self.staging_ref(spec, board_id)}"

    def list_staging_tables(self) -> str:
        """params: staging schema."""
        return "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?"

    def count_rows(self, spec: TableSpec) -> str:
        return f"SELECT COUNT(*) FROM {self.ref(spec)}"

    def select_all(self, spec: TableSpec) -> str:
        cols = ", ".join(quote(c) for c in spec.column_names)
        return f"SELECT {cols} FROM {self.ref(spec)}"

    # --- enumeration (for tests) -------------------------------------------------------------------
    def catalog(self, board_id: str = "1234567890") -> dict[str, str]:
        """Every statement this engine can issue, by a stable name (both partition-key variants)."""
        s: dict[str, str] = {"begin": BEGIN, "commit": COMMIT, "rollback": self.rollback}
        for i, sql in enumerate(self.session_setup):
            s[f"session_setup_{i}"] = sql
        s["schema_exists"] = self.schema_exists()
        for schema in self.schemas():
            s[f"create_schema:{schema}"] = self.create_schema(schema)
        for i, sql in enumerate(self.create_production_tables()):
            s[f"create_production_{i}"] = sql
        s["existing_columns"] = self.existing_columns()
        for spec in PRODUCTION_TABLES:
            for col in spec.columns:
                s[f"add_column:{spec.name}.{col.name}"] = self.add_column(spec, col)
                if self.engine == "tsql" and self.typ(col).endswith("(MAX)"):
                    s[f"widen_column:{spec.name}.{col.name}"] = self.widen_column(spec, col)
            s[f"count_rows:{spec.name}"] = self.count_rows(spec)
            s[f"select_all:{spec.name}"] = self.select_all(spec)
        for i, sql in enumerate(self.begin_load(board_id)):
            s[f"begin_load_{i}"] = sql
        for spec in STAGING_TABLES:
            ref = self.staging_ref(spec, board_id)
            s[f"stage_values:{spec.name}"] = self.insert_values(ref, spec.column_names)
            if self.engine == "duckdb":
                s[f"stage_arrow:{spec.name}"] = self.insert_from_relation(ref, spec.column_names, "page")
        s["insert_columns_snapshot"] = self.insert_values(self.ref(RAW_COLUMNS), RAW_COLUMNS.column_names)
        if self.engine == "duckdb":
            s["insert_columns_snapshot_arrow"] = self.insert_from_relation(
                self.ref(RAW_COLUMNS), RAW_COLUMNS.column_names, "page"
            )
        s["count_staged_items"] = self.count_staged_items(board_id)
        s["count_staged_values"] = self.count_staged_values(board_id)
        s["count_duplicate_values"] = self.count_duplicate_values(board_id)
        s["count_orphan_values"] = self.count_orphan_values(board_id)
        s["count_staged_quarantine"] = self.count_staged_quarantine(board_id)
        s["count_active"] = self.count_active()
        s["count_active_after_full"] = self.count_active_after_full(board_id)
        s["count_reported_deletions"] = self.count_reported_deletions(board_id)
        s["count_unreported_retirements"] = self.count_unreported_retirements(board_id)
        s["save_prior_states"] = self.save_prior_states(board_id)
        s["delete_staged_values"] = self.delete_staged(RAW_VALUES, board_id)
        s["delete_staged_items"] = self.delete_staged(RAW_ITEMS, board_id)
        s["insert_staged_items"] = self.insert_staged_items(board_id)
        s["insert_staged_values"] = self.insert_staged(RAW_VALUES, STAGING_VALUES, board_id)
        s["apply_state_change"] = self.apply_state_change(board_id)
        s["retire_unreported"] = self.retire_unreported(board_id)
        s["delete_board"] = self.delete_board()
        s["insert_board"] = self.insert_board()
        for pk in ("2024-01-05", None):
            tag = "null_partition" if pk is None else "partition"
            s[f"delete_columns_snapshot:{tag}"] = self.delete_columns_snapshot(pk)
            s[f"delete_quarantine_full:{tag}"] = self.delete_quarantine(board_id, pk, full=True)
            s[f"delete_quarantine_incremental:{tag}"] = self.delete_quarantine(board_id, pk, full=False)
        s["insert_quarantine"] = self.insert_quarantine(board_id)
        s["select_sync_state"] = self.select_sync_state()
        s["delete_sync_state"] = self.delete_sync_state()
        s["insert_sync_state"] = self.insert_sync_state()
        s["insert_run_log"] = self.insert_run_log()
        s["active_item_ids"] = self.active_item_ids()
        s["list_staging_tables"] = self.list_staging_tables()
        for spec in STAGING_TABLES:
            s[f"count_staging:{spec.name}"] = self.count_staging(spec, board_id)
        return s
