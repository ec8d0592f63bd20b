{#- The current delivery plan: the assignments of the latest plan date in plan_runs, one row per order
    that was open on that date, with its company and order number. -#}
with latest_plan as (
    select max(plan_date) as plan_date
    from {{ ref('stg_planning__runs') }}
),

assignments as (
    select a.*
    from {{ ref('stg_planning__assignments') }} as a
    inner join latest_plan as lp on lp.plan_date = a.plan_date
),

orders as (
    select order_id, order_number from {{ ref('order_master') }}
),

customers as (
    select customer_id, company from {{ ref('customer_master') }}
)

select
    a.order_id,
    a.customer_id,
    c.company,
    o.order_number,
    a.priority,
    a.requested_date,
    a.status,
    a.scheduled_date,
    a.window_start,
    a.window_end,
    a.resource,
    a.units,
    a.overtime_units,
    a.is_late,
    a.days_late,
    a.reason,
    a.plan_date
from assignments as a
left join orders as o on o.order_id = a.order_id
left join customers as c on c.customer_id = a.customer_id
