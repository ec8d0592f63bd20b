"""The dbt project as Dagster sees it: where it lives, which target, where the manifest comes from.

The manifest is prepared by `make` (`dbt parse`, see the Makefile's `manifest` target) and in CI;
under `dagster dev` / `dg dev` it is parsed again on load when a dbt file changed since, so model
edits show up at once.
"""

import os
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from customer_master.settings import PROJECT_ROOT, get_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
_DBT_SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".py")
_GENERATED_DIRS = {"target", "logs", "dbt_packages"}


def dbt_sources_newer_than(project_dir: Path, manifest: Path) -> bool:
    """Whether the manifest is missing or any dbt file (models, macros, tests, snapshots, seeds,
    dbt_project.yml, profiles.yml, the board mapping) changed after it was written."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(
        path.stat().st_mtime > built
        for path in project_dir.rglob("*")
        if path.suffix in _DBT_SOURCE_SUFFIXES
        and not _GENERATED_DIRS & set(path.relative_to(project_dir).parts)
    )


class PathLikeDbtProject(DbtProject):
    """A DbtProject that Dagster's metadata shows as its directory.

    `@dbt_assets(project=...)` puts the project object itself into every asset's metadata
    (`dagster_dbt/project`), where dagster-dbt reads it back at run time (large subset selections).
    The UI cannot serialize an arbitrary object and showed "[DbtProject] (unserializable)"; an
    `os.PathLike` value becomes a path entry instead, and the object stays what dagster-dbt needs.
    """

    def __fspath__(self) -> str:
        return os.fspath(self.project_dir)


dbt_project = PathLikeDbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=get_settings().dbt_target,
)
# dagster-dbt's prepare_if_dev parses the project on every load of the code location under `dagster
# dev`, and every run worker loads it too: ~15 s of `dbt parse` before each run started (an order
# change must be in order_master within 30 s). Parse only when a dbt file is newer than the manifest:
# an edited model still shows up at once.
if using_dagster_dev() and dbt_sources_newer_than(DBT_PROJECT_DIR, dbt_project.manifest_path):
    dbt_project.prepare_if_dev()
