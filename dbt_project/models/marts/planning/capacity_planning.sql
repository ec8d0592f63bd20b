{#- The latest plan's capacity: one row per resource x day of its horizon with regular and overtime
    capacity, what the plan booked, utilization and the > 95 % flag (the business's warn threshold).
    The ISO-week columns make the weekly view (docs/queries/weekly_capacity_plan.sql) a plain GROUP BY. -#}
with latest_plan as (
    select max(plan_date) as plan_date
    from {{ ref('stg_planning__runs') }}
),

capacity as (
    select c.*
    from {{ ref('stg_planning__capacity') }} as c
    inner join latest_plan as lp on lp.plan_date = c.plan_date
),

weeks as (
    select
        capacity.*,
        {{ wh_iso_week_start('day') }} as week_start,
        {{ wh_iso_week_start('plan_date') }} as plan_week_start
    from capacity
)

select
    resource,
    day,
    {{ wh_iso_weekday('day') }} as weekday,
    {{ wh_iso_week_label('day') }} as iso_week,
    week_start,
    cast({{ dbt.datediff('plan_week_start', 'week_start', 'day') }} / 7 as integer) as weeks_ahead,
    capacity_units,
    overtime_capacity_units,
    scheduled_units,
    scheduled_overtime_units,
    scheduled_units + scheduled_overtime_units as total_scheduled_units,
    utilization,
    {{ wh_bool('utilization > ' ~ var('utilization_warn')) }} as is_over_utilization_warn,
    is_maintenance,
    is_holiday,
    plan_date
from weeks
