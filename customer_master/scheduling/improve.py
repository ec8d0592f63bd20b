"""A deterministic local search on a greedy plan: less priority-weighted lateness, same rules.

The greedy (`engine.plan_deliveries`) puts each order, in precedence order, on its earliest allowed day
with room. That is fast but myopic: orders are packed into resource-days in arrival order, so a big order
takes the last room of a day two small ones needed, an order open to any resource takes the first one by
name although a pinned order needed it, a flexible customer takes the Wednesday a Wednesday-only
customer needed. `improve_plan` repairs that with three kinds of steps:

* **Re-sequencing** (the greedy again, a class at a time). Within one priority class the greedy's
  order (requested date, order id) is only a tie-break, so the class's orders are placed - each at its
  earliest allowed resource-day with room, the engine's own rule - in a searched sequence instead:
  starting from the greedy's, a late order is moved ahead (or two orders swapped) and the change kept
  when the class's days late do not go up (ties: less Σ w·days late for the classes below, placed after
  it in their greedy order). The steps come from a fixed-seed pseudo-random generator (`SEED`): the same
  plan on every run.
* **Ejection moves.** For a late (or `no_capacity`) order X and an earlier allowed resource-day it may
  use: put X there, taking out first, if room is short, the smallest sets (up to `MAX_EVICT` orders)
  whose units make room; each goes back to its own earliest allowed resource-day with room (X's old
  place, another resource the same day, or later), then late orders take any room the move freed. Per X
  the best acceptable move (rule below) is kept; sweeps over the late orders repeat until one changes
  nothing.
* **Settling.** Until nothing changes: every late or `no_capacity` order moves to its earliest allowed
  day with room (regular capacity first, as in the engine) and every order on overtime moves to a
  same-or-earlier allowed resource-day with enough regular room, if there is one.

The pass: all classes re-sequenced from rush down to low; then, per class from rush down to low (a
*stage*, twice over with different seeds): the lower classes are taken out (under precedence they have
no claim on the room they hold), the class is re-sequenced and swept with ejection moves, the lower
classes are re-sequenced back in (or, if some order would find no place, put back where they were), and
the plan is settled; a last settling at the end. Each of these changes as a whole, and each ejection
move, is kept only if it passes the acceptance rule, else undone.

**Acceptance rule (strict precedence).** No scheduled order loses its place and, among the orders whose
days late change, the highest-priority class's total days late strictly decreases while the
priority-weighted sum Σ w·days late (w = 8/4/2/1 for rush/high/normal/low) does not increase. So a
higher-priority order is never made later for a lower one (nor one rush order later for another unless
rush lateness as a whole goes down); moving an order to another resource the same day is free. An
unschedulable order counts as late until the day after the horizon: scheduling it is a gain. Precedence
here is priority, whatever `PlanSettings.ordering` says (with `weekly_buckets` the pass may undo its
week-first order where that lowers lateness by priority).

Kept by construction: capacity (regular + overtime) per resource-day, allowed days (customer window, not
a holiday, not maintenance, within the horizon, not before the requested date), pinned resources, whole
orders. After settling the plan also satisfies the engine's output rules: no order has room on an
earlier allowed day, overtime only where no allowed day up to the order's had regular room, `no_capacity`
only where no allowed day has room. Every loop runs in a fixed order: deterministic.

Cost: pure Python, bounded by `WORK` (order placements tried). About 3 s for 200 orders (half of it the
second round); at 100,000 orders over 30 s with only a small gain before the budget is spent - far above
the 1 s budget of the daily plan, hence off by default (`PlanSettings.improve`).
"""

from __future__ import annotations

import bisect
import dataclasses
import random
from collections.abc import Mapping, Sequence

from customer_master.scheduling.engine import _processing_order, _quantity, holiday_days
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

WORK = 4_000_000
"""Budget of the whole pass in order placements tried (re-sequencing) and moves tried (ejection, each
counted as 10): when it runs out the remaining searches stop early; settling still runs."""

SEED = 20260601
"""Seed of the re-sequencing's pseudo-random steps (fixed: the same plan on every run)."""

_N_CLASSES = len(PRIORITY_RANK)
ROUNDS = 2
_LOST = 1 << 30  # days late of a scheduled order a sequence fails to place: never better

