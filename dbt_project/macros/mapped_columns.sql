{#- The board-mapping columns missing from their board's latest columns snapshot by both id and title.
    Used by tests/mapped_columns_exist.sql. A board with no snapshot at all reports every field. -#}
{% macro mapped_columns_missing_sql() %}
with field_map as (
    select entity, board_id, field, column_id, column_title
    from {{ ref('monday_field_map') }}
),

board_columns as (
    select board_id, column_id, lower(trim(title)) as title_key, _partition_key
    from {{ source('monday', 'raw_monday_columns') }}
    where archived is null or archived = 0
),

latest_partition as (
    select board_id, max(_partition_key) as partition_key
    from board_columns
    group by board_id
),

latest_columns as (
    select bc.board_id, bc.column_id, bc.title_key
    from board_columns as bc
    inner join latest_partition as lp
        on lp.board_id = bc.board_id and lp.partition_key = bc._partition_key
)

select
    fm.entity,
    fm.board_id,
    fm.field,
    fm.column_id,
    fm.column_title,
    {{ dbt.concat([
        "'board '", 'fm.board_id', "' ('", 'fm.entity', "'): mapped column '", 'fm.column_id',
        "' (title: '", 'fm.column_title', "') for field '", 'fm.field',
        "' is missing from the board by id and by title'"
    ]) }} as message
from field_map as fm
where not exists (
    select 1 from latest_columns as lc
    where lc.board_id = fm.board_id
      and (lc.column_id = fm.column_id or lc.title_key = lower(trim(fm.column_title)))
)
{% endmacro %}
