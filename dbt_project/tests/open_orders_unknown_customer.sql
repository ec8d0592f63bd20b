{{ config(severity='warn') }}
{#- Issue 12: open orders whose customer is unknown (no customer linked, an OMS reference that resolves
    to no single customer, or a customer id not in customer_master). They stay in order_master and the
    planner lists them as `unknown_customer`; this check counts them (one failing row per order). -#}
select order_id, source, order_number, customer_id, customer_match, oms_customer_number, oms_customer_email
from {{ ref('order_master') }}
where is_open = 1 and is_unknown_customer = 1
