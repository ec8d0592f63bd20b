{#- The order backlog for dashboards: always one row, the latest delivery plan (max plan_date in
    plan_runs) and its orders unschedulable for capacity or delivery days (reasons no_capacity and
    no_window_in_horizon, the schedule engine's BACKLOG_REASONS; the business alerts above 100).
    A view over order_master, which order changes update within seconds (realtime_order_updates_job):
    the plan is made once a day, but an order of its backlog that is cancelled, delivered, archived or
    deleted since leaves the count at once, and orders opened since the plan are counted as waiting
    for the next one. No plan yet: plan_date NULL, counts 0. Tag `schedule` (folder): an untagged model
    reading the plans would make the unpartitioned dbt asset depend on delivery_plan, which depends on it. -#}
{{ config(materialized='view') }}

with latest_plan as (
    select max(plan_date) as plan_date
    from {{ ref('stg_planning__runs') }}
),

plan_orders as (
    select
        a.order_id,
        a.status,
        a.reason,
        a.requested_date,
        case
            when a.status = 'unschedulable' and a.reason in ('no_capacity', 'no_window_in_horizon')
                then 1 else 0
        end as in_backlog,
        -- still open in order_master now (a missing row was deleted outright)
        case when m.is_open = 1 then 1 else 0 end as open_now
    from {{ ref('stg_planning__assignments') }} as a
    inner join latest_plan as lp on lp.plan_date = a.plan_date
    left join {{ ref('order_master') }} as m on m.order_id = a.order_id
),

counts as (
    select
        count(*) as plan_orders,
        sum(case when status = 'unschedulable' then 1 else 0 end) as unschedulable_orders,
        sum(in_backlog) as backlog_at_plan,
        sum(in_backlog * open_now) as order_backlog,
        sum(case when reason = 'no_capacity' then in_backlog * open_now else 0 end) as no_capacity_orders,
        sum(case when reason = 'no_window_in_horizon' then in_backlog * open_now else 0 end)
            as no_window_orders,
        min(case when in_backlog * open_now = 1 then requested_date end) as oldest_backlog_requested_date
    from plan_orders
),

unplanned as (
    -- open orders the latest plan does not have: new or reopened since, planned tomorrow
    select count(*) as unplanned_open_orders
    from {{ ref('order_master') }} as m
    where m.is_open = 1
      and (select plan_date from latest_plan) is not null
      and not exists (select 1 from plan_orders as p where p.order_id = m.order_id)
)

select
    lp.plan_date,
    coalesce(c.order_backlog, 0) as order_backlog,
    coalesce(c.no_capacity_orders, 0) as no_capacity_orders,
    coalesce(c.no_window_orders, 0) as no_window_orders,
    coalesce(c.backlog_at_plan, 0) as backlog_at_plan,
    coalesce(c.backlog_at_plan, 0) - coalesce(c.order_backlog, 0) as backlog_closed_since_plan,
    coalesce(c.unschedulable_orders, 0) as unschedulable_orders,
    coalesce(c.plan_orders, 0) as plan_orders,
    u.unplanned_open_orders,
    c.oldest_backlog_requested_date
from latest_plan as lp
cross join counts as c
cross join unplanned as u
