"""Proactive complexity pacing (pure: the clock is passed in).

Every query the client sends carries `complexity { before query after reset_in_x_seconds }`. After
each response the pacer remembers how much budget is left, when the window resets and what each
kind of query (its purpose) cost last time. Before the next call it asks: would the budget left
*after* that call fall below the reserve? If so the client sleeps until the window resets, as
Estuary's connector and monday's own SDK do, instead of running into a 429.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

# Monday's complexity window is one minute; a reset further away than this is not believed.
MAX_PACING_SLEEP_SECONDS = 61.0
_COMPLEXITY_FIELD = re.compile(rb'"complexity"\s*:\s*(\{[^{}]*\})')
_COMPLEXITY_PEEK_BYTES = 1024


@dataclass(frozen=True, slots=True)
class ComplexitySnapshot:
    before: int
    query: int
    after: int
    reset_in_x_seconds: float

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> ComplexitySnapshot | None:
        """Read `data.complexity`; None when it is absent or not the documented shape."""
        if not isinstance(data, Mapping):
            return None
        raw = data.get("complexity")
        if not isinstance(raw, Mapping):
            return None
        try:
            return cls(
                before=int(raw["before"]),
                query=int(raw["query"]),
                after=int(raw["after"]),
                reset_in_x_seconds=float(raw["reset_in_x_seconds"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    @classmethod
    def from_body_head(cls, body: bytes) -> ComplexitySnapshot | None:
        """Read `complexity` from the head of a raw response, before the body is decoded.

        Every query selects `complexity` first, and GraphQL answers in selection order, so it is
        at the very start. A request sent ahead of decoding is paced on this, not on stale numbers.
        """
        match = _COMPLEXITY_FIELD.search(body, 0, _COMPLEXITY_PEEK_BYTES)
        if match is None:
            return None
        try:
            return cls.from_data({"complexity": orjson.loads(match.group(1))})
        except orjson.JSONDecodeError:
            return None


def pacing_delay(
    *,
    remaining: int,
    expected_cost: int,
    reserve: int,
    reset_in: float,
) -> float:
    """Seconds to sleep before a call: the time to the window reset if `remaining - expected_cost`
    would drop below `reserve`, else 0."""
    if remaining - expected_cost >= reserve:
        return 0.0
    return min(max(reset_in, 0.0), MAX_PACING_SLEEP_SECONDS)


@dataclass
class ComplexityPacer:
    """Keeps the last complexity reading and per-purpose costs; decides sleeps via `pacing_delay`."""

    reserve: int
    _remaining: int | None = None
    _reset_at: float | None = None  # monotonic time at which the window resets
    _costs: dict[str, int] = field(default_factory=dict)
    _last_cost: int = 0

    def observe(self, snapshot: ComplexitySnapshot, *, purpose: str, now: float) -> None:
        self._remaining = snapshot.after
        self._reset_at = now + max(snapshot.reset_in_x_seconds, 0.0)
        self._costs[purpose] = snapshot.query
        self._last_cost = snapshot.query

    def expected_cost(self, purpose: str) -> int:
        return self._costs.get(purpose, self._last_cost)

    def delay_before(self, purpose: str, *, now: float) -> float:
        if self._remaining is None or self._reset_at is None:
            return 0.0
        reset_in = self._reset_at - now
        if reset_in <= 0:
            # The window has reset since the last reading: the old numbers mean nothing now.
            self.forget()
            return 0.0
        return pacing_delay(
            remaining=self._remaining,
            expected_cost=self.expected_cost(purpose),
            reserve=self.reserve,
            reset_in=reset_in,
        )

    def forget(self) -> None:
        """After sleeping through a reset (or a rate-limit wait) the budget is unknown again."""
        self._remaining = None
        self._reset_at = None
