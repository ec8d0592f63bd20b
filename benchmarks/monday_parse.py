"""Benchmark: `customer_master.monday.columns.parse_items` throughput on one core.

Synthesizes realistic raw items as the items query returns them (monday-api.md §1.5: every value
has `id type text value` plus its typed fragment fields, `value` a JSON string), ~10 column values
per item, a few empty values, then parses pages of 500 and reports items/s and values/s.

    .venv/bin/python benchmarks/monday_parse.py [--items 100000] [--json] [--sandbox]

`--sandbox` parses the raw pages the Monday sandbox serves for its orders board instead (fetched
once over loopback HTTP with the client's own query; only parsing is timed).

Target: >= 50,000 items/s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import orjson

from customer_master.monday.columns import parse_items

TARGET_ITEMS_PER_SECOND = 50_000


def _cv(cid: str, ctype: str, text: str | None, value: object, **typed: object) -> dict:
    raw = None if value is None else orjson.dumps(value).decode()
    return {"id": cid, "type": ctype, "text": text, "value": raw, **typed}


def synth_item(rng: random.Random, n: int) -> dict:
    """One raw item with 10 column values of the common types (about 10 % of them empty)."""
    status_labels = ["Working on it", "Done", "Stuck", "Not started"]
    idx = rng.randrange(4)
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    amount = round(rng.uniform(1, 10_000), 2)
    email = f"customer{n}@example.com"
    people = [{"id": str(48_000_000 + rng.randrange(50)), "kind": "person"}]
    linked = [str(9_000_000_000 + rng.randrange(1000)) for _ in range(rng.randint(0, 2))]
    values = [
        _cv(
            "status",
            "status",
            status_labels[idx],
            {"index": idx},
            index=idx,
            label=status_labels[idx],
            is_done=idx == 1,
        ),
        _cv("date4", "date", day, {"date": day, "time": None}, date=day, time=None),
        _cv("numbers", "numbers", str(amount), str(amount), number=amount),
        _cv("text", "text", f"Customer {n}", f"Customer {n}"),
        _cv("email", "email", email, {"email": email, "text": email}, email=email, label=email),
        _cv(
            "phone",
            "phone",
            "+12025550169",
            {"phone": "+12025550169", "countryShortName": "US"},
            phone="+12025550169",
            country_short_name="US",
        ),
        _cv(
            "dropdown",
            "dropdown",
            "Dairy, Frozen",
            {"ids": [1, 3]},
            values=[{"id": "1", "label": "Dairy"}, {"id": "3", "label": "Frozen"}],
        ),
        _cv("check", "checkbox", "v", {"checked": "true"}, checked=True),
        _cv("people", "people", "Dana Scully", {"personsAndTeams": people}, persons_and_teams=people),
        _cv(
            "connect",
            "board_relation",
            None,
            None,
            linked_item_ids=linked,
            display_value=", ".join(f"Order {i}" for i in linked),
        ),
    ]
    for v in values:  # ~10 % empty values
        if rng.random() < 0.1 and v["type"] not in ("board_relation",):
            v["text"], v["value"] = "", None
            for key in ("index", "label", "date", "number", "email", "phone", "checked"):
                if key in v:
                    v[key] = None
            if "values" in v:
                v["values"] = []
            if "persons_and_teams" in v:
                v["persons_and_teams"] = []
    return {
        "id": str(10_000_000_000 + n),
        "name": f"Item {n}",
        "state": "active",
        "created_at": "2026-01-15T09:12:33Z",
        "updated_at": f"{day}T10:00:00Z",
        "group": {"id": "topics"},
        "column_values": values,
    }


def synth_pages(total_items: int, page_size: int = 500) -> list[list[dict]]:
    rng = random.Random(42)
    return [
        [synth_item(rng, p * page_size + i) for i in range(page_size)]
        for p in range(total_items // page_size)
    ]


def sandbox_pages(total_items: int) -> list[list[dict]]:
    """Raw `items` lists of the sandbox's orders board, as the client's queries receive them."""
    import httpx

    from customer_master.monday.queries import ITEMS_FIRST_PAGE_QUERY, ITEMS_NEXT_PAGE_QUERY
    from customer_master.sandbox import BOARD_IDS, SandboxServer, WorkspaceSpec

    pages: list[list[dict]] = []
    with SandboxServer(WorkspaceSpec(orders=total_items)) as sb, httpx.Client(timeout=60) as http:
        headers = {"Authorization": sb.token, "API-Version": "2026-07"}

        def post(query: str, variables: dict) -> dict:
            body = {"query": query, "variables": variables}
            return orjson.loads(http.post(sb.url, content=orjson.dumps(body), headers=headers).content)[
                "data"
            ]

        page = post(ITEMS_FIRST_PAGE_QUERY, {"board_ids": [BOARD_IDS["orders"]], "limit": 500})["boards"][0][
            "items_page"
        ]
        while True:
            pages.append(page["items"])
            if not page["cursor"]:
                return pages
            page = post(ITEMS_NEXT_PAGE_QUERY, {"cursor": page["cursor"], "limit": 500})["next_items_page"]


def run(total_items: int, repeats: int = 3, *, sandbox: bool = False) -> dict:
    pages = sandbox_pages(total_items) if sandbox else synth_pages(total_items)
    best = float("inf")
    values = 0
    for _ in range(repeats):
        started = time.perf_counter()
        values = 0
        for page in pages:
            parsed = parse_items("7000000001", page)
            values += parsed.value_count
        best = min(best, time.perf_counter() - started)
    items = sum(len(page) for page in pages)
    return {
        "benchmark": "monday_parse_items",
        "source": "sandbox orders board" if sandbox else "synthetic, 10 values per item",
        "items": items,
        "values": values,
        "seconds": round(best, 4),
        "items_per_second": round(items / best),
        "values_per_second": round(values / best),
        "target_items_per_second": TARGET_ITEMS_PER_SECOND,
        "meets_target": items / best >= TARGET_ITEMS_PER_SECOND,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.add_argument("--sandbox", action="store_true", help="parse the sandbox's orders board pages")
    args = parser.parse_args(argv)
    result = run(args.items, sandbox=args.sandbox)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"parse_items ({result['source']}): {result['items_per_second']:,} items/s, "
            f"{result['values_per_second']:,} values/s "
            f"({result['items']:,} items in {result['seconds']} s, best of 3; target "
            f"{TARGET_ITEMS_PER_SECOND:,} items/s: {'met' if result['meets_target'] else 'NOT met'})"
        )
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