_Place = tuple[int, int]  # (day index, resource column)
_Snapshot = tuple[
    list[int], list[int], list[float], list[float], list[float], list[float], list[list[int]]
]  # day, res, reg, ot, rem_reg, rem_ot, members


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
            search.stage(cls)
    search.settle()
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
        self.cap_reg, self.cap_ot = [0.0] * size, [0.0] * size
        self.rem_reg, self.rem_ot = [0.0] * size, [0.0] * size
        self.summary_index = [0] * size
        for i, c in enumerate(plan.capacity):
            b = (c.day.toordinal() - plan_ord) * n_res + res_index[c.resource]
            self.cap_reg[b], self.cap_ot[b] = c.capacity, c.overtime_capacity
            self.rem_reg[b] = c.capacity - c.scheduled_units
            self.rem_ot[b] = c.overtime_capacity - c.scheduled_overtime_units
            self.summary_index[b] = i
        self.orig_rem = (list(self.rem_reg), list(self.rem_ot))
        self.members: list[list[int]] = [[] for _ in range(size)]

        # Orders taking part: scheduled, or unschedulable for lack of capacity.
        holidays = holiday_days(plan_date, n_days, settings.country)
        first_weekday = plan_date.isoweekday()
        by_window: dict[DeliveryWindow, tuple[list[int], frozenset[int]]] = {}
        n = len(orders)
        self.q, self.rank, self.weight = [0.0] * n, [0] * n, [0] * n
        self.req, self.penalty, self.first = [0] * n, [0] * n, [0] * n
        self.allowed: list[list[int]] = [[]] * n
        self.allowed_set: list[frozenset[int]] = [frozenset()] * n
        self.eligible: list[list[int]] = [[]] * n
        self.window: list[DeliveryWindow] = [settings.default_window] * n  # read for orders taking part
        self.day, self.res, self.reg, self.ot = [-1] * n, [-1] * n, [0.0] * n, [0.0] * n
        taking_part = []
        requested = [0] * n  # ordinals of the requested dates of the orders taking part
        every_resource = list(range(n_res))
        for p, (o, a) in enumerate(zip(orders, plan.assignments, strict=True)):
            if a.status == "scheduled":
                q: float | None = a.units
            elif a.reason == REASON_NO_CAPACITY and n_res:
                q = _quantity(o.quantity)
            else:
                continue
            # Scheduled or out of capacity: the order passed the engine's validation.
            assert q is not None and o.customer_id is not None and o.requested_date is not None
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
                self.ot[p] = a.overtime_units
                self.reg[p] = q - a.overtime_units
                self.members[d * n_res + j].append(p)
            taking_part.append(p)
        self.candidates = _processing_order(orders, taking_part, requested, "strict")
        self.proc_pos = {p: i for i, p in enumerate(self.candidates)}
        self.active = self.candidates
        self.late_list: list[int] = []  # refill candidates: the late orders when the sweep began
        self.seed = SEED
        self.orig = {p: (self.day[p], self.res[p], self.ot[p]) for p in taking_part}
        # Undo log of a tentative move: bucket -> (rem_reg, rem_ot, [(member, reg, ot)]), order -> state.
        self._saved: dict[int, tuple[float, float, list[tuple[int, float, float]]]] | None = None
        self._moved: dict[int, tuple[int, int, float, float]] | None = None
        self._freed: list[int] = []

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
            self.rem_ot[b] = max(self.rem_ot[b] - overtime, 0.0)
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
        self.day[p], self.res[p], self.reg[p], self.ot[p] = -1, -1, 0.0, 0.0
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
        self.settle()
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

    # --- re-sequencing ------------------------------------------------------------------------------
    def _decode(
        self, sequence: list[int], rem_reg: list[float], rem_ot: list[float]
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
                fallback = -1
                for j in eligible:
                    b = base + j
                    if rem_reg[b] >= q:
                        found = (allowed[k], j)
                        break
                    if fallback < 0 and rem_reg[b] + rem_ot[b] >= q:
                        fallback = j
                if found is None and fallback >= 0:
                    found = (allowed[k], fallback)
                if found is not None:
                    b = base + found[1]
                    rem = rem_reg[b]
                    regular = rem if rem < q else q
                    rem_reg[b] = rem - regular
                    if q - regular > 0:
                        rem_ot[b] = max(rem_ot[b] - (q - regular), 0.0)
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
        after it in their given order."""
        rem_reg, rem_ot = self.rem_reg, self.rem_ot
        weight = self.weight

        def value(seq: list[int]) -> tuple[tuple[int, int], list[_Place | None]]:
            reg, ot = list(rem_reg), list(rem_ot)
            own, places = self._decode(seq, reg, ot)
            after = 0
            if followers:
                _, follower_places = self._decode(followers, reg, ot)
                for p, place in zip(followers, follower_places, strict=True):
                    late = self.penalty[p] if place is None else max(place[0] - self.req[p], 0)
                    after += weight[p] * late
            return (own, after), places

        best, places = value(sequence)
        cost = len(sequence) + (len(followers) if followers else 0)
        steps = min(SEQUENCE_STEPS, STEPS_PER_ORDER * len(sequence), self.work // cost)
        stall = 0
        for _ in range(steps):
            self.work -= cost
            stall += 1
            if stall > steps // 2:  # half the steps without a gain: done
                break
            req = self.req
            late = [k for k, at in enumerate(places) if k and (at is None or at[0] > req[sequence[k]])]
            trial = list(sequence)
            if late and rng.random() < 0.8:  # a late order earlier in the sequence
                k = late[rng.randrange(len(late))]
                trial.insert(rng.randrange(k), trial.pop(k))
            else:  # two orders swapped
                i, k = rng.randrange(len(trial)), rng.randrange(len(trial))
                trial[i], trial[k] = trial[k], trial[i]
            trial_value, trial_places = value(trial)
            if trial_value <= best:
                if trial_value < best:
                    stall = 0
                best, sequence, places = trial_value, trial, trial_places
        return best[0], sequence, places

    def _place_classes(self, classes: range) -> bool:
        """Place the (taken-out) orders of `classes`, class by class, each in the sequence found best for
        it given what is placed; False (and some left out) if a scheduled order found no place."""
        ok = True
        placed_before = {p for p in self.candidates if self.day[p] >= 0}
        for cls in classes:
            members = [p for p in self.candidates if self.rank[p] == cls]
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
        for p in self.candidates:
            if self.day[p] >= 0:
                self.remove(p)
        self._place_classes(range(_N_CLASSES))
        self.settle()
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
    def _evictions(self, b: int, deficit: float) -> list[tuple[int, ...]]:
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
                units=self.q[p],
                overtime_units=overtime,
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
            used_reg, used_ot = c.capacity - rem_reg, c.overtime_capacity - rem_ot
            utilization = (used_reg + used_ot) / c.capacity if c.capacity > 0 else 0.0
            capacity[i] = dataclasses.replace(
                c, scheduled_units=used_reg, scheduled_overtime_units=used_ot, utilization=utilization
            )
        return Plan(settings, tuple(assignments), tuple(capacity))
