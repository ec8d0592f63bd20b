{#-
  order_pairs(relation): the CTEs that pair the rows of int_orders__unioned into real orders, shared by
  order_master and order_conflicts so both see the same pairs. Emits CTE definitions only (no leading
  WITH; one top-level CTE chain per model, T-SQL cannot nest CTEs). The last CTE is `order_sides`.

  Matching (var order_match, macros/order_number_key.sql): a Monday row and an OMS row are one order
  when they share order_number_key AND that key is held by exactly one row on each side. A key held by
  two or more rows on either side pairs nothing: those rows stay separate orders (match_status
  'ambiguous') and order_conflicts lists each of them (field 'duplicate_order_number'). Rows without a
  key never pair.

  `order_sides` has one row per real order: the Monday row's columns as m_<column>, the OMS row's as
  o_<column> (NULL for a side the order does not have), order_id / source / source_ids /
  match_status, and per field of var order_precedence `<field>_from` = the side whose value the order
  takes: the configured winner when its value is not NULL, else the other side when its value is not
  NULL, else the side the order has (the winner when it has both).
-#}
{% macro order_pair_columns() -%}
  {{ return([
    'source_id', 'order_number', 'order_number_key', 'customer_id', 'customer_match',
    'is_unknown_customer', 'customer_number', 'customer_email', 'status', 'status_label', 'priority',
    'priority_label', 'quantity', 'requested_date', 'promised_date', 'product', 'production_start',
    'production_end', 'rush_approved', 'delivered_date', 'is_active', 'is_cancelled', 'created_at',
    'updated_at', '_state_changed_at'
  ]) }}
{%- endmacro %}

{#- The int_orders__unioned column a precedence field compares. -#}
{% macro order_precedence_column(field) -%}
  {{ return('customer_id' if field == 'customer' else field) }}
{%- endmacro %}

{% macro order_pairs(relation) -%}
{%- set cols = order_pair_columns() -%}
{%- set precedence = order_precedence_config() -%}
order_rows as (
    select * from {{ relation }}
),

order_key_counts as (
    select
        order_number_key,
        sum(case when source = 'monday' then 1 else 0 end) as monday_rows,
        sum(case when source = 'oms' then 1 else 0 end) as oms_rows
    from order_rows
    where order_number_key is not null
    group by order_number_key
),

order_keyed as (
    select
        r.*,
        coalesce(k.monday_rows, 0) as key_monday_rows,
        coalesce(k.oms_rows, 0) as key_oms_rows,
        case when k.monday_rows = 1 and k.oms_rows = 1 then 1 else 0 end as key_pairs
    from order_rows as r
    left join order_key_counts as k on k.order_number_key = r.order_number_key
),

order_paired as (
    select
        {%- for c in cols %}
        m.{{ c }} as m_{{ c }},
        {%- endfor %}
        {%- for c in cols %}
        o.{{ c }} as o_{{ c }},
        {%- endfor %}
        m.key_monday_rows,
        m.key_oms_rows
    from order_keyed as m
    left join order_keyed as o
        on o.source = 'oms' and m.key_pairs = 1 and o.key_pairs = 1
        and o.order_number_key = m.order_number_key
    where m.source = 'monday'

    union all

    select
        {%- for c in cols %}
        null as m_{{ c }},
        {%- endfor %}
        {%- for c in cols %}
        o.{{ c }} as o_{{ c }},
        {%- endfor %}
        o.key_monday_rows,
        o.key_oms_rows
    from order_keyed as o
    where o.source = 'oms' and o.key_pairs = 0
),

order_sides as (
    select
        order_paired.*,
        cast(case
            when m_source_id is not null then {{ dbt.concat(["'monday:'", 'm_source_id']) }}
            else {{ dbt.concat(["'oms:'", 'o_source_id']) }}
        end as {{ wh_string(200) }}) as order_id,
        cast(case
            when m_source_id is not null and o_source_id is not null then 'both'
            when m_source_id is not null then 'monday'
            else 'oms'
        end as {{ wh_string(20) }}) as source,
        cast(case
            when m_source_id is not null and o_source_id is not null
                then {{ dbt.concat(["'monday:'", 'm_source_id', "'|oms:'", 'o_source_id']) }}
            when m_source_id is not null then {{ dbt.concat(["'monday:'", 'm_source_id']) }}
            else {{ dbt.concat(["'oms:'", 'o_source_id']) }}
        end as {{ wh_string(400) }}) as source_ids,
        cast(case
            when m_source_id is not null and o_source_id is not null then 'matched'
            when key_monday_rows > 0 and key_oms_rows > 0 then 'ambiguous'
            else 'one_source'
        end as {{ wh_string(20) }}) as match_status
        {%- for field in order_precedence_fields() %}
        {%- set col = order_precedence_column(field) %}
        {%- set win = 'm' if precedence[field] == 'monday' else 'o' %}
        {%- set lose = 'o' if win == 'm' else 'm' %},
        cast(case
            when {{ win }}_{{ col }} is not null then '{{ precedence[field] }}'
            when {{ lose }}_{{ col }} is not null then '{{ 'oms' if lose == 'o' else 'monday' }}'
            when {{ win }}_source_id is not null then '{{ precedence[field] }}'
            else '{{ 'oms' if lose == 'o' else 'monday' }}'
        end as {{ wh_string(20) }}) as {{ field }}_from
        {%- endfor %}
    from order_paired
)
{%- endmacro %}

{#- The value of int_orders__unioned column `col` from the side named by the `<field>_from` column. -#}
{% macro order_side_value(from_column, col) -%}
case when {{ from_column }} = 'oms' then o_{{ col }} else m_{{ col }} end
{%- endmacro %}
