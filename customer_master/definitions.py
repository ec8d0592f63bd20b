"""The Dagster code location: every module under `defs/` plus nothing hidden.

`dagster dev -m customer_master.definitions`, `dg dev`, `workspace.yaml` and `dagster_cloud.yaml`
all load this module.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
