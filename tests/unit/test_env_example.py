""".env.example lists every variable the settings tree reads, and nothing nobody reads."""

from __future__ import annotations

import re
from pathlib import Path

from customer_master.settings import env_var_names
from customer_master.thresholds import AlertThresholds, env_name

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def _listed() -> dict[str, str]:
    listed = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if match := LINE.match(line.strip()):
            listed[match.group(1)] = match.group(2)
    return listed


def _read_by_dbt() -> set[str]:
    profiles = (ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    return set(re.findall(r"env_var\('([A-Z0-9_]+)'", profiles))


def test_every_variable_of_the_settings_tree_is_listed():
    missing = sorted(set(env_var_names()) - set(_listed()))
    assert not missing, f".env.example lacks {missing}"


def test_every_listed_variable_is_read_by_the_settings_or_by_dbt():
    unread = sorted(set(_listed()) - set(env_var_names()) - _read_by_dbt())
    assert not unread, f".env.example lists variables nothing reads: {unread}"


def test_listed_thresholds_show_the_defaults():
    listed = _listed()
    for name, field in AlertThresholds.model_fields.items():
        assert float(listed[env_name(name)]) == float(field.default), env_name(name)
