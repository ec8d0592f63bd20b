{#- Orders from Monday and the OMS in one order_master (issue 12): the configuration that decides which
    two orders are the same real order and which system's value wins, read from dbt vars and validated
    here, so a bad value fails the compile with a message naming the var (dbt_project.yml documents
    both vars and their defaults). -#}

{#- var('order_match'), validated: {ignore_case: bool, ignore_chars: [non-empty strings]}. -#}
{% macro order_match_config() -%}
  {%- set cfg = var('order_match') -%}
  {%- if cfg is not mapping -%}
    {{ exceptions.raise_compiler_error(
        "var('order_match') must be a mapping {ignore_case: true|false, ignore_chars: [...]}, got " ~ cfg) }}
  {%- endif -%}
  {%- for key in cfg -%}
    {%- if key not in ['ignore_case', 'ignore_chars'] -%}
      {{ exceptions.raise_compiler_error(
          "var('order_match') has an unknown option '" ~ key ~ "' (known: ignore_case, ignore_chars)") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set ignore_case = cfg.get('ignore_case', true) -%}
  {%- if ignore_case is not boolean -%}
    {{ exceptions.raise_compiler_error(
        "var('order_match').ignore_case must be true or false, got '" ~ ignore_case ~ "'") }}
  {%- endif -%}
  {%- set chars = cfg.get('ignore_chars', []) -%}
  {%- if chars is none -%}{%- set chars = [] -%}{%- endif -%}
  {%- if chars is string or chars is mapping or chars is not iterable -%}
    {{ exceptions.raise_compiler_error(
        "var('order_match').ignore_chars must be a list of characters, e.g. ['#', ' '], got '" ~ chars ~ "'") }}
  {%- endif -%}
  {%- for ch in chars -%}
    {%- if ch is not string or ch | length == 0 -%}
      {{ exceptions.raise_compiler_error(
          "var('order_match').ignore_chars must hold non-empty strings, got '" ~ ch ~ "'") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return({'ignore_case': ignore_case, 'ignore_chars': chars}) }}
{%- endmacro %}

{#- The fields whose winner var('order_precedence') names, each 'monday' or 'oms'. -#}
{% macro order_precedence_fields() -%}
  {{ return(['quantity', 'status', 'delivered_date', 'priority', 'requested_date', 'customer']) }}
{%- endmacro %}

{#- var('order_precedence'), validated: every field of order_precedence_fields() -> 'monday' | 'oms'. -#}
{% macro order_precedence_config() -%}
  {%- set fields = order_precedence_fields() -%}
  {%- set cfg = var('order_precedence') -%}
  {%- if cfg is not mapping -%}
    {{ exceptions.raise_compiler_error(
        "var('order_precedence') must be a mapping of field -> monday|oms for the fields "
        ~ fields | join(', ') ~ ", got " ~ cfg) }}
  {%- endif -%}
  {%- for key in cfg -%}
    {%- if key not in fields -%}
      {{ exceptions.raise_compiler_error(
          "var('order_precedence') has an unknown field '" ~ key ~ "' (fields: " ~ fields | join(', ') ~ ")") }}
    {%- endif -%}
  {%- endfor -%}
  {%- for field in fields -%}
    {%- if field not in cfg -%}
      {{ exceptions.raise_compiler_error(
          "var('order_precedence') is missing the field '" ~ field ~ "' (every one of "
          ~ fields | join(', ') ~ " needs monday or oms)") }}
    {%- endif -%}
    {%- if cfg[field] not in ['monday', 'oms'] -%}
      {{ exceptions.raise_compiler_error(
          "var('order_precedence')." ~ field ~ " must be 'monday' or 'oms', got '" ~ cfg[field] ~ "'") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(cfg) }}
{%- endmacro %}

{#- The normalised order number two systems are matched on (portable: nested replace, no regex):
    trimmed, upper-cased when order_match.ignore_case, every order_match.ignore_chars string removed,
    trimmed again; NULL when nothing is left. On SQL Server a case-insensitive collation compares
    keys without case anyway. -#}
{% macro order_number_key(expr) -%}
  {%- set cfg = order_match_config() -%}
  {%- set ns = namespace(sql='trim(' ~ expr ~ ')') -%}
  {%- if cfg.ignore_case -%}{%- set ns.sql = 'upper(' ~ ns.sql ~ ')' -%}{%- endif -%}
  {%- for ch in cfg.ignore_chars -%}
    {%- set ns.sql = 'replace(' ~ ns.sql ~ ", '" ~ (ch | replace("'", "''")) ~ "', '')" -%}
  {%- endfor -%}
  cast(nullif(trim({{ ns.sql }}), '') as {{ wh_string(200) }})
{%- endmacro %}
