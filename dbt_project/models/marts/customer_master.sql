{#- One row per customer (active and deactivated) with validated contact fields, the keys OMS orders
    match customers on (customer_number, email_normalised) and the effective delivery window: the
    customer's own days/time when set, else the project default (vars). -#}
with customers as (
    select * from {{ ref('stg_monday__customers') }}
),

effective as (
    select
        customers.*,
        coalesce(delivery_days, '{{ var("default_delivery_days") }}') as effective_days,
        case when delivery_days is not null then 'customer' else 'default' end as days_source,
        case
            when delivery_window_start is not null and delivery_window_end is not null then 'customer'
            else 'default'
        end as window_source
    from customers
)

select
    item_id as customer_id,
    cast('monday' as {{ wh_string(20) }}) as source,
    board_id,
    company,
    status,
    status_label,
    state as item_state,
    {{ wh_bool("is_active = 1 and (status is null or status <> 'inactive')") }} as is_active,
    region,
    tier,
    case when email_is_valid = 1 then email end as email,
    email as email_as_entered,
    email_is_valid,
    -- The keys OMS orders are matched on: the customer number, else the normalised valid e-mail.
    customer_number,
    case when email_is_valid = 1 then lower(trim(email)) end as email_normalised,
    phone,
    address,
    city,
    country,
    {{ wh_bool("email_is_valid = 1 or phone is not null") }} as has_contact,
    cast(effective_days as {{ wh_string(100) }}) as delivery_days,
    case
        when window_source = 'customer' then delivery_window_start
        else {{ wh_time("'" ~ var('default_window_start') ~ "'") }}
    end as delivery_window_start,
    case
        when window_source = 'customer' then delivery_window_end
        else {{ wh_time("'" ~ var('default_window_end') ~ "'") }}
    end as delivery_window_end,
    cast(days_source as {{ wh_string(20) }}) as days_source,
    cast(window_source as {{ wh_string(20) }}) as window_source,
    delivery_window_text,
    created_at,
    updated_at,
    -- The version timestamp the snapshots use: a deletion, archive or restore moves it too (the
    -- loader records those in _state_changed_at; the raw row keeps its updated_at).
    {{ wh_later_of('updated_at', '_state_changed_at') }} as changed_at
from effective
