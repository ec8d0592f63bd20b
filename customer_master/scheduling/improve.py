"""A deterministic local search on a greedy plan: less priority-weighted lateness, same rules.

The greedy (`engine.plan_deliveries`) puts each order, in precedence order, on its earliest allowed day
with room. That is fast but myopic: orders are packed into resource-days in arrival order, so a big order
takes the last room of a day two small ones needed, an order open to any resource takes the first one by
name although a pinned order needed it, a flexible customer takes the Wednesday a Wednesday-only
customer needed. `improve_plan` repairs that with three kinds of steps:

* **Re-sequencing** (the greedy again, a class at a time). Within one priority class the greedy's
  order (requested date, order id) is only a tie-break, so the class's orders are placed - each at its
  earliest allowed day with room, the engine's own rule, on the resource with the most regular room
  that day - in a searched sequence instead. First a few sequences by rule (`START_WIDTHS`: smallest
  first among orders requested within the same few days, which packs days fuller so fewer orders wait;
  the least flexible first), the best kept; then random steps from it: a late order moved ahead (or two
  orders swapped), kept when the class's days late do not go up (ties: less Σ w·days late for the
  classes below, placed after it in their greedy order). The steps come from a fixed-seed pseudo-random
  generator (`SEED`): the same plan on every run.
* **Ejection moves.** For a late (or `no_capacity`) order X and an earlier allowed resource-day it may
  use: put X there, taking out first, if room is short, the smallest sets (up to `MAX_EVICT` orders)
  whose units make room; each goes back to its own earliest allowed resource-day with room (X's old
  place, another resource the same day, or later), then late orders take any room the move freed. Per X
  the best acceptable move (rule below) is kept; sweeps over the late orders repeat until one changes
  nothing.
* **Settling.** Until nothing changes: every late or `no_capacity` order moves to its earliest allowed
  day with room (regular capacity first, as in the engine) and every order on overtime moves to a
  same-or-earlier allowed resource-day with enough regular room, if there is one.

The pass: all classes re-sequenced from rush down to low (scheduled orders left without a place go
first, at their earliest fit, on a second and third try); then, per class from rush down to low (a
*stage*, twice over with different seeds, while the budget lasts): the lower classes are taken out
(under precedence they have no claim on the room they hold), the class is re-sequenced and swept with
ejection moves, the lower classes are re-sequenced back in (or, if some order would find no place, put
back where they were), and the plan is settled and *repaired* (below). Each of these
changes as a whole, and each ejection move, is kept only if it passes the acceptance rule, else undone.

**Precedence** (`scheduling.precedence`: no order late or `no_capacity` while room it could have used
on an allowed resource-day is held by an order of lower priority - with `weekly_buckets`, of lower
priority and the same ISO week) holds after every kept change. The greedy plan satisfies it; the search
steps alone do not always (re-sequencing a class can free room a lower order then keeps), so every
change ends with the repair: while an order X breaks precedence on (d, j), X goes there and the orders
yielding to it there come out (lowest priority first) and go back at their earliest fit; then settle
again. Each step lowers X's class's days late and changes only lower classes: days late by class go
down lexicographically, so it ends. A change whose repair costs more than it gained fails the
acceptance rule and is undone, back to a plan that kept precedence.

**Acceptance rule (strict precedence).** No scheduled order loses its place and, among the orders whose
days late change, the highest-priority class's total days late strictly decreases while the
priority-weighted sum Σ w·days late (w = 8/4/2/1 for rush/high/normal/low) does not increase. So a
higher-priority order is never made later for a lower one (nor one rush order later for another unless
rush lateness as a whole goes down); moving an order to another resource the same day is free. An
unschedulable order counts as late until the day after the horizon: scheduling it is a gain. The rule
compares classes by priority whatever `PlanSettings.ordering` says; the precedence repair follows the
ordering (with `weekly_buckets` only an order of the same ISO week yields to a higher one).

Capacity arithmetic is exact, as in the engine: units are integer millionths (`UNITS_SCALE`) inside,
converted from and back to the plan's floats at the edges.

Kept by construction: capacity (regular + overtime) per resource-day, allowed days (customer window, not
a holiday, not maintenance, within the horizon, not before the requested date), pinned resources, whole
orders. After settling the plan also satisfies the engine's output rules: no order has room on an
earlier allowed day, overtime only where no allowed day up to the order's had regular room, `no_capacity`
only where no allowed day has room. Every loop runs in a fixed order: deterministic.

Cost: pure Python, bounded by `WORK` (order placements tried) plus the fixed part: one re-placement of
every class, the precedence scans (per kept change, over the late orders' earlier allowed days; the
yielding units per resource-day and class are cached per scan), settling, the conversion in and out.
Under 1 s for 1,500 orders; about 4 s for 100,000 orders (10 resources, 365 days) on the shared
benchmark machine, where the budget pays for little more than the first re-placement.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from customer_master.scheduling.engine import (
    UNITS_SCALE,
    _processing_order,
    _quantity,
    holiday_days,
    scaled_units,
)
from customer_master.scheduling.models import (
    PRIORITY_RANK,
    REASON_NO_CAPACITY,
    DeliveryWindow,
    Order,
    Plan,
)

PRIORITY_WEIGHT: dict[str, int] = {"rush": 8, "high": 4, "normal": 2, "low": 1}
"""Weights of Σ w·days late, the quality measure the pass never lets increase."""

MAX_SWEEPS = 8
"""Ejection sweeps per stage at most (settling always runs to its fixpoint)."""

MAX_EVICT = 3
"""Orders taken out of one resource-day to make room for an ejection move, at most."""

MAX_SETS = 64
"""Sets of orders to take out tried per resource-day, at most."""

SEQUENCE_STEPS = 2000
"""Re-sequencing steps per class at most (each re-places the class and the classes below it)."""

STEPS_PER_ORDER = 20
"""... and at most this many per order of the class (a small class has few sequences worth trying)."""

WORK = 300_000
"""Budget of the whole pass in order placements tried (re-sequencing; ejection moves count 10 each): when it
runs out the remaining searches and stages stop; settling and the precedence repair still run. Sized for
the daily plan's 5 s at 100,000 orders (one re-placement of every class with a few starting sequences)."""

