{#- One typed, cleaned row per OMS order (any state), with the normalised order number it is matched to
    Monday orders on (macros/order_number_key.sql, var order_match) and the customer keys it is
    resolved to customer_master on (int_orders__unioned). A cancelled or deleted flag wins over the
    status column: status is 'deleted' when is_deleted, else 'cancelled' when is_cancelled. -#}
with raw_orders as (
    select * from {{ source('oms', 'raw_oms_orders') }}
),

cleaned as (
    select
        cast({{ wh_clean('oms') }} as {{ wh_string(100) }}) as oms,
        cast({{ wh_clean('source_id') }} as {{ wh_string(128) }}) as source_id,
        cast({{ wh_clean('order_number') }} as {{ wh_string(200) }}) as order_number,
        cast(upper({{ wh_clean('customer_number') }}) as {{ wh_string(200) }}) as customer_number,
        cast(lower({{ wh_clean('customer_email') }}) as {{ wh_string(320) }}) as customer_email,
        cast(quantity as {{ wh_float() }}) as quantity,
        cast(requested_date as date) as requested_date,
        cast(lower({{ wh_clean('priority') }}) as {{ wh_string(100) }}) as priority,
        cast(lower({{ wh_clean('status') }}) as {{ wh_string(100) }}) as status_raw,
        case when is_cancelled = 1 then 1 else 0 end as cancelled_flag,
        case when is_deleted = 1 then 1 else 0 end as deleted_flag,
        cast(delivered_date as date) as delivered_date,
        updated_at,
        _state_changed_at,
        _loaded_at,
        _partition_key,
        _run_id
    from raw_orders
)

select
    oms,
    source_id,
    cast({{ dbt.concat(['oms', "':'", 'source_id']) }} as {{ wh_string(240) }}) as oms_order_id,
    order_number,
    {{ order_number_key('order_number') }} as order_number_key,
    customer_number,
    cast(case when {{ wh_is_email('customer_email') }} then customer_email end as {{ wh_string(320) }})
        as customer_email,
    customer_email as customer_email_as_entered,
    quantity,
    requested_date,
    priority,
    cast(case
        when deleted_flag = 1 then 'deleted'
        when cancelled_flag = 1 then 'cancelled'
        else status_raw
    end as {{ wh_string(100) }}) as status,
    status_raw as status_label,
    {{ wh_bool('cancelled_flag = 1 or status_raw = ' ~ "'cancelled'") }} as is_cancelled,
    {{ wh_bool('deleted_flag = 1 or status_raw = ' ~ "'deleted'") }} as is_deleted,
    delivered_date,
    updated_at,
    -- When the loader marked the order deleted (a deletions feed, or gone from a full pull): the
    -- OMS's updated_at does not move then; the snapshots version on the later of the two.
    _state_changed_at,
    _loaded_at,
    _partition_key,
    _run_id
from cleaned
