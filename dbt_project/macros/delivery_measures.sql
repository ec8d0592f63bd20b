{#- The plan-vs-actual measures of delivery_performance over rows of int_deliveries__plan_vs_actual,
    shared by the per-customer and the overall aggregation. -#}
{% macro delivery_measures() -%}
    sum(case when is_planned = 1 then 1 else 0 end) as delivered_orders,
    sum(case when is_planned = 1 and on_time = 1 then 1 else 0 end) as on_time_orders,
    sum(case when is_planned = 1 and matches_plan = 1 then 1 else 0 end) as matching_plan_orders,
    sum(case when is_planned = 1 and matches_plan = 0 then 1 else 0 end) as variance_orders,
    sum(case when is_planned = 1 then cast(abs_variance_days as {{ wh_float() }}) end) as abs_variance_days,
    min(case when is_planned = 1 then delivered_date end) as first_delivered_date,
    max(case when is_planned = 1 then delivered_date end) as last_delivered_date,
    sum(case when is_planned = 1 then 0 else 1 end) as unplanned_deliveries
{%- endmacro %}
