"""The polling fallback: find changed orders by asking Monday, for teams Monday cannot reach.

Each poll asks for the id and `updated_at` of the Orders board's items updated since yesterday
(`__last_updated__` is day-granular and follows the token owner's timezone, so the window starts a
day early) and keeps only the items whose `updated_at` moved since the previous poll. Items that
leave the board (archived, deleted, moved away) are not in that answer: every `state_check_every`
polls an id-only scan of the board's active items finds those that left since the previous scan.
Both kinds go into the change store like webhook events; the change sensor applies them.

What the poller saw last lives next to the change store (table `poll_items` / `poll_active` in the
same SQLite file), written only after the changes are stored: a poll that dies in between finds the
same changes again, which is harmless (a change is applied by reading the item as it is now).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

from customer_master.monday import MondayClient
from customer_master.realtime.sqlite_state import SqliteState
from customer_master.realtime.store import ChangeKey, ChangeStore

SOURCE = "monday"
KIND_UPDATED = "poll_updated"
KIND_DEPARTED = "poll_departed"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS poll_items (board_id TEXT NOT NULL, item_id TEXT NOT NULL, "
    "updated_at TEXT NOT NULL, PRIMARY KEY (board_id, item_id))",
    "CREATE TABLE IF NOT EXISTS poll_active (board_id TEXT NOT NULL, item_id TEXT NOT NULL, "
    "PRIMARY KEY (board_id, item_id))",
    "CREATE TABLE IF NOT EXISTS poll_boards (board_id TEXT PRIMARY KEY, polls INTEGER NOT NULL, "
    "scanned INTEGER NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class PollReport:
    board_id: str
    window_items: int  # items updated since the window's start
    moved: int  # of those, new or with a moved updated_at: enqueued
    departed: int  # left the active set since the previous scan: enqueued
    state_checked: bool
    api_calls: int
    complexity_used: int  # Monday complexity points this poll cost
    seconds: float

    def summary(self) -> str:
        scan = f", {self.departed} left the board" if self.state_checked else ""
        return (
            f"board {self.board_id}: {self.moved} changed of {self.window_items} updated since yesterday"
            f"{scan}; {self.api_calls} calls, {self.complexity_used} complexity points, {self.seconds:.2f} s"
        )


def moved_items(previous: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Items new to the window or whose updated_at differs from the previous poll."""
    return sorted((i for i, stamp in current.items() if previous.get(i) != stamp), key=lambda i: (len(i), i))


def departed_items(previous_active: set[str] | None, active_now: set[str]) -> list[str]:
    """Items active at the previous scan and not now; none on the first scan (nothing to compare)."""
    if previous_active is None:
        return []
    return sorted(previous_active - active_now, key=lambda i: (len(i), i))


class PollState(SqliteState):
    """What the poller saw last, per board (in the change store's SQLite file)."""

    schema = _SCHEMA

    def stamps(self, board_id: str) -> dict[str, str]:
        with self._connect() as db:
            rows = db.execute("SELECT item_id, updated_at FROM poll_items WHERE board_id = ?", [board_id])
            return dict(rows.fetchall())

    def active(self, board_id: str) -> set[str] | None:
        with self._connect() as db:
            scanned = db.execute("SELECT scanned FROM poll_boards WHERE board_id = ?", [board_id]).fetchone()
            if not scanned or not scanned[0]:
                return None
            return {
                r[0] for r in db.execute("SELECT item_id FROM poll_active WHERE board_id = ?", [board_id])
            }

    def polls(self, board_id: str) -> int:
        with self._connect() as db:
            row = db.execute("SELECT polls FROM poll_boards WHERE board_id = ?", [board_id]).fetchone()
            return int(row[0]) if row else 0

    def save(self, board_id: str, stamps: Mapping[str, str], active: set[str] | None) -> None:
        """The window as seen now (older items drop out: if one moves again it is new to the window)."""
        with self._connect() as db:
            db.execute("DELETE FROM poll_items WHERE board_id = ?", [board_id])
            db.executemany(
                "INSERT INTO poll_items (board_id, item_id, updated_at) VALUES (?, ?, ?)",
                [(board_id, i, s) for i, s in stamps.items()],
            )
            if active is not None:
                db.execute("DELETE FROM poll_active WHERE board_id = ?", [board_id])
                db.executemany(
                    "INSERT INTO poll_active (board_id, item_id) VALUES (?, ?)",
                    [(board_id, i) for i in active],
                )
            db.execute(
                "INSERT INTO poll_boards (board_id, polls, scanned) VALUES (?, 1, ?) ON CONFLICT (board_id) "
                "DO UPDATE SET polls = polls + 1, scanned = MAX(scanned, excluded.scanned)",
                [board_id, int(active is not None)],
            )


def poll_board(
    client: MondayClient,
    store: ChangeStore,
    state: PollState,
    board_id: str,
    *,
    today: dt.date,
    state_check_every: int = 4,
) -> PollReport:
    """One poll of `board_id`: enqueue the items that changed since the previous poll."""
    started = time.perf_counter()
    calls, points = client.stats.api_calls, client.stats.complexity_used
    board_id = str(board_id)
    stamps = client.updated_item_stamps(board_id, today - dt.timedelta(days=1))
    moved = moved_items(state.stamps(board_id), stamps)
    scan = state.polls(board_id) % max(1, state_check_every) == 0
    active_now = client.active_item_ids(board_id) if scan else None
    departed = departed_items(state.active(board_id), active_now) if active_now is not None else []
    store.enqueue(
        [(ChangeKey(SOURCE, board_id, i), None, KIND_UPDATED) for i in moved]
        + [(ChangeKey(SOURCE, board_id, i), None, KIND_DEPARTED) for i in departed]
    )
    state.save(board_id, stamps, active_now)
    return PollReport(
        board_id=board_id,
        window_items=len(stamps),
        moved=len(moved),
        departed=len(departed),
        state_checked=scan,
        api_calls=client.stats.api_calls - calls,
        complexity_used=client.stats.complexity_used - points,
        seconds=time.perf_counter() - started,
    )
