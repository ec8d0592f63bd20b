"""The dbt project as Dagster sees it: where it lives, which target, where the manifest comes from.

The manifest is prepared by `make` (`dbt parse`, see the Makefile's `manifest` target) and in CI;
under `dagster dev` / `dg dev` it is re-parsed on load so model edits show up at once.
"""

import os

from dagster_dbt import DbtProject

from customer_master.settings import PROJECT_ROOT, get_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


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
dbt_project.prepare_if_dev()
