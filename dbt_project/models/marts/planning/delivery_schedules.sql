{#- The current delivery plan: the assignments of the latest plan date in plan_runs (from
    schedule_history, which holds every plan with the order's company and order number), one row per
    order that was open on that date. -#}
with latest_plan as (
    select max(plan_date) as plan_date
    from {{ ref('stg_planning__runs') }}
),

plan as (
    select h.*
    from {{ ref('schedule_history') }} as h
    inner join latest_plan as lp on lp.plan_date = h.plan_date
)

select
    order_id,
    customer_id,
    company,
    order_number,
    priority,
    requested_date,
    status,
    scheduled_date,
    window_start,
    window_end,
    resource,
    units,
    overtime_units,
    is_late,
    days_late,
    reason,
    late_kind,
    change,
    previous_date,
    days_moved,
    change_reason,
    promise_kept,
    newly_late,
    plan_date
from plan
