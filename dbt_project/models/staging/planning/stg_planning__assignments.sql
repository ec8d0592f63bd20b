{#- One row per (plan_date, order_id) of the schedule engine's plans: window times as TIME, is_late as
    the adapter's boolean (0/1). -#}
with assignments as (
    select * from {{ source('planning', 'plan_assignments') }}
)

select
    plan_date,
    order_id,
    customer_id,
    priority,
    requested_date,
    status,
    scheduled_date,
    {{ wh_time('window_start') }} as window_start,
    {{ wh_time('window_end') }} as window_end,
    resource,
    units,
    overtime_units,
    {{ wh_bool('is_late = 1') }} as is_late,
    days_late,
    reason,
    _run_id,
    _planned_at
from assignments
