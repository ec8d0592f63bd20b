{#- One typed row per customer item of the Monday customers board (any state). The status is the
    mapping's canonical value (its `inactive` labels, e.g. Churned or On hold, become 'inactive'); the
    delivery window comes from one 'HH:MM-HH:MM' cell, else from two cells (start, end). The customer
    number (what OMS orders reference the customer by) is NULL when blank or not mapped. -#}
with
{{ monday_pivot('customers', {
    'status': 'text', 'region': 'text', 'tier': 'text', 'email': 'text', 'customer_number': 'text',
    'phone': 'text', 'address': 'text', 'city': 'text', 'country': 'text', 'delivery_days': 'text',
    'delivery_window': 'text', 'delivery_window_start': 'text', 'delivery_window_end': 'text'
}) }},

cleaned as (
    select
        item_id,
        board_id,
        cast({{ wh_clean('name') }} as {{ wh_string(400) }}) as company,
        state,
        group_id,
        created_at,
        updated_at,
        _state_changed_at,
        cast({{ monday_canonical('customers', 'status', 'status') }} as {{ wh_string(100) }}) as status,
        cast({{ wh_clean('status') }} as {{ wh_string(200) }}) as status_label,
        cast({{ wh_clean('region') }} as {{ wh_string(100) }}) as region,
        cast({{ wh_label_code('tier') }} as {{ wh_string(100) }}) as tier,
        cast(lower({{ wh_clean('email') }}) as {{ wh_string(320) }}) as email,
        cast({{ wh_clean('customer_number') }} as {{ wh_string(100) }}) as customer_number,
        cast(replace({{ wh_clean('phone') }}, ' ', '') as {{ wh_string(100) }}) as phone,
        cast({{ wh_clean('address') }} as {{ wh_string(1000) }}) as address,
        cast({{ wh_clean('city') }} as {{ wh_string(200) }}) as city,
        cast({{ wh_clean('country') }} as {{ wh_string(200) }}) as country,
        cast(replace({{ wh_clean('delivery_days') }}, ' ', '') as {{ wh_string(100) }}) as delivery_days,
        cast(coalesce(
            {{ wh_clean('delivery_window') }},
            case
                when {{ wh_clean('delivery_window_start') }} is not null
                    and {{ wh_clean('delivery_window_end') }} is not null
                    then {{ dbt.concat([wh_clean('delivery_window_start'), "'-'", wh_clean('delivery_window_end')]) }}
            end
        ) as {{ wh_string(200) }}) as delivery_window_text,
        replace({{ wh_clean('delivery_window') }}, ' ', '') as window_compact,
        {{ wh_clean('delivery_window_start') }} as window_start_cell,
        {{ wh_clean('delivery_window_end') }} as window_end_cell
    from monday_items
),

parsed as (
    select
        cleaned.*,
        case
            when {{ wh_is_hhmm_range('window_compact') }}
                then {{ wh_time('substring(window_compact, 1, 5)') }}
            else {{ wh_time_of_day('window_start_cell') }}
        end as window_start_raw,
        case
            when {{ wh_is_hhmm_range('window_compact') }}
                then {{ wh_time('substring(window_compact, 7, 5)') }}
            else {{ wh_time_of_day('window_end_cell') }}
        end as window_end_raw
    from cleaned
)

select
    item_id,
    board_id,
    company,
    state,
    {{ wh_bool("state = 'active'") }} as is_active,
    group_id,
    created_at,
    updated_at,
    _state_changed_at,
    status,
    status_label,
    region,
    tier,
    email,
    {{ wh_bool('email is not null and ' ~ wh_is_email('email')) }} as email_is_valid,
    customer_number,
    phone,
    address,
    city,
    country,
    delivery_days,
    delivery_window_text,
    case when window_start_raw < window_end_raw then window_start_raw end as delivery_window_start,
    case when window_start_raw < window_end_raw then window_end_raw end as delivery_window_end
from parsed