START_WIDTHS = (1, 2, 3, 5, 7, 10, 14, 1 << 20)
"""Widths (days of requested date) of the smallest-first starting sequences of the re-sequencing."""

SEARCH_SHARE = 8
"""One re-sequencing search spends at most 1/SEARCH_SHARE of the budget left on random steps."""

STAGE_COST = 4
"""A stage re-places the lower classes (their own sequences and followers): about this many placements per
order taking part, the least budget a stage needs to be worth starting."""

SEED = 20260601
"""Seed of the re-sequencing's pseudo-random steps (fixed: the same plan on every run)."""

_N_CLASSES = len(PRIORITY_RANK)
ROUNDS = 2
_LOST = 1 << 30  # days late of a scheduled order a sequence fails to place: never better

_Place = tuple[int, int]  # (day index, resource column)
_Decoded = list[Any]  # [own days late, followers' Σ w·days late or None, places, rem_reg, rem_ot]
_Snapshot = tuple[
    list[int], list[int], list[int], list[int], list[int], list[int], list[list[int]]
]  # day, res, reg, ot, rem_reg, rem_ot, members (units in millionths, UNITS_SCALE)


def improve_plan(
    plan: Plan,
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    *,
    work: int = WORK,
) -> Plan:
    """The plan after the local search (a new `Plan`; `plan` itself is not changed).

    `orders` and `windows_by_customer` must be those the plan was made from (`plan.assignments` has one
    assignment per order, in input order). Only scheduled and `no_capacity` orders take part; every
    other unschedulable order keeps its assignment.
    """
    orders = list(orders)
    if len(orders) != len(plan.assignments) or any(
        o.order_id != a.order_id for o, a in zip(orders, plan.assignments, strict=True)
    ):
        raise ValueError("improve_plan needs the orders the plan was made from, in the same order")
    search = _Search(plan, orders, windows_by_customer, work)
    if not search.candidates:
        return plan
    search.sequence_phase()
    for round_ in range(ROUNDS):
        search.seed = SEED + 100 * round_
        for cls in range(_N_CLASSES):
            if search.work < STAGE_COST * len(search.candidates):  # the budget left cannot pay for it
                break
            search.stage(cls)
    # No last settling: every kept change ended settled and repaired, every undone one went back to such a
    # plan (the greedy's, to begin with).
    return search.to_plan()


def weighted_lateness(plan: Plan) -> int:
    """Σ w·days late of the plan's scheduled orders (unschedulable ones are not counted)."""
    return sum(PRIORITY_WEIGHT.get(a.priority or "", 0) * a.days_late for a in plan.scheduled())


