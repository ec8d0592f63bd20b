{#- The order backlog for dashboards: always one row, the latest delivery plan (max plan_date in
    plan_runs) and its orders unschedulable for capacity or delivery days (reasons no_capacity and
    no_window_in_horizon, the schedule engine's BACKLOG_REASONS; the business alerts above 100).
    No plan yet: plan_date NULL, counts 0. Tag `schedule` (folder): it changes when a plan is made,
    so it is built right after the plan with the other plan models; an untagged model reading the
    plans would make the unpartitioned dbt asset depend on delivery_plan, which depends on it. -#}
with latest_plan as (
    select max(plan_date) as plan_date
    from {{ ref('stg_planning__runs') }}
),

counts as (
    select
        count(*) as plan_orders,
        sum(case when a.status = 'unschedulable' then 1 else 0 end) as unschedulable_orders,
        sum(case when a.status = 'unschedulable' and a.reason = 'no_capacity' then 1 else 0 end)
            as no_capacity_orders,
        sum(case when a.status = 'unschedulable' and a.reason = 'no_window_in_horizon' then 1 else 0 end)
            as no_window_orders,
        min(
            case
                when a.status = 'unschedulable' and a.reason in ('no_capacity', 'no_window_in_horizon')
                    then a.requested_date
            end
        ) as oldest_backlog_requested_date
    from {{ ref('stg_planning__assignments') }} as a
    inner join latest_plan as lp on lp.plan_date = a.plan_date
)

select
    lp.plan_date,
    coalesce(c.no_capacity_orders, 0) + coalesce(c.no_window_orders, 0) as order_backlog,
    coalesce(c.no_capacity_orders, 0) as no_capacity_orders,
    coalesce(c.no_window_orders, 0) as no_window_orders,
    coalesce(c.unschedulable_orders, 0) as unschedulable_orders,
    coalesce(c.plan_orders, 0) as plan_orders,
    c.oldest_backlog_requested_date
from latest_plan as lp
cross join counts as c
