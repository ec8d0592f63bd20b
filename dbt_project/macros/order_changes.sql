{#- Realtime order_master (models/marts/order_master.sql): the orders a realtime run recomputes.

    var('order_changes') names the source rows that changed since order_master was last built:
    {monday: [<item id>, ...], oms: [<oms source_id '<oms>:<order id>'>, ...]} (dbt_project.yml). When
    it names at least one id, order_master is an incremental model and an existing order_master is
    updated in place: every order row that holds a changed id, or shares an order_number_key with one
    (its old key in order_master or its new key in int_orders__unioned), is replaced by the pairs of
    its source rows (whole keys, so pairing among them equals pairing among all rows), together with
    any source row order_master lacks (self-heal). Without ids order_master is a table rebuilt whole.

    The model's select computes the replacement rows (order_changes_rows); the custom incremental
    strategy `order_changes` (get_incremental_order_changes_sql) deletes the rows they replace and
    inserts them in ONE statement batch, inside the materialization's transaction on both adapters
    (dbt-duckdb: statement('main') auto-begins; dbt-sqlserver: statement('main') auto-begins with
    flag dbt_sqlserver_use_dbt_transactions and XACT_ABORT on), so a failure leaves order_master as
    it was. -#}

{#- var('order_changes'), validated: {'monday': [ids], 'oms': [ids]} with ids as non-empty strings
    (integers are taken as their text), duplicates dropped. Missing keys and an empty/none var mean
    no ids. -#}
{% macro order_changes_config() -%}
  {%- set cfg = var('order_changes', {}) -%}
  {%- if not cfg -%}
    {#- The realtime run names its ids in DBT_ORDER_CHANGES (same JSON shape): a var that changes on
        every run would make dbt parse the whole project again each time (~7 s); a changed env var
        only re-parses the files that read it. -#}
    {%- set cfg = fromjson(env_var('DBT_ORDER_CHANGES', '{}') or '{}') -%}
  {%- endif -%}
  {%- if cfg is none -%}{%- set cfg = {} -%}{%- endif -%}
  {%- if cfg is not mapping -%}
    {{ exceptions.raise_compiler_error(
        "var('order_changes') must be a mapping {monday: [item ids], oms: ['<oms>:<order id>', ...]}, got "
        ~ cfg) }}
  {%- endif -%}
  {%- for key in cfg -%}
    {%- if key not in ['monday', 'oms'] -%}
      {{ exceptions.raise_compiler_error(
          "var('order_changes') has an unknown source '" ~ key ~ "' (known: monday, oms)") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set result = {'monday': [], 'oms': []} -%}
  {%- for side in ['monday', 'oms'] -%}
    {%- set ids = cfg.get(side, []) -%}
    {%- if ids is none -%}{%- set ids = [] -%}{%- endif -%}
    {%- if ids is string or ids is mapping or ids is not iterable -%}
      {{ exceptions.raise_compiler_error(
          "var('order_changes')." ~ side ~ " must be a list of ids, e.g. ['1234567890'], got '" ~ ids ~ "'") }}
    {%- endif -%}
    {%- for id in ids -%}
      {%- if id is boolean or not (id is string or id is integer) -%}
        {{ exceptions.raise_compiler_error(
            "var('order_changes')." ~ side ~ " must hold ids as strings, got '" ~ id ~ "'") }}
      {%- endif -%}
      {%- set text = id ~ '' -%}
      {%- if text | trim | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var('order_changes')." ~ side ~ " must hold non-empty ids, got '" ~ id ~ "'") }}
      {%- endif -%}
      {%- if text not in result[side] -%}{%- do result[side].append(text) -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(result) }}
{%- endmacro %}

{#- True when var('order_changes') names at least one id: order_master is then incremental. -#}
{% macro order_changes_any() -%}
  {%- set changes = order_changes_config() -%}
  {{ return((changes.monday | length) + (changes.oms | length) > 0) }}
{%- endmacro %}

{#- A string literal, single quotes doubled: 'x' on DuckDB, N'x' (Unicode) on SQL Server. -#}
{% macro order_changes_literal(value) -%}{{ adapter.dispatch('order_changes_literal')(value) }}{%- endmacro %}
{% macro default__order_changes_literal(value) -%}'{{ value | replace("'", "''") }}'{%- endmacro %}
{% macro sqlserver__order_changes_literal(value) -%}N'{{ value | replace("'", "''") }}'{%- endmacro %}

{#- Condition: expr is one of ids (always false for no ids). -#}
{% macro order_changes_in(expr, ids) -%}
  {%- if ids | length == 0 -%}
    1 = 0
  {%- else -%}
    {{ expr }} in (
      {%- for id in ids -%}{{ order_changes_literal(id) }}{{ ', ' if not loop.last }}{%- endfor -%}
    )
  {%- endif -%}
{%- endmacro %}

{#- Condition: an order_master row (unqualified columns) holds a changed id on either side. -#}
{% macro order_changes_row_changed(changes) -%}
  ({{ order_changes_in('monday_source_id', changes.monday) }}
   or {{ order_changes_in('oms_source_id', changes.oms) }})
{%- endmacro %}

{#- Condition: an int_orders__unioned row `alias` is a changed source row. -#}
{% macro order_changes_source_changed(alias, changes) -%}
  (({{ alias }}.source = 'monday' and {{ order_changes_in(alias ~ '.source_id', changes.monday) }})
   or ({{ alias }}.source = 'oms' and {{ order_changes_in(alias ~ '.source_id', changes.oms) }}))
{%- endmacro %}

{#- The CTEs (no leading WITH) that pick the int_orders__unioned rows (`source_rows`) an incremental
    run recomputes, from the order_master as it is (`current`); the last CTE, `order_changes_recomputed`,
    has exactly int_orders__unioned's columns, to be paired by order_pairs().
      order_changes_current   each source row order_master holds, with the key of its order row and
                              whether that row holds a changed id
      order_changes_keys      the keys to recompute whole: keys of order rows holding a changed id,
                              current keys of changed source rows and of source rows order_master lacks
      order_changes_replaced  the source rows of the order rows replaced (changed, or on such a key)
      order_changes_recomputed  their current rows, plus the source rows order_master lacks
    A changed source row already in order_master is replaced through its order row; a new one is
    lacking; a deleted one (gone from int_orders__unioned) only loses its order row (the strategy
    deletes every row holding a changed id). Every key touched is recomputed whole: an unchanged
    source row keeps its key, so all rows on a key in order_changes_keys are replaced or lacking. -#}
{% macro order_changes_rows(current, source_rows, changes) -%}
order_changes_current as (
    select
        cast('monday' as {{ wh_string(20) }}) as source,
        monday_source_id as source_id,
        order_number_key,
        case when {{ order_changes_row_changed(changes) }} then 1 else 0 end as is_changed
    from {{ current }}
    where monday_source_id is not null

    union all

    select
        cast('oms' as {{ wh_string(20) }}) as source,
        oms_source_id as source_id,
        order_number_key,
        case when {{ order_changes_row_changed(changes) }} then 1 else 0 end as is_changed
    from {{ current }}
    where oms_source_id is not null
),

order_changes_keys as (
    select order_number_key
    from order_changes_current
    where is_changed = 1 and order_number_key is not null

    union

    select u.order_number_key
    from {{ source_rows }} as u
    where u.order_number_key is not null
        and (
            {{ order_changes_source_changed('u', changes) }}
            or not exists (
                select 1 from order_changes_current as c
                where c.source = u.source and c.source_id = u.source_id
            )
        )
),

order_changes_replaced as (
    select source, source_id
    from order_changes_current
    where is_changed = 1
        or order_number_key in (select order_number_key from order_changes_keys)
),

order_changes_recomputed as (
    select u.*
    from {{ source_rows }} as u
    where exists (
            select 1 from order_changes_replaced as r
            where r.source = u.source and r.source_id = u.source_id
        )
        or not exists (
            select 1 from order_changes_current as c
            where c.source = u.source and c.source_id = u.source_id
        )
)
{%- endmacro %}

{#- Custom incremental strategy `order_changes` (adapter.get_incremental_strategy_macro finds it by
    name): replace the order rows the temp relation recomputes, see order_changes_replace_sql. -#}
{% macro get_incremental_order_changes_sql(arg_dict) -%}
  {{ return(order_changes_replace_sql(
      arg_dict['target_relation'], arg_dict['temp_relation'],
      arg_dict['dest_columns'] | map(attribute='name') | list)) }}
{%- endmacro %}

{#- Delete from `target` every order row the recomputed rows in `temp` replace (a row holding one of
    their source ids or keys: all of them were recomputed whole) and every row holding a changed id
    (a source row deleted since), then insert the recomputed rows: one statement batch, run in the
    materialization's transaction. -#}
{% macro order_changes_replace_sql(target, temp, column_names) -%}
  {{ return(adapter.dispatch('order_changes_replace_sql')(target, temp, column_names)) }}
{%- endmacro %}

{% macro order_changes_delete_sql(target, temp) -%}
{%- set changes = order_changes_config() -%}
delete from {{ target }}
where monday_source_id in (select monday_source_id from {{ temp }} where monday_source_id is not null)
    or oms_source_id in (select oms_source_id from {{ temp }} where oms_source_id is not null)
    or order_number_key in (select order_number_key from {{ temp }} where order_number_key is not null)
    or {{ order_changes_row_changed(changes) }}
{%- endmacro %}

{% macro default__order_changes_replace_sql(target, temp, column_names) -%}
{%- set cols = get_quoted_csv(column_names) -%}
{{ order_changes_delete_sql(target, temp) }};
insert into {{ target }} ({{ cols }})
select {{ cols }} from {{ temp }};
{%- endmacro %}

{#- SET NOCOUNT ON around the delete, as dbt-sqlserver's own delete+insert does: only the insert
    reports a row count. -#}
{% macro sqlserver__order_changes_replace_sql(target, temp, column_names) -%}
{%- set cols = get_quoted_csv(column_names) -%}
SET NOCOUNT ON;
{{ order_changes_delete_sql(target, temp) }};
SET NOCOUNT OFF;
insert into {{ target }} ({{ cols }})
select {{ cols }} from {{ temp }};
{%- endmacro %}
