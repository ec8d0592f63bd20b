"""How rates read for people: one helper for the CLI, the check metadata and the materializations.

Rates are kept as fractions (0.001563) wherever a program reads them; people see percentages.
"""

from __future__ import annotations


def as_pct(rate: float, digits: int = 2) -> float:
    """0.001563 -> 0.16 (the number a `_pct` metadata entry holds)."""
    return round(float(rate) * 100, digits)


def percent(rate: float, digits: int = 2) -> str:
    """0.001563 -> '0.16 %'."""
    return f"{as_pct(rate, digits):.{digits}f} %"


def minutes(seconds: float) -> str:
    """300 -> '5 minutes', 90 -> '1.5 minutes', 3600 -> '60 minutes'."""
    value = seconds / 60
    return f"{value:g} minute{'' if value == 1 else 's'}"
