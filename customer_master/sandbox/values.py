"""Column values: raw cell storage -> Monday's `text`, `value` (a JSON *string*) and typed fields.

Raw cell representation per column type (what `Item.cells[slot]` holds; `None` = empty):

| type | raw |
|---|---|
| status | label index (int) |
| dropdown | tuple of label ids |
| text, long_text | str |
| email | str (address; label = address) or (address, label) |
| phone | (phone, country_short) |
| location | (lat, lng, address, place_id, city, city_short, country, country_short, street, street_number) |
| people | tuple of person ids |
| date | "YYYY-MM-DD" or ("YYYY-MM-DD", "HH:MM:SS") |
| timeline | ("YYYY-MM-DD", "YYYY-MM-DD") |
| numbers | str, exactly as Monday stores it ("120", "12.5") |
| checkbox | True |
| hour | (hour, minute), 24 h |
| board_relation | tuple of item ids (int) |
| anything else | str shown as text (UnsupportedValue) |

`value` strings follow monday-api.md §1.5 (e.g. numbers `"\\"4.50\\""`, checkbox
`{"checked":"true",...}`, board_relation text and value always null).

Each type is described once, as Python expressions per GraphQL field (`SPECS`). From that one
description the module generates (a) the *full* renderer graphql-core uses (every field of the
concrete type plus `__typename`; nested objects `label_style`, `values`, `persons_and_teams` are
plain dicts and `linked_items` are `Item`s) and (b) per-query *projection* renderers for the fast
path that build exactly the selected keys in one dict literal. One source, two executors.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from customer_master.sandbox.boards import status_color
from customer_master.sandbox.model import STATE_DELETED, Column, Workspace

GRAPHQL_TYPE_BY_COLUMN_TYPE: dict[str, str] = {
    "status": "StatusValue",
    "date": "DateValue",
    "timeline": "TimelineValue",
    "numbers": "NumbersValue",
    "text": "TextValue",
    "long_text": "LongTextValue",
    "email": "EmailValue",
    "phone": "PhoneValue",
    "dropdown": "DropdownValue",
    "checkbox": "CheckboxValue",
    "board_relation": "BoardRelationValue",
    "people": "PeopleValue",
    "location": "LocationValue",
    "hour": "HourValue",
}


def graphql_type_for(column_type: str) -> str:
    return GRAPHQL_TYPE_BY_COLUMN_TYPE.get(column_type, "UnsupportedValue")


_EPOCH = dt.date(1970, 1, 1)
_DAY_STRINGS: dict[int, str] = {}
_HMS: list[str] = []  # "T00:00:00" .. "T23:59:59", built on first use (86,400 short strings)


_LAST_STAMP: tuple = (None, None)


def stamps(ts: int) -> tuple[str, str]:
    """Epoch seconds -> (item timestamp "2026-10-02T10:11:12Z", value changed_at "...12.000Z")."""
    global _LAST_STAMP
    last = _LAST_STAMP  # one-entry memo: an item's updated_at is formatted twice in a row
    if last[0] == ts:
        return last[1]
    d, rem = divmod(ts, 86400)
    day = _DAY_STRINGS.get(d)
    if day is None:
        day = _DAY_STRINGS[d] = (_EPOCH + dt.timedelta(days=d)).isoformat()
    if not _HMS:
        _HMS.extend(f"T{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60) for sec in range(60))
    base = day + _HMS[rem]
    result = (base + "Z", base + ".000Z")
    _LAST_STAMP = (ts, result)
    return result


def item_ts(ts: int) -> str:
    return stamps(ts)[0]


def changed_at(ts: int) -> str:
    return stamps(ts)[1]


@functools.lru_cache(maxsize=4096)
def _status_value(index: int) -> str:
    return f'{{"index":{index}}}'


@functools.lru_cache(maxsize=4096)
def _label_style(index: int) -> dict:
    color, border, _ = status_color(index)
    return {"color": color, "border": border}


@functools.lru_cache(maxsize=256)
def _unit(settings_str: str) -> tuple[str | None, str | None]:
    try:
        unit = orjson.loads(settings_str).get("unit") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return None, None
    symbol = unit.get("symbol") or unit.get("custom_unit") or None
    return symbol, (unit.get("direction") if symbol else None)


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _dumps(obj) -> str:
    return orjson.dumps(obj).decode()


def _json_str(text: str) -> str:
    """JSON string literal, byte-identical to orjson's (quotes, backslash and controls escaped)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return orjson.dumps(text).decode()


