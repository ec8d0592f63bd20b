{{ config(materialized='view') }}
{#- Sync health for dashboards: one row per source board, from the board's sync state (ops_sync_state)
    and its loads in the run log (ops_run_log), named from raw_monday_boards. A run-log row belongs to
    (source, board) = (the asset key before '/', the board the run pulled, else the board of the entity
    after it per the applied board mapping, else the entity itself), so a board whose loads have only failed is listed too.
    A view: "now" is the current UTC time of the query (wh_utc_now), so hours_since_last_sync and the
    7-day window (the 7 x 24 h before now) are always current, whenever dbt last ran. -#}
with clock as (
    select {{ wh_utc_now() }} as now_utc
),

sync_state as (
    select * from {{ ref('stg_ops__sync_state') }}
),

board_entities as (
    select distinct entity, board_id
    from {{ source('monday', 'ops_board_mapping') }}
),

board_names as (
    select board_id, name as board_name
    from {{ source('monday', 'raw_monday_boards') }}
),

run_log as (
    select
        rl.source,
        coalesce(rl.board_id, be.board_id, rl.entity) as board_id,
        rl.run_id,
        rl.started_at,
        rl.ended_at,
        rl.status,
        rl.records,
        rl.errors,
        rl.error_rate,
        rl.message
    from {{ ref('stg_ops__run_log') }} as rl
    left join board_entities as be
        on rl.source = 'monday' and be.entity = rl.entity
    where rl.source is not null
),

ranked as (
    select
        run_log.*,
        row_number() over (
            partition by source, board_id
            order by started_at desc, ended_at desc, run_id desc
        ) as recency
    from run_log
),

last_runs as (
    select * from ranked where recency = 1
),

recent as (
    select
        rl.source,
        rl.board_id,
        count(*) as runs_last_7_days,
        sum(case when rl.status = 'success' then 0 else 1 end) as failed_runs_last_7_days,
        avg(case when rl.status = 'success' then cast(rl.records as {{ wh_float() }}) end) as avg_records_per_run,
        sum(rl.records) as records_last_7_days,
        sum(rl.errors) as errors_last_7_days
    from run_log as rl
    cross join clock as c
    where rl.started_at >= {{ dbt.dateadd('day', -7, 'c.now_utc') }}
    group by rl.source, rl.board_id
),

boards as (
    select source, board_id from sync_state
    union
    select source, board_id from run_log where board_id is not null
)

select
    b.source,
    b.board_id,
    n.board_name,
    e.entity,
    s.last_sync_at as last_successful_sync_at,
    s.last_full_sync_at,
    {{ wh_hours_between('s.last_sync_at', 'c.now_utc') }} as hours_since_last_sync,
    l.run_id as last_run_id,
    l.started_at as last_run_started_at,
    l.status as last_run_status,
    l.records as last_run_records,
    l.errors as last_run_errors,
    l.error_rate as last_error_rate,
    l.message as last_run_message,
    coalesce(r.runs_last_7_days, 0) as runs_last_7_days,
    coalesce(r.failed_runs_last_7_days, 0) as failed_runs_last_7_days,
    r.avg_records_per_run,
    case
        when r.records_last_7_days > 0
            then cast(r.errors_last_7_days as {{ wh_float() }}) / r.records_last_7_days
    end as error_rate_last_7_days,
    s.active_items
from boards as b
cross join clock as c
left join sync_state as s
    on s.source = b.source and s.board_id = b.board_id
left join board_entities as e
    on b.source = 'monday' and e.board_id = b.board_id
left join board_names as n
    on b.source = 'monday' and n.board_id = b.board_id
left join last_runs as l
    on l.source = b.source and l.board_id = b.board_id
left join recent as r
    on r.source = b.source and r.board_id = b.board_id
