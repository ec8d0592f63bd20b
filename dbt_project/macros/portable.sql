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

{#- A time of day typed one of the ways a board holds an hour: "8", "08", "8:30", "08:30" (an hour
    column arrives as "08:30", a numbers column as "8") -> TIME; NULL for anything else (e.g. "25"). -#}
{% macro wh_time_of_day(expr) -%}{{ adapter.dispatch('wh_time_of_day')(expr) }}{%- endmacro %}
{% macro default__wh_time_of_day(expr) -%}
  case
    when {{ expr }} like '[0-9]' or {{ expr }} like '[0-9][0-9]'
      then try_cast({{ dbt.concat([expr, "':00'"]) }} as time)
    when {{ expr }} like '[0-9]:[0-5][0-9]' or {{ expr }} like '[0-9][0-9]:[0-5][0-9]'
      then try_cast({{ expr }} as time)
  end
{%- endmacro %}
{% macro duckdb__wh_time_of_day(expr) -%}
  case
    when regexp_full_match({{ expr }}, '[0-9]{1,2}') then try_cast({{ dbt.concat([expr, "':00'"]) }} as time)
    when regexp_full_match({{ expr }}, '[0-9]{1,2}:[0-5][0-9]') then try_cast({{ expr }} as time)
  end
{%- endmacro %}

{#- ISO weekday 1=Mon..7=Sun, independent of @@DATEFIRST (1900-01-01 was a Monday). -#}
{% macro wh_iso_weekday(d) -%}{{ adapter.dispatch('wh_iso_weekday')(d) }}{%- endmacro %}
{% macro default__wh_iso_weekday(d) -%}
  (({{ dbt.datediff("cast('1900-01-01' as date)", d, 'day') }} % 7) + 1)
{%- endmacro %}
{% macro duckdb__wh_iso_weekday(d) -%}isodow({{ d }}){%- endmacro %}
{% macro sqlserver__wh_iso_weekday(d) -%}((datediff(day, cast('1900-01-01' as date), {{ d }}) % 7) + 1){%- endmacro %}

{#- Trimmed text, NULL when blank. -#}
{% macro wh_clean(expr) -%}nullif(trim({{ expr }}), ''){%- endmacro %}

{#- A status/dropdown label as a stable code: "In production " -> 'in_production'. -#}
{% macro wh_label_code(expr) -%}replace(lower(nullif(trim({{ expr }}), '')), ' ', '_'){%- endmacro %}

{#- The later of two nullable timestamps (NULL only when both are). CASE, not GREATEST: SQL Server
    before 2022 lacks it. -#}
{% macro wh_later_of(a, b) -%}
case when {{ b }} is not null and ({{ a }} is null or {{ b }} > {{ a }}) then {{ b }} else {{ a }} end
{%- endmacro %}

{#- A double-precision float type for ratios: DOUBLE on DuckDB (its FLOAT is 4 bytes), FLOAT(53) on SQL Server. -#}
{% macro wh_float() -%}{{ adapter.dispatch('wh_float')() }}{%- endmacro %}
{% macro default__wh_float() -%}float{%- endmacro %}
{% macro duckdb__wh_float() -%}double{%- endmacro %}
{% macro sqlserver__wh_float() -%}float{%- endmacro %}

{#- A DATE `n` days after date d (n may be an SQL expression); dbt.dateadd returns a timestamp on both. -#}
{% macro wh_add_days(d, n) -%}cast({{ dbt.dateadd('day', n, d) }} as date){%- endmacro %}

{#- Monday of d's ISO week (a DATE). -#}
{% macro wh_iso_week_start(d) -%}{{ wh_add_days(d, '1 - (' ~ wh_iso_weekday(d) ~ ')') }}{%- endmacro %}

{#- ISO 8601 week number 1..53 and its ISO year (the year of the week's Thursday). -#}
{% macro wh_iso_week(d) -%}{{ adapter.dispatch('wh_iso_week')(d) }}{%- endmacro %}
{% macro default__wh_iso_week(d) -%}{{ dbt.date_part('week', d) }}{%- endmacro %}
{% macro duckdb__wh_iso_week(d) -%}weekofyear({{ d }}){%- endmacro %}
{% macro sqlserver__wh_iso_week(d) -%}datepart(iso_week, {{ d }}){%- endmacro %}

{% macro wh_iso_year(d) -%}{{ adapter.dispatch('wh_iso_year')(d) }}{%- endmacro %}
{% macro default__wh_iso_year(d) -%}
  {{ dbt.date_part('year', wh_add_days(d, '4 - (' ~ wh_iso_weekday(d) ~ ')')) }}
{%- endmacro %}
{% macro duckdb__wh_iso_year(d) -%}isoyear({{ d }}){%- endmacro %}
{% macro sqlserver__wh_iso_year(d) -%}
  datepart(year, dateadd(day, 4 - ({{ wh_iso_weekday(d) }}), {{ d }}))
{%- endmacro %}

{#- ISO week label 'YYYY-Www' (e.g. '2026-W45'), sortable as text. -#}
{% macro wh_iso_week_label(d) -%}
  cast({{ dbt.concat([
      'cast(' ~ wh_iso_year(d) ~ ' as ' ~ wh_string(4) ~ ')',
      "case when " ~ wh_iso_week(d) ~ " < 10 then '-W0' else '-W' end",
      'cast(' ~ wh_iso_week(d) ~ ' as ' ~ wh_string(2) ~ ')'
  ]) }} as {{ wh_string(8) }})
{%- endmacro %}

{#- The current time as a naive UTC timestamp, the warehouse's convention. dbt.current_timestamp() is the
    session's local time on both engines (DuckDB now() in the TimeZone setting, SQL Server SYSDATETIME()
    in the server's zone), so it is only the fallback for other adapters. Unit tests override this macro
    to pin "now". -#}
{% macro wh_utc_now() -%}{{ adapter.dispatch('wh_utc_now')() }}{%- endmacro %}
{% macro default__wh_utc_now() -%}{{ dbt.current_timestamp() }}{%- endmacro %}
{% macro duckdb__wh_utc_now() -%}cast(timezone('UTC', now()) as timestamp){%- endmacro %}
{% macro sqlserver__wh_utc_now() -%}cast(sysutcdatetime() as datetime2(6)){%- endmacro %}

{#- Hours from timestamp a to timestamp b as a float (second precision, rounded to 0.01 h). -#}
{% macro wh_hours_between(a, b) -%}
  round(cast({{ dbt.datediff(a, b, 'second') }} as {{ wh_float() }}) / 3600, 2)
{%- endmacro %}
