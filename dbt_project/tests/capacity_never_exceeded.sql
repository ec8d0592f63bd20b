{{ config(severity='error', tags=['schedule']) }}
{#- Design rule: daily capacity per resource is never exceeded. One row per resource x day of the
    current plan that books more regular units than its capacity or more overtime units than its
    overtime capacity (1e-9 tolerance for float sums). -#}
select
    resource,
    day,
    capacity_units,
    scheduled_units,
    overtime_capacity_units,
    scheduled_overtime_units
from {{ ref('capacity_planning') }}
where scheduled_units > capacity_units + 0.000000001
   or scheduled_overtime_units > overtime_capacity_units + 0.000000001
