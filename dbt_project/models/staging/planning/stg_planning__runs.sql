{#- One row per plan date: the settings and totals of the schedule engine run that made the plan. -#}
with runs as (
    select * from {{ source('planning', 'plan_runs') }}
)

select
    plan_date,
    horizon_days,
    ordering,
    holiday_country,
    orders,
    scheduled,
    unschedulable,
    input_errors,
    late,
    overtime_units,
    peak_utilization,
    seconds,
    _run_id,
    _planned_at
from runs
