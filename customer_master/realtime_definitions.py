"""The second code location, `customer_master_realtime`: order changes in order_master within 30 s.

The real-time path (customer_master/realtime_defs: the order-update asset and job, its sensors, the
webhook registration job) is a code location of its own because every run starts a process that
loads its whole code location before the first step: the main one (dbt's models as assets, dlt's
OMS source) takes ~10 s to load, this one ~3 s, and a change has 30 s from edit to order_master.
It imports neither dagster-dbt nor dlt (a test keeps it so). Both locations share the instance, the
warehouse pool and the asset graph's keys: `realtime/order_updates` also records materializations
of `order_master`, an asset of the main location.

`dagster dev -w workspace.yaml` (`make ui`) and dagster_cloud.yaml load both.
"""

import dagster as dg

from customer_master.defs.monday.resources import monday_resource
from customer_master.defs.resources import slack_resource, warehouse_resource
from customer_master.realtime_defs import assets, jobs, sensors
from customer_master.realtime_defs.resources import change_store_resource

LOCATION_NAME = "customer_master_realtime"


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[assets.order_updates],
        jobs=[assets.realtime_order_updates_job, jobs.register_monday_webhooks_job],
        sensors=[
            sensors.order_changes_sensor,
            sensors.monday_order_poll_sensor,
            sensors.oms_order_poll_sensor,
        ],
        resources={
            "monday": monday_resource(),
            "warehouse": warehouse_resource(),
            "slack": slack_resource(),
            "change_store": change_store_resource(),
        },
        # One step per run: a step process of its own would load the code location once more.
        executor=dg.in_process_executor,
    )
