"""Run the OMS source into the warehouse with dlt: `run_oms_load`. No dagster.

- Destination: the warehouse itself. Locally dlt's `duckdb` destination on the warehouse's own file
  (`duckdb_destination(settings.warehouse_path)`); in production dlt's `mssql` destination over the
  loader's ODBC connection string (`mssql_destination(CM_SQLSERVER_DSN)`, the driver bundled in
  mssql-python-odbc loaded by path, like `warehouse/sqlserver.py`). `destination_for(settings)` picks.
- dlt's raw tables (`orders`, `deletions`, `order_lines` and its own `_dlt_*` tables) live in their
  own dataset / schema, `oms_raw` by default: nothing dbt reads today. Every resource is `merge`d on
  its primary key, so a rerun is idempotent; the incremental cursors are dlt's pipeline state (in
  `pipeline_dir`, and restored from the destination when that folder is lost).
- `full_refresh=True` is dlt's `refresh="drop_resources"`: the raw tables and the cursors of the
  source are dropped and everything is pulled again (the drop happens in the load step, so a pull
  that fails leaves the raw tables as they were).
- While records stream through extraction each order is mapped to the order contract
  (`contract.ContractCollector`); the result carries the `ContractBatch` (rows + quarantine) for
  the contract tables, which are written by the caller (not here, yet).
- dlt's telemetry is switched off for the process (`switch_off_dlt_telemetry`: dlt's config alone
  comes too late) and its HTTP knobs are bounded for the run (`dlt_runtime_values`). A 401/403
  fails at once with `OmsAuthError`, naming OMS_API_TOKEN; any other failure is an `OmsLoadError`.
  Neither message, nor any dlt or urllib3 log record, carries the token: both pass through
  `Redactor`, and dlt's exception chain is suppressed (`from None`: its text could quote a request).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from customer_master.oms.config import BasicAuth, Http, OmsSource
from customer_master.oms.contract import ContractBatch, ContractCollector
from customer_master.oms.source import (
    DELETIONS,
    ORDER_LINES,
    ORDERS,
    TOKEN_VAR,
    USER_VAR,
    OmsConnection,
    build_source,
    line_parent_field,
)
from customer_master.redaction import Redactor, install_log_redaction

if TYPE_CHECKING:
    from customer_master.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_DATASET = "oms_raw"
# dlt logs on "dlt"; urllib3 logs request lines at DEBUG.
DLT_LOGGERS = ("dlt", "urllib3.connectionpool")
AUTH_STATUSES = (401, 403)

LoadMode = Literal["full", "incremental"]


class OmsLoadError(RuntimeError):
    """The OMS load failed; the message says where (never a secret)."""


class OmsAuthError(OmsLoadError):
    """The OMS refused the credentials (401/403); not retried."""


@dataclass(frozen=True, slots=True)
class OmsLoadResult:
    pipeline_name: str
    dataset: str
    mode: LoadMode
    # Orders the API returned this run (an incremental read re-reads its boundary records, which
    # dlt then de-duplicates: they count here, not in records_loaded, and map to identical rows).
    records_extracted: int
    records_loaded: int  # order rows written to the raw table by this run
    deletions_extracted: int
    lines_extracted: int
    contract: ContractBatch
    load_ids: tuple[str, ...]
    started_at: dt.datetime
    seconds: float

    @property
    def quarantined(self) -> int:
        return self.contract.quarantined

    @property
    def error_rate(self) -> float:
        return self.contract.error_rate

    def as_metadata(self) -> dict[str, object]:
        """Flat, JSON-friendly numbers for run metadata (the Monday assets' names where they agree)."""
        return {
            "pipeline": self.pipeline_name,
            "dataset": self.dataset,
            "mode": self.mode,
            "records_extracted": self.records_extracted,
            "records_loaded": self.records_loaded,
            "deletions_extracted": self.deletions_extracted,
            "lines_extracted": self.lines_extracted,
            "contract_rows": len(self.contract.rows),
            "values": self.contract.values,
            "quarantined": self.quarantined,
            "error_rate": self.error_rate,
            "load_ids": list(self.load_ids),
            "seconds": round(self.seconds, 3),
        }


# --- destinations ----------------------------------------------------------------------------------


def duckdb_destination(path: str | Path) -> Any:
    """dlt's duckdb destination on the warehouse file (the same file the warehouse and dbt use)."""
    from dlt.destinations import duckdb

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return duckdb(credentials=str(path))


def mssql_destination(dsn: str) -> Any:
    """dlt's mssql destination over the loader's ODBC connection string (`CM_SQLSERVER_DSN`)."""
    from dlt.destinations import mssql

    from customer_master.oms.mssql import odbc_dsn_credentials

    return mssql(credentials=odbc_dsn_credentials(dsn))


def destination_for(settings: Settings) -> Any:
    """The warehouse of these settings as a dlt destination."""
    if settings.warehouse_kind == "duckdb":
        return duckdb_destination(settings.warehouse_path)
    dsn = settings.secrets.sqlserver_dsn
    if dsn is None:
        raise OmsLoadError("the SQL Server warehouse needs an ODBC connection string (CM_SQLSERVER_DSN)")
    return mssql_destination(dsn.get_secret_value())


def connection_from_settings(source: OmsSource, settings: Settings) -> OmsConnection:
    token = settings.secrets.oms_api_token
    return OmsConnection.resolve(
        source,
        api_url=settings.oms_api_url,
        token=token.get_secret_value() if token is not None else None,
        username=settings.oms_api_user,
    )


# --- dlt runtime -------------------------------------------------------------------------------------


def dlt_runtime_values(http: Http) -> dict[str, Any]:
    """dlt's runtime settings for one run: no telemetry (no network but the OMS and the warehouse),
    bounded HTTP (also for any client dlt makes on its own), no response bodies in errors."""
    return {
        "runtime.dlthub_telemetry": False,
        "runtime.request_timeout": http.timeout_seconds,
        "runtime.request_max_attempts": http.max_attempts,
        "runtime.request_backoff_factor": http.backoff_factor,
        "runtime.request_max_retry_delay": http.max_retry_delay_seconds,
        "runtime.http_show_error_body": False,
    }


def switch_off_dlt_telemetry() -> None:
    """No anonymous usage events from dlt, whatever its config files say: this platform talks to the
    OMS and the warehouse only. dlt resolves its runtime settings once per process (often before our
    config applies) and starts telemetry once: mark it started with nothing to send, or stop the
    tracker if something started it already. Call it before any dlt pipeline is created (the
    Dagster wiring too); idempotent."""
    from dlt.common.configuration.specs import RuntimeConfiguration
    from dlt.common.runtime import anon_tracker, telemetry

    if telemetry.is_telemetry_started():
        anon_tracker.disable_anon_tracker()
        return
    quiet = RuntimeConfiguration()
    quiet.dlthub_telemetry = False
    telemetry.start_telemetry(quiet)


@contextmanager
def dlt_runtime(http: Http) -> Iterator[None]:
    """dlt's runtime settings for one run (`dlt_runtime_values`), telemetry switched off."""
    import dlt

    switch_off_dlt_telemetry()
    with dlt.config.values(dlt_runtime_values(http)):
        yield


def pipeline_name(source: OmsSource) -> str:
    return f"oms_{source.name}"


# --- failures ------------------------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _http_status(exc: BaseException) -> tuple[int, str] | None:
    """(status, sanitized URL) of the first HTTP error response in the exception chain."""
    from dlt.sources.helpers.rest_client.redaction import sanitize_url

    for cause in _causes(exc):
        response = getattr(cause, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return status, sanitize_url(str(getattr(response, "url", "") or ""))
    return None


def _failure(source: OmsSource, exc: BaseException, redact: Redactor) -> OmsLoadError:
    http = _http_status(exc)
    if http is not None and http[0] in AUTH_STATUSES:
        status, url = http
        names = f"{TOKEN_VAR} (and {USER_VAR})" if isinstance(source.auth, BasicAuth) else TOKEN_VAR
        return OmsAuthError(
            redact(
                f"the OMS refused the credentials: HTTP {status} from {url}. Check {names}: "
                f"{'a wrong or expired token' if status == 401 else 'a token without access to orders'} "
                "(not retried)"
            )
        )
    innermost = list(_causes(exc))[-1]
    detail = f"{type(innermost).__name__}: {innermost}"
    return OmsLoadError(redact(f"the OMS load ({pipeline_name(source)}) failed: {detail}"))


# --- the load ----------------------------------------------------------------------------------------


class ContractWorker:
    """The contract mapping beside the extraction, on a thread of its own: records are queued as
    they stream past and mapped while the extraction waits for the next page, so the mapping
    (a third of the client's time per page) is off the pull's critical path. The queue is bounded,
    so a mapping that falls behind slows the pull instead of holding the records in memory."""

    QUEUE_RECORDS = 2_000

    def __init__(self, collector: ContractCollector) -> None:
        self.collector = collector
        self._queue: queue.Queue[tuple[str, Any, Any] | None] = queue.Queue(maxsize=self.QUEUE_RECORDS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="oms-contract", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the producer must never block on a dead consumer
            kind, key, record = item
            try:
                if kind == ORDERS:
                    self.collector.add_order(record)
                elif kind == DELETIONS:
                    self.collector.add_deletion(record)
                else:
                    self.collector.add_line(key, record)
            except BaseException as exc:  # re-raised by finish(), in the load's thread
                self._error = exc

    def add_order(self, record: Any) -> None:
        self._queue.put((ORDERS, None, record))

    def add_deletion(self, event: Any) -> None:
        self._queue.put((DELETIONS, None, event))

    def add_line(self, order_id: Any, line: Any) -> None:
        self._queue.put((ORDER_LINES, order_id, line))

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self) -> ContractBatch:
        self.stop()
        if self._error is not None:
            raise self._error
        return self.collector.finish()


def _tap(source: Any, collector: ContractWorker, oms: OmsSource) -> dict[str, int]:
    """Map every record to the contract as it streams past (records pass through unchanged)."""
    counts = {ORDERS: 0, DELETIONS: 0, ORDER_LINES: 0}

    def orders(record: Any) -> Any:
        counts[ORDERS] += 1
        collector.add_order(record)
        return record

    def deletions(event: Any) -> Any:
        counts[DELETIONS] += 1
        collector.add_deletion(event)
        return event

    resources = source.resources
    resources[ORDERS].add_map(orders)
    if DELETIONS in resources:
        resources[DELETIONS].add_map(deletions)
    if ORDER_LINES in resources and oms.order_lines is not None:
        parent_field = line_parent_field(oms.order_lines)[1]

        def lines(line: Any) -> Any:
            counts[ORDER_LINES] += 1
            collector.add_line(line.get(parent_field) if isinstance(line, dict) else None, line)
            return line

        resources[ORDER_LINES].add_map(lines)
    return counts


def _rows_loaded(pipeline: Any, table: str) -> int:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace is not None else None
    return int(info.row_counts.get(table, 0)) if info is not None else 0


class OmsRun:
    """One OMS load, set up for whoever drives dlt: `run_oms_load` calls `pipeline.run` itself, the
    Dagster assets hand the same pipeline and source to dagster-dlt's `DagsterDltResource.run`.

    `with OmsRun(...) as load:` applies dlt's bounded runtime settings, installs the log redaction,
    creates the pipeline and the source (every record mapped to the contract as it streams), and
    turns any failure inside the block into `OmsAuthError` / `OmsLoadError` (redacted, dlt's chain
    suppressed). `load.run_kwargs` are `pipeline.run`'s keyword arguments for the mode; after the
    block, `load.result()` is the `OmsLoadResult`.
    """

    def __init__(
        self,
        config: OmsSource,
        *,
        destination: Any,
        dataset: str = DEFAULT_DATASET,
        pipeline_dir: str | Path,
        full_refresh: bool = False,
        connection: OmsConnection | None = None,
    ) -> None:
        if connection is None:
            from customer_master.settings import get_settings

            connection = connection_from_settings(config, get_settings())
        self.config = config
        self.destination = destination
        self.dataset = dataset
        self.pipeline_dir = Path(pipeline_dir)
        self.connection = connection
        self.mode: LoadMode = "full" if full_refresh else "incremental"
        self.name = pipeline_name(config)
        self.redact = Redactor(*connection.secrets)
        self.collector = ContractCollector(config)
        self._worker: ContractWorker | None = None
        self.counts: dict[str, int] = {}
        self.pipeline: Any = None
        self.source: Any = None
        self._runtime: contextlib.ExitStack | None = None
        self._started = 0.0
        self._started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    @property
    def run_kwargs(self) -> dict[str, Any]:
        """`pipeline.run`'s (and `extract`'s) keyword arguments for this load.

        A full refresh drops the source's raw tables and cursors in the load step (dlt's
        `refresh="drop_resources"`), so a pull that fails leaves them as they were. Into DuckDB the
        load files are Parquet: dlt's default there, SQL `INSERT ... VALUES` files of up to 16 MiB
        per statement, loaded ~1,000 rows/s and peaked at 2.5 GiB for 20,000 orders (bench_oms)."""
        kwargs: dict[str, Any] = {"refresh": "drop_resources"} if self.mode == "full" else {}
        if str(getattr(self.destination, "destination_type", "")).endswith(".duckdb"):
            kwargs["loader_file_format"] = "parquet"
        return kwargs

    def __enter__(self) -> OmsRun:
        import dlt

        install_log_redaction(self.redact, DLT_LOGGERS)
        self._started = time.monotonic()
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(dlt_runtime(self.config.http))
            self.pipeline = dlt.pipeline(
                pipeline_name=self.name,
                pipelines_dir=str(self.pipeline_dir),
                destination=self.destination,
                dataset_name=self.dataset,
            )
            self.source = build_source(self.config, self.connection)
            self._worker = ContractWorker(self.collector)
            self.counts = _tap(self.source, self._worker, self.config)
        except Exception as exc:
            if self._worker is not None:
                self._worker.stop()
            stack.close()
            raise _failure(self.config, exc, self.redact) from None
        self._runtime = stack
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None and self._worker is not None:
            self._worker.stop()
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        if isinstance(exc, Exception) and not isinstance(exc, OmsLoadError):
            raise _failure(self.config, exc, self.redact) from None

    def _contract(self) -> ContractBatch:
        """Every record mapped (the worker drained), then the batch."""
        if self._worker is None:
            return self.collector.finish()
        return self._worker.finish()

    def result(self) -> OmsLoadResult:
        trace = self.pipeline.last_trace if self.pipeline is not None else None
        load_info = trace.last_load_info if trace is not None else None
        result = OmsLoadResult(
            pipeline_name=self.name,
            dataset=self.dataset,
            mode=self.mode,
            records_extracted=self.counts.get(ORDERS, 0),
            records_loaded=_rows_loaded(self.pipeline, ORDERS) if self.pipeline is not None else 0,
            deletions_extracted=self.counts.get(DELETIONS, 0),
            lines_extracted=self.counts.get(ORDER_LINES, 0),
            contract=self._contract(),
            load_ids=tuple(load_info.loads_ids) if load_info is not None else (),
            started_at=self._started_at,
            seconds=time.monotonic() - self._started,
        )
        log.info(
            "OMS %s load (%s): %d orders extracted, %d loaded, %d values quarantined",
            result.mode,
            result.pipeline_name,
            result.records_extracted,
            result.records_loaded,
            result.quarantined,
        )
        return result


def run_oms_load(
    config: OmsSource,
    *,
    destination: Any,
    dataset: str = DEFAULT_DATASET,
    pipeline_dir: str | Path,
    full_refresh: bool = False,
    connection: OmsConnection | None = None,
) -> OmsLoadResult:
    """Pull the OMS into `dataset` of `destination` (a dlt destination: `duckdb_destination`,
    `mssql_destination`, `destination_for`) and map its orders to the contract.

    Incremental after the first run (dlt's cursor state in `pipeline_dir`); `full_refresh` drops
    the raw tables and cursors and pulls everything. Raises `OmsAuthError` on 401/403 and
    `OmsLoadError` on any other failure; the raw tables are then as the last successful run left
    them, and the next run starts from the last committed cursor. `connection`: by default from
    the settings (OMS_API_URL, OMS_API_TOKEN, OMS_API_USER).
    """
    load = OmsRun(
        config,
        destination=destination,
        dataset=dataset,
        pipeline_dir=pipeline_dir,
        full_refresh=full_refresh,
        connection=connection,
    )
    with load:
        load.pipeline.run(load.source, **load.run_kwargs)
    return load.result()
