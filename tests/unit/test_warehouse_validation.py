"""The staging validation decision, alone: counts in, failed rules out."""

from __future__ import annotations

import dataclasses

import pytest

from customer_master.warehouse.base import LoadValidationError
from customer_master.warehouse.validation import (
    RULE_DUPLICATE_ITEMS,
    RULE_DUPLICATE_VALUES,
    RULE_ERROR_RATE,
    RULE_FOREIGN_ROWS,
    RULE_ITEM_REQUIRED,
    RULE_MASS_DELETION,
    RULE_ORPHAN_VALUES,
    RULE_SHRINK,
    RULE_VALUE_REQUIRED,
    RULES,
    LoadRules,
    StagingCounts,
    deletion_fraction,
    error_rate,
    shrink_fraction,
    validate_load,
    validation_failures,
)

RULES_DEFAULT = LoadRules()
CLEAN = StagingCounts(
    board_id="1001",
    mode="full",
    items=100,
    values=1000,
    quarantined=10,
    active_before=100,
    active_after=100,
)


def failed_rules(counts: StagingCounts, rules: LoadRules = RULES_DEFAULT, *, force: bool = False) -> set[str]:
    return {f.split(":", 1)[0] for f in validation_failures(counts, rules, force=force)}


def test_a_clean_load_passes():
    assert validation_failures(CLEAN, RULES_DEFAULT) == []
    validate_load(CLEAN, RULES_DEFAULT)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("duplicate_item_ids", 1, RULE_DUPLICATE_ITEMS),
        ("items_missing_required", 2, RULE_ITEM_REQUIRED),
        ("values_missing_required", 3, RULE_VALUE_REQUIRED),
        ("duplicate_values", 1, RULE_DUPLICATE_VALUES),
        ("orphan_values", 4, RULE_ORPHAN_VALUES),
        ("foreign_rows", 5, RULE_FOREIGN_ROWS),
        ("quarantined", 51, RULE_ERROR_RATE),
        ("active_after", 49, RULE_SHRINK),
        ("reported_deleted", 11, RULE_MASS_DELETION),
        ("unreported_retired", 11, RULE_MASS_DELETION),
    ],
)
def test_each_rule_fails_the_load_with_a_message_naming_board_and_rule(field, value, rule):
    counts = dataclasses.replace(CLEAN, **{field: value})

    assert failed_rules(counts) == {rule}
    with pytest.raises(LoadValidationError) as err:
        validate_load(counts, RULES_DEFAULT)
    assert "board 1001" in str(err.value)
    assert rule in str(err.value)


def test_every_failed_rule_is_reported_at_once():
    counts = dataclasses.replace(CLEAN, duplicate_item_ids=1, orphan_values=2, quarantined=500)
    assert failed_rules(counts) == {RULE_DUPLICATE_ITEMS, RULE_ORPHAN_VALUES, RULE_ERROR_RATE}


def test_rule_names_are_unique():
    assert len(RULES) == len(set(RULES))


# --- error rate --------------------------------------------------------------------------------------
def test_error_rate_is_quarantined_values_over_values():
    assert error_rate(5, 100) == 0.05
    assert error_rate(0, 0) == 0.0
    assert error_rate(3, 0) == 1.0  # quarantine with nothing landed is all error


def test_an_error_rate_of_exactly_the_limit_passes_and_just_above_fails():
    assert failed_rules(dataclasses.replace(CLEAN, quarantined=50)) == set()  # 5.0 %
    assert failed_rules(dataclasses.replace(CLEAN, quarantined=51)) == {RULE_ERROR_RATE}  # 5.1 %


def test_the_error_rate_limit_is_configurable():
    counts = dataclasses.replace(CLEAN, quarantined=30)  # 3 %
    assert failed_rules(counts, LoadRules(max_error_rate=0.02)) == {RULE_ERROR_RATE}
    assert failed_rules(counts, LoadRules(max_error_rate=0.10)) == set()


def test_the_error_rate_rule_applies_to_incremental_loads_too():
    counts = dataclasses.replace(CLEAN, mode="incremental", values=10, quarantined=1)
    assert failed_rules(counts) == {RULE_ERROR_RATE}


# --- shrink guard ------------------------------------------------------------------------------------
def test_shrink_fraction():
    assert shrink_fraction(100, 40) == 0.6
    assert shrink_fraction(100, 150) == 0.0
    assert shrink_fraction(0, 0) == 0.0


