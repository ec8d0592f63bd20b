"""The dbt project as Dagster sees it: where it lives, which target, where the manifest comes from.

The manifest is prepared by `make` (`dbt parse`, see the Makefile's `manifest` target) and in CI;
under `dagster dev` / `dg dev` it is re-parsed on load so model edits show up at once.
"""

from dagster_dbt import DbtProject

from customer_master.settings import PROJECT_ROOT, get_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=get_settings().dbt_target,
)
dbt_project.prepare_if_dev()
