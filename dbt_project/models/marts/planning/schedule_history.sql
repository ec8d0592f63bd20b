{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='plan_date',
    on_schema_change='append_new_columns',
) }}
{#- Every plan ever made: one row per (plan_date, order_id), the plan's assignment with the order's
    company and order number. Incremental by plan date: an incremental run reloads the plan dates in
    [var('min_date'), var('max_date')] (Dagster passes the partition's date as both), replacing each of
    those dates whole (delete+insert keyed on plan_date, so an order dropped from a rerun plan goes too;
    the (plan_date, order_id) grain is a data test). A first run or --full-refresh loads every plan. -#}
with assignments as (
    select *
    from {{ ref('stg_planning__assignments') }}
    {%- if is_incremental() %}
    where plan_date between cast('{{ var("min_date") }}' as date) and cast('{{ var("max_date") }}' as date)
    {%- endif %}
),

orders as (
    select order_id, order_number from {{ ref('order_master') }}
),

customers as (
    select customer_id, company from {{ ref('customer_master') }}
)

select
    a.plan_date,
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
    a.late_kind,
    a.window_days,
    a.change,
    a.previous_date,
    a.days_moved,
    a.change_reason,
    a.promise_kept,
    a.newly_late,
    a._run_id,
    a._planned_at
from assignments as a
left join orders as o on o.order_id = a.order_id
left join customers as c on c.customer_id = a.customer_id
