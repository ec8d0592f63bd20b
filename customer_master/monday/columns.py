"""Typed parsing of Monday column values into the long, columnar `ItemPage`.

Every value row keeps Monday's `text` and raw `value` verbatim; on top of that one group of typed
projections (see `models.COLUMN_VALUE_FIELDS`) is filled according to the column type:

    status          value_string=label        value_extra={"index", "is_done"}
    date            value_date                value_extra={"time"} when a time is set
    timeline        value_date=from           value_date_to=to
    numbers         value_number (float)
    text, long_text value_string=the text
    email           value_string=the address  value_extra={"label"?, "valid"?} (sparse, see below)
    phone           value_string=the number   value_extra={"country"}
    dropdown        value_string=labels joined with ", "        value_ids=option ids
    checkbox        value_bool
    board_relation  value_string=display_value                  value_ids=linked item ids
    people          value_ids=person/team ids value_extra={"kinds"} unless all are persons
    location        value_string=address       value_extra={"lat", "lng", "city", "country", ...}
    hour            value_string="HH:MM" (24 h, zero-padded)
    anything else   text/value only

`value_ids` is a JSON array of id strings, `value_extra` a JSON object; empty values (and empty
strings/lists) leave the projections None. Extras are sparse where a default is obvious: an email
gets `label` only when it differs from the address and `valid: false` only when the address does
not look like one; people get `kinds` only when someone is a team or an agent.

Quarantine rule: a value is quarantined only when it cannot be parsed *structurally*: its `value`
is not valid JSON, a number is not numeric (or not finite), a date/time is not a calendar
date/time, a checkbox is neither true nor false, an id list holds things that are not ids, a
coordinate is not a number, an hour is not a time of day (25:00, "eight"). The row still lands with
its raw text/value and empty projections, and the page goes on. Plausibility is *not* checked here:
an email address that does not look like one is still parsed (value_extra.valid = false), an end
date before a start date is kept; judging such values is data quality, which dbt tests own. Values
of column types this module does not know (mirror, formula, ...) keep text/value only and are never
quarantined. An item without an id cannot be keyed at all and is quarantined whole.

Speed: the typed GraphQL fragments (queries.COLUMN_VALUE_SELECTION) already deliver typed fields,
so the fast path is plain dict access plus one `orjson.loads` per value (to prove `value` is JSON).
pydantic models of each type's raw `value` JSON are the slow path, used only when the typed
fields are missing or empty while `value` has content; their validation errors become precise
quarantine reasons.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from customer_master.common import truncate
from customer_master.monday.models import (
    COLUMN_VALUE_FIELDS,
    ITEM_FIELDS,
    ItemPage,
    QuarantineRecord,
)

__all__ = [
    "SUPPORTED_TYPES",
    "parse_items",
    "parse_timestamp",
]

_loads = orjson.loads
_dumps = orjson.dumps
_UTC = dt.UTC
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# (value_string, value_number, value_date, value_date_to, value_bool, value_ids, value_extra)
Typed = tuple[Any, Any, Any, Any, Any, Any, Any]
EMPTY: Typed = (None, None, None, None, None, None, None)
_MISSING = object()


class ParseError(ValueError):
    """A value that cannot be parsed structurally; the message is the quarantine reason."""


def _json(obj: Any) -> str:
    return _dumps(obj).decode()


def _preview(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return truncate(text, limit)


# --------------------------------------------------------------------------------------------
# Scalar helpers shared by the fast path and the pydantic models


def _date(value: Any, what: str) -> dt.date | None:
    """A calendar date from 'YYYY-MM-DD' or an ISO datetime (its date part)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
            return dt.datetime.fromisoformat(value).date()
        except ValueError as exc:
            raise ParseError(f"{what} {_preview(value)!r} is not a valid ISO date ({exc})") from None
    raise ParseError(f"{what} {_preview(value)!r} is not a date string")


