{#- One row per order from all sources, with precedence (priority_rank) and open/closed state. -#}
with orders as (
    select * from {{ ref('int_orders__unioned') }}
)

select
    cast({{ dbt.concat(['source', "':'", 'source_id']) }} as {{ wh_string(200) }}) as order_id,
    source,
    source_id,
    order_number,
    customer_id,
    status,
    status_label,
    priority,
    priority_label,
    case priority
        when 'rush' then 1
        when 'high' then 2
        when 'normal' then 3
        when 'low' then 4
        else 3
    end as priority_rank,
    quantity,
    requested_date,
    promised_date,
    product,
    production_start,
    production_end,
    rush_approved,
    delivered_date,
    is_active,
    {{ wh_bool("is_active = 1 and (status is null or status not in ('delivered', 'cancelled'))") }} as is_open,
    created_at,
    updated_at,
    -- The version timestamp the snapshots use: a deletion, archive or restore moves it too (the
    -- loader records those in _state_changed_at; the raw row keeps its updated_at).
    {{ wh_later_of('updated_at', '_state_changed_at') }} as changed_at
from orders