class _Search:
    """The plan as mutable lists. Bucket b = day * n_res + resource; `members[b]` are order positions."""

    def __init__(
        self,
        plan: Plan,
        orders: list[Order],
        windows_by_customer: Mapping[str, DeliveryWindow | None],
        work: int,
    ) -> None:
        settings = plan.settings
        self.plan, self.work = plan, work
        n_days = self.n_days = settings.horizon_days
        self.resources = resources = sorted({c.resource for c in plan.capacity})
        res_index = {r: j for j, r in enumerate(resources)}
        n_res = self.n_res = len(resources)
        plan_date = settings.plan_date
        plan_ord = plan_date.toordinal()

        # Buckets, from the capacity summary (resource-major there, day-major here).
        size = n_days * n_res
        # Units are integer millionths (UNITS_SCALE), as in the engine: exact, converted at the edges.
        self.cap_reg, self.cap_ot = [0] * size, [0] * size
        self.rem_reg, self.rem_ot = [0] * size, [0] * size
        self.summary_index = [0] * size
        for i, c in enumerate(plan.capacity):
            b = (c.day.toordinal() - plan_ord) * n_res + res_index[c.resource]
            self.cap_reg[b], self.cap_ot[b] = scaled_units(c.capacity), scaled_units(c.overtime_capacity)
            self.rem_reg[b] = self.cap_reg[b] - scaled_units(c.scheduled_units)
            self.rem_ot[b] = self.cap_ot[b] - scaled_units(c.scheduled_overtime_units)
            self.summary_index[b] = i
        self.orig_rem = (list(self.rem_reg), list(self.rem_ot))
        self.members: list[list[int]] = [[] for _ in range(size)]

        # Orders taking part: scheduled, or unschedulable for lack of capacity.
        holidays = holiday_days(plan_date, n_days, settings.country)
        first_weekday = plan_date.isoweekday()
        by_window: dict[DeliveryWindow, tuple[list[int], frozenset[int]]] = {}
        n = len(orders)
        self.q, self.rank, self.weight = [0] * n, [0] * n, [0] * n
        self.req, self.penalty, self.first = [0] * n, [0] * n, [0] * n
        self.allowed: list[list[int]] = [[]] * n
        self.allowed_set: list[frozenset[int]] = [frozenset()] * n
        self.eligible: list[list[int]] = [[]] * n
        self.window: list[DeliveryWindow] = [settings.default_window] * n  # read for orders taking part
        self.day, self.res, self.reg, self.ot = [-1] * n, [-1] * n, [0] * n, [0] * n
        taking_part = []
        requested = [0] * n  # ordinals of the requested dates of the orders taking part
        every_resource = list(range(n_res))
        for p, (o, a) in enumerate(zip(orders, plan.assignments, strict=True)):
            if a.status == "scheduled":
                units: float | None = a.units
            elif a.reason == REASON_NO_CAPACITY and n_res:
                units = _quantity(o.quantity)
            else:
                continue
            assert units is not None
            q = scaled_units(units)
            # Scheduled or out of capacity: the order passed the engine's validation.
            assert o.customer_id is not None and o.requested_date is not None
            window = windows_by_customer[o.customer_id] or settings.default_window
            if window not in by_window:
                days = [
                    d
                    for d in range(n_days)
                    if (first_weekday + d - 1) % 7 + 1 in window.days
                    and plan_date.fromordinal(plan_ord + d) not in holidays
                ]
                by_window[window] = (days, frozenset(days))
            requested[p] = o.requested_date.toordinal()
            r = requested[p] - plan_ord
            self.q[p], self.rank[p] = q, PRIORITY_RANK[o.priority]
            self.weight[p] = PRIORITY_WEIGHT[o.priority]
            self.req[p], self.penalty[p] = r, n_days - r  # unscheduled: late until the day after the horizon
            self.window[p] = window
            self.allowed[p], self.allowed_set[p] = by_window[window]
            self.first[p] = bisect.bisect_left(self.allowed[p], max(r, 0))
            self.eligible[p] = every_resource if o.resource is None else [res_index[o.resource]]
            if a.status == "scheduled":
                assert a.scheduled_date is not None and a.resource is not None
                d, j = a.scheduled_date.toordinal() - plan_ord, res_index[a.resource]
                self.day[p], self.res[p] = d, j
                self.ot[p] = scaled_units(a.overtime_units)
                self.reg[p] = q - self.ot[p]
                self.members[d * n_res + j].append(p)
            taking_part.append(p)
        self.candidates = _processing_order(orders, taking_part, requested, "strict")
        # Precedence as `scheduling.precedence` defines it for the plan's ordering: with weekly_buckets only
        # an order of the same ISO week (of the requested date) and lower priority gives its place up.
        self.weekly = settings.ordering == "weekly_buckets"
        self.week = [(r - 1) // 7 for r in requested]
        self.proc_pos = {p: i for i, p in enumerate(self.candidates)}
        self.active = self.candidates
        self.late_list: list[int] = []  # refill candidates: the late orders when the sweep began
        self.seed = SEED
        self.orig = {p: (self.day[p], self.res[p], self.ot[p]) for p in taking_part}
        # Undo log of a tentative move: bucket -> (rem_reg, rem_ot, [(member, reg, ot)]), order -> state.
        self._saved: dict[int, tuple[int, int, list[tuple[int, int, int]]]] | None = None
        self._moved: dict[int, tuple[int, int, int, int]] | None = None
        self._freed: list[int] = []
        # Units yielding to a class (and week) per resource-day, cached for one precedence scan.
        self._yielding_units: dict[tuple[int, int, int], int] = {}

    # --- primitives ---------------------------------------------------------------------------------
    def late(self, p: int) -> int:
        d = self.day[p]
        if d < 0:
            return self.penalty[p]
        late = d - self.req[p]
        return late if late > 0 else 0

    def _touch(self, b: int) -> None:
        saved = self._saved
        if saved is not None and b not in saved:
            members = [(m, self.reg[m], self.ot[m]) for m in self.members[b]]
            saved[b] = (self.rem_reg[b], self.rem_ot[b], members)

    def _note(self, p: int) -> None:
        moved = self._moved
        if moved is not None and p not in moved:
            moved[p] = (self.day[p], self.res[p], self.reg[p], self.ot[p])

    def place(self, p: int, d: int, j: int) -> None:
        """Put p on (d, j): regular capacity first, the rest overtime (the caller checked the room)."""
        b = d * self.n_res + j
        self._touch(b)
        self._note(p)
        q = self.q[p]
        rem = self.rem_reg[b]
        regular = rem if rem < q else q
        overtime = q - regular
        self.rem_reg[b] = rem - regular  # never below zero: regular <= rem
        if overtime > 0:
            self.rem_ot[b] = max(self.rem_ot[b] - overtime, 0)
        self.reg[p], self.ot[p] = regular, overtime
        self.day[p], self.res[p] = d, j
        self.members[b].append(p)

    def remove(self, p: int) -> None:
        """Take p off its resource-day; orders left there on overtime get the freed regular units."""
        b = self.day[p] * self.n_res + self.res[p]
        self._touch(b)
        self._note(p)
        self.members[b].remove(p)
        if self._saved is not None:
            self._freed.append(b)
        self.rem_reg[b] = min(self.rem_reg[b] + self.reg[p], self.cap_reg[b])
        self.rem_ot[b] = min(self.rem_ot[b] + self.ot[p], self.cap_ot[b])
        self.day[p], self.res[p], self.reg[p], self.ot[p] = -1, -1, 0, 0
        for m in self.members[b]:
            free = self.rem_reg[b]
            if free <= 0:
                break
            if self.ot[m] > 0:
                shift = free if free < self.ot[m] else self.ot[m]
                self.ot[m] -= shift
                self.reg[m] += shift
                self.rem_reg[b] = free - shift
                self.rem_ot[b] = min(self.rem_ot[b] + shift, self.cap_ot[b])

    def earliest_fit(self, p: int, stop: int) -> tuple[int, int] | None:
        """p's first allowed day before `stop` with room, and its resource (the engine's rule: the first
        resource by name with regular room that day, else the first with regular + overtime room)."""
        q, n_res = self.q[p], self.n_res
        rem_reg, rem_ot, eligible, allowed = self.rem_reg, self.rem_ot, self.eligible[p], self.allowed[p]
        for k in range(self.first[p], len(allowed)):
            d = allowed[k]
            if d >= stop:
                return None
            base = d * n_res
            fallback = -1
            for j in eligible:
                b = base + j
                if rem_reg[b] >= q:
                    return d, j
                if fallback < 0 and rem_reg[b] + rem_ot[b] >= q:
                    fallback = j
            if fallback >= 0:
                return d, fallback
        return None

    def _snapshot(self) -> _Snapshot:
        return (
            list(self.day), list(self.res), list(self.reg), list(self.ot),
            list(self.rem_reg), list(self.rem_ot), [list(m) for m in self.members],
        )  # fmt: skip

    def _restore(self, snapshot: _Snapshot) -> None:
        day, res, reg, ot, rem_reg, rem_ot, members = snapshot
        self.day, self.res, self.reg, self.ot = list(day), list(res), list(reg), list(ot)
        self.rem_reg, self.rem_ot, self.members = list(rem_reg), list(rem_ot), [list(m) for m in members]

    def _lateness(self) -> dict[int, int]:
        return {p: self.late(p) for p in self.candidates}

    def _acceptable(self, before: dict[int, int]) -> tuple[int, ...] | None:
        """The change per class (rush, high, normal, low) since `before` (days late per order) when it
        passes the acceptance rule, else None."""
        delta = [0] * _N_CLASSES
        top, weighted = _N_CLASSES, 0
        for p, old in before.items():
            if self.day[p] < 0 and old < self.penalty[p]:  # a scheduled order lost its place
                return None
            change = self.late(p) - old
            if change:
                rank = self.rank[p]
                delta[rank] += change
                weighted += self.weight[p] * change
                if rank < top:
                    top = rank
        if top == _N_CLASSES or delta[top] >= 0 or weighted > 0:
            return None
        return tuple(delta)

    # --- stage --------------------------------------------------------------------------------------
    def stage(self, cls: int) -> None:
        """Improve class `cls` (and what is above it) with the lower classes out, then put them back."""
        snapshot = self._snapshot()
        before = self._lateness()
        absent = [p for p in self.candidates if self.rank[p] > cls]
        for p in absent:
            if self.day[p] >= 0:
                self.remove(p)
        self.active = [p for p in self.candidates if self.rank[p] <= cls]
        self.resequence(cls)
        self.sweep()
        self.active = self.candidates
        self.late_list = []
        swept = self._snapshot()
        if not self._place_classes(range(cls + 1, _N_CLASSES)):
            self._restore(swept)
            first: list[int] = []
            for _ in range(3):  # orders that found no place go first on the next try
                unplaced = self._put_back([*first, *(p for p in absent if p not in first)], snapshot)
                if not unplaced:
                    break
                first += [p for p in unplaced if p not in first]
                self._restore(swept)
        self.repair()
        if self._acceptable(before) is None:
            self._restore(snapshot)

    def _put_back(self, absent: list[int], snapshot: _Snapshot) -> list[int]:
        """The taken-out orders back: to their old resource-day where it still has room, else to their
        earliest fit, else by an ejection move; returns the scheduled ones that found no place."""
        old_day, old_res = snapshot[0], snapshot[1]
        rest = []
        for p in absent:
            d, j = old_day[p], old_res[p]
            b = d * self.n_res + j
            if d >= 0 and self.rem_reg[b] + self.rem_ot[b] >= self.q[p]:
                self.place(p, d, j)
            else:
                rest.append(p)
        unplaced = []
        for p in rest:
            fit = self.earliest_fit(p, self.n_days)
            if fit is not None:
                self.place(p, *fit)
            elif old_day[p] >= 0 and not self.improve_order(p):
                unplaced.append(p)
        return unplaced

    def _clear(self) -> None:
        """Every order taking part off the plan (what `remove` of each would do, at once)."""
        self.rem_reg, self.rem_ot = list(self.cap_reg), list(self.cap_ot)
        self.members = [[] for _ in self.members]
        for p in self.candidates:
            self.day[p], self.res[p], self.reg[p], self.ot[p] = -1, -1, 0, 0

    def _rescue(self, lost: list[int]) -> None:
        """Scheduled orders a re-placement left without a place: their earliest fit, else an ejection move
        (a few among thousands otherwise make the whole re-placement fail the acceptance rule)."""
        self.work = max(self.work, 10 * MAX_SETS * len(lost))  # a small reserve: without it they stay out
        for p in lost:
            fit = self.earliest_fit(p, self.n_days)
            if fit is not None:
                self.place(p, *fit)
            else:
                self.improve_order(p)

    # --- re-sequencing ------------------------------------------------------------------------------
    def _decode(
        self, sequence: list[int], rem_reg: list[int], rem_ot: list[int]
    ) -> tuple[int, list[_Place | None]]:
        """Days late of the class when `sequence` is placed in order at earliest fit (on the given copies
        of the remaining capacity), and the places; a scheduled order left without one costs _LOST."""
        n_res, q_of, req, allowed_of, eligible_of = self.n_res, self.q, self.req, self.allowed, self.eligible
        total, places = 0, []
        for p in sequence:
            q, allowed, eligible = q_of[p], allowed_of[p], eligible_of[p]
            found: _Place | None = None
            for k in range(self.first[p], len(allowed)):
                base = allowed[k] * n_res
                fallback, most = -1, -1
                for j in eligible:  # the resource with the most regular room: the others keep theirs
                    b = base + j
                    rem = rem_reg[b]
                    if rem >= q:
                        if rem > most:
                            found, most = (allowed[k], j), rem
                    elif fallback < 0 and rem + rem_ot[b] >= q:
                        fallback = j
                if found is None and fallback >= 0:
                    found = (allowed[k], fallback)
                if found is not None:
                    b = base + found[1]
                    rem = rem_reg[b]
                    regular = rem if rem < q else q
                    rem_reg[b] = rem - regular
                    if q - regular > 0:
                        rem_ot[b] = max(rem_ot[b] - (q - regular), 0)
                    late = found[0] - req[p]
                    total += late if late > 0 else 0
                    break
            else:
                total += _LOST if self.orig[p][0] >= 0 else self.penalty[p]
            places.append(found)
        return total, places

    def _search_sequence(
        self, sequence: list[int], rng: random.Random, followers: list[int] | None = None
    ) -> tuple[int, list[int], list[_Place | None]]:
        """The best sequence found from `sequence` for the current remaining capacity (not changed):
        least days late of the sequence's orders, then (ties) least Σ w·days late of `followers` placed
        after it in their given order (decoded only on a tie: at 100,000 orders a decode is costly)."""
        rem_reg, rem_ot = self.rem_reg, self.rem_ot
        weight, penalty, req = self.weight, self.penalty, self.req
        follow = followers or []

        def decoded(seq: list[int]) -> _Decoded:
            reg, ot = list(rem_reg), list(rem_ot)
            own, places = self._decode(seq, reg, ot)
            return [own, None, places, reg, ot]

        def after(state: _Decoded) -> int:
            if state[1] is None:  # the followers on the capacity the sequence left (once per state)
                self.work -= len(follow)
                _, follower_places = self._decode(follow, state[3], state[4])
                state[1] = sum(
                    weight[p] * (penalty[p] if at is None else max(at[0] - req[p], 0))
                    for p, at in zip(follow, follower_places, strict=True)
                )
            return int(state[1])

        def compare(trial: _Decoded, best: _Decoded) -> int:
            """-1, 0, 1 as trial is better than, as good as, worse than best."""
            if trial[0] != best[0]:
                return -1 if trial[0] < best[0] else 1
            a, b = after(trial), after(best)
            return (a > b) - (a < b)

        own_cost, cost = len(sequence), len(sequence) + len(follow)  # charged: own, followers on a tie
        self.work -= own_cost
        best = decoded(sequence)
        for start in self._start_sequences(sequence):  # orderings by rule first: few, and often better
            if self.work < cost:
                break
            self.work -= own_cost
            trial = decoded(start)
            if compare(trial, best) < 0:
                best, sequence = trial, start
        # Random steps get a share of the budget left: the stages after this one need theirs.
        steps = min(SEQUENCE_STEPS, STEPS_PER_ORDER * len(sequence), self.work // (SEARCH_SHARE * cost))
        stall = 0
        for _ in range(steps):
            if self.work < cost:
                break
            self.work -= own_cost
            stall += 1
            if stall > steps // 2:  # half the steps without a gain: done
                break
            places = best[2]
            late = [k for k, at in enumerate(places) if k and (at is None or at[0] > req[sequence[k]])]
            candidate = list(sequence)
            if late and rng.random() < 0.8:  # a late order earlier in the sequence
                k = late[rng.randrange(len(late))]
                candidate.insert(rng.randrange(k), candidate.pop(k))
            else:  # two orders swapped
                i, k = rng.randrange(len(candidate)), rng.randrange(len(candidate))
                candidate[i], candidate[k] = candidate[k], candidate[i]
            trial = decoded(candidate)
            verdict = compare(trial, best)
            if verdict <= 0:
                if verdict < 0:
                    stall = 0
                best, sequence = trial, candidate
        return best[0], sequence, best[2]

    def _start_sequences(self, sequence: list[int]) -> Iterator[list[int]]:
        """Other starting sequences, by rule: smallest first among orders requested within the same
        `width` days (shortest-processing-time within a window: earliest fit packs the days fuller, so
        fewer orders wait), for several widths; and by requested date, the least flexible first (room
        only some orders can use goes to them)."""
        req, q, allowed, eligible = self.req, self.q, self.allowed, self.eligible
        for width in START_WIDTHS:
            yield sorted(sequence, key=lambda p: (req[p] // width, q[p], req[p]))
        yield sorted(sequence, key=lambda p: (req[p], len(allowed[p]) * len(eligible[p]), q[p]))

    def _place_classes(self, classes: range, first: Sequence[int] = ()) -> bool:
        """Place the (taken-out) orders of `classes`, class by class, each in the sequence found best for
        it given what is placed (its orders in `first` before it, at earliest fit); False (and some left
        out) if a scheduled order found no place."""
        ok = True
        placed_before = {p for p in self.candidates if self.day[p] >= 0}
        for cls in classes:
            for p in first:
                fit = self.earliest_fit(p, self.n_days) if self.rank[p] == cls else None
                if fit is not None:
                    self.place(p, *fit)
            members = [p for p in self.candidates if self.rank[p] == cls and self.day[p] < 0]
            if not members:
                continue
            followers = [p for p in self.candidates if self.rank[p] > cls and p not in placed_before]
            best, sequence, places = self._search_sequence(members, random.Random(self.seed + cls), followers)
            ok = ok and best < _LOST
            for p, place in zip(sequence, places, strict=True):
                if place is not None:
                    self.place(p, *place)
        return ok

    def sequence_phase(self) -> None:
        """The greedy again, class by class in precedence order, each class in the sequence found best for
        it (the classes above it placed, those below it not yet); kept if it passes the acceptance rule."""
        snapshot = self._snapshot()
        before = self._lateness()
        self._clear()
        first: list[int] = []
        classes = range(_N_CLASSES)
        for _ in range(3):  # scheduled orders left without a place go first (at earliest fit) next time
            if not self._place_classes(classes, first):
                self._rescue([p for p in self.candidates if self.day[p] < 0 and before[p] < self.penalty[p]])
            lost = [p for p in self.candidates if self.day[p] < 0 and before[p] < self.penalty[p]]
            if not lost:
                break
            first += lost
            classes = range(min(self.rank[p] for p in lost), _N_CLASSES)  # only those classes again
            for p in self.candidates:
                if self.rank[p] >= classes.start and self.day[p] >= 0:
                    self.remove(p)
        self.repair()
        if self._acceptable(before) is None:
            self._restore(snapshot)

    def resequence(self, cls: int) -> None:
        """Re-place the class in the best sequence found, if that beats its current arrangement."""
        members = [p for p in self.candidates if self.rank[p] == cls]
        if len(members) < 2 or self.work < len(members):
            return
        current = sum(self.late(p) for p in members)
        kept = self._snapshot()
        for p in members:
            if self.day[p] >= 0:
                self.remove(p)
        best, sequence, places = self._search_sequence(members, random.Random(self.seed + _N_CLASSES + cls))
        if best >= current:
            self._restore(kept)
            return
        for p, place in zip(sequence, places, strict=True):
            if place is not None:
                self.place(p, *place)

    # --- ejection moves -----------------------------------------------------------------------------
    def _evictions(self, b: int, deficit: int) -> list[tuple[int, ...]]:
        """Sets of at most MAX_EVICT orders on bucket b whose units cover `deficit`, minimal ones only
        (none of its orders could be left out), at most MAX_SETS, smaller sets first."""
        members, q = self.members[b], self.q
        singles = [m for m in members if q[m] >= deficit][:MAX_SETS]
        out: list[tuple[int, ...]] = [(m,) for m in singles]
        small = [m for m in members if q[m] < deficit]
        n_small = len(small)
        if MAX_EVICT >= 2:
            for i in range(n_small):
                for k in range(i + 1, n_small):
                    if len(out) >= MAX_SETS:
                        return out
                    if q[small[i]] + q[small[k]] >= deficit:
                        out.append((small[i], small[k]))
        if MAX_EVICT >= 3:
            for i in range(n_small):
                for k in range(i + 1, n_small):
                    pair = q[small[i]] + q[small[k]]
                    if pair >= deficit:
                        continue
                    for m in range(k + 1, n_small):
                        if len(out) >= MAX_SETS:
                            return out
                        qm = q[small[m]]
                        if pair + qm >= deficit and q[small[i]] + qm < deficit and q[small[k]] + qm < deficit:
                            out.append((small[i], small[k], small[m]))
        return out

    def _try(self, x: int, d: int, j: int, evict: tuple[int, ...]) -> tuple[int, ...] | None:
        """Apply the move (x to (d, j), `evict` re-placed at their earliest fit, freed room refilled);
        its change per class when acceptable, else None. The caller commits or rolls back."""
        self._saved, self._moved, self._freed = {}, {}, []
        before = {p: self.late(p) for p in (x, *evict)}
        if self.day[x] >= 0:
            self.remove(x)
        for y in evict:
            self.remove(y)
        b = d * self.n_res + j
        if self.rem_reg[b] + self.rem_ot[b] < self.q[x]:
            return None
        self.place(x, d, j)
        for y in sorted(evict, key=self.proc_pos.__getitem__):
            fit = self.earliest_fit(y, self.n_days)
            if fit is None:  # never unschedule a scheduled order
                return None
            self.place(y, *fit)
        self._refill(before)
        return self._acceptable(before)

    def _rollback(self) -> None:
        assert self._saved is not None and self._moved is not None
        for p, (d, j, regular, overtime) in self._moved.items():
            self.day[p], self.res[p], self.reg[p], self.ot[p] = d, j, regular, overtime
        n_res = self.n_res
        for b, (rem_reg, rem_ot, members) in self._saved.items():
            self.rem_reg[b], self.rem_ot[b] = rem_reg, rem_ot
            self.members[b] = [m for m, _, _ in members]
            for m, regular, overtime in members:
                self.reg[m], self.ot[m] = regular, overtime
                self.day[m], self.res[m] = divmod(b, n_res)
        self._saved = self._moved = None

    def _refill(self, before: dict[int, int]) -> None:
        """Late orders take the room the move freed where that is earlier for them: per freed resource-day,
        the highest priority first, then the biggest gain in days, then the biggest order."""
        freed, n_res = self._freed, self.n_res
        day, q, req, rank = self.day, self.q, self.req, self.rank
        i = 0
        while i < len(freed):
            b = freed[i]
            i += 1
            d, j = divmod(b, n_res)
            while True:
                room = self.rem_reg[b] + self.rem_ot[b]
                if room <= 0:
                    break
                best, best_key = -1, None
                self.work -= len(self.late_list) // 20
                for p in self.late_list:
                    dp = day[p]
                    if (dp >= 0 and (dp <= d or dp <= req[p])) or q[p] > room or d < req[p]:
                        continue
                    if d not in self.allowed_set[p] or j not in self.eligible[p]:
                        continue
                    key = (rank[p], max(d - req[p], 0) - self.late(p), -q[p])
                    if best_key is None or key < best_key:
                        best, best_key = p, key
                if best < 0:
                    break
                if best not in before:
                    before[best] = self.late(best)
                if day[best] >= 0:
                    self.remove(best)
                self.place(best, d, j)

    def improve_order(self, x: int) -> bool:
        """The best acceptable ejection move for late order x, applied; False when there is none."""
        current = self.day[x] if self.day[x] >= 0 else self.n_days
        allowed, n_res = self.allowed[x], self.n_res
        best: tuple[tuple[int, ...], int, int, tuple[int, ...]] | None = None
        for k in range(self.first[x], len(allowed)):
            d = allowed[k]
            if d >= current or self.work <= 0:
                break
            for j in self.eligible[x]:
                b = d * n_res + j
                deficit = self.q[x] - (self.rem_reg[b] + self.rem_ot[b])
                for evict in [()] if deficit <= 0 else self._evictions(b, deficit):
                    self.work -= 10
                    key = self._try(x, d, j, evict)
                    self._rollback()
                    if key is not None and (best is None or key < best[0]):
                        best = (key, d, j, evict)
        if best is None:
            return False
        key = self._try(x, *best[1:])
        assert key == best[0], "a move must replay the same"
        self._saved = self._moved = None
        return True

    def sweep(self) -> None:
        for _ in range(MAX_SWEEPS):
            self.late_list = [p for p in self.active if self.late(p) > 0]
            changed = False
            for x in self.active:
                if self.work <= 0:
                    return
                if self.late(x) > 0 and self.improve_order(x):
                    changed = True
            if not changed:
                return

    # --- precedence -----------------------------------------------------------------------------------
    def _yields_to(self, m: int, x: int) -> bool:
        """Order m gives its place up to order x (it does not hold it under precedence)."""
        return self.rank[m] > self.rank[x] and (not self.weekly or self.week[m] == self.week[x])

    def _violation(self, x: int) -> _Place | None:
        """The first resource-day (by day, then resource) where x, late or unscheduled, would fit once the
        orders yielding to it were out: precedence broken there (see `scheduling.precedence`)."""
        stop = self.day[x]
        if 0 <= stop <= self.req[x]:
            return None
        if stop < 0:
            stop = self.n_days
        q, n_res, members, size, rank = self.q[x], self.n_res, self.members, self.q, self.rank
        rem_reg, rem_ot, cap_reg, cap_ot = self.rem_reg, self.rem_ot, self.cap_reg, self.cap_ot
        rank_x, week_x = rank[x], self.week[x] if self.weekly else 0
        cache = self._yielding_units
        allowed = self.allowed[x]
        for k in range(self.first[x], len(allowed)):
            d = allowed[k]
            if d >= stop:
                return None
            for j in self.eligible[x]:
                b = d * n_res + j
                room = rem_reg[b] + rem_ot[b]
                if room < q <= cap_reg[b] + cap_ot[b]:
                    key = (b, rank_x, week_x)
                    yielding = cache.get(key)
                    if yielding is None:  # the same for every order of x's class (and week): once per scan
                        yielding = cache[key] = sum(size[m] for m in members[b] if self._yields_to(m, x))
                    room += yielding
                if room >= q:
                    return d, j
        return None

    def repair(self) -> None:
        """Settle, then while an order breaks precedence put it on that resource-day, taking out the orders
        yielding to it there (lowest priority, last in precedence first) until it fits; they go back at
        their earliest fit. Each step makes the order's class less late and changes only lower classes,
        so the days late by class go down lexicographically: it ends."""
        while True:
            self.settle()
            self._yielding_units = {}
            for x in self.candidates:
                spot = self._violation(x)
                if spot is not None:
                    self._give_way(x, *spot)
                    break
            else:
                return

    def _give_way(self, x: int, d: int, j: int) -> None:
        b = d * self.n_res + j
        if self.day[x] >= 0:
            self.remove(x)
        yielding = [m for m in self.members[b] if self._yields_to(m, x)]
        yielding.sort(key=lambda m: (self.rank[m], self.proc_pos[m]), reverse=True)
        evicted = []
        for m in yielding:
            if self.rem_reg[b] + self.rem_ot[b] >= self.q[x]:
                break
            self.remove(m)
            evicted.append(m)
        self.place(x, d, j)
        for m in sorted(evicted, key=self.proc_pos.__getitem__):
            fit = self.earliest_fit(m, self.n_days)
            if fit is not None:
                self.place(m, *fit)

    # --- settling -----------------------------------------------------------------------------------
    def settle(self) -> None:
        """Every late order on its earliest day with room; overtime only where no regular room was."""
        while True:
            changed = False
            for p in self.candidates:
                d = self.day[p]
                if d < 0 or d > self.req[p]:  # late or unscheduled: an earlier day with room?
                    fit = self.earliest_fit(p, self.n_days if d < 0 else d)
                    if fit is not None:
                        if d >= 0:
                            self.remove(p)
                        self.place(p, *fit)
                        changed = True
                        continue
                if self.ot[p] > 0:  # regular room on a same-or-earlier allowed day, any resource?
                    target = self._regular_room(p, d)
                    if target is not None:
                        self.remove(p)
                        self.place(p, *target)
                        changed = True
            if not changed:
                return

    def _regular_room(self, p: int, d: int) -> tuple[int, int] | None:
        q, allowed, n_res = self.q[p], self.allowed[p], self.n_res
        for k in range(self.first[p], len(allowed)):
            e = allowed[k]
            if e > d:
                return None
            for j in self.eligible[p]:
                if (e, j) != (d, self.res[p]) and self.rem_reg[e * n_res + j] >= q:
                    return e, j
        return None

    # --- output -------------------------------------------------------------------------------------
    def to_plan(self) -> Plan:
        plan, settings = self.plan, self.plan.settings
        plan_ord = settings.plan_date.toordinal()
        assignments = list(plan.assignments)
        for p, before in self.orig.items():
            d, j, overtime = self.day[p], self.res[p], self.ot[p]
            if (d, j, overtime) == before:
                continue
            assert d >= 0, "a scheduled order lost its place"
            late = self.late(p)
            window = self.window[p]
            assignments[p] = dataclasses.replace(
                assignments[p],
                status="scheduled",
                scheduled_date=settings.plan_date.fromordinal(plan_ord + d),
                window_start=window.start,
                window_end=window.end,
                resource=self.resources[j],
                units=self.q[p] / UNITS_SCALE,
                overtime_units=overtime / UNITS_SCALE,
                is_late=late > 0,
                days_late=late,
                reason=None,
            )
        capacity = list(plan.capacity)
        orig_reg, orig_ot = self.orig_rem
        for b, i in enumerate(self.summary_index):
            rem_reg, rem_ot = self.rem_reg[b], self.rem_ot[b]
            if rem_reg == orig_reg[b] and rem_ot == orig_ot[b]:
                continue
            c = capacity[i]
            used_reg = (self.cap_reg[b] - rem_reg) / UNITS_SCALE
            used_ot = (self.cap_ot[b] - rem_ot) / UNITS_SCALE
            utilization = (used_reg + used_ot) / c.capacity if c.capacity > 0 else 0.0
            capacity[i] = dataclasses.replace(
                c, scheduled_units=used_reg, scheduled_overtime_units=used_ot, utilization=utilization
            )
        return Plan(settings, tuple(assignments), tuple(capacity))