def _time(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            dt.time.fromisoformat(value)
        except ValueError as exc:
            raise ParseError(f"{what} {_preview(value)!r} is not a valid time ({exc})") from None
        return value
    raise ParseError(f"{what} {_preview(value)!r} is not a time string")


def _number(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(f"{what} {value!r} is a boolean, not a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            raise ParseError(f"{what} {_preview(value)!r} is not numeric") from None
    else:
        raise ParseError(f"{what} {_preview(value)!r} is not numeric")
    if not math.isfinite(number):
        raise ParseError(f"{what} {_preview(value)!r} is not a finite number")
    return number


def _id(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise ValueError(f"{_preview(value)!r} is not an id")


def _ids_json(ids: list[str]) -> str | None:
    return _json(ids) if ids else None


def _place_name(value: Any) -> Any:
    """Location city/country come as a string or as {"long_name", "short_name"}."""
    if isinstance(value, Mapping):
        return value.get("long_name") or value.get("short_name")
    return value


def _empty_to_none(value: Any) -> Any:
    return None if value == "" else value


def _validated_date(value: Any) -> dt.date | None:
    try:
        return _date(value, "date")
    except ParseError as exc:
        raise ValueError(str(exc)) from None


def _validated_number(value: Any) -> float | None:
    try:
        return _number(value, "number")
    except ParseError as exc:
        raise ValueError(str(exc)) from None


def _validated_time(value: Any) -> str | None:
    try:
        return _time(value, "time")
    except ParseError as exc:
        raise ValueError(str(exc)) from None


Id = Annotated[str, BeforeValidator(_id)]
DateLike = Annotated[dt.date | None, BeforeValidator(_validated_date)]
Number = Annotated[float | None, BeforeValidator(_validated_number)]
TimeStr = Annotated[str | None, BeforeValidator(_validated_time)]
Place = Annotated[str | None, BeforeValidator(_place_name)]
OptStr = Annotated[str | None, BeforeValidator(_empty_to_none)]


# --------------------------------------------------------------------------------------------
# Slow path: pydantic models of each type's raw `value` JSON (monday-api.md §1.5)


class _ValueJson(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)

    def typed(self, cv: Mapping[str, Any]) -> Typed:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class StatusJson(_ValueJson):
    index: int | None = None
    label: OptStr = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        label = cv.get("label") or self.label
        if self.index is None and label is None:
            return EMPTY
        return (
            label,
            None,
            None,
            None,
            None,
            None,
            _json({"index": self.index, "is_done": cv.get("is_done")}),
        )


class DateJson(_ValueJson):
    date: DateLike = None
    time: TimeStr = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        if self.date is None:
            return EMPTY
        return (None, None, self.date, None, None, None, _json({"time": self.time}) if self.time else None)


class TimelineJson(_ValueJson):
    model_config = ConfigDict(populate_by_name=True)

    from_: DateLike = Field(default=None, alias="from")
    to: DateLike = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        if self.from_ is None and self.to is None:
            return EMPTY
        return (None, None, self.from_, self.to, None, None, None)


class TextJson(_ValueJson):
    text: OptStr = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        text = cv.get("text") or self.text
        return EMPTY if not text else (text, None, None, None, None, None, None)


class EmailJson(_ValueJson):
    email: OptStr = None
    text: OptStr = None  # the label

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _email_typed(self.email, self.text)


class PhoneJson(_ValueJson):
    phone: OptStr = None
    countryShortName: OptStr = None  # noqa: N815 - Monday's key

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _phone_typed(self.phone, self.countryShortName)


class DropdownJson(_ValueJson):
    ids: list[Id] = []
    labels: list[str] = []

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _dropdown_typed(self.ids, self.labels)


class CheckboxJson(_ValueJson):
    checked: bool | None = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return EMPTY if self.checked is None else (None, None, None, None, self.checked, None, None)


class _LinkedPulse(_ValueJson):
    linkedPulseId: Id  # noqa: N815 - Monday's key


class BoardRelationJson(_ValueJson):
    linkedPulseIds: list[_LinkedPulse] = []  # noqa: N815 - Monday's key

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        ids = [p.linkedPulseId for p in self.linkedPulseIds]
        display = cv.get("display_value") or None
        if not ids and display is None:
            return EMPTY
        return (display, None, None, None, None, _ids_json(ids), None)


class _PersonOrTeam(_ValueJson):
    id: Id
    kind: str | None = None


class PeopleJson(_ValueJson):
    personsAndTeams: list[_PersonOrTeam] = []  # noqa: N815 - Monday's key

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _people_typed([p.id for p in self.personsAndTeams], [p.kind for p in self.personsAndTeams])


class LocationJson(_ValueJson):
    address: OptStr = None
    lat: Number = None
    lng: Number = None
    city: Place = None
    country: Place = None
    countryShort: OptStr = None  # noqa: N815 - Monday's key

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _location_typed(self.address, self.lat, self.lng, self.city, self.country, self.countryShort)


class HourJson(_ValueJson):
    model_config = ConfigDict(coerce_numbers_to_str=False)  # hour and minute stay numbers

    hour: Any = None
    minute: Any = None

    def typed(self, cv: Mapping[str, Any]) -> Typed:
        return _hour_typed(self.hour, self.minute)


class _NumberJson(_ValueJson):
    number: Number = None


def _slow(model: type[_ValueJson], ctype: str, cv: Mapping[str, Any], v: Any) -> Typed:
    """Parse the decoded raw `value` with the type's pydantic model."""
    if v is None:
        return EMPTY
    if not isinstance(v, Mapping):
        raise ParseError(f"{ctype} value is a JSON {type(v).__name__}, expected an object")
    try:
        parsed = model.model_validate(v)
    except ValidationError as exc:
        raise ParseError(_validation_reason(ctype, exc)) from None
    return parsed.typed(cv)


def _validation_reason(ctype: str, exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "value"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{ctype} value field {loc!r}: {msg} (got {_preview(err.get('input'))!r})"


# --------------------------------------------------------------------------------------------
# Fast path: the typed fragment fields, per type


_CACHE_LIMIT = 4096
_STATUS_EXTRA: dict[tuple[Any, Any], str] = {}
_PHONE_EXTRA: dict[Any, str] = {}


def _cached(cache: dict[Any, str], key: Any, obj: Callable[[], Any]) -> str:
    found = cache.get(key)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[key] = _dumps(obj()).decode()
    return found


def _str_ids(ids: list[Any]) -> list[str]:
    """Ids as strings (GraphQL `ID` already is one; ints from raw `value` JSON are converted)."""
    for i in ids:
        if type(i) is not str:
            return [_id(x) for x in ids]
    return ids


def _email_typed(email: Any, label: Any) -> Typed:
    if not email:
        return EMPTY
    if type(email) is not str:
        raise ParseError(f"email {_preview(email)!r} is not a string")
    # Sparse extras: the label only when it says something else; `valid: false` flags an address
    # that does not look like one (kept as parsed: plausibility is dbt's call, not quarantine).
    if label and label != email:
        extra: dict[str, Any] = {"label": label}
        if not _EMAIL.match(email):
            extra["valid"] = False
    elif not _EMAIL.match(email):
        extra = {"valid": False}
    else:
        return (email, None, None, None, None, None, None)
    return (email, None, None, None, None, None, _dumps(extra).decode())


def _phone_typed(phone: Any, country: Any) -> Typed:
    if not phone:
        return EMPTY
    if type(phone) is not str:
        phone = str(phone)
    if not country:
        return (phone, None, None, None, None, None, None)
    extra = _PHONE_EXTRA.get(country)
    if extra is None:
        extra = _cached(_PHONE_EXTRA, country, lambda: {"country": country})
    return (phone, None, None, None, None, None, extra)


def _dropdown_typed(ids: list[str], labels: list[str]) -> Typed:
    if not ids and not labels:
        return EMPTY
    return (", ".join(labels) or None, None, None, None, None, _dumps(ids).decode() if ids else None, None)


def _people_typed(ids: list[str], kinds: list[Any]) -> Typed:
    if not ids:
        return EMPTY
    # Kinds only when someone is not a person (a team or an agent): persons are the default.
    extra = None
    for kind in kinds:
        if kind != "person":
            extra = _dumps({"kinds": kinds}).decode()
            break
    return (None, None, None, None, None, _dumps(ids).decode(), extra)


def _whole(value: Any, what: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ParseError(f"hour {what} {_preview(value)!r} is not a whole number")


def _hour_typed(hour: Any, minute: Any) -> Typed:
    if hour is None and minute is None:
        return EMPTY
    h = _whole(hour, "hour")
    m = 0 if minute is None else _whole(minute, "minute")
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ParseError(f"hour {h:02d}:{m:02d} is not a time of day")
    return (f"{h:02d}:{m:02d}", None, None, None, None, None, None)


def _location_typed(address: Any, lat: Any, lng: Any, city: Any, country: Any, country_short: Any) -> Typed:
    lat = _number(lat, "latitude")
    lng = _number(lng, "longitude")
    if not address and lat is None and lng is None:
        return EMPTY
    extra = {"lat": lat, "lng": lng, "city": city or None, "country": country or None}
    if country_short:
        extra["country_short"] = country_short
    return (address or None, None, None, None, None, None, _dumps(extra).decode())


def _status(cv: Mapping[str, Any], v: Any) -> Typed:
    if "label" not in cv and "index" not in cv:
        return _slow(StatusJson, "status", cv, v)
    label = cv.get("label")
    index = cv.get("index")
    if index is None and not label:
        return EMPTY if v is None else _slow(StatusJson, "status", cv, v)
    if index is not None and type(index) is not int:
        raise ParseError(f"status index {_preview(index)!r} is not an integer")
    is_done = cv.get("is_done")
    key = (index, is_done)
    extra = _STATUS_EXTRA.get(key)
    if extra is None:
        extra = _cached(_STATUS_EXTRA, key, lambda: {"index": index, "is_done": is_done})
    return (label or None, None, None, None, None, None, extra)


_fromisoformat_date = dt.date.fromisoformat


def _date_value(cv: Mapping[str, Any], v: Any) -> Typed:
    raw = cv.get("date", _MISSING)
    if raw is _MISSING:
        return _slow(DateJson, "date", cv, v)
    if not raw:
        return EMPTY if v is None else _slow(DateJson, "date", cv, v)
    day: dt.date | None
    if type(raw) is str and len(raw) == 10:
        try:
            day = _fromisoformat_date(raw)
        except ValueError:
            day = _date(raw, "date")  # raises with the precise reason
    else:
        day = _date(raw, "date")
    time = cv.get("time")
    if not time:
        return (None, None, day, None, None, None, None)
    return (None, None, day, None, None, None, _dumps({"time": _time(time, "time")}).decode())


def _timeline(cv: Mapping[str, Any], v: Any) -> Typed:
    if "from" not in cv and "to" not in cv:
        return _slow(TimelineJson, "timeline", cv, v)
    start, end = cv.get("from"), cv.get("to")
    if not start and not end:
        return EMPTY if v is None else _slow(TimelineJson, "timeline", cv, v)
    return (None, None, _date(start, "timeline start"), _date(end, "timeline end"), None, None, None)


def _numbers(cv: Mapping[str, Any], v: Any) -> Typed:
    number = cv.get("number")
    if type(number) is float:
        if number - number != 0.0:  # inf or nan
            raise ParseError(f"numbers value {number!r} is not a finite number")
        return (None, number, None, None, None, None, None)
    if number is not None:
        return (None, _number(number, "numbers value"), None, None, None, None, None)
    # Typed field empty: the raw value (a JSON string such as "4.50") or the text decides.
    raw = v if v is not None else cv.get("text")
    if isinstance(raw, dict):
        try:
            parsed = _NumberJson.model_validate(raw).number
        except ValidationError as exc:
            raise ParseError(_validation_reason("numbers", exc)) from None
    else:
        parsed = _number(raw, "numbers value")
    return EMPTY if parsed is None else (None, parsed, None, None, None, None, None)


def _text(cv: Mapping[str, Any], v: Any) -> Typed:
    text = cv.get("text")
    if text:
        return (text, None, None, None, None, None, None)
    if v is None:
        return EMPTY
    if type(v) is str:
        return EMPTY if not v else (v, None, None, None, None, None, None)
    return _slow(TextJson, cv.get("type") or "text", cv, v)


def _email(cv: Mapping[str, Any], v: Any) -> Typed:
    email = cv.get("email", _MISSING)
    if email is _MISSING:
        return _slow(EmailJson, "email", cv, v)
    if not email:
        return EMPTY if v is None else _slow(EmailJson, "email", cv, v)
    return _email_typed(email, cv.get("label"))


def _phone(cv: Mapping[str, Any], v: Any) -> Typed:
    phone = cv.get("phone", _MISSING)
    if phone is _MISSING:
        return _slow(PhoneJson, "phone", cv, v)
    if not phone:
        return EMPTY if v is None else _slow(PhoneJson, "phone", cv, v)
    return _phone_typed(phone, cv.get("country_short_name"))


def _dropdown(cv: Mapping[str, Any], v: Any) -> Typed:
    options = cv.get("values")
    if options is None:
        return _slow(DropdownJson, "dropdown", cv, v)
    if not options:
        return EMPTY if v is None else _slow(DropdownJson, "dropdown", cv, v)
    ids: list[str] = []
    labels: list[str] = []
    try:
        for option in options:
            oid = option["id"]
            ids.append(oid if type(oid) is str else _id(oid))
            labels.append(option["label"] or "")
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"dropdown options {_preview(options)!r} are malformed ({exc})") from None
    return _dropdown_typed(ids, labels)


def _checkbox(cv: Mapping[str, Any], v: Any) -> Typed:
    checked = cv.get("checked")
    if checked is None:
        return _slow(CheckboxJson, "checkbox", cv, v)
    if type(checked) is not bool:
        raise ParseError(f"checkbox value {_preview(checked)!r} is not a boolean")
    return (None, None, None, None, checked, None, None)


def _board_relation(cv: Mapping[str, Any], v: Any) -> Typed:
    linked = cv.get("linked_item_ids")
    if linked is None:
        return _slow(BoardRelationJson, "board_relation", cv, v)
    display = cv.get("display_value") or None
    if not linked:
        if display is None:
            return EMPTY if v is None else _slow(BoardRelationJson, "board_relation", cv, v)
        return (display, None, None, None, None, None, None)
    try:
        ids = _str_ids(linked)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"board_relation linked_item_ids {_preview(linked)!r}: {exc}") from None
    return (display, None, None, None, None, _dumps(ids).decode(), None)


def _people(cv: Mapping[str, Any], v: Any) -> Typed:
    entities = cv.get("persons_and_teams")
    if entities is None:
        return _slow(PeopleJson, "people", cv, v)
    if not entities:
        return EMPTY if v is None else _slow(PeopleJson, "people", cv, v)
    ids: list[str] = []
    kinds: list[Any] = []
    try:
        for entity in entities:
            eid = entity["id"]
            ids.append(eid if type(eid) is str else _id(eid))
            kinds.append(entity.get("kind"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"people persons_and_teams {_preview(entities)!r} are malformed ({exc})") from None
    return _people_typed(ids, kinds)


def _location(cv: Mapping[str, Any], v: Any) -> Typed:
    if "address" not in cv and "lat" not in cv:
        return _slow(LocationJson, "location", cv, v)
    address, lat, lng = cv.get("address"), cv.get("lat"), cv.get("lng")
    if not address and lat is None and lng is None:
        return EMPTY if v is None else _slow(LocationJson, "location", cv, v)
    return _location_typed(address, lat, lng, cv.get("city"), cv.get("country"), cv.get("country_short"))


def _hour(cv: Mapping[str, Any], v: Any) -> Typed:
    if "hour" not in cv and "minute" not in cv:
        return _slow(HourJson, "hour", cv, v)
    hour, minute = cv.get("hour"), cv.get("minute")
    if hour is None and minute is None:
        return EMPTY if v is None else _slow(HourJson, "hour", cv, v)
    return _hour_typed(hour, minute)


_HANDLERS: dict[str, Callable[[Mapping[str, Any], Any], Typed]] = {
    "status": _status,
    "date": _date_value,
    "timeline": _timeline,
    "numbers": _numbers,
    "text": _text,
    "long_text": _text,
    "email": _email,
    "phone": _phone,
    "dropdown": _dropdown,
    "checkbox": _checkbox,
    "board_relation": _board_relation,
    "people": _people,
    "location": _location,
    "hour": _hour,
}
SUPPORTED_TYPES: frozenset[str] = frozenset(_HANDLERS)


# --------------------------------------------------------------------------------------------
# Items


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Monday's item `created_at`/`updated_at` (ISO 8601, usually ...Z) as a *naive UTC* datetime,
    which is what both warehouse targets store (DuckDB TIMESTAMP, SQL Server datetime2)."""
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise ParseError(f"timestamp {_preview(value)!r} is not a string")
    try:
        if len(value) == 20 and value[19] == "Z":  # the usual '2026-01-15T09:12:33Z': already UTC
            return dt.datetime.fromisoformat(value[:19])
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ParseError(f"timestamp {_preview(value)!r} is not ISO 8601 ({exc})") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(_UTC).replace(tzinfo=None)
    return parsed


def parse_items(board_id: str, raw_items: list[dict[str, Any]]) -> ItemPage:
    """Turn one page of raw items (the `items` list of items_page/next_items_page) into a columnar
    `ItemPage`. Never raises on bad data: unparseable values and id-less items are quarantined.

    Built column by column with bound `list.append`s: no per-row tuples are kept alive, which
    would make the cyclic GC rescan them over and over (that alone halves throughput).
    """
    board_id = str(board_id)
    page = ItemPage(board_id=board_id)
    quarantine = page.quarantine
    q_append = quarantine.append
    it = page.items
    i_board, i_id, i_name, i_state, i_group, i_created, i_updated = (it[f].append for f in ITEM_FIELDS)
    vals = page.values
    values_column = vals["column_id"]
    values_item = vals["item_id"]
    values_updated = vals["item_updated_at"]
    (
        _,
        _,
        v_column,
        v_type,
        v_text,
        v_json,
        v_string,
        v_number,
        v_date,
        v_date_to,
        v_bool,
        v_ids,
        v_extra,
        _,
    ) = (vals[f].append for f in COLUMN_VALUE_FIELDS)
    handlers = _HANDLERS
    loads = _loads
    decode_error = orjson.JSONDecodeError

    for raw in raw_items:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        if type(item_id) is not str and (type(item_id) is not int or item_id < 0):
            item_id = None
        if not item_id:
            q_append(
                QuarantineRecord(
                    board_id=board_id,
                    item_id=None,
                    column_id=None,
                    column_type=None,
                    reason="item has no usable id; the whole item is quarantined",
                    raw_text=raw.get("name") if isinstance(raw, dict) else None,
                    raw_value=_safe_json(raw),
                )
            )
            continue
        item_id = str(item_id)
        try:
            created = parse_timestamp(raw.get("created_at"))
        except ParseError as exc:
            created = None
            q_append(
                QuarantineRecord(board_id, item_id, "created_at", "item", str(exc), raw.get("created_at"))
            )
        try:
            updated = parse_timestamp(raw.get("updated_at"))
        except ParseError as exc:
            updated = None
            q_append(
                QuarantineRecord(board_id, item_id, "updated_at", "item", str(exc), raw.get("updated_at"))
            )
        group = raw.get("group")
        i_board(board_id)
        i_id(item_id)
        i_name(raw.get("name"))
        i_state(raw.get("state") or "active")
        i_group(group.get("id") if isinstance(group, dict) else None)
        i_created(created)
        i_updated(updated)

        column_values = raw.get("column_values")
        if not column_values:
            continue
        if not isinstance(column_values, list):
            q_append(
                QuarantineRecord(
                    board_id,
                    item_id,
                    None,
                    None,
                    "column_values is not a list; the item landed without values",
                    raw_value=_safe_json(column_values),
                )
            )
            continue
        first_row = len(values_column)
        for cv in column_values:
            column_id = cv.get("id") if isinstance(cv, dict) else None
            if not column_id:
                q_append(
                    QuarantineRecord(
                        board_id,
                        item_id,
                        None,
                        cv.get("type") if isinstance(cv, dict) else None,
                        "column value has no column id",
                        raw_value=_safe_json(cv),
                    )
                )
                continue
            ctype = cv.get("type")
            text = cv.get("text")
            raw_value = cv.get("value")
            handler = handlers.get(ctype)
            if handler is None:
                # A type this module does not know: keep text/value verbatim, never parse.
                typed = EMPTY
                if raw_value is not None and type(raw_value) is not str:
                    raw_value = _safe_json(raw_value)
            else:
                try:
                    if raw_value is None:
                        v = None
                    elif type(raw_value) is str:
                        v = loads(raw_value)
                    else:
                        v = raw_value
                        raw_value = _json(raw_value)
                    typed = handler(cv, v)
                except decode_error as exc:
                    typed = EMPTY
                    reason = f"value is not valid JSON ({exc})"
                    q_append(QuarantineRecord(board_id, item_id, column_id, ctype, reason, text, raw_value))
                except ParseError as exc:
                    typed = EMPTY
                    q_append(QuarantineRecord(board_id, item_id, column_id, ctype, str(exc), text, raw_value))
                except (TypeError, ValueError, KeyError, AttributeError) as exc:
                    typed = EMPTY
                    reason = f"{ctype} value has an unexpected shape ({type(exc).__name__}: {exc})"
                    if raw_value is not None and type(raw_value) is not str:
                        raw_value = _safe_json(raw_value)
                    q_append(QuarantineRecord(board_id, item_id, column_id, ctype, reason, text, raw_value))
            v_column(column_id)
            v_type(ctype)
            v_text(text)
            v_json(raw_value)
            s, n, d, d2, b, ids, extra = typed
            v_string(s)
            v_number(n)
            v_date(d)
            v_date_to(d2)
            v_bool(b)
            v_ids(ids)
            v_extra(extra)
        # Per-item and per-page constants are filled in bulk rather than appended per value.
        rows = len(values_column) - first_row
        values_item.extend([item_id] * rows)
        values_updated.extend([updated] * rows)
    vals["board_id"] = [board_id] * len(values_column)
    return page


def _safe_json(obj: Any) -> str | None:
    if obj is None:
        return None
    try:
        return _json(obj)
    except TypeError:
        return repr(obj)
