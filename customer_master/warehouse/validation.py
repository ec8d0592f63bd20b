"""Staging validation: a pure decision over counts, taken before anything touches production.

The warehouse measures staging with a few COUNT queries (`StagingCounts`); `validation_failures`
decides. Every rule has a name (the constants below) that appears in the error message, next to
the board id, so an alert says which board failed which rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_master.common import fmt_pct
from customer_master.monday.models import ExtractMode
from customer_master.warehouse.base import LoadValidationError

RULE_DUPLICATE_ITEMS = "duplicate_item_ids"
RULE_DUPLICATE_VALUES = "duplicate_values"
RULE_ITEM_REQUIRED = "item_required_fields"
RULE_VALUE_REQUIRED = "value_required_fields"
RULE_ORPHAN_VALUES = "orphan_values"
RULE_FOREIGN_ROWS = "foreign_board_rows"
RULE_ERROR_RATE = "error_rate"
RULE_SHRINK = "active_items_shrink"
RULE_MASS_DELETION = "mass_deletion"

RULES: tuple[str, ...] = (
    RULE_DUPLICATE_ITEMS,
    RULE_DUPLICATE_VALUES,
    RULE_ITEM_REQUIRED,
    RULE_VALUE_REQUIRED,
    RULE_ORPHAN_VALUES,
    RULE_FOREIGN_ROWS,
    RULE_ERROR_RATE,
    RULE_SHRINK,
    RULE_MASS_DELETION,
)


@dataclass(frozen=True, slots=True)
class LoadRules:
    """Thresholds. `max_error_rate` 0.05 is the business's "critical > 5 %" record error rate."""

    max_error_rate: float = 0.05
    # FULL loads only: refuse to shrink the board's active item count by more than this fraction.
    max_shrink_fraction: float = 0.5
    # Any load: refuse to mark more than this share of the board's active items deleted in one run
    # (CM_MAX_DELETE_FRACTION). A board that suddenly serves a fraction of its items (a token that
    # lost access, a filtered view) looks exactly like a mass deletion; archiving does not count.
    max_delete_fraction: float = 0.10
    # ... but only from this many deletions on: deleting 1 of 8 customers is a normal day.
    min_mass_deletion_items: int = 5

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ValueError(f"max_error_rate must be within [0, 1], got {self.max_error_rate}")
        if not 0.0 <= self.max_shrink_fraction <= 1.0:
            raise ValueError(f"max_shrink_fraction must be within [0, 1], got {self.max_shrink_fraction}")
        if not 0.0 <= self.max_delete_fraction <= 1.0:
            raise ValueError(f"max_delete_fraction must be within [0, 1], got {self.max_delete_fraction}")
        if self.min_mass_deletion_items < 1:
            raise ValueError(
                f"min_mass_deletion_items must be at least 1, got {self.min_mass_deletion_items}"
            )


@dataclass(frozen=True, slots=True)
class StagingCounts:
    """What is in staging for one board load, and what production holds for it now."""

    board_id: str
    mode: ExtractMode
    items: int = 0
    duplicate_item_ids: int = 0  # item ids that appear more than once
    items_missing_required: int = 0  # item rows with a NULL board_id, item_id or state
    values: int = 0
    duplicate_values: int = 0  # (item_id, column_id) pairs that appear more than once
    values_missing_required: int = 0  # value rows with a NULL item_id or column_id
    orphan_values: int = 0  # value rows whose item is not in staging items
    foreign_rows: int = 0  # item/value/quarantine rows that name another board
    quarantined: int = 0  # quarantine records staged (each counts as one bad value)
    active_before: int = 0  # production: the board's active items before the load
    active_after: int = 0  # the board's active items the swap would leave (FULL loads)
    reported_deleted: int = 0  # active items a reconciled state change marks deleted
    unreported_retired: int = 0  # FULL loads: active items neither pulled nor reported, marked deleted

    @property
    def deletions(self) -> int:
        """Active items this load would mark deleted."""
        return self.reported_deleted + self.unreported_retired


