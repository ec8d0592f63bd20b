{#- Tests that keep a wrong board mapping from going green with empty or hollow tables. Each returns one
    row per problem with a `message` that names what to fix; the rows are stored (store_failures) and
    the Dagster dbt asset shows the messages on the failed check (defs/dbt/assets.py). -#}

{#- Every required field of `entity` (ops_board_mapping.is_required) has a value on at least one active
    item: a field NULL on every row is mapped to the wrong column or with the wrong kind. `fields` maps
    the mapping's field name -> the model's column that holds it. -#}
{% test required_fields_populated(model, entity, fields) %}
{{ config(store_failures=true) }}
with mapping as (
    select field, board_id, column_id, mapped_column_id, mapped_title, kind, mapping_line, mapping_file
    from {{ source('monday', 'ops_board_mapping') }}
    where entity = '{{ entity }}' and is_required = 1
),

measured as (
    {%- for field, column in fields.items() %}
    select '{{ field }}' as field, count(*) as active_items, count({{ column }}) as filled
    from {{ model }}
    where is_active = 1
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    m.field,
    ms.active_items,
    {{ dbt.concat([
        "'" ~ entity ~ ".'", 'm.field', "' is empty on all '",
        'cast(ms.active_items as ' ~ wh_string(20) ~ ')',
        "' active items of board '", 'm.board_id', "': it reads column '",
        "coalesce(m.column_id, m.mapped_column_id, '?')", "' (title '", "coalesce(m.mapped_title, '?')",
        "', kind '", 'm.kind', "') set at '", "coalesce(m.mapping_file, 'the board mapping')", "' line '",
        "coalesce(cast(m.mapping_line as " ~ wh_string(20) ~ "), '?')",
        "'. Fix that line (python -m customer_master.board_mapping check shows what each column holds)'"
    ]) }} as message
from measured as ms
inner join mapping as m on m.field = ms.field
where ms.active_items > 0 and ms.filled = 0
{% endtest %}

{#- The model is not empty while the entity's board has active items: an empty mart from a non-empty
    board means the mapping or a filter lost every row. `where` narrows the model (e.g. one source). -#}
{% test not_empty_when_board_has_items(model, entity, where=none) %}
{{ config(store_failures=true) }}
with board as (
    select distinct board_id
    from {{ source('monday', 'ops_board_mapping') }}
    where entity = '{{ entity }}'
),

board_items as (
    select b.board_id, count(i.item_id) as active_items
    from board as b
    left join {{ source('monday', 'raw_monday_items') }} as i
        on i.board_id = b.board_id and i.state = 'active'
    group by b.board_id
),

model_rows as (
    select count(*) as n_rows
    from {{ model }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
)

select
    bi.board_id,
    bi.active_items,
    {{ dbt.concat([
        "'" ~ model.identifier ~ " is empty but board '", 'bi.board_id', "' (" ~ entity ~ ") has '",
        'cast(bi.active_items as ' ~ wh_string(20) ~ ')',
        "' active items: check the board id and the fields of " ~ entity ~ " in the board mapping "
        ~ "(python -m customer_master.board_mapping check)'"
    ]) }} as message
from board_items as bi
cross join model_rows as mr
where bi.active_items > 0 and mr.n_rows = 0
{% endtest %}
