"""The 02:00 schedule runs the day's partition of the whole pipeline."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from customer_master.definitions import defs
from customer_master.settings import get_settings

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)


def test_the_nightly_schedule_ticks_at_two_and_runs_that_days_partition():
    definitions = defs()
    schedule = definitions.resolve_schedule_def("nightly_pipeline_schedule")
    tz = ZoneInfo(get_settings().timezone)
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone in (None, get_settings().timezone)

    tick = dt.datetime(2026, 11, 23, 2, 0, tzinfo=tz)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        requests = list(schedule.evaluate_tick(context).run_requests or [])

    assert [r.partition_key for r in requests] == ["2026-11-23"]
    assert requests[0].job_name == "daily_pipeline_job"


def test_the_nightly_job_covers_every_board_and_the_dbt_models():
    job = defs().resolve_job_def("daily_pipeline_job")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"monday/customers", "monday/orders", "monday/capacity", "customer_master", "order_master"} <= keys
    assert job.partitions_def is not None
