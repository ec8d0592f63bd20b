"""Under `dagster dev` the dbt project is parsed on load only when a dbt file is newer than the
manifest (customer_master/defs/dbt/project.py): every run worker loads the code location too."""

from __future__ import annotations

import os

from customer_master.defs.dbt.project import dbt_sources_newer_than


def _touch(path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))


def test_a_missing_manifest_needs_a_parse(tmp_path):
    _touch(tmp_path / "models" / "a.sql", 100)
    assert dbt_sources_newer_than(tmp_path, tmp_path / "target" / "manifest.json")


def test_only_dbt_files_newer_than_the_manifest_count(tmp_path):
    manifest = tmp_path / "target" / "manifest.json"
    _touch(manifest, 200)
    _touch(tmp_path / "models" / "a.sql", 100)
    _touch(tmp_path / "target" / "run" / "compiled.sql", 300)  # generated: ignored
    _touch(tmp_path / "logs" / "dbt.log", 300)
    assert not dbt_sources_newer_than(tmp_path, manifest)
    _touch(tmp_path / "macros" / "m.sql", 300)  # an edited macro
    assert dbt_sources_newer_than(tmp_path, manifest)
