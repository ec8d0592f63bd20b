{#- One row per customer x weekday the customer takes deliveries on (effective days), with the
    effective time window and where days and time came from ('customer' | 'default'). -#}
with customers as (
    select customer_id, is_active, delivery_days, delivery_window_start, delivery_window_end,
        days_source, window_source
    from {{ ref('customer_master') }}
),

weekdays as (
    select 1 as weekday, 'Mon' as weekday_name
    union all select 2, 'Tue'
    union all select 3, 'Wed'
    union all select 4, 'Thu'
    union all select 5, 'Fri'
    union all select 6, 'Sat'
    union all select 7, 'Sun'
)

select
    c.customer_id,
    w.weekday,
    cast(w.weekday_name as {{ wh_string(3) }}) as weekday_name,
    c.delivery_window_start as window_start,
    c.delivery_window_end as window_end,
    c.window_source,
    c.days_source,
    c.is_active
from customers as c
inner join weekdays as w
    on {{ dbt.position('w.weekday_name', 'c.delivery_days') }} > 0
