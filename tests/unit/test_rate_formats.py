"""Rates read the same in the CLI and in the checks' metadata: one helper, percentages for people."""

import dagster as dg

from customer_master.defs.shared import verdict_check_result
from customer_master.monitoring.formats import as_pct, percent
from customer_master.thresholds import Verdict


def test_a_rate_reads_as_a_percentage():
    assert percent(0.001563) == "0.16 %"
    assert percent(0.05) == "5.00 %"
    assert percent(0.5, digits=0) == "50 %"
    assert as_pct(0.001563) == 0.16


def test_a_rate_check_shows_its_value_and_threshold_in_percent():
    verdict = Verdict(True, "warn", 0.001563, 0.02, "orders: 0.16 % of values quarantined")
    result = verdict_check_result("record_error_rate", verdict, dg.AssetKey(["monday", "orders"]), rate=True)
    md = {k: v.value for k, v in result.metadata.items()}
    assert md["value_percent"] == "0.16 %"
    assert md["value"] == 0.16 and md["threshold"] == 2.0 and md["unit"] == "percent"
    # No fraction left for a person to misread.
    assert not {"value_pct", "threshold_pct"} & set(md)


def test_a_count_check_gets_no_percentages():
    verdict = Verdict(True, "error", 12, 0, "12 active records")
    result = verdict_check_result("records_extracted", verdict, dg.AssetKey(["monday", "orders"]))
    assert not {"unit", "value_percent"} & set(result.metadata)
    assert result.metadata["value"].value == 12
