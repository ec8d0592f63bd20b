{#- Root override so `dbt compile --target sqlserver --no-populate-cache --vars '{offline_compile: true}'`
    works without a server: dbt's own is_incremental() asks the database whether the table exists.
    Offline, incremental models compile their full-build branch; add `offline_compile_incremental: true`
    to the vars to compile their incremental branch instead (tests/integration/test_dbt_sqlserver_compile.py
    parses both). -#}
{% macro is_incremental() %}
  {% if var('offline_compile', false) %}{{ return(var('offline_compile_incremental', false)) }}{% endif %}
  {{ return(dbt.is_incremental()) }}
{% endmacro %}