def _date_value(day: str, time: str | None, changed: str) -> str:
    if time:
        return f'{{"date":"{day}","time":"{time}","changed_at":"{changed}"}}'
    return f'{{"date":"{day}","time":null,"changed_at":"{changed}"}}'


def _hour_value(raw, changed: str) -> str:
    return f'{{"hour":{raw[0]},"minute":{raw[1]},"changed_at":"{changed}"}}'


def _linked(ws: Workspace, ids) -> list:
    by_id = ws.items_by_id
    return [it for it in (by_id.get(i) for i in ids) if it is not None and it.state != STATE_DELETED]


def _person(ws: Workspace, pid: int) -> str:
    person = ws.people.get(pid)
    return person[0] if person else ""


def _people_value(ids, changed: str) -> str:
    entries = ",".join(f'{{"id":{p},"kind":"person"}}' for p in ids)
    return f'{{"changed_at":"{changed}","personsAndTeams":[{entries}]}}'


def _location_value(raw, changed: str) -> str:
    lat, lng, address, place_id, city, city_short, country, country_short, street, street_number = raw
    return orjson.dumps(
        {
            "lat": f"{lat}",
            "lng": f"{lng}",
            "address": address,
            "placeId": place_id,
            "city": {"long_name": city, "short_name": city_short},
            "country": {"long_name": country, "short_name": country_short},
            "street": {"long_name": street, "short_name": street},
            "streetNumber": {"long_name": street_number, "short_name": street_number},
            "changed_at": changed,
        }
    ).decode()


@dataclass(frozen=True)
class TypeSpec:
    """How one column type renders, as Python expressions over `col, raw, iso, changed, ws`.

    `prelude` lines (name, expression) run only for non-empty cells and only when a selected
    field needs them; `fields` are the non-empty values, `empty` the values of an empty cell.
    `id`, `type` and `__typename` are added for every type.
    """

    typename: str
    fields: dict[str, str]
    empty: dict[str, str]
    is_empty: str = "raw is None"
    prelude: tuple[tuple[str, str], ...] = ()
    type_expr: str | None = None


_NO_STAMP = {"updated_at": "None"}

