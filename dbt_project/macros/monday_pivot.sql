{#-
  monday_pivot(entity, fields): the CTEs that turn the long raw Monday values of one board into one
  typed row per item. Emits CTE definitions only (no leading WITH) so a model keeps ONE top-level CTE
  chain (T-SQL cannot nest CTEs). The last CTE is `monday_items`: every raw item of the entity's board
  (any state) with its item columns and one column per field.

  Which board and which column feeds a field comes from `ops_board_mapping`, the board mapping as the
  pipeline last applied it (customer_master/warehouse/mapping.py): the mapping file's column resolved
  against the board's latest columns (by id, else by title) before dbt ran. A field mapped to the
  column `name` reads the item name; an unmapped field (or one whose column is gone) stays NULL.

  `fields` maps field -> lane, the SQL type the field lands in: text | number | date | bool. The
  mapping's `kind` decides which typed projection fills the lane (string/label/time: value_string else
  text, ids: value_ids, extra_key: that key of value_extra; date: value_date, date_to: value_date_to;
  bool: value_bool as 0/1). customer_master/board_mapping validates that kinds fit these lanes.
-#}
{% macro monday_pivot(entity, fields) -%}
monday_entity_map as (
    select board_id, field, column_id, kind, extra_key
    from {{ source('monday', 'ops_board_mapping') }}
    where entity = '{{ entity }}'
),

monday_board as (
    select distinct board_id from monday_entity_map
),

monday_field_map as (
    select board_id, field, column_id, kind, extra_key
    from monday_entity_map
    where column_id is not null
),

monday_values as (
    select
        v.item_id,
        rf.field,
        case
            when rf.extra_key is not null
                then {{ wh_json_text('v.value_extra', dbt.concat(["'$.'", 'rf.extra_key'])) }}
            when rf.kind = 'ids' then v.value_ids
            else coalesce(nullif(trim(v.value_string), ''), nullif(trim(v.text), ''))
        end as text_value,
        case when rf.kind = 'number' then v.value_number end as number_value,
        case
            when rf.kind = 'date' then v.value_date
            when rf.kind = 'date_to' then v.value_date_to
        end as date_value,
        case when rf.kind = 'bool' then case when v.value_bool = 1 then 1 else 0 end end as bool_value
    from {{ source('monday', 'raw_monday_column_values') }} as v
    inner join monday_field_map as rf
        on rf.board_id = v.board_id and rf.column_id = v.column_id

    union all

    {#- Monday never lists the item name among column values: a field mapped to `name` reads it here. #}
    select
        i.item_id,
        nf.field,
        nullif(trim(i.name), '') as text_value,
        cast(null as {{ wh_float() }}) as number_value,
        cast(null as date) as date_value,
        cast(null as int) as bool_value
    from {{ source('monday', 'raw_monday_items') }} as i
    inner join monday_field_map as nf
        on nf.board_id = i.board_id and nf.column_id = 'name'
),

monday_pivoted as (
    select
        item_id
        {%- for field, lane in fields.items() %},
        max(case when field = '{{ field }}' then {{ lane }}_value end) as {{ field }}
        {%- endfor %}
    from monday_values
    group by item_id
),

monday_items as (
    select
        i.item_id,
        i.board_id,
        i.name,
        i.state,
        i.group_id,
        i.created_at,
        i.updated_at,
        i._state_changed_at
        {%- for field in fields %},
        p.{{ field }}
        {%- endfor %}
    from {{ source('monday', 'raw_monday_items') }} as i
    inner join monday_board as b on b.board_id = i.board_id
    left join monday_pivoted as p on p.item_id = i.item_id
)
{%- endmacro %}

{#- The item columns every Monday staging model starts with (after `monday_pivot`'s CTEs). -#}
{% macro monday_item_columns() -%}
    item_id,
    board_id,
    cast({{ wh_clean('name') }} as {{ wh_string(400) }}) as name,
    state,
    {{ wh_bool("state = 'active'") }} as is_active,
    group_id,
    created_at,
    updated_at,
    _state_changed_at
{%- endmacro %}

{#- A label as the platform's canonical value through the mapping's value sets (ops_board_mapping_values):
    e.g. customers.status 'On hold' -> 'inactive', orders.priority 'Critical' -> 'rush'. A label in no
    set stays a label code ('In production' -> 'in_production'). Case and surrounding spaces never
    matter. -#}
{% macro monday_canonical(entity, field, expr) -%}
coalesce(
    (
        select max(vm.canonical)
        from {{ source('monday', 'ops_board_mapping_values') }} as vm
        where vm.entity = '{{ entity }}' and vm.field = '{{ field }}'
            and vm.label_key = lower(trim({{ expr }}))
    ),
    {{ wh_label_code(expr) }}
)
{%- endmacro %}