def error_rate(quarantined: int, values: int) -> float:
    """Quarantined values / values seen. Quarantine with no values at all is a 100 % error rate."""
    if values <= 0:
        return 1.0 if quarantined > 0 else 0.0
    return quarantined / values


def shrink_fraction(active_before: int, active_after: int) -> float:
    if active_before <= 0:
        return 0.0
    return max(0.0, (active_before - active_after) / active_before)


def deletion_fraction(active_before: int, deletions: int) -> float:
    if active_before <= 0:
        return 0.0
    return deletions / active_before


def is_mass_deletion(counts: StagingCounts, rules: LoadRules) -> bool:
    """More than `max_delete_fraction` of the active items, and at least `min_mass_deletion_items`."""
    n = counts.deletions
    return (
        n >= rules.min_mass_deletion_items
        and deletion_fraction(counts.active_before, n) > rules.max_delete_fraction
    )


def validation_failures(counts: StagingCounts, rules: LoadRules, *, force: bool = False) -> list[str]:
    """Every failed rule as `"<rule>: <detail>"`; empty when the load may be swapped in.

    `force` waives only the two guards on losing items (shrink, mass deletion): an operator
    confirming a board really lost them. The data rules are never waived.
    """
    c = counts
    out: list[str] = []
    if c.duplicate_item_ids:
        out.append(f"{RULE_DUPLICATE_ITEMS}: {c.duplicate_item_ids} item id(s) appear more than once")
    if c.items_missing_required:
        out.append(
            f"{RULE_ITEM_REQUIRED}: {c.items_missing_required} item row(s) lack board_id, item_id or state"
        )
    if c.values_missing_required:
        out.append(
            f"{RULE_VALUE_REQUIRED}: {c.values_missing_required} value row(s) lack item_id or column_id"
        )
    if c.duplicate_values:
        out.append(
            f"{RULE_DUPLICATE_VALUES}: {c.duplicate_values} (item, column) pair(s) appear more than once"
        )
    if c.orphan_values:
        out.append(f"{RULE_ORPHAN_VALUES}: {c.orphan_values} value row(s) belong to no staged item")
    if c.foreign_rows:
        out.append(f"{RULE_FOREIGN_ROWS}: {c.foreign_rows} row(s) name a board other than {c.board_id}")
    rate = error_rate(c.quarantined, c.values)
    if rate > rules.max_error_rate:
        out.append(
            f"{RULE_ERROR_RATE}: {c.quarantined} quarantined / {c.values} values = {fmt_pct(rate)} "
            f"> {fmt_pct(rules.max_error_rate)}"
        )
    if not force and is_mass_deletion(c, rules):
        share = deletion_fraction(c.active_before, c.deletions)
        limit = fmt_pct(rules.max_delete_fraction, digits=4)
        out.append(
            f"{RULE_MASS_DELETION}: {c.deletions} of {c.active_before} active items "
            f"({fmt_pct(share, digits=1)}) would be "
            f"marked deleted in one run ({c.reported_deleted} reported deleted by the source, "
            f"{c.unreported_retired} missing from a full pull), more than {limit}; "
            "check the token still sees the whole board (or OMS); if the items really are gone, rerun the "
            "asset with run config force: true"
        )
    if c.mode == "full" and not force:
        shrink = shrink_fraction(c.active_before, c.active_after)
        if shrink > rules.max_shrink_fraction:
            out.append(
                f"{RULE_SHRINK}: active items would fall from {c.active_before} to {c.active_after} "
                f"(-{fmt_pct(shrink, digits=1)} > {fmt_pct(rules.max_shrink_fraction)}); "
                "if this is real, rerun with force"
            )
    return out


def validate_load(counts: StagingCounts, rules: LoadRules, *, force: bool = False) -> None:
    """Raise `LoadValidationError` naming the board and every failed rule."""
    failures = validation_failures(counts, rules, force=force)
    if failures:
        raise LoadValidationError(
            f"board {counts.board_id} ({counts.mode} load) failed validation; production unchanged: "
            + "; ".join(failures)
        )