SPECS: dict[str, TypeSpec] = {
    "status": TypeSpec(
        "StatusValue",
        prelude=(("label", "col.labels.get(raw, '')"),),
        fields={
            "text": "label",
            "value": "_status_value(raw)",
            "index": "raw",
            "label": "label",
            "is_done": "raw == col.done_index",
            "label_style": "_label_style(raw)",
            "update_id": "None",
            "updated_at": "iso",
        },
        empty={
            "text": "''",
            "value": "None",
            "index": "None",
            "label": "None",
            "is_done": "False",
            "label_style": "None",
            "update_id": "None",
            **_NO_STAMP,
        },
    ),
    "date": TypeSpec(
        "DateValue",
        prelude=(
            ("tup", "raw.__class__ is tuple"),
            ("day", "raw[0] if tup else raw"),
            ("time", "raw[1] if tup else None"),
        ),
        fields={
            "text": "(day + ' ' + time[:5]) if tup else raw",
            "value": "_date_value(day, time, changed)",
            "date": "day",
            "time": "time",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "date": "None", "time": "None", **_NO_STAMP},
    ),
    "timeline": TypeSpec(
        "TimelineValue",
        prelude=(("start", "raw[0]"), ("end", "raw[1]")),
        fields={
            "text": "start + ' - ' + end",
            "value": """'{"to":"%s","from":"%s","changed_at":"%s"}' % (end, start, changed)""",
            "from": "start + 'T00:00:00+00:00'",
            "to": "end + 'T00:00:00+00:00'",
            "visualization_type": "None",
            "updated_at": "iso",
        },
        empty={
            "text": "''",
            "value": "None",
            "from": "None",
            "to": "None",
            "visualization_type": "None",
            **_NO_STAMP,
        },
    ),
    "numbers": TypeSpec(
        "NumbersValue",
        fields={
            "text": "raw",
            "value": "_json_str(raw)",
            "number": "_to_float(raw)",
            "symbol": "_unit(col.settings_str)[0]",
            "direction": "_unit(col.settings_str)[1]",
        },
        empty={
            "text": "''",
            "value": "None",
            "number": "None",
            "symbol": "_unit(col.settings_str)[0]",
            "direction": "_unit(col.settings_str)[1]",
        },
    ),
    "text": TypeSpec(
        "TextValue", fields={"text": "raw", "value": "_json_str(raw)"}, empty={"text": "''", "value": "None"}
    ),
    "long_text": TypeSpec(
        "LongTextValue",
        fields={"text": "raw", "value": "_dumps({'text': raw, 'changed_at': changed})", "updated_at": "iso"},
        empty={"text": "''", "value": "None", **_NO_STAMP},
    ),
    "email": TypeSpec(
        "EmailValue",
        prelude=(
            ("pair", "raw.__class__ is tuple"),
            ("address", "raw[0] if pair else raw"),
            ("label", "raw[1] if pair else raw"),
        ),
        fields={
            "text": "address",
            "value": "_dumps({'email': address, 'text': label})",
            "email": "address",
            "label": "label",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "email": "None", "label": "None", **_NO_STAMP},
    ),
    "phone": TypeSpec(
        "PhoneValue",
        fields={
            "text": "raw[0]",
            "value": "_dumps({'phone': raw[0], 'countryShortName': raw[1]})",
            "phone": "raw[0]",
            "country_short_name": "raw[1]",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "phone": "None", "country_short_name": "None", **_NO_STAMP},
    ),
    "dropdown": TypeSpec(
        "DropdownValue",
        is_empty="not raw",
        prelude=(("labels", "col.labels"),),
        fields={
            "text": "', '.join([labels.get(i, '') for i in raw])",
            "value": """'{"ids":[' + ','.join(map(str, raw)) + ']}'""",
            "values": "[{'id': str(i), 'label': labels.get(i, '')} for i in raw]",
        },
        empty={"text": "''", "value": "None", "values": "[]"},
    ),
    "checkbox": TypeSpec(
        "CheckboxValue",
        is_empty="not raw",
        fields={
            "text": "'v'",
            "value": """'{"checked":"true","changed_at":"%s"}' % changed""",
            "checked": "True",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "checked": "False", **_NO_STAMP},
    ),
    "board_relation": TypeSpec(
        "BoardRelationValue",
        is_empty="not raw",
        prelude=(("linked", "_linked(ws, raw)"),),
        fields={
            "text": "None",
            "value": "None",
            "linked_item_ids": "[str(i) for i in raw]",
            "linked_items": "linked",
            "display_value": "', '.join([it.name for it in linked])",
            "updated_at": "iso",
        },
        empty={
            "text": "None",
            "value": "None",
            "linked_item_ids": "[]",
            "linked_items": "[]",
            "display_value": "''",
            **_NO_STAMP,
        },
    ),
    "people": TypeSpec(
        "PeopleValue",
        is_empty="not raw",
        fields={
            "text": "', '.join([_person(ws, p) for p in raw])",
            "value": "_people_value(raw, changed)",
            "persons_and_teams": "[{'id': str(p), 'kind': 'person'} for p in raw]",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "persons_and_teams": "[]", **_NO_STAMP},
    ),
    "location": TypeSpec(
        "LocationValue",
        fields={
            "text": "raw[2]",
            "value": "_location_value(raw, changed)",
            "address": "raw[2]",
            "city": "raw[4]",
            "city_short": "raw[5]",
            "country": "raw[6]",
            "country_short": "raw[7]",
            "lat": "raw[0]",
            "lng": "raw[1]",
            "place_id": "raw[3]",
            "street": "raw[8]",
            "street_number": "raw[9]",
            "updated_at": "iso",
        },
        empty={
            "text": "''",
            "value": "None",
            **{
                k: "None"
                for k in (
                    "address",
                    "city",
                    "city_short",
                    "country",
                    "country_short",
                    "lat",
                    "lng",
                    "place_id",
                    "street",
                    "street_number",
                )
            },
            **_NO_STAMP,
        },
    ),
    # Monday's text is the 24 h "HH:MM" form; value {"hour":8,"minute":0,"changed_at":...}.
    "hour": TypeSpec(
        "HourValue",
        fields={
            "text": "'%02d:%02d' % raw",
            "value": "_hour_value(raw, changed)",
            "hour": "raw[0]",
            "minute": "raw[1]",
            "updated_at": "iso",
        },
        empty={"text": "''", "value": "None", "hour": "None", "minute": "None", **_NO_STAMP},
    ),
}
UNSUPPORTED_SPEC = TypeSpec(
    "UnsupportedValue",
    is_empty="False",
    fields={"text": "'' if raw is None else str(raw)", "value": "None"},
    empty={},
    type_expr="col.type",
)


def spec_for(column_type: str) -> TypeSpec:
    return SPECS.get(column_type, UNSUPPORTED_SPEC)


