"""A small path syntax into one API record (a JSON object), pure Python.

    customer.email                                  key, then key
    line_items[0].sku                               a list element by position (0-based)
    line_items[*].quantity                          every element: the path yields a list
    note_attributes[name=requested_date].value      the first element whose `name` is "requested_date"
    meta_data[key=_priority].value                  (the value is compared as text, no quotes)

A key is any run of characters other than `.`, `[` and `]`; a selector is one of `[N]`, `[*]` or
`[field=value]`. A step that finds nothing (a missing key, an index past the end, a `null` on the
way, no element matching) makes the whole path missing (`None`), except under `[*]`, where each
element is followed on its own and elements that lead nowhere are skipped. Paths are parsed once,
when the YAML is validated, so a malformed path is a config error naming the key and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_KEY = re.compile(r"[^.\[\]]+")
_SELECTOR = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"-?\d+")


class PathSyntaxError(ValueError):
    """A path that does not follow the syntax above; the message says where it breaks."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    position: int


@dataclass(frozen=True, slots=True)
class Every:
    pass


@dataclass(frozen=True, slots=True)
class Match:
    field: str
    value: str


Step = Key | Index | Every | Match


def _selector(body: str, text: str) -> Step:
    body = body.strip()
    if body == "*":
        return Every()
    if _INDEX.fullmatch(body):
        return Index(int(body))
    field, eq, value = body.partition("=")
    if eq and field.strip() and value.strip():
        return Match(field.strip(), value.strip())
    raise PathSyntaxError(f"{text!r}: [{body}] is not a selector (use [0], [*] or [field=value])")


def parse_steps(text: str) -> tuple[Step, ...]:
    """`text` as steps; PathSyntaxError for an empty path, an empty key or a bad selector."""
    if not isinstance(text, str) or not text.strip():
        raise PathSyntaxError("a path must not be empty")
    text = text.strip()
    steps: list[Step] = []
    pos = 0
    expect_key = True
    while pos < len(text):
        if expect_key:
            key = _KEY.match(text, pos)
            if key is None:
                raise PathSyntaxError(f"{text!r}: expected a key at character {pos + 1}")
            steps.append(Key(key.group().strip()))
            pos = key.end()
            expect_key = False
            continue
        if text[pos] == "[":
            selector = _SELECTOR.match(text, pos)
            if selector is None:
                raise PathSyntaxError(f"{text!r}: unclosed '[' at character {pos + 1}")
            steps.append(_selector(selector.group(1), text))
            pos = selector.end()
        elif text[pos] == ".":
            pos += 1
            if pos == len(text):
                raise PathSyntaxError(f"{text!r}: ends with '.'")
            expect_key = True
        else:
            raise PathSyntaxError(f"{text!r}: unexpected {text[pos]!r} at character {pos + 1}")
    return tuple(steps)


def _follow(value: Any, steps: tuple[Step, ...]) -> Iterator[Any]:
    """Every value `steps` lead to from `value` (several only under `[*]`)."""
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, Key):
        if isinstance(value, dict) and value.get(step.name) is not None:
            yield from _follow(value[step.name], rest)
    elif isinstance(step, Index):
        if isinstance(value, list) and -len(value) <= step.position < len(value):
            item = value[step.position]
            if item is not None:
                yield from _follow(item, rest)
    elif isinstance(step, Every):
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    yield from _follow(item, rest)
    else:
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and _text(item.get(step.field)) == step.value:
                    yield from _follow(item, rest)
                    return


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A parsed path. `get` answers one value (or None); a path with `[*]` answers a list."""

    text: str
    steps: tuple[Step, ...]

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        return cls(text.strip(), parse_steps(text))

    @property
    def is_list(self) -> bool:
        return any(isinstance(step, Every) for step in self.steps)

    def get(self, record: Any) -> Any:
        values = list(_follow(record, self.steps))
        if self.is_list:
            return values
        return values[0] if values else None

    def __str__(self) -> str:
        return self.text
