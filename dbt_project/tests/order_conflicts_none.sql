{{ config(severity='warn') }}
{#- Issue 12: warn while Monday and the OMS disagree on any order both hold (or an order number is
    duplicated on one side, so the two could not be paired). One failing row per order_conflicts row:
    the failure count is the number of conflicts. order_master has already applied the precedence. -#}
select order_id, order_number, field, monday_value, oms_value, winner, won_value
from {{ ref('order_conflicts') }}