_NAMESPACE = {
    "_status_value": _status_value,
    "_label_style": _label_style,
    "_unit": _unit,
    "_to_float": _to_float,
    "_dumps": _dumps,
    "_json_str": _json_str,
    "_date_value": _date_value,
    "_linked": _linked,
    "_person": _person,
    "_people_value": _people_value,
    "_location_value": _location_value,
    "_hour_value": _hour_value,
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _common(spec: TypeSpec, column_type: str, name: str) -> str | None:
    if name == "__typename":
        return repr(spec.typename)
    if name == "id":
        return "col.id"
    if name == "type":
        return spec.type_expr or repr(column_type)
    return None


def compile_renderer(
    column_type: str, selection: Sequence[tuple[str, str, Callable[..., Any] | None]] | None = None
) -> Callable[..., dict]:
    """Generate `render(col, raw, iso, changed, ws, run) -> dict` for one column type.

    `selection` is [(response key, field name, nested)] where `nested` is None for a scalar or a
    callable `nested(run, col, value)` producing the nested output (e.g. `column { id }`); None
    means "every field of the type, keyed by field name" (graphql-core's view).
    """
    spec = spec_for(column_type)
    if selection is None:
        names = ["__typename", "id", "type", *spec.fields]
        selection = [(n, n, None) for n in names]
    namespace: dict[str, Any] = dict(_NAMESPACE)  # the generated code's globals
    full_parts: list[str] = []
    empty_parts: list[str] = []
    for i, (key, name, nested) in enumerate(selection):
        common = _common(spec, column_type, name)
        if name == "column":
            expr = empty_expr = "col"
        elif common is not None:
            expr = empty_expr = common
        elif name in spec.fields:
            expr = spec.fields[name]
            empty_expr = spec.empty.get(name, "None")
        else:
            raise KeyError(f"{spec.typename} has no field {name}")
        if nested is not None:
            namespace[f"_n{i}"] = nested
            expr = f"_n{i}(run, col, {expr})"
            empty_expr = f"_n{i}(run, col, {empty_expr})"
        full_parts.append(f"{key!r}: {expr}")
        empty_parts.append(f"{key!r}: {empty_expr}")
    used = set(_WORD.findall(" ".join(full_parts)))
    prelude: list[str] = []
    for var, expr in reversed(spec.prelude):
        if var in used:
            prelude.insert(0, f"    {var} = {expr}")
            used.update(_WORD.findall(expr))
    src = (
        "def render(col, raw, iso, changed, ws, run):\n"
        f"    if {spec.is_empty}:\n"
        f"        return {{{', '.join(empty_parts)}}}\n"
        + ("\n".join(prelude) + "\n" if prelude else "")
        + f"    return {{{', '.join(full_parts)}}}\n"
    )
    exec(compile(src, f"<sandbox renderer {column_type}>", "exec"), namespace)  # noqa: S102 - generated from SPECS
    return namespace["render"]


_FULL: dict[str, Callable[..., dict]] = {}


def full_renderer(column_type: str) -> Callable[..., dict]:
    """All fields of the column type's GraphQL type (plus `__typename`), keyed by field name."""
    fn = _FULL.get(column_type)
    if fn is None:
        fn = _FULL[column_type] = compile_renderer(column_type)
    return fn


def render_full(col: Column, raw, ts: int, ws: Workspace) -> dict:
    iso, changed = stamps(ts)
    return full_renderer(col.type)(col, raw, iso, changed, ws, None)


# --------------------------------------------------------------------------- malformed values


def malformed_hash(item_id: int, column_id: str) -> float:
    """Deterministic fraction in [0, 1) for (item, column): reruns pick the same malformed cells."""
    return zlib.crc32(f"{item_id}:{column_id}".encode()) / 4294967296.0


def malform(fields: dict, item_id: int, column_id: str) -> dict:
    """A copy of a rendered (non-empty) value with a malformed `value` / typed field.

    Type-specific breakage for numbers ("abc"), date ("2025-13-45") and email (no "@"); for the
    other types, and for every other malformed cell of those types, the `value` JSON is truncated.
    """
    out = dict(fields)
    value = out.get("value")
    variant = zlib.crc32(f"{column_id}:{item_id}".encode()) & 1
    col_type = out["type"]
    if variant == 0 and col_type == "numbers":
        out.update(text="abc", value='"abc"', number=None)
    elif variant == 0 and col_type == "date":
        out.update(text="2025-13-45", value='{"date":"2025-13-45","time":null}', date="2025-13-45")
    elif variant == 0 and col_type == "email":
        bad = (out.get("email") or "someone").replace("@", " at ")
        out.update(text=bad, value=orjson.dumps({"email": bad, "text": bad}).decode(), email=bad, label=bad)
    elif isinstance(value, str) and len(value) > 2:
        out["value"] = value[: max(1, len(value) // 2)]
    else:
        out["value"] = "{"
    return out


# --------------------------------------------------------------------------- control-op input


class ValueParseError(ValueError):
    pass


def _parse_hour(value) -> tuple[int, int]:
    """{"hour": 8, "minute": 30} (Monday's value and change_column_value input) or "08:30"."""
    if isinstance(value, dict):
        hour, minute = int(value["hour"]), int(value.get("minute") or 0)
    else:
        text = str(value).strip()
        hour_text, _, minute_text = text.partition(":")
        hour, minute = int(hour_text), int(minute_text or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day")
    return (hour, minute)


def parse_value(col: Column, value, ws: Workspace):
    """Monday value input (the `value` JSON Monday returns, or change_column_value's input JSON) -> raw.

    Accepts a JSON string or an already-decoded object. `None`, `""` and `{}` clear the cell.
    """
    if isinstance(value, (str, bytes)):
        text = value.decode() if isinstance(value, bytes) else value
        if text.strip() == "":
            return None
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = text  # a bare string such as 4.5 or "hello" without JSON quoting
    if value is None or value == {} or value == "":
        return None
    t = col.type
    try:
        if t == "status":
            if isinstance(value, dict):
                if "index" in value:
                    return int(value["index"])
                if "label" in value:
                    for idx, label in col.labels.items():
                        if label == value["label"]:
                            return idx
                    raise ValueParseError(f"unknown status label {value['label']!r}")
            return int(value)
        if t == "dropdown":
            if isinstance(value, dict):
                if "ids" in value:
                    return tuple(int(i) for i in value["ids"]) or None
                if "labels" in value:
                    inv = {label: idx for idx, label in col.labels.items()}
                    return tuple(inv[label] for label in value["labels"]) or None
            if isinstance(value, list):
                return tuple(int(i) for i in value) or None
            return (int(value),)
        if t in ("text", "long_text"):
            if isinstance(value, dict):
                return str(value.get("text", "")) or None
            return str(value)
        if t == "numbers":
            return str(value)
        if t == "email":
            if isinstance(value, dict):
                email = str(value.get("email", ""))
                label = str(value.get("text", email))
                return email if label == email else (email, label)
            return str(value)
        if t == "phone":
            if isinstance(value, dict):
                return (str(value.get("phone", "")), str(value.get("countryShortName", "")))
            return (str(value), "")
        if t == "date":
            if isinstance(value, dict):
                day = value.get("date")
                if not day:
                    return None
                return (day, value["time"]) if value.get("time") else str(day)
            return str(value)
        if t == "timeline":
            return (str(value["from"]), str(value["to"]))
        if t == "checkbox":
            checked = value.get("checked") if isinstance(value, dict) else value
            return True if str(checked).lower() == "true" else None
        if t == "board_relation":
            if isinstance(value, dict):
                if "item_ids" in value:
                    ids = value["item_ids"]
                elif "linkedPulseIds" in value:
                    ids = [p["linkedPulseId"] for p in value["linkedPulseIds"]]
                else:
                    ids = []
            else:
                ids = value
            return tuple(int(i) for i in ids) or None
        if t == "people":
            if isinstance(value, dict):
                entries = value.get("personsAndTeams") or []
                return tuple(int(e["id"]) for e in entries) or None
            return tuple(int(i) for i in value) or None
        if t == "hour":
            return _parse_hour(value)
        if t == "location":
            v = value
            city = v.get("city") or {}
            country = v.get("country") or {}
            street = v.get("street") or {}
            number = v.get("streetNumber") or {}
            return (
                float(v.get("lat", 0)),
                float(v.get("lng", 0)),
                str(v.get("address", "")),
                str(v.get("placeId", "")),
                city.get("long_name") if isinstance(city, dict) else city,
                city.get("short_name") if isinstance(city, dict) else city,
                country.get("long_name") if isinstance(country, dict) else country,
                country.get("short_name") if isinstance(country, dict) else country,
                street.get("long_name") if isinstance(street, dict) else street,
                number.get("long_name") if isinstance(number, dict) else number,
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueParseError(f"cannot parse value {value!r} for {t} column {col.id}: {exc}") from exc
    return value if isinstance(value, str) else orjson.dumps(value).decode()
