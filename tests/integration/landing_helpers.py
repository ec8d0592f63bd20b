"""Synthetic but realistic Monday boards and columnar item pages for warehouse tests.

Independent of the Monday client and the sandbox on purpose: these build `ItemPage`s exactly as the
contract in `customer_master.monday.models` describes them (aligned dict-of-lists, every column type
with its typed projection filled, unparseable values kept verbatim and quarantined).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path

from customer_master.monday.models import (
    COLUMN_VALUE_FIELDS,
    ITEM_FIELDS,
    Board,
    Column,
    Group,
    ItemPage,
    QuarantineRecord,
)
from customer_master.warehouse.base import RunInfo

BASE_TIME = dt.datetime(2026, 11, 1, 8, 0, 0)

COLUMNS: tuple[Column, ...] = (
    Column(id="name", title="Name", type="name"),
    Column(id="text_customer", title="Customer", type="text"),
    Column(
        id="status",
        title="Status",
        type="status",
        settings_str='{"labels":{"0":"Open","1":"Done","2":"Stuck"}}',
    ),
    Column(id="date_requested", title="Requested date", type="date"),
    Column(id="numbers_qty", title="Quantity", type="numbers"),
    Column(id="checkbox_rush", title="Rush", type="checkbox"),
    Column(id="timeline_window", title="Delivery window", type="timeline"),
    Column(id="phone", title="Phone", type="phone"),
    Column(id="connect_customer", title="Customer link", type="board_relation"),
    Column(id="dropdown_tags", title="Tags", type="dropdown"),
    Column(id="location", title="Address", type="location"),
)
STATUS_LABELS = ("Open", "Done", "Stuck")


def make_board(
    board_id: str = "1001",
    *,
    name: str = "Orders",
    columns: Iterable[Column] = COLUMNS,
    items_count: int | None = None,
) -> Board:
    return Board(
        id=board_id,
        name=name,
        state="active",
        board_kind="public",
        updated_at=dt.datetime(2026, 10, 30, 12, 0, tzinfo=dt.UTC),
        items_count=items_count,
        columns=tuple(columns),
        groups=(Group(id="topics", title="Open orders", position="1"),),
    )


def make_run(
    run_id: str = "run-1", partition_key: str | None = "2026-11-01", asset: str = "monday/orders"
) -> RunInfo:
    return RunInfo(run_id=run_id, asset=asset, partition_key=partition_key, started_at=BASE_TIME)


def item_id_for(n: int) -> str:
    return str(9_000_000_000 + n)


def _value(col: Column, n: int, version: int) -> dict[str, object]:
    """One parsed value row for item number n (typed projection per column type)."""
    v: dict[str, object] = dict.fromkeys(COLUMN_VALUE_FIELDS)
    day = dt.date(2026, 11, 1) + dt.timedelta(days=(n + version) % 60)
    match col.type:
        case "name" | "text":
            text = f"Customer {n % 997} v{version}" if col.type == "text" else f"Order {n}"
            v.update(text=text, value_json=json.dumps(text), value_string=text)
        case "status":
            label = STATUS_LABELS[(n + version) % 3]
            idx = STATUS_LABELS.index(label)
            v.update(
                text=label,
                value_json=json.dumps({"index": idx}),
                value_string=label,
                value_extra=json.dumps({"index": idx}),
            )
        case "date":
            v.update(text=day.isoformat(), value_json=json.dumps({"date": day.isoformat()}), value_date=day)
        case "numbers":
            qty = float((n * 7 + version) % 500) / 2
            v.update(text=str(qty), value_json=json.dumps(str(qty)), value_number=qty)
        case "checkbox":
            checked = (n + version) % 5 == 0
            v.update(
                text="v" if checked else "",
                value_json=json.dumps({"checked": "true"}) if checked else None,
                value_bool=checked,
            )
        case "timeline":
            end = day + dt.timedelta(days=3)
            v.update(
                text=f"{day} - {end}",
                value_json=json.dumps({"from": day.isoformat(), "to": end.isoformat()}),
                value_date=day,
                value_date_to=end,
            )
        case "phone":
            phone = f"+4930{n:07d}"
            v.update(
                text=phone,
                value_json=json.dumps({"phone": phone, "countryShortName": "DE"}),
                value_string=phone,
                value_extra=json.dumps({"country": "DE"}),
            )
        case "board_relation":
            ids = [str(5_000_000 + n % 997)]
            v.update(
                text=f"Customer {n % 997}", value_json=json.dumps({"linkedPulseIds": ids}), value_ids=ids
            )
        case "dropdown":
            labels = ["pallet", "fragile"] if n % 2 else ["parcel"]
            v.update(text=", ".join(labels), value_string=", ".join(labels), value_ids=json.dumps([1, 2]))
        case "location":
            v.update(
                text=f"Hauptstr. {n % 200}, Berlin",
                value_string=f"Hauptstr. {n % 200}, Berlin",
                value_extra={"lat": 52.52, "lng": 13.405},
            )
        case _:
            v.update(text=f"{col.type} {n}", value_string=f"{col.type} {n}")
    return v


def make_page(
    board_id: str,
    numbers: Iterable[int],
    *,
    columns: Iterable[Column] = COLUMNS,
    version: int = 0,
    state: str = "active",
    bad_every: int | None = None,
) -> ItemPage:
    """A page for item numbers `numbers`; `bad_every=k` makes every k-th value of the board unparseable
    (kept verbatim in `values`, and quarantined)."""
    cols = [c for c in columns if c.type != "name"]
    page = ItemPage(board_id=board_id)
    for n in numbers:
        iid = item_id_for(n)
        updated = BASE_TIME + dt.timedelta(minutes=n + version * 10_000)
        row = {
            "board_id": board_id,
            "item_id": iid,
            "name": f"Order {n}" + ("" if version == 0 else f" (edit {version})"),
            "state": state,
            "group_id": "topics",
            "created_at": BASE_TIME - dt.timedelta(days=30) + dt.timedelta(seconds=n),
            "updated_at": updated,
        }
        for f in ITEM_FIELDS:
            page.items[f].append(row[f])
        for j, col in enumerate(cols):
            v = _value(col, n, version)
            v.update(
                board_id=board_id,
                item_id=iid,
                column_id=col.id,
                column_type=col.type,
                item_updated_at=updated,
            )
            # value number n * len(cols) + j + 1 across the board: independent of the page size
            if bad_every and (n * len(cols) + j + 1) % bad_every == 0:
                raw = "not-a-value"
                for f in COLUMN_VALUE_FIELDS:
                    if f.startswith("value_") and f != "value_json":
                        v[f] = None
                v.update(text=raw, value_json=json.dumps({"weird": raw}))
                page.quarantine.append(
                    QuarantineRecord(
                        board_id=board_id,
                        item_id=iid,
                        column_id=col.id,
                        column_type=col.type,
                        reason=f"unparseable {col.type} value",
                        raw_text=raw,
                        raw_value=json.dumps({"weird": raw}),
                    )
                )
            for f in COLUMN_VALUE_FIELDS:
                page.values[f].append(v[f])
    return page


def make_pages(
    board_id: str, numbers: Iterable[int], *, page_size: int = 500, **kwargs: object
) -> Iterator[ItemPage]:
    batch: list[int] = []
    for n in numbers:
        batch.append(n)
        if len(batch) == page_size:
            yield make_page(board_id, batch, **kwargs)  # type: ignore[arg-type]
            batch = []
    if batch:
        yield make_page(board_id, batch, **kwargs)  # type: ignore[arg-type]


def values_per_item(columns: Iterable[Column] = COLUMNS) -> int:
    return sum(1 for c in columns if c.type != "name")


PROJECT_ROOT = Path(__file__).resolve().parents[2]


def python_child(code: str, *args: str) -> subprocess.Popen:
    """`code` (dedented) in a separate Python process with the project importable: another process
    holding, killing or reading a warehouse file. stdin is a pipe the test can use to signal it."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
