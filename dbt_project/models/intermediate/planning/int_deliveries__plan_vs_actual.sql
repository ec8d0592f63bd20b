{#- One row per delivered order (order_master.delivered_date set) with the plan it is judged against:
    the latest plan in schedule_history made on or before the delivery date that scheduled the order.
    planned_date is that plan's scheduled date; variance_days = delivered - planned. Orders with no such
    plan (never scheduled before delivery) are kept with is_planned = 0 and no plan columns. -#}
with delivered as (
    select order_id, customer_id, order_number, priority, requested_date, delivered_date
    from {{ ref('order_master') }}
    where delivered_date is not null
),

scheduled_before_delivery as (
    select h.order_id, h.plan_date, h.scheduled_date, h.resource, h.requested_date
    from {{ ref('schedule_history') }} as h
    inner join delivered as d on d.order_id = h.order_id
    where h.status = 'scheduled'
      and h.scheduled_date is not null
      and h.plan_date <= d.delivered_date
),

judging_plan as (
    select order_id, max(plan_date) as plan_date
    from scheduled_before_delivery
    group by order_id
),

judged as (
    select
        d.order_id,
        d.customer_id,
        d.order_number,
        d.priority,
        coalesce(d.requested_date, s.requested_date) as requested_date,
        d.delivered_date,
        jp.plan_date,
        s.scheduled_date as planned_date,
        s.resource as planned_resource,
        {{ dbt.datediff('s.scheduled_date', 'd.delivered_date', 'day') }} as variance_days
    from delivered as d
    left join judging_plan as jp on jp.order_id = d.order_id
    left join scheduled_before_delivery as s
        on s.order_id = jp.order_id and s.plan_date = jp.plan_date
)

select
    order_id,
    customer_id,
    order_number,
    priority,
    requested_date,
    delivered_date,
    {{ wh_bool('plan_date is not null') }} as is_planned,
    plan_date,
    planned_date,
    planned_resource,
    variance_days,
    case when variance_days < 0 then -variance_days else variance_days end as abs_variance_days,
    {{ wh_bool('variance_days = 0') }} as matches_plan,
    {{ wh_bool('delivered_date <= requested_date') }} as on_time
from judged
