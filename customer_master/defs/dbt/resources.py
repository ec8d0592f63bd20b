"""The dbt CLI resource (profiles in the project; the target comes from settings)."""

import dagster as dg
from dagster_dbt import DbtCliResource

from customer_master.defs.dbt.project import dbt_project


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"dbt": DbtCliResource(project_dir=dbt_project)})
