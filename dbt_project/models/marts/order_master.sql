{#- One row per real order from all sources (Monday Orders board and the OMS), with precedence
    (priority_rank) and open/closed state.

    An order in both systems (same order_number_key, held by exactly one order on each side: var
    order_match, macros/order_pairs.sql) is one row, source 'both'. It keeps the Monday order's id
    (order_id 'monday:<item id>', source_id = the item id), so plans, snapshots and history stay on
    the same id when the OMS copy appears; source_ids lists both. A key held by several orders on one
    side pairs nothing: every such order stays its own row (match_status 'ambiguous', listed in
    order_conflicts). Each field of var order_precedence takes the configured winner's value, the
    other side's when the winner's is NULL; labels follow their field (status_label the status,
    priority_label the priority; customer_match and is_unknown_customer the customer). Fields only
    Monday has (promised date, product, production window, rush approval) come from Monday.
    An order removed in either system (Monday item archived or deleted, OMS order deleted) is not
    active; an OMS cancellation closes the order whatever the status precedence.

    Realtime (macros/order_changes.sql): with var order_changes naming changed Monday items / OMS
    orders, order_master is incremental and a run on an existing table recomputes only the orders
    those touch (whole order_number_keys; the `order_changes` strategy deletes and inserts in one
    transaction), giving the same rows as a full rebuild. Without ids (the nightly build) it is a table,
    rebuilt whole. -#}
{{ config(
    materialized=('incremental' if order_changes_any() else 'table'),
    incremental_strategy='order_changes',
    on_schema_change='fail',
) }}
{%- set changes = order_changes_config() %}
with
{#- order_changes_any() and `this` first: is_incremental() needs a relation, which a unit test has not. #}
{%- if order_changes_any() and this is not none and is_incremental() %}
{{ order_changes_rows(this, ref('int_orders__unioned'), changes) }},

{{ order_pairs('order_changes_recomputed') }},
{%- else %}
{{ order_pairs(ref('int_orders__unioned')) }},
{%- endif %}

merged as (
    select
        order_id,
        source,
        coalesce(m_source_id, o_source_id) as source_id,
        source_ids,
        m_source_id as monday_source_id,
        o_source_id as oms_source_id,
        match_status,
        coalesce(m_order_number, o_order_number) as order_number,
        coalesce(m_order_number_key, o_order_number_key) as order_number_key,
        {{ order_side_value('customer_from', 'customer_id') }} as customer_id,
        {{ order_side_value('customer_from', 'customer_match') }} as customer_match,
        {{ order_side_value('customer_from', 'is_unknown_customer') }} as side_unknown_customer,
        o_customer_number as oms_customer_number,
        o_customer_email as oms_customer_email,
        {{ order_side_value('status_from', 'status') }} as status,
        {{ order_side_value('status_from', 'status_label') }} as status_label,
        {{ order_side_value('priority_from', 'priority') }} as priority,
        {{ order_side_value('priority_from', 'priority_label') }} as priority_label,
        {{ order_side_value('quantity_from', 'quantity') }} as quantity,
        {{ order_side_value('requested_date_from', 'requested_date') }} as requested_date,
        coalesce(m_promised_date, o_promised_date) as promised_date,
        coalesce(m_product, o_product) as product,
        coalesce(m_production_start, o_production_start) as production_start,
        coalesce(m_production_end, o_production_end) as production_end,
        coalesce(m_rush_approved, o_rush_approved) as rush_approved,
        {{ order_side_value('delivered_date_from', 'delivered_date') }} as delivered_date,
        case
            when m_source_id is not null and (m_is_active is null or m_is_active <> 1) then 0
            when o_source_id is not null and (o_is_active is null or o_is_active <> 1) then 0
            else 1
        end as active_flag,
        case when o_is_cancelled = 1 then 1 else 0 end as oms_cancelled_flag,
        coalesce(m_created_at, o_created_at) as created_at,
        {{ wh_later_of('m_updated_at', 'o_updated_at') }} as updated_at,
        {{ wh_later_of('m__state_changed_at', 'o__state_changed_at') }} as state_changed_at
    from order_sides
)

select
    order_id,
    source,
    source_id,
    source_ids,
    monday_source_id,
    oms_source_id,
    match_status,
    order_number,
    order_number_key,
    customer_id,
    customer_match,
    {{ wh_bool('customer_id is null or side_unknown_customer = 1') }} as is_unknown_customer,
    oms_customer_number,
    oms_customer_email,
    status,
    status_label,
    priority,
    priority_label,
    case priority
        when 'rush' then 1
        when 'high' then 2
        when 'normal' then 3
        when 'low' then 4
        else 3
    end as priority_rank,
    quantity,
    requested_date,
    promised_date,
    product,
    production_start,
    production_end,
    rush_approved,
    delivered_date,
    {{ wh_bool('active_flag = 1') }} as is_active,
    {{ wh_bool(
        "active_flag = 1 and oms_cancelled_flag = 0"
        ~ " and (status is null or status not in ('delivered', 'cancelled', 'deleted'))"
    ) }} as is_open,
    created_at,
    updated_at,
    -- The version timestamp the snapshots use: a deletion, archive or restore moves it too (the
    -- loader records those in _state_changed_at; the raw row keeps its updated_at). For an order in
    -- both systems updated_at is the later of the two sides' updates.
    {{ wh_later_of('updated_at', 'state_changed_at') }} as changed_at
from merged
