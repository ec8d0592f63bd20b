{#- One typed row per order item of the Monday orders board (any state). Status and priority are the
    mapping's canonical values (e.g. 'Done' -> 'delivered', 'Critical' -> 'rush'), else label codes. -#}
with
{{ monday_pivot('orders', {
    'order_number': 'text', 'customer': 'text', 'status': 'text', 'priority': 'text',
    'quantity': 'number', 'requested_date': 'date', 'promised_date': 'date', 'product': 'text',
    'production_start': 'date', 'production_end': 'date', 'rush_approved': 'bool',
    'delivered_date': 'date'
}) }}

select
    {{ monday_item_columns() }},
    cast(upper({{ wh_clean('order_number') }}) as {{ wh_string(100) }}) as order_number,
    cast({{ wh_json_text('customer', "'$[0]'") }} as {{ wh_string(128) }}) as customer_item_id,
    cast({{ monday_canonical('orders', 'status', 'status') }} as {{ wh_string(100) }}) as status,
    cast({{ wh_clean('status') }} as {{ wh_string(200) }}) as status_label,
    cast({{ monday_canonical('orders', 'priority', 'priority') }} as {{ wh_string(100) }}) as priority,
    cast({{ wh_clean('priority') }} as {{ wh_string(200) }}) as priority_label,
    quantity,
    requested_date,
    promised_date,
    cast({{ wh_clean('product') }} as {{ wh_string(200) }}) as product,
    production_start,
    production_end,
    {{ wh_bool('rush_approved = 1') }} as rush_approved,
    delivered_date
from monday_items
