"""Data-quality checks on the customer mart with the business thresholds (value and threshold in the
metadata). The dbt tests on the same rules read the same numbers (passed to dbt as vars)."""

import dagster as dg

from customer_master.common import fmt_pct
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import verdict_check_result
from customer_master.monitoring import verdicts
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.marts import customer_quality

CUSTOMER_MASTER_KEY = dg.AssetKey("customer_master")
CHECK_NAME_NULLS = "customer_name_nulls"
CHECK_COVERAGE = "customer_field_coverage"

# The configured thresholds as the definitions load: the check descriptions quote them.
_T = get_thresholds()


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME_NULLS,
            asset=CUSTOMER_MASTER_KEY,
            description=f"Customers without a name: warns at {_T.customer_name_nulls_warn}.",
        ),
        dg.AssetCheckSpec(
            CHECK_COVERAGE,
            asset=CUSTOMER_MASTER_KEY,
            description=(
                "Company, address, status and email filled for at least "
                f"{fmt_pct(_T.coverage_min)} of customers."
            ),
        ),
    ],
)
def customer_quality_checks(warehouse: WarehouseResource):
    t = get_thresholds()
    quality = customer_quality(warehouse.get_warehouse())
    yield verdict_check_result(
        CHECK_NAME_NULLS, verdicts.customer_name_nulls(quality.nameless, t), CUSTOMER_MASTER_KEY
    )
    yield verdict_check_result(
        CHECK_COVERAGE, verdicts.field_coverage(quality.coverage, t), CUSTOMER_MASTER_KEY, rate=True
    )
