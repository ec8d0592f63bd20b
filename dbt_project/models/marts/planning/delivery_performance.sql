{#- Plan vs actual delivery performance: one row per customer (scope 'customer') plus one overall row
    (scope 'overall', customer_id NULL). Judged deliveries are the delivered orders with a plan made on
    or before the delivery that scheduled them (int_deliveries__plan_vs_actual); the others are only
    counted in unplanned_deliveries. -#}
with deliveries as (
    select * from {{ ref('int_deliveries__plan_vs_actual') }}
),

customers as (
    select customer_id, company from {{ ref('customer_master') }}
),

per_customer as (
    select
        customer_id,
        {{ delivery_measures() }}
    from deliveries
    where customer_id is not null
    group by customer_id
),

overall as (
    select
        {{ delivery_measures() }}
    from deliveries
),

scoped as (
    select
        cast('customer' as {{ wh_string(20) }}) as scope,
        p.customer_id,
        c.company,
        p.delivered_orders,
        p.on_time_orders,
        p.matching_plan_orders,
        p.variance_orders,
        p.abs_variance_days,
        p.first_delivered_date,
        p.last_delivered_date,
        p.unplanned_deliveries
    from per_customer as p
    left join customers as c on c.customer_id = p.customer_id

    union all

    select
        cast('overall' as {{ wh_string(20) }}) as scope,
        cast(null as {{ wh_string(128) }}) as customer_id,
        cast(null as {{ wh_string(400) }}) as company,
        coalesce(delivered_orders, 0),
        coalesce(on_time_orders, 0),
        coalesce(matching_plan_orders, 0),
        coalesce(variance_orders, 0),
        abs_variance_days,
        first_delivered_date,
        last_delivered_date,
        coalesce(unplanned_deliveries, 0)
    from overall
)

select
    scope,
    customer_id,
    company,
    delivered_orders,
    on_time_orders,
    case
        when delivered_orders > 0
            then cast(on_time_orders as {{ wh_float() }}) / delivered_orders
    end as on_time_rate,
    matching_plan_orders,
    variance_orders,
    case
        when delivered_orders > 0
            then cast(variance_orders as {{ wh_float() }}) / delivered_orders
    end as schedule_variance_rate,
    case when delivered_orders > 0 then abs_variance_days / delivered_orders end as mean_abs_variance_days,
    first_delivered_date,
    last_delivered_date,
    unplanned_deliveries
from scoped
