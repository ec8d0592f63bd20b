{#- Project generic tests (no packages: dbt deps would need the network). Each returns failing rows. -#}

{#- The combination of `columns` is unique. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Share of rows where `column` is filled is at least min_ratio (business DQ rule: coverage >= 90 %).
    Returns one row (with the measured ratio) when the coverage is too low; an empty model passes. -#}
{#- `mapped_field` ('customers.address'): the rule applies only while the board mapping maps that field
    (an account without an address column cannot be held to address coverage). -#}
{% test coverage_above(model, column_name, min_ratio=0.9, mapped_field=none) %}
with coverage as (
    select
        count(*) as n_rows,
        count({{ column_name }}) as n_filled
    from {{ model }}
)
select
    n_rows,
    n_filled,
    cast(n_filled as float) / n_rows as coverage_ratio,
    {{ min_ratio }} as min_ratio
from coverage
where n_rows > 0 and cast(n_filled as float) / n_rows < {{ min_ratio }}
{%- if mapped_field %}
    {%- set entity, field = mapped_field.split('.') %}
    and exists (
        select 1 from {{ source('monday', 'ops_board_mapping') }}
        where entity = '{{ entity }}' and field = '{{ field }}' and column_id is not null
    )
{%- endif %}
{% endtest %}

{#- Fewer than max_nulls rows have `column` NULL (business DQ rule: customer name NULLs >= 50 is critical). -#}
{% test null_count_below(model, column_name, max_nulls=50) %}
with nulls as (
    select count(*) as n_nulls
    from {{ model }}
    where {{ column_name }} is null
)
select n_nulls, {{ max_nulls }} as max_nulls
from nulls
where n_nulls >= {{ max_nulls }}
{% endtest %}
