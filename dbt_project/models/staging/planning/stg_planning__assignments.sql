{#- One row per (plan_date, order_id) of the schedule engine's plans: window times as TIME, the flags
    as the adapter's boolean (0/1). The stability columns (window_days .. newly_late) are NULL in plans
    made before they were recorded. -#}
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
    late_kind,
    window_days,
    change,
    previous_date,
    days_moved,
    change_reason,
    {#- NULL stays NULL (not recorded), unlike wh_bool's 0 -#}
    cast(case when promise_kept = 1 then 1 when promise_kept = 0 then 0 end as {{ dbt.type_boolean() }}) as promise_kept,
    cast(case when newly_late = 1 then 1 when newly_late = 0 then 0 end as {{ dbt.type_boolean() }}) as newly_late,
    _run_id,
    _planned_at
from assignments
