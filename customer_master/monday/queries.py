"""GraphQL documents the client sends (API version 2026-07).

Each query validates against `customer_master/sandbox/schema.graphql` (a unit test checks this)
and uses only fields of Monday's published 2026-07 schema. Every query embeds
`complexity { before query after reset_in_x_seconds }` at the root so the client can pace itself
without extra calls. Selections are composed as strings (no named fragments) to keep each
document self-contained.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

COMPLEXITY_SELECTION = "complexity { before query after reset_in_x_seconds }"

# Typed fragments for every column type the parser understands (see columns.py). Generic `text`
# is empty for board_relation/mirror since API 2023-10, hence display_value/linked_item_ids.
COLUMN_VALUE_SELECTION = """column_values {
        id
        type
        text
        value
        ... on StatusValue { index label is_done }
        ... on DateValue { date time }
        ... on TimelineValue { from to }
        ... on NumbersValue { number }
        ... on EmailValue { email label }
        ... on PhoneValue { phone country_short_name }
        ... on DropdownValue { values { id label } }
        ... on CheckboxValue { checked }
        ... on BoardRelationValue { linked_item_ids display_value }
        ... on PeopleValue { persons_and_teams { id kind } }
        ... on LocationValue { address city country country_short lat lng }
        ... on HourValue { hour minute }
      }"""

ITEM_SELECTION = f"""id
      name
      state
      created_at
      updated_at
      group {{ id }}
      {COLUMN_VALUE_SELECTION}"""

BOARD_QUERY = f"""query GetBoard($board_ids: [ID!]) {{
  {COMPLEXITY_SELECTION}
  boards(ids: $board_ids, state: all) {{
    id
    name
    state
    board_kind
    updated_at
    items_count
    columns {{ id title type settings_str archived }}
    groups {{ id title position }}
  }}
}}"""

ITEMS_FIRST_PAGE_QUERY = f"""query ItemsPage($board_ids: [ID!], $limit: Int!, $query_params: ItemsQuery) {{
  {COMPLEXITY_SELECTION}
  boards(ids: $board_ids, state: all) {{
    items_page(limit: $limit, query_params: $query_params) {{
      cursor
      items {{
      {ITEM_SELECTION}
      }}
    }}
  }}
}}"""

ITEMS_NEXT_PAGE_QUERY = f"""query NextItemsPage($cursor: String!, $limit: Int!) {{
  {COMPLEXITY_SELECTION}
  next_items_page(cursor: $cursor, limit: $limit) {{
    cursor
    items {{
      {ITEM_SELECTION}
    }}
  }}
}}"""

# Id-only scans: reconciliation, and finishing a broken chain (with the pull's `query_params`).
ITEM_IDS_FIRST_PAGE_QUERY = f"""query ItemIdsPage(
  $board_ids: [ID!], $limit: Int!, $query_params: ItemsQuery
) {{
  {COMPLEXITY_SELECTION}
  boards(ids: $board_ids, state: all) {{
    items_page(limit: $limit, query_params: $query_params) {{
      cursor
      items {{ id }}
    }}
  }}
}}"""

ITEM_IDS_NEXT_PAGE_QUERY = f"""query NextItemIdsPage($cursor: String!, $limit: Int!) {{
  {COMPLEXITY_SELECTION}
  next_items_page(cursor: $cursor, limit: $limit) {{
    cursor
    items {{ id }}
  }}
}}"""

# Id + updated_at scans: the polling fallback for order changes (which items moved since the last poll).
ITEM_STAMPS_FIRST_PAGE_QUERY = f"""query ItemStampsPage(
  $board_ids: [ID!], $limit: Int!, $query_params: ItemsQuery
) {{
  {COMPLEXITY_SELECTION}
  boards(ids: $board_ids, state: all) {{
    items_page(limit: $limit, query_params: $query_params) {{
      cursor
      items {{ id updated_at }}
    }}
  }}
}}"""

ITEM_STAMPS_NEXT_PAGE_QUERY = f"""query NextItemStampsPage($cursor: String!, $limit: Int!) {{
  {COMPLEXITY_SELECTION}
  next_items_page(cursor: $cursor, limit: $limit) {{
    cursor
    items {{ id updated_at }}
  }}
}}"""

# `items` defaults to limit 25 even with ids, so the batch size is passed explicitly.
ITEM_STATES_QUERY = f"""query ItemStates($ids: [ID!], $limit: Int) {{
  {COMPLEXITY_SELECTION}
  items(ids: $ids, limit: $limit, exclude_nonactive: false) {{
    id
    state
    board {{ id }}
  }}
}}"""

# Items by id with everything a page carries: no cursor, so it never expires. `exclude_nonactive`
# is false and the caller keeps `state == active` itself (what items_page would have returned);
# `board` tells an item moved to another board apart.
ITEMS_BY_IDS_QUERY = f"""query ItemsByIds($ids: [ID!], $limit: Int) {{
  {COMPLEXITY_SELECTION}
  items(ids: $ids, limit: $limit, exclude_nonactive: false) {{
      {ITEM_SELECTION}
      board {{ id }}
  }}
}}"""

ALL_QUERIES: dict[str, str] = {
    "GetBoard": BOARD_QUERY,
    "ItemsPage": ITEMS_FIRST_PAGE_QUERY,
    "NextItemsPage": ITEMS_NEXT_PAGE_QUERY,
    "ItemIdsPage": ITEM_IDS_FIRST_PAGE_QUERY,
    "NextItemIdsPage": ITEM_IDS_NEXT_PAGE_QUERY,
    "ItemStates": ITEM_STATES_QUERY,
    "ItemStampsPage": ITEM_STAMPS_FIRST_PAGE_QUERY,
    "NextItemStampsPage": ITEM_STAMPS_NEXT_PAGE_QUERY,
    "ItemsByIds": ITEMS_BY_IDS_QUERY,
}

MAX_PAGE_LIMIT = 500
MAX_ITEMS_IDS = 100


def updated_since_params(since: dt.date) -> dict[str, Any]:
    """`query_params` for items updated on or after `since` (day-granular, in the token owner's
    timezone: callers overlap the window, see `incremental_since`)."""
    return {
        "rules": [
            {
                "column_id": "__last_updated__",
                "compare_value": ["EXACT", since.isoformat()],
                "operator": "greater_than_or_equals",
                "compare_attribute": "UPDATED_AT",
            }
        ]
    }


def with_complexity(query: str) -> str:
    """Add the complexity selection at the root of an operation that lacks it.

    Finds the operation's top-level selection set (the first `{` outside the variable definitions'
    parentheses) and inserts the selection right after it.
    """
    if "complexity" in query:
        return query
    depth = 0
    for i, ch in enumerate(query):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "{" and depth == 0:
            return f"{query[: i + 1]} {COMPLEXITY_SELECTION} {query[i + 1 :]}"
    return query
