{#- Orders from every source in one shape, one row per (source, source_id). Today: Monday only.
    A second source (OMS) adds a CTE with the same columns and a `union all` branch. -#}
with monday_orders as (
    select
        cast('monday' as {{ wh_string(20) }}) as source,
        item_id as source_id,
        order_number,
        customer_item_id as customer_id,
        status,
        status_label,
        priority,
        priority_label,
        quantity,
        requested_date,
        promised_date,
        product,
        production_start,
        production_end,
        rush_approved,
        delivered_date,
        is_active,
        created_at,
        updated_at,
        _state_changed_at
    from {{ ref('stg_monday__orders') }}
)

select * from monday_orders
