"""The mapping assistant: propose a board mapping from an account's own boards (pure: boards in, YAML out).

For every field the platform reads (catalog.py), each column of the entity's board is scored:

    confidence = 0.6 x title similarity + 0.4 x type fit (+ evidence from sample values)

- title similarity: the best rapidfuzz `token_set_ratio` of the column title against the field's usual
  titles (`hints`), after lower-casing and stripping punctuation: "Qty" ~ "qty" 1.0, "Due date" ~
  "due date" 1.0, "Delivery days" ~ "delivery days" 1.0;
- type fit: 1.0 for the field's usual Monday column type, 0.75 for another type that holds it, 0.3 for a
  type the field's kind can still read, else the column is not a candidate;
- evidence: item names that look like order numbers ("PO-10023") make `name` a strong order_number
  candidate; text cells that look like "08:00-12:00" support a delivery window.

Columns are then assigned greedily, best pair first, each column to one field (a location column may
also feed city and country, a timeline both production dates). A field is proposed when its best
candidate reaches `MIN_CONFIDENCE`; otherwise it is left for the user: marked REQUIRED when the
platform needs it. Status and priority labels are sorted into value sets by their wording
("Churned", "On hold" -> inactive; "Done" -> delivered; "Critical" -> rush).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml
from rapidfuzz import fuzz
from rapidfuzz import utils as fuzz_utils

from customer_master.board_mapping.catalog import (
    ENTITIES,
    FIELDS,
    ITEM_NAME_COLUMN,
    KIND_COLUMN_TYPES,
    WRITE_BACK_COLUMNS,
    WRITE_BACK_ENTITY,
)
from customer_master.board_mapping.resolve import column_labels
from customer_master.monday.models import Board, Column

MIN_CONFIDENCE = 0.55
MIN_TITLE_SIMILARITY = 0.5
TITLE_WEIGHT, TYPE_WEIGHT = 0.6, 0.4
MAX_ALTERNATIVES = 3

# Words that put a status label into a value set (whole label, or a phrase inside it).
LABEL_WORDS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("customers", "status"): {
        "active": ("active", "customer", "current", "live", "ok", "enabled", "good standing"),
        "inactive": (
            "inactive", "churned", "churn", "lost", "on hold", "hold", "paused", "prospect", "lead",
            "former", "suspended", "blocked", "closed", "cancelled", "canceled", "archived", "dormant",
            "disabled", "terminated", "ex customer",
        ),
    },
    ("orders", "status"): {
        "open": (
            "new", "open", "confirmed", "in production", "production", "picking", "packing", "shipped",
            "in progress", "working on it", "pending", "planned", "scheduled", "ready", "received",
        ),
        "delivered": ("delivered", "done", "complete", "completed", "fulfilled", "closed"),
        "cancelled": ("cancelled", "canceled", "void", "voided", "rejected", "aborted", "lost"),
    },
    ("orders", "priority"): {
        "rush": ("rush", "critical", "urgent", "asap", "emergency", "highest", "top", "p0", "immediate"),
        "high": ("high", "important", "p1", "elevated"),
        "normal": ("normal", "medium", "standard", "regular", "p2", "default", "routine", "mid"),
        "low": ("low", "minor", "lowest", "p3", "p4"),
    },
}  # fmt: skip

_TEXT_TYPES = frozenset({"name", "text", "long_text", "auto_number"})
_ORDER_NUMBER = re.compile(r"^[A-Za-z]{0,6}[-#/ ._]?\d{3,}[A-Za-z0-9-]*$")
_HHMM_RANGE = re.compile(r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$")


@dataclass(frozen=True, slots=True)
class Candidate:
    column: Column
    confidence: float
    why: str
    kind: str
    extra_key: str | None = None


@dataclass(slots=True)
class FieldProposal:
    entity: str
    field: str
    required: bool
    chosen: Candidate | None = None
    # `dataclasses.field`: the attribute `field` above shadows the bare name for type checkers.
    alternatives: list[Candidate] = dataclasses.field(default_factory=list)
    values: dict[str, list[str]] | None = None
    unclassified_labels: list[str] = dataclasses.field(default_factory=list)


@dataclass(slots=True)
class Proposal:
    boards: dict[str, Board]
    fields: dict[str, list[FieldProposal]]
    generated_at: dt.datetime

    def proposal(self, entity: str, field_name: str) -> FieldProposal:
        return next(p for p in self.fields[entity] if p.field == field_name)

    @property
    def unmatched_required(self) -> list[str]:
        return [
            f"{p.entity}.{p.field}" for ps in self.fields.values() for p in ps if p.required and not p.chosen
        ]


# --- scoring (pure) -----------------------------------------------------------------------------


def title_similarity(title: str, hints: Sequence[str]) -> tuple[float, str]:
    """(0..1, the hint): the best token-set similarity of `title` to any hint (1.0 for an exact match).

    A token set that contains the hint's scores 1.0 ("Due date" ~ "due"), so a hint of one short word
    ("po", "qty") counts only as the whole title: "Ship to" must not look like a delivery window end.
    """
    processed = fuzz_utils.default_process(title)
    best, best_hint = 0.0, ""
    for hint in hints:
        h = fuzz_utils.default_process(hint)
        if " " not in h and len(h) < 4:
            similarity = 1.0 if processed == h else 0.0
        else:
            similarity = fuzz.token_set_ratio(processed, h) / 100.0
        if similarity > best:
            best, best_hint = similarity, hint
    return best, best_hint


def type_fit(entity: str, field_name: str, kind: str, column_type: str) -> float:
    spec = FIELDS[entity][field_name]
    if spec.column_types and column_type == spec.column_types[0]:
        return 1.0
    if column_type in spec.column_types:
        return 0.75
    if spec.column_types_only:
        return 0.0
    if column_type in KIND_COLUMN_TYPES[kind] and column_type != ITEM_NAME_COLUMN:
        return 0.3
    return 0.0


def _share(values: Sequence[str], pattern: re.Pattern[str]) -> float:
    filled = [v for v in values if v and v.strip()]
    return sum(1 for v in filled if pattern.match(v.strip())) / len(filled) if filled else 0.0


def score(
    entity: str, field_name: str, column: Column, samples: Mapping[str, Sequence[str]]
) -> Candidate | None:
    """The column as a candidate for the field, or None when its type cannot hold the field."""
    spec = FIELDS[entity][field_name]
    kind = next((k for k in spec.kinds if type_fit(entity, field_name, k, column.type) > 0), None)
    if kind is None:
        return None
    fit = type_fit(entity, field_name, kind, column.type)
    hints = (*spec.hints, field_name.replace("_", " "))
    title, hint = title_similarity(column.title, hints)
    why = [f"title {column.title!r} {title:.0%} like {hint!r}", f"{column.type} column"]
    confidence = TITLE_WEIGHT * title + TYPE_WEIGHT * fit
    if title < MIN_TITLE_SIMILARITY:  # a fitting type alone is not a match
        confidence = min(confidence, MIN_CONFIDENCE - 0.01)
    cells = samples.get(column.id, ()) if column.type in _TEXT_TYPES else ()
    if field_name == "order_number" and _share(cells, _ORDER_NUMBER) >= 0.8:
        confidence = max(confidence, 0.9)
        examples = list(dict.fromkeys(c for c in cells if c))[:3]
        why.append("values look like order numbers: " + ", ".join(examples))
    if field_name == "delivery_window" and _share(cells, _HHMM_RANGE) >= 0.5:
        confidence = max(confidence, 0.85)
        why.append("values look like 'HH:MM-HH:MM'")
    return Candidate(column, round(min(confidence, 1.0), 2), "; ".join(why), kind)


# --- assignment -----------------------------------------------------------------------------------

# Fields that read another field's column through an extra key or the other end of a timeline.
_FOLLOWERS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("customers", "city"): ("address", "location", "city"),
    ("customers", "country"): ("address", "location", "country"),
    ("orders", "production_end"): ("production_start", "timeline", None),
}


def propose_entity(
    entity: str, board: Board, samples: Mapping[str, Sequence[str]] | None = None
) -> list[FieldProposal]:
    samples = samples or {}
    columns = [c for c in board.columns if not c.archived]
    if entity == WRITE_BACK_ENTITY:
        # The delivery plan's own columns ("Plan status", ...) are written by the platform, never read.
        written = {spec.example_title.lower() for spec in WRITE_BACK_COLUMNS.values()}
        columns = [c for c in columns if c.title.strip().lower() not in written]
    if not any(c.id == ITEM_NAME_COLUMN for c in columns):  # Monday always lists it; a test board may not
        columns.append(Column(id=ITEM_NAME_COLUMN, title="Name", type="name"))
    proposals = {name: FieldProposal(entity, name, spec.required) for name, spec in FIELDS[entity].items()}
    pairs: list[tuple[float, str, Candidate]] = []
    for name in FIELDS[entity]:
        if (entity, name) in _FOLLOWERS:
            continue
        candidates = [c for col in columns if (c := score(entity, name, col, samples)) is not None]
        candidates.sort(key=lambda c: (-c.confidence, c.column.id))
        proposals[name].alternatives = candidates
        pairs.extend((c.confidence, name, c) for c in candidates)
    used: set[str] = set()
    for confidence, name, candidate in sorted(pairs, key=lambda p: (-p[0], p[1], p[2].column.id)):
        p = proposals[name]
        if p.chosen is not None or candidate.column.id in used or confidence < MIN_CONFIDENCE:
            continue
        p.chosen = candidate
        used.add(candidate.column.id)
    for p in proposals.values():
        p.alternatives = [c for c in p.alternatives if c is not p.chosen][:MAX_ALTERNATIVES]
    _follow(entity, proposals)
    for p in proposals.values():
        if p.chosen is not None and FIELDS[entity][p.field].value_sets:
            p.values, p.unclassified_labels = classify_labels(entity, p.field, column_labels(p.chosen.column))
    return list(proposals.values())


def _follow(entity: str, proposals: dict[str, FieldProposal]) -> None:
    for (e, name), (leader, column_type, extra_key) in _FOLLOWERS.items():
        lead = proposals[leader].chosen if e == entity else None
        if lead is None or lead.column.type != column_type:
            continue
        kind = "date_to" if name == "production_end" else lead.kind
        proposals[name].chosen = Candidate(
            lead.column, lead.confidence, f"the {leader} column's {extra_key or 'end date'}", kind, extra_key
        )


def classify_labels(
    entity: str, field_name: str, labels: Sequence[str]
) -> tuple[dict[str, list[str]] | None, list[str]]:
    """(value sets for the labels that say what they mean, labels that do not)."""
    words = LABEL_WORDS.get((entity, field_name))
    if not words or not labels:
        return None, list(labels)
    sets: dict[str, list[str]] = {}
    unclassified = []
    for label in labels:
        canonical = _classify(fuzz_utils.default_process(label), words)
        if canonical is None:
            unclassified.append(label)
        else:
            sets.setdefault(canonical, []).append(label)
    ordered = {c: sets[c] for c in words if c in sets}
    return (ordered or None), unclassified


def _classify(label: str, words: Mapping[str, Sequence[str]]) -> str | None:
    for canonical, phrases in words.items():  # exact first
        if label in phrases:
            return canonical
    for canonical, phrases in words.items():
        if any(re.search(rf"\b{re.escape(p)}\b", label) for p in phrases):
            return canonical
    return None


def propose(
    boards: Mapping[str, Board],
    samples: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    *,
    now: dt.datetime | None = None,
) -> Proposal:
    """A proposal for every entity; `samples[entity][column_id]` are a few cell texts (`name`: item names)."""
    samples = samples or {}
    return Proposal(
        boards=dict(boards),
        fields={e: propose_entity(e, boards[e], samples.get(e)) for e in ENTITIES},
        generated_at=now or dt.datetime.now(dt.UTC),
    )


# --- rendering ------------------------------------------------------------------------------------


def _flow(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True)
    return text.strip()


def _describe(c: Candidate) -> str:
    return f"{c.column.id} {c.column.title!r} ({c.confidence:.2f})"


def _field_line(p: FieldProposal) -> list[str]:
    spec = FIELDS[p.entity][p.field]
    alternatives = ", ".join(_describe(c) for c in p.alternatives)
    if p.chosen is None:
        if not p.required:
            hint = f"; candidates: {alternatives}" if alternatives else ""
            return [f"      # {p.field}: no column matched (optional: leave it out, or map it){hint}"]
        body: dict[str, object] = {"column_id": None, "title": None, "kind": spec.kinds[0]}
        note = f"REQUIRED, no column matched: fill in column_id and title ({spec.description})"
        if alternatives:
            note += f"; candidates: {alternatives}"
        return [f"      {p.field}: {_flow(body)}  # {note}"]
    c = p.chosen
    body = {"column_id": c.column.id, "title": c.column.title, "kind": c.kind}
    if c.extra_key:
        body["extra_key"] = c.extra_key
    if p.values:
        body["values"] = p.values
    note = f"{c.confidence:.2f}: {c.why}"
    if alternatives:
        note += f"; alternatives: {alternatives}"
    if p.unclassified_labels:
        note += f"; labels not classified (review): {', '.join(p.unclassified_labels)}"
    return [f"      {p.field}: {_flow(body)}  # {note}"]


def render_yaml(proposal: Proposal) -> str:
    """The proposed mapping file, every choice explained in a comment."""
    boards = ", ".join(f"{e} board {b.id} {b.name!r}" for e, b in proposal.boards.items())
    lines = [
        f"# Board mapping proposed by `python -m customer_master.board_mapping discover` on "
        f"{proposal.generated_at:%Y-%m-%d %H:%M} UTC",
        f"# for {boards}.",
        "# After each field: its confidence (0..1: column title against the field's usual titles, and the",
        "# column type), why, and the alternatives. Review every line; fill in the fields marked REQUIRED;",
        "# check the value sets of status and priority; then validate it against the live boards:",
        "#     python -m customer_master.board_mapping check --mapping <this file>",
        "# and point CM_BOARD_MAPPING at it.",
        "version: 1",
        "entities:",
    ]
    for entity, proposals in proposal.fields.items():
        board = proposal.boards[entity]
        lines += [f"  {entity}:", f"    board_id: {_flow(str(board.id))}  # {board.name}", "    fields:"]
        for p in proposals:
            lines += _field_line(p)
    return "\n".join(lines) + "\n"
