{#-
  monday_pivot(entity, fields): the CTEs that turn the long raw Monday values of one board into one
  typed row per item. Emits CTE definitions only (no leading WITH) so a model keeps ONE top-level CTE
  chain (T-SQL cannot nest CTEs). The last CTE is `monday_items`: every raw item of the entity's board
  (any state) with its item columns and one column per field.

  Which board and which column feeds a field comes from the seed `monday_field_map`
  (rendered from board_mapping.yml): a field's column is the mapped column id when the board's latest
  columns snapshot still has it, else the snapshot's column with the mapped title (case-insensitive),
  else the mapped id as is (values landed before the column vanished).

  `fields` maps field -> lane, the SQL type the field lands in: text | number | date | bool. The seed's
  `kind` decides which typed projection fills the lane (string/label: value_string else text,
  ids: value_ids, extra_key: that key of value_extra; date: value_date, date_to: value_date_to;
  bool: value_bool as 0/1). customer_master/board_mapping.py validates that kinds fit these lanes.
-#}
{% macro monday_pivot(entity, fields) -%}
monday_field_map as (
    select board_id, field, column_id, column_title, kind, extra_key
    from {{ ref('monday_field_map') }}
    where entity = '{{ entity }}'
),

monday_board as (
    select distinct board_id from monday_field_map
),

monday_board_columns as (
    select c.board_id, c.column_id, lower(trim(c.title)) as title_key, c._partition_key
    from {{ source('monday', 'raw_monday_columns') }} as c
    inner join monday_board as b on b.board_id = c.board_id
    where c.archived is null or c.archived = 0
),

monday_latest_partition as (
    select board_id, max(_partition_key) as partition_key
    from monday_board_columns
    group by board_id
),

monday_latest_columns as (
    select bc.board_id, bc.column_id, bc.title_key
    from monday_board_columns as bc
    inner join monday_latest_partition as lp
        on lp.board_id = bc.board_id and lp.partition_key = bc._partition_key
),

monday_title_match as (
    select board_id, title_key, min(column_id) as column_id
    from monday_latest_columns
    group by board_id, title_key
),

monday_resolved_fields as (
    select
        fm.board_id,
        fm.field,
        fm.kind,
        fm.extra_key,
        coalesce(by_id.column_id, by_title.column_id, fm.column_id) as column_id
    from monday_field_map as fm
    left join monday_latest_columns as by_id
        on by_id.board_id = fm.board_id and by_id.column_id = fm.column_id
    left join monday_title_match as by_title
        on by_title.board_id = fm.board_id and by_title.title_key = lower(trim(fm.column_title))
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
    inner join monday_resolved_fields as rf
        on rf.board_id = v.board_id and rf.column_id = v.column_id
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
        i.updated_at
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
    updated_at
{%- endmacro %}
