"""The OMS source: configured, not coded (issue 12). No dagster here; `defs/` wires it.

- `config`: `oms_source.yml` validated (`load_oms_source`, `OmsSource`, `OmsConfigError`).
- `paths`: the small path syntax the mapping uses (`customer.email`, `line_items[*].quantity`,
  `note_attributes[name=priority].value`).
- `contract`: one API record -> one order-contract row, or the problems that quarantine its values.
- `source`: the YAML as a dlt `rest_api` source (`build_source`, `rest_api_config`, `OmsConnection`).
- `pipeline`: `run_oms_load` into the warehouse (dlt duckdb / mssql destinations), raw dataset `oms_raw`.
"""

from customer_master.oms.config import (
    SHOPIFY_YML,
    WOOCOMMERCE_YML,
    OmsConfigError,
    OmsSource,
    load_oms_source,
    parse_oms_source,
)
from customer_master.oms.contract import ContractBatch, OrderRow, Problem, contract_rows, map_order

__all__ = [
    "SHOPIFY_YML",
    "WOOCOMMERCE_YML",
    "ContractBatch",
    "OmsConfigError",
    "OmsSource",
    "OrderRow",
    "Problem",
    "contract_rows",
    "load_oms_source",
    "map_order",
    "parse_oms_source",
]
