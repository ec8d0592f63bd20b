{#- Engine-specific expressions, one dispatched macro each (duckdb__ / sqlserver__ / default__).
    Models stay portable T-SQL/DuckDB: see ../shared/reference/warehouse-scheduling.md §2. -#}

{#- A 0/1 flag stored as the adapter's boolean (BOOLEAN / BIT); compare with `= 1`. -#}
{% macro wh_bool(condition) -%}
  cast(case when {{ condition }} then 1 else 0 end as {{ dbt.type_boolean() }})
{%- endmacro %}

{#- Unicode text of bounded length: VARCHAR on DuckDB, NVARCHAR(n) on SQL Server. -#}
{% macro wh_string(n=4000) -%}{{ adapter.dispatch('wh_string')(n) }}{%- endmacro %}
{% macro default__wh_string(n) -%}varchar({{ n }}){%- endmacro %}
{% macro duckdb__wh_string(n) -%}varchar{%- endmacro %}
{% macro sqlserver__wh_string(n) -%}nvarchar({{ n }}){%- endmacro %}

{#- A scalar from a JSON text: json_extract_string / JSON_VALUE (NULL when absent); path is SQL, e.g. "'$.city'". -#}
{% macro wh_json_text(expr, path) -%}{{ adapter.dispatch('wh_json_text')(expr, path) }}{%- endmacro %}
{% macro default__wh_json_text(expr, path) -%}json_value({{ expr }}, {{ path }}){%- endmacro %}
{% macro duckdb__wh_json_text(expr, path) -%}json_extract_string({{ expr }}, {{ path }}){%- endmacro %}
{% macro sqlserver__wh_json_text(expr, path) -%}json_value({{ expr }}, {{ path }}){%- endmacro %}

{#- Condition: expr looks like an email (one @, something before it, a dot in the domain, no spaces). -#}
{% macro wh_is_email(expr) -%}{{ adapter.dispatch('wh_is_email')(expr) }}{%- endmacro %}
{% macro default__wh_is_email(expr) -%}
  ({{ expr }} like '_%@_%._%' and {{ expr }} not like '%@%@%' and {{ expr }} not like '% %')
{%- endmacro %}
{% macro duckdb__wh_is_email(expr) -%}
  regexp_full_match({{ expr }}, '[^@\s]+@[^@\s]+\.[^@\s]+')
{%- endmacro %}
{% macro sqlserver__wh_is_email(expr) -%}
  ({{ expr }} like '_%@_%._%' and {{ expr }} not like '%@%@%' and {{ expr }} not like '%[ ' + char(9) + ']%'
   and {{ expr }} not like '%@%[^a-z0-9.-]%' and {{ expr }} not like '%.')
{%- endmacro %}

{#- Condition: expr is exactly "HH:MM-HH:MM" (after the caller removed spaces). -#}
{% macro wh_is_hhmm_range(expr) -%}{{ adapter.dispatch('wh_is_hhmm_range')(expr) }}{%- endmacro %}
{% macro default__wh_is_hhmm_range(expr) -%}
  {{ expr }} like '[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]'
{%- endmacro %}
{% macro duckdb__wh_is_hhmm_range(expr) -%}
  regexp_full_match({{ expr }}, '[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]')
{%- endmacro %}

{#- "HH:MM" text -> TIME, NULL when not a valid time of day (try_cast exists in both engines). -#}
{% macro wh_time(expr) -%}try_cast({{ expr }} as time){%- endmacro %}

{#- ISO weekday 1=Mon..7=Sun, independent of @@DATEFIRST (1900-01-01 was a Monday). -#}
{% macro wh_iso_weekday(d) -%}{{ adapter.dispatch('wh_iso_weekday')(d) }}{%- endmacro %}
{% macro default__wh_iso_weekday(d) -%}
  ({{ dbt.datediff("cast('1900-01-01' as date)", d, 'day') }} % 7) + 1
{%- endmacro %}
{% macro duckdb__wh_iso_weekday(d) -%}isodow({{ d }}){%- endmacro %}
{% macro sqlserver__wh_iso_weekday(d) -%}(datediff(day, cast('1900-01-01' as date), {{ d }}) % 7) + 1{%- endmacro %}

{#- Trimmed text, NULL when blank. -#}
{% macro wh_clean(expr) -%}nullif(trim({{ expr }}), ''){%- endmacro %}

{#- A status/dropdown label as a stable code: "In production " -> 'in_production'. -#}
{% macro wh_label_code(expr) -%}replace(lower(nullif(trim({{ expr }}), '')), ' ', '_'){%- endmacro %}
