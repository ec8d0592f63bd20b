"""The two helpers every layer shares (customer_master/common.py)."""

from __future__ import annotations

import datetime as dt

from customer_master.common import truncate, utcnow


def test_truncate_keeps_short_text_and_marks_a_cut():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert len(truncate("x" * 1000, 80)) == 80
    assert truncate("ab   cdef", 4) == "ab…"  # no dangling space before the ellipsis
    assert truncate("abc", 0) == ""


def test_utcnow_is_naive_and_in_utc():
    now = utcnow()
    assert now.tzinfo is None
    aware = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((aware - now).total_seconds()) < 5
