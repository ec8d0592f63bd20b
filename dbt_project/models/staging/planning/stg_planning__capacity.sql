{#- One row per (plan_date, resource, day) of the schedule engine's plans: capacity and what was booked. -#}
with capacity as (
    select * from {{ source('planning', 'plan_capacity') }}
)

select
    plan_date,
    resource,
    day,
    coalesce(capacity_units, 0) as capacity_units,
    coalesce(overtime_capacity_units, 0) as overtime_capacity_units,
    coalesce(scheduled_units, 0) as scheduled_units,
    coalesce(scheduled_overtime_units, 0) as scheduled_overtime_units,
    coalesce(utilization, 0) as utilization,
    {{ wh_bool('is_maintenance = 1') }} as is_maintenance,
    {{ wh_bool('is_holiday = 1') }} as is_holiday,
    _run_id,
    _planned_at
from capacity
