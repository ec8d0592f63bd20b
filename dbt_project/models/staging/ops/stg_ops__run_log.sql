{#- One row per board-asset run attempt (source ops.ops_run_log). The asset key 'monday/customers' is split
    into source ('monday') and entity ('customers', the board mapping's entity); duration in whole
    seconds (T-SQL DATEDIFF in milliseconds overflows after 24 days);
    error_rate = errors / records (quarantined values per item landed), NULL when nothing landed. -#}
with run_log as (
    select * from {{ source('ops', 'ops_run_log') }}
),

split as (
    select
        run_log.*,
        {{ dbt.position("'/'", 'asset') }} as slash_at
    from run_log
)

select
    run_id,
    asset,
    case when slash_at > 0 then substring(asset, 1, slash_at - 1) end as source,
    case when slash_at > 0 then substring(asset, slash_at + 1, {{ dbt.length('asset') }}) end as entity,
    partition_key,
    started_at,
    ended_at,
    cast({{ dbt.datediff('started_at', 'ended_at', 'second') }} as {{ wh_float() }}) as duration_seconds,
    status,
    coalesce(records, 0) as records,
    coalesce(errors, 0) as errors,
    coalesce(api_calls, 0) as api_calls,
    coalesce(complexity_used, 0) as complexity_used,
    message,
    board_id,
    case
        when records > 0 then cast(coalesce(errors, 0) as {{ wh_float() }}) / records
    end as error_rate
from split
