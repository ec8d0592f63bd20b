{#- Orders from every source in one shape, one row per (source, source_id): the Monday Orders board and
    the OMS (source_id '<oms>:<oms id>'), each with its normalised order number (order_number_key,
    var order_match) and its customer:
      Monday  the linked customer item (customer_match 'board', or 'unmatched' when none is linked)
      OMS     resolved through int_customers__match_keys: the customer number first, then the valid
              e-mail (customer_match 'customer_number' | 'email'); a reference that resolves to no
              customer (none, or ambiguous) stays, customer_id NULL, customer_match 'unmatched'.
    is_unknown_customer: customer_id is NULL or names no customer_master row. -#}
with customer_keys as (
    select match_type, match_key, customer_id
    from {{ ref('int_customers__match_keys') }}
    where customer_id is not null
),

monday_orders as (
    select
        cast('monday' as {{ wh_string(20) }}) as source,
        o.item_id as source_id,
        o.order_number,
        {{ order_number_key('o.order_number') }} as order_number_key,
        o.customer_item_id as customer_id,
        cast(case when o.customer_item_id is not null then 'board' else 'unmatched' end as {{ wh_string(20) }})
            as customer_match,
        {{ wh_bool('k.customer_id is null') }} as is_unknown_customer,
        cast(null as {{ wh_string(200) }}) as customer_number,
        cast(null as {{ wh_string(320) }}) as customer_email,
        o.status,
        o.status_label,
        o.priority,
        o.priority_label,
        o.quantity,
        o.requested_date,
        o.promised_date,
        o.product,
        o.production_start,
        o.production_end,
        o.rush_approved,
        o.delivered_date,
        o.is_active,
        {{ wh_bool('1 = 0') }} as is_cancelled,
        o.created_at,
        o.updated_at,
        o._state_changed_at
    from {{ ref('stg_monday__orders') }} as o
    left join customer_keys as k
        on k.match_type = 'customer_id' and k.match_key = o.customer_item_id
),

oms_orders as (
    select
        cast('oms' as {{ wh_string(20) }}) as source,
        o.oms_order_id as source_id,
        o.order_number,
        o.order_number_key,
        coalesce(kn.customer_id, ke.customer_id) as customer_id,
        cast(case
            when kn.customer_id is not null then 'customer_number'
            when ke.customer_id is not null then 'email'
            else 'unmatched'
        end as {{ wh_string(20) }}) as customer_match,
        {{ wh_bool('kn.customer_id is null and ke.customer_id is null') }} as is_unknown_customer,
        o.customer_number,
        o.customer_email_as_entered as customer_email,
        o.status,
        o.status_label,
        o.priority,
        o.priority as priority_label,
        o.quantity,
        o.requested_date,
        cast(null as date) as promised_date,
        cast(null as {{ wh_string(200) }}) as product,
        cast(null as date) as production_start,
        cast(null as date) as production_end,
        cast(null as {{ dbt.type_boolean() }}) as rush_approved,
        o.delivered_date,
        {{ wh_bool('o.is_deleted = 0') }} as is_active,
        o.is_cancelled,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        o.updated_at,
        o._state_changed_at
    from {{ ref('stg_oms__orders') }} as o
    left join customer_keys as kn
        on kn.match_type = 'customer_number' and kn.match_key = o.customer_number
    left join customer_keys as ke
        on ke.match_type = 'email' and ke.match_key = o.customer_email
)

select * from monday_orders
union all
select * from oms_orders
