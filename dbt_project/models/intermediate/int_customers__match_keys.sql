{#- The keys an order can name its customer by, one row per (match_type, match_key), resolved to one
    customer where that is unambiguous. match_type:
      customer_id      the Monday item id (every customer; what a Monday order links)
      customer_number  the customer number, trimmed and upper-cased
      email            the valid contact e-mail, trimmed and lower-case (customer_master.email_normalised)
    A key held by several customers resolves to the one whose item is live (not archived or deleted)
    when exactly one is; to the only holder when there is one; else it is ambiguous (customer_id NULL)
    and resolves nothing. Read from stg_monday__customers, whose rows are customer_master's (customer_id
    = item_id), so the intermediate layer does not depend on a mart. -#}
with customers as (
    select
        item_id,
        upper({{ wh_clean('customer_number') }}) as customer_number_key,
        case when email_is_valid = 1 then lower({{ wh_clean('email') }}) end as email_key,
        case when is_active = 1 then 1 else 0 end as is_live
    from {{ ref('stg_monday__customers') }}
),

keys as (
    select cast('customer_id' as {{ wh_string(20) }}) as match_type, item_id as match_key, item_id, is_live
    from customers

    union all

    select cast('customer_number' as {{ wh_string(20) }}) as match_type, customer_number_key as match_key, item_id, is_live
    from customers
    where customer_number_key is not null

    union all

    select cast('email' as {{ wh_string(20) }}) as match_type, email_key as match_key, item_id, is_live
    from customers
    where email_key is not null
)

select
    match_type,
    cast(match_key as {{ wh_string(400) }}) as match_key,
    count(*) as candidates,
    sum(is_live) as live_candidates,
    cast(case
        when sum(is_live) = 1 then max(case when is_live = 1 then item_id end)
        when count(*) = 1 then max(item_id)
    end as {{ wh_string(128) }}) as customer_id
from keys
group by match_type, match_key
