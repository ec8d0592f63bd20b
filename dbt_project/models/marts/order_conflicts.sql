{#- One row per order in both systems and field on which Monday and the OMS disagree (both values
    present and different): the fields of var order_precedence (quantity, requested_date, priority,
    status, customer, delivered_date), with both values as text, the side whose value order_master
    took (winner) and that value. Orders the normalised order number could not pair because it is
    held by several orders on one side are listed too, one row per such order with field
    'duplicate_order_number', the number of Monday and OMS orders holding the number as the values
    and winner 'none' (order_master keeps them as separate orders). -#}
with
{{ order_pairs(ref('int_orders__unioned')) }},

field_conflicts as (
    {%- for field in order_precedence_fields() %}
    {%- set col = order_precedence_column(field) %}
    select
        order_id,
        coalesce(m_order_number, o_order_number) as order_number,
        cast('{{ field }}' as {{ wh_string(40) }}) as field,
        cast(m_{{ col }} as {{ wh_string(400) }}) as monday_value,
        cast(o_{{ col }} as {{ wh_string(400) }}) as oms_value,
        {{ field }}_from as winner,
        cast({{ order_side_value(field ~ '_from', col) }} as {{ wh_string(400) }}) as won_value
    from order_sides
    where m_source_id is not null and o_source_id is not null
        and m_{{ col }} is not null and o_{{ col }} is not null
        and m_{{ col }} <> o_{{ col }}

    union all
    {%- endfor %}

    select
        order_id,
        coalesce(m_order_number, o_order_number) as order_number,
        cast('duplicate_order_number' as {{ wh_string(40) }}) as field,
        cast(key_monday_rows as {{ wh_string(400) }}) as monday_value,
        cast(key_oms_rows as {{ wh_string(400) }}) as oms_value,
        cast('none' as {{ wh_string(20) }}) as winner,
        cast(null as {{ wh_string(400) }}) as won_value
    from order_sides
    where match_status = 'ambiguous'
)

select * from field_conflicts