def test_a_full_load_may_shrink_the_board_by_half_but_not_more():
    assert failed_rules(dataclasses.replace(CLEAN, active_after=50)) == set()
    assert failed_rules(dataclasses.replace(CLEAN, active_after=49)) == {RULE_SHRINK}


def test_an_empty_full_pull_of_a_populated_board_is_refused():
    counts = dataclasses.replace(CLEAN, items=0, values=0, quarantined=0, active_after=0)
    assert failed_rules(counts) == {RULE_SHRINK}


def test_force_waives_only_the_shrink_guard():
    counts = dataclasses.replace(CLEAN, active_after=0, duplicate_item_ids=1)
    assert failed_rules(counts, force=True) == {RULE_DUPLICATE_ITEMS}


def test_the_shrink_guard_ignores_incremental_loads_and_first_loads():
    assert failed_rules(dataclasses.replace(CLEAN, mode="incremental", active_after=0)) == set()
    assert failed_rules(dataclasses.replace(CLEAN, active_before=0, active_after=3)) == set()


def test_the_shrink_limit_is_configurable():
    counts = dataclasses.replace(CLEAN, active_after=80)  # -20 %
    assert failed_rules(counts, LoadRules(max_shrink_fraction=0.1)) == {RULE_SHRINK}


# --- mass deletion guard -----------------------------------------------------------------------------
def test_deletion_fraction():
    assert deletion_fraction(100, 25) == 0.25
    assert deletion_fraction(0, 3) == 0.0  # nothing active before: nothing to protect


def test_a_load_may_delete_ten_percent_of_the_board_but_not_more():
    assert failed_rules(dataclasses.replace(CLEAN, reported_deleted=10)) == set()
    assert failed_rules(dataclasses.replace(CLEAN, reported_deleted=11)) == {RULE_MASS_DELETION}


def test_reported_deletions_and_full_load_retirements_add_up():
    counts = dataclasses.replace(CLEAN, reported_deleted=6, unreported_retired=5)
    assert counts.deletions == 11
    assert failed_rules(counts) == {RULE_MASS_DELETION}


def test_the_guard_applies_to_incremental_loads_too():
    counts = dataclasses.replace(CLEAN, mode="incremental", reported_deleted=75)
    assert failed_rules(counts) == {RULE_MASS_DELETION}


def test_a_few_deletions_on_a_small_board_do_not_stop_a_nightly_run():
    small = dataclasses.replace(CLEAN, items=8, values=80, quarantined=0, active_before=8, active_after=8)
    assert failed_rules(dataclasses.replace(small, reported_deleted=1)) == set()  # 1 of 8 customers
    assert failed_rules(dataclasses.replace(small, reported_deleted=4)) == set()  # under 5 items
    assert failed_rules(dataclasses.replace(small, reported_deleted=5)) == {RULE_MASS_DELETION}


def test_the_mass_deletion_message_names_board_counts_share_and_override():
    counts = dataclasses.replace(CLEAN, active_before=2000, reported_deleted=1489, unreported_retired=11)
    with pytest.raises(LoadValidationError) as err:
        validate_load(counts, RULES_DEFAULT)
    message = str(err.value)
    assert message.startswith(
        "board 1001 (full load) failed validation; production unchanged: mass_deletion:"
    )
    assert "1500 of 2000 active items (75 %)" in message
    assert "1489 reported deleted by the source, 11 missing from a full pull" in message
    assert "more than 10 %" in message and "run config force: true" in message


def test_force_waives_the_mass_deletion_guard_but_no_data_rule():
    counts = dataclasses.replace(CLEAN, reported_deleted=90, orphan_values=1)
    assert failed_rules(counts, force=True) == {RULE_ORPHAN_VALUES}


def test_the_mass_deletion_limits_are_configurable():
    counts = dataclasses.replace(CLEAN, reported_deleted=30)
    assert failed_rules(counts, LoadRules(max_delete_fraction=0.5)) == set()
    assert failed_rules(counts, LoadRules(max_delete_fraction=0.0)) == {RULE_MASS_DELETION}
    assert failed_rules(counts, LoadRules(min_mass_deletion_items=31)) == set()
    message = validation_failures(counts, LoadRules(max_delete_fraction=0.125))[0]
    assert "more than 12.5 %" in message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_error_rate": -0.1},
        {"max_error_rate": 1.5},
        {"max_shrink_fraction": 2},
        {"max_delete_fraction": -0.01},
        {"max_delete_fraction": 1.1},
        {"min_mass_deletion_items": 0},
    ],
)
def test_rules_outside_zero_to_one_are_rejected(kwargs):
    with pytest.raises(ValueError):
        LoadRules(**kwargs)
