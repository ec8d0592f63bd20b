"""Alert builders, number formatting and the Slack payload (pure: no HTTP, no dagster)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from customer_master.alerts import (
    Alert,
    DailyDigest,
    check_failure_alert,
    daily_digest_alert,
    fmt_count,
    fmt_duration,
    fmt_pct,
    freshness_alert,
    freshness_needs_alert,
    render_slack_payload,
    run_duration_alert,
    run_failure_alert,
)
from customer_master.alerts.models import FailedCheck
from customer_master.alerts.slack import (
    HEADER_MAX_CHARS,
    MAX_DETAIL_LINES,
    SECTION_MAX_CHARS,
    SlackNotifier,
)
from customer_master.redaction import Redactor
from customer_master.retry import parse_retry_after
from customer_master.thresholds import AlertThresholds
from customer_master.warehouse.base import LoadValidationError
from customer_master.warehouse.validation import LoadRules, StagingCounts, validate_load

UI = "http://dagster.example.internal:3000"
RUN_ID = "3f2a9c1e-7b4d-4e8a-9c2f-1d2e3f4a5b6c"


def _blocks(payload: dict, kind: str) -> list[dict]:
    return [b for b in payload["blocks"] if b["type"] == kind]


def _section_texts(payload: dict) -> list[str]:
    return [b["text"]["text"] for b in _blocks(payload, "section") if "text" in b]


def _fields(payload: dict) -> dict[str, str]:
    out = {}
    for block in _blocks(payload, "section"):
        for f in block.get("fields", []):
            label, value = f["text"].split("\n", 1)
            out[label.strip("*")] = value
    return out


def _context(payload: dict) -> str:
    (context,) = _blocks(payload, "context")
    return " ".join(e["text"] for e in context["elements"])


# ------------------------------------------------------------------------------------------
# Formatting


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.0408, "4.08 %"),
        (0.02, "2 %"),
        (0.95, "95 %"),
        (0.955, "95.5 %"),
        (0.0, "0 %"),
        (1.0, "100 %"),
        (0.00004, "0 %"),
        (None, "n/a"),
    ],
)
def test_fmt_pct_shows_at_most_two_decimals_without_trailing_zeros(fraction, text):
    assert fmt_pct(fraction) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (7830, "2 h 10 min"),
        (3600, "1 h"),
        (7980, "2 h 13 min"),
        (330, "5 min 30 s"),
        (300, "5 min"),
        (59.9, "59 s"),
        (0, "0 s"),
        (-5, "0 s"),
        (90061, "1 d 1 h"),
        (None, "n/a"),
    ],
)
def test_fmt_duration_uses_two_units_and_never_rounds_up(seconds, text):
    assert fmt_duration(seconds) == text


def test_fmt_count_groups_thousands():
    assert fmt_count(1234567) == "1,234,567"
    assert fmt_count(None) == "n/a"


# ------------------------------------------------------------------------------------------
# The Alert model


def test_alert_drops_empty_where_values_and_is_frozen():
    alert = Alert(
        kind="run_failure",
        severity="critical",
        title="t",
        what="w",
        where={"job": "nightly", "asset": "", "partition": None},
    )
    assert alert.where == {"job": "nightly"}
    with pytest.raises(AttributeError):
        alert.title = "other"  # type: ignore[misc]


def test_alert_rejects_unknown_kind_and_severity():
    with pytest.raises(ValueError, match="kind"):
        Alert(kind="oops", severity="warn", title="t", what="w")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="severity"):
        Alert(kind="digest", severity="fatal", title="t", what="w")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Builders


def test_run_failure_names_job_partition_steps_and_error():
    alert = run_failure_alert(
        "nightly_job", RUN_ID, "2026-11-01", ["monday__orders"], "KeyError: 'board'\n  at x"
    )
    assert (alert.kind, alert.severity) == ("run_failure", "critical")
    assert alert.title == "Run failed: nightly_job (2026-11-01)"
    assert (
        alert.what
        == "Run 3f2a9c1e of job nightly_job for partition 2026-11-01 failed in step monday__orders."
    )
    assert alert.where == {"job": "nightly_job", "partition": "2026-11-01", "step": "monday__orders"}
    assert alert.details == ["Error: KeyError: 'board' at x"]
    assert alert.run_id == RUN_ID and alert.dedupe_key == f"run_failure:{RUN_ID}"


def test_run_failure_with_many_steps_lists_them_and_cuts_a_long_error():
    steps = [f"step_{i}" for i in range(5)]
    alert = run_failure_alert("job", RUN_ID, None, steps, "x" * 5000)
    assert alert.what.endswith("failed in steps step_0, step_1, step_2 and 2 more.")
    assert "partition" not in alert.where and "step" not in alert.where
    assert len(alert.details[0]) <= len("Error: ") + 500
    assert alert.details[1:] == [f"Failed step: {s}" for s in steps]


def test_a_mass_deletion_failure_reaches_slack_with_its_rule_and_override():
    # A full pull of a 1,977-item board that served a quarter of it: both guards on losing items
    # fail; the mass-deletion one comes first, so the 500-character cut keeps rule and override.
    counts = StagingCounts(
        board_id="7000000002",
        mode="full",
        items=494,
        values=5434,
        active_before=1977,
        active_after=494,
        unreported_retired=1483,
    )
    with pytest.raises(LoadValidationError) as err:
        validate_load(counts, LoadRules())
    error = f"{type(err.value).__name__}: {err.value}"

    alert = run_failure_alert("daily_pipeline_job", RUN_ID, "2026-11-04", ["monday__orders"], error)
    text = " ".join(_section_texts(render_slack_payload(alert, ui_base_url=UI)))

    assert "board 7000000002" in text and "mass_deletion" in text
    assert "1483 of 1977 active items (75 %)" in text
    assert "run config force: true" in text


def test_check_failure_carries_value_threshold_and_location():
    alert = check_failure_alert(
        "monday/orders",
        "record_error_rate",
        "2026-11-01",
        "critical",
        "6.1 %",
        "> 5 %",
        "6.1 % of order values could not be parsed.",
        RUN_ID,
    )
    assert (alert.kind, alert.severity) == ("check_failure", "critical")
    assert alert.title == "Check failed: record_error_rate on monday/orders"
    assert alert.where == {"asset": "monday/orders", "partition": "2026-11-01", "check": "record_error_rate"}
    assert (alert.value, alert.threshold) == ("6.1 %", "> 5 %")
    blank = check_failure_alert("a", "c", None, "warn", None, None, "  ", None)
    assert blank.what == "Asset check c on a failed." and blank.severity == "warn"


@pytest.mark.parametrize(
    ("state", "kind", "severity"),
    [("warn", "freshness", "warn"), ("fail", "freshness", "critical"), ("pass", "recovery", "info")],
)
def test_freshness_severity_follows_the_state(state, kind, severity):
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    alert = freshness_alert(
        "customer_master",
        state,
        "warn" if state == "pass" else "pass",
        now - dt.timedelta(hours=2, minutes=13),
        "1 h",
        now,
    )
    assert (alert.kind, alert.severity) == (kind, severity)
    assert "last updated 2 h 13 min ago, limit 1 h" in alert.what
    assert alert.threshold == "1 h" and alert.value == "2 h 13 min since last update"
    assert alert.dedupe_key == f"freshness:customer_master:{state}"


def test_freshness_recovery_says_fresh_again_and_what_it_was():
    now = dt.datetime(2026, 11, 1, 12, 0)
    alert = freshness_alert(
        "order_master", "pass", "fail", dt.datetime(2026, 11, 1, 11, 59, 50, tzinfo=dt.UTC), "30 s", now
    )  # naive `now` is read as UTC
    assert alert.title == "Fresh again: order_master"
    assert alert.what == "order_master is fresh again (was fail): last updated 10 s ago, limit 30 s."


def test_freshness_without_any_update_says_so():
    alert = freshness_alert(
        "customer_master", "fail", None, None, "1 h", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    assert "never updated" in alert.what and alert.value == "no update recorded"


@pytest.mark.parametrize(
    ("previous", "state", "alert"),
    [
        (None, "pass", False),
        (None, "warn", True),
        (None, "fail", True),
        ("pass", "pass", False),
        ("pass", "warn", True),
        ("warn", "warn", False),
        ("warn", "fail", True),
        ("fail", "fail", False),
        ("fail", "warn", True),
        ("warn", "pass", True),
        ("fail", "pass", True),
    ],
)
def test_freshness_alerts_once_per_transition_and_on_recovery(previous, state, alert):
    assert freshness_needs_alert(previous, state) is alert


@pytest.mark.parametrize(("elapsed", "level"), [(301, "warn"), (601, "critical")])
def test_run_duration_quotes_the_business_thresholds(elapsed, level):
    limits = AlertThresholds()
    alert = run_duration_alert(
        "nightly_job",
        RUN_ID,
        "2026-11-01",
        elapsed,
        level,
        limits.run_duration_warn_seconds,
        limits.run_duration_critical_seconds,
    )
    assert (alert.kind, alert.severity) == ("run_duration", level)
    limit = "5 min" if level == "warn" else "10 min"
    assert alert.threshold == f"> {limit}" and alert.value == fmt_duration(elapsed)
    assert f"over the {level} limit of {limit}" in alert.what
    assert alert.details == ["Limits: warn > 5 min, critical > 10 min"]


def _digest(**changes) -> DailyDigest:
    base = dict(
        run_id=RUN_ID,
        job="nightly_job",
        partition="2026-11-01",
        status="SUCCESS",
        duration_seconds=192,
        records=12345,
        error_rate=0.0012,
        orders_planned=480,
        late=12,
        unschedulable=3,
        peak_utilization=0.975,
        failed_checks=[],
        issues=[],
    )
    base.update(changes)
    return DailyDigest(**base)


def test_digest_of_a_clean_run_is_info_with_every_figure():
    alert = daily_digest_alert(_digest())
    assert (alert.kind, alert.severity) == ("digest", "info")
    assert alert.title == "Daily digest for 2026-11-01: nightly_job succeeded"
    assert alert.what == "The run of nightly_job for 2026-11-01 succeeded in 3 min 12 s."
    assert alert.details == [
        "Records extracted: 12,345",
        "Record error rate: 0.12 %",
        "Orders planned: 480 · late: 12 · unschedulable: 3",
        "Peak capacity utilization: 97.5 %",
    ]


def test_digest_with_only_warn_checks_failed_is_warn_and_lists_them():
    alert = daily_digest_alert(
        _digest(
            failed_checks=[
                FailedCheck("delivery_plan/capacity_utilization", "warn", "96 % two days running"),
                FailedCheck("customer_master/coverage", "warn"),
            ],
            issues=["OMS answered slowly"],
            error_rate=None,
            records=None,
        )
    )
    assert alert.severity == "warn"
    assert alert.what.endswith("succeeded in 3 min 12 s with 2 warn failed checks.")
    assert alert.details[-3:] == [
        "Failed check (warn) customer_master/coverage",
        "Failed check (warn) delivery_plan/capacity_utilization: 96 % two days running",
        "OMS answered slowly",
    ]
    assert not any(d.startswith(("Records", "Record error")) for d in alert.details)


def test_a_critical_check_makes_the_digest_critical_and_the_headline_counts_the_list():
    # Issue 11: "[warn] ... 5 failed checks" over a list of 1 FAIL and 2 WARN. A check evaluated
    # twice is one check; a failed critical check makes the whole digest critical.
    backlog = FailedCheck("delivery_plan/unscheduled_backlog", "critical", "132 orders (critical above 100)")
    nulls = FailedCheck("customer_master/customer_name_nulls", "warn", "60 customers without a name")
    coverage = FailedCheck("customer_master/field_coverage", "warn", "email 85 %")
    alert = daily_digest_alert(_digest(failed_checks=[backlog, nulls, coverage, backlog, nulls]))

    assert alert.severity == "critical"
    assert alert.what.endswith("succeeded in 3 min 12 s with 1 critical and 2 warn failed checks.")
    listed = [d for d in alert.details if d.startswith("Failed check")]
    assert listed == [
        "Failed check (critical) delivery_plan/unscheduled_backlog: 132 orders (critical above 100)",
        "Failed check (warn) customer_master/customer_name_nulls: 60 customers without a name",
        "Failed check (warn) customer_master/field_coverage: email 85 %",
    ]
    assert render_slack_payload(alert, ui_base_url=UI)["text"].startswith(":red_circle:")


def test_digest_of_a_failed_run_is_critical():
    alert = daily_digest_alert(_digest(status="FAILURE", failed_checks=[FailedCheck("x/y", "warn", "z")]))
    assert alert.severity == "critical"
    assert alert.title.endswith("nightly_job failure")
    assert alert.what == (
        "The run of nightly_job for 2026-11-01 did not succeed (status failure) after 3 min 12 s, "
        "with 1 warn failed check."
    )
    assert alert.details[-1] == "Failed check (warn) x/y: z"


def test_a_failed_check_needs_a_known_severity():
    with pytest.raises(ValueError, match="severity"):
        FailedCheck("x/y", "error")


# ------------------------------------------------------------------------------------------
# Slack payload


def test_payload_has_fallback_text_header_fields_value_and_run_link():
    alert = check_failure_alert(
        "monday/orders",
        "record_error_rate",
        "2026-11-01",
        "critical",
        "4.08 %",
        "> 1 %",
        "Too many order values could not be parsed.",
        RUN_ID,
    )
    payload = render_slack_payload(alert, ui_base_url=UI + "/")
    assert payload["text"] == ":red_circle: Check failed: record_error_rate on monday/orders"
    (header,) = _blocks(payload, "header")
    assert header["text"] == {
        "type": "plain_text",
        "emoji": True,
        "text": ":red_circle: Check failed: record_error_rate on monday/orders",
    }
    body = _section_texts(payload)[0]
    assert body.startswith("Too many order values could not be parsed.\n")
    assert "*Value:* 4.08 % (threshold &gt; 1 %)" in body
    assert _fields(payload) == {
        "Asset": "monday/orders",
        "Partition": "2026-11-01",
        "Check": "record_error_rate",
    }
    # trailing slash of the base URL stripped
    assert f"<{UI}/runs/{RUN_ID}|View run 3f2a9c1e>" in _context(payload)
    assert all(f["type"] == "mrkdwn" for b in _blocks(payload, "section") for f in b.get("fields", []))


@pytest.mark.parametrize(
    ("severity", "kind", "emoji"),
    [
        ("critical", "run_failure", ":red_circle:"),
        ("warn", "freshness", ":large_yellow_circle:"),
        ("info", "digest", ":white_check_mark:"),
        ("info", "recovery", ":white_check_mark:"),
    ],
)
def test_severity_marker(severity, kind, emoji):
    payload = render_slack_payload(
        Alert(kind=kind, severity=severity, title="T", what="W."), ui_base_url=None
    )
    assert payload["text"] == f"{emoji} T"
    assert _blocks(payload, "header")[0]["text"]["text"] == f"{emoji} T"


def test_no_link_without_base_url_or_run_id():
    with_run = Alert(kind="run_failure", severity="critical", title="T", what="W.", run_id=RUN_ID)
    assert "<" not in _context(render_slack_payload(with_run, ui_base_url=None))
    assert f"Run {RUN_ID}" in _context(render_slack_payload(with_run, ui_base_url=""))
    without_run = Alert(kind="digest", severity="info", title="T", what="W.")
    assert "View run" not in json.dumps(render_slack_payload(without_run, ui_base_url=UI))


def test_value_line_only_with_what_is_known():
    only_value = render_slack_payload(
        Alert(kind="digest", severity="info", title="T", what="W.", value="3"), ui_base_url=None
    )
    assert _section_texts(only_value)[0] == "W.\n*Value:* 3"
    neither = render_slack_payload(
        Alert(kind="digest", severity="info", title="T", what="W."), ui_base_url=None
    )
    assert _section_texts(neither)[0] == "W."
    assert not any("fields" in b for b in _blocks(neither, "section"))


def test_user_text_is_escaped_everywhere_it_is_mrkdwn():
    alert = Alert(
        kind="check_failure",
        severity="warn",
        title="A & B <!channel>",
        what="Name <@U123> & co > 5",
        where={"asset": "x<y>&z"},
        value="<1>",
        threshold="> 2 %",
        details=["<https://evil.example|click>"],
        run_id="a&b<c>",
    )
    payload = render_slack_payload(alert, ui_base_url=UI)
    assert payload["text"] == ":large_yellow_circle: A &amp; B &lt;!channel&gt;"
    body, details = _section_texts(payload)
    assert body == "Name &lt;@U123&gt; &amp; co &gt; 5\n*Value:* &lt;1&gt; (threshold &gt; 2 %)"
    assert _fields(payload)["Asset"] == "x&lt;y&gt;&amp;z"
    assert details == "• &lt;https://evil.example|click&gt;"
    assert f"<{UI}/runs/a%26b%3Cc%3E|View run a&amp;b&lt;c&gt;>" in _context(payload)
    # plain_text is never parsed (no mentions, no links), so the header shows the title as written
    assert _blocks(payload, "header")[0]["text"]["text"] == ":large_yellow_circle: A & B <!channel>"
    mrkdwn = [payload["text"], *_section_texts(payload), *_fields(payload).values(), _context(payload)]
    assert not any("<!channel>" in t or "<@U123>" in t or "<https://evil" in t for t in mrkdwn)


def test_long_details_are_truncated_with_a_count_of_what_is_left():
    details = [f"late order {i}" for i in range(40)]
    payload = render_slack_payload(
        Alert(kind="digest", severity="warn", title="T", what="W.", details=details), ui_base_url=None
    )
    lines = _section_texts(payload)[1].split("\n")
    assert lines[:MAX_DETAIL_LINES] == [f"• late order {i}" for i in range(MAX_DETAIL_LINES)]
    assert lines[-1] == f"… and {40 - MAX_DETAIL_LINES} more"


def test_huge_texts_stay_within_slack_block_limits():
    alert = Alert(
        kind="run_failure",
        severity="critical",
        title="T" * 1000,
        what="w" * 10000,
        where={f"k{i}": "v" * 5000 for i in range(20)},
        value="1",
        threshold="2",
        details=["&" * 2000 for _ in range(10)],
        run_id=RUN_ID,
    )
    payload = render_slack_payload(alert, ui_base_url=UI)
    assert len(_blocks(payload, "header")[0]["text"]["text"]) <= HEADER_MAX_CHARS
    assert all(len(t) <= SECTION_MAX_CHARS for t in _section_texts(payload))
    fields = [f for b in _blocks(payload, "section") for f in b.get("fields", [])]
    assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)
    assert _section_texts(payload)[1].endswith("more")
    assert len(payload["text"]) <= 4000 and len(payload["blocks"]) <= 50


def test_every_builder_renders_to_json():
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    alerts = [
        run_failure_alert("j", RUN_ID, "2026-11-01", ["s"], "boom"),
        check_failure_alert("a", "c", "p", "warn", "1", "> 0", "d.", RUN_ID),
        freshness_alert("a", "fail", "warn", now - dt.timedelta(hours=3), "1 h", now),
        run_duration_alert("j", RUN_ID, None, 700, "critical", 300, 600),
        daily_digest_alert(_digest()),
    ]
    for alert in alerts:
        payload = render_slack_payload(alert, ui_base_url=UI)
        assert json.loads(json.dumps(payload)) == payload
        assert payload["blocks"][0]["type"] == "header" and payload["blocks"][-1]["type"] == "context"


# ------------------------------------------------------------------------------------------
# Delivery helpers (pure parts)


def test_scrub_replaces_the_url_its_path_and_its_token():
    url = "https://hooks.example.invalid/services/T000/B000/XXXXSECRETXXXX"
    notifier = SlackNotifier(url)
    message = f"ConnectError for url '{url}' (POST /services/T000/B000/XXXXSECRETXXXX), token XXXXSECRETXXXX"
    cleaned = notifier._scrub(message)
    assert "XXXXSECRETXXXX" not in cleaned and "/services/" not in cleaned
    assert cleaned == "ConnectError for url '<webhook>' (POST <webhook>), token <webhook>"
    assert Redactor()("nothing to hide") == "nothing to hide"


def test_notifier_repr_never_shows_the_url():
    url = "https://hooks.example.invalid/services/T000/B000/XXXXSECRETXXXX"
    notifier = SlackNotifier(url, ui_base_url=UI)
    assert "XXXXSECRETXXXX" not in repr(notifier) and "services" not in repr(notifier)
    assert "configured=True" in repr(notifier)
    assert "configured=False" in repr(SlackNotifier(None))
    assert not SlackNotifier("   ").configured


def test_backoff_is_the_shared_full_jitter_exponential_and_is_capped():
    import random

    notifier = SlackNotifier(
        "http://127.0.0.1:9/x", backoff_seconds=0.5, max_backoff_seconds=4.0, rng=random.Random(1)
    )
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (10, 4.0)]:
        delays = [notifier.backoff_delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert min(delays) < ceiling / 4 and max(delays) > ceiling * 3 / 4  # the whole range
        assert len(set(delays)) > 150


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1", 1.0), (" 2.5 ", 2.5), ("0", 0.0), (None, None), ("soon", None), ("-3", None), ("nan", None)],
)
def test_parse_retry_after_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_the_digest_counts_order_conflicts_when_the_run_built_them():
    alert = daily_digest_alert(dataclasses.replace(_digest(), order_conflicts=1234))
    assert alert.details[-1] == "Order conflicts (Monday vs OMS): 1,234"
    assert not any("conflicts" in d for d in daily_digest_alert(_digest()).details)


# --- the operations channel's delivery summary -------------------------------------------------


def _outlook(**changes):
    from customer_master.alerts import DeliveryOutlook

    fields = dict(
        plan_date="2026-12-03",
        delivery_date="2026-12-04",
        orders=1234,
        units=800.0,
        lines=("Line 1", "Line 2", "Line 4"),
        late=0,
        unschedulable=0,
        sheet="/srv/reports/delivery-sheet-2026-12-03.html",
    )
    return DeliveryOutlook(**(fields | changes))


def test_the_delivery_summary_names_the_day_its_orders_lines_and_the_sheet():
    from customer_master.alerts import ops_summary_alert

    alert = ops_summary_alert(_outlook())
    assert alert.kind == "ops_summary" and alert.severity == "info"  # nothing needs a person
    assert alert.title == "Deliveries Fri 4 Dec 2026: 1,234 orders on 3 lines"
    assert (
        alert.what
        == "Fri 4 Dec 2026: 1,234 orders, 800 units on 3 lines (Line 1, Line 2, Line 4); 0 of them late."
    )
    assert alert.details == [
        "Unschedulable in this plan: 0",
        "Delivery sheet: /srv/reports/delivery-sheet-2026-12-03.html",
    ]
    assert alert.dedupe_key == "ops_summary:2026-12-03"  # one summary per plan, never repeated


@pytest.mark.parametrize("problem", [{"late": 3}, {"unschedulable": 1}])
def test_late_or_unschedulable_orders_make_the_delivery_summary_a_warning(problem):
    from customer_master.alerts import ops_summary_alert

    assert ops_summary_alert(_outlook(**problem)).severity == "warn"


def test_a_plan_without_deliveries_says_so_and_one_line_is_singular():
    from customer_master.alerts import ops_summary_alert

    empty = ops_summary_alert(_outlook(delivery_date=None, orders=0, lines=(), sheet=None))
    assert empty.title == "Deliveries: nothing scheduled in the plan of 2026-12-03"
    assert empty.details == ["Unschedulable in this plan: 0"]
    one = ops_summary_alert(_outlook(lines=("Line 2",), units=12.5))
    assert "on 1 line (Line 2)" in one.what and "12.5 units" in one.what


def test_the_delivery_outlook_comes_from_the_plans_metadata_in_the_run():
    from customer_master.monitoring.runs import RunFacts, delivery_outlook

    now = dt.datetime(2026, 12, 3, 2, 0)
    plan = {
        "plan_date": "2026-12-03",
        "unschedulable": 4,
        "next_delivery_day": {
            "date": "2026-12-04",
            "orders": 9,
            "units": 120.0,
            "lines": ["Line 1"],
            "late": 1,
        },
        "sheet_link": "https://reports.example/delivery-sheet-2026-12-03.html",
    }
    facts = RunFacts(
        "r", "daily_pipeline_job", "2026-12-03", "success", now, now, materializations={"delivery_plan": plan}
    )
    outlook = delivery_outlook(facts)
    assert outlook == _outlook(
        orders=9, units=120.0, lines=("Line 1",), late=1, unschedulable=4, sheet=plan["sheet_link"]
    )
    no_plan = RunFacts("r", "daily_pipeline_job", "2026-12-03", "failure", now, now, materializations={})
    assert delivery_outlook(no_plan) is None
