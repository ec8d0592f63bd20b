{#- One row per orchestrator run (source ops.ops_pipeline_runs, one row per run_id): counts default to 0,
    a missing job name reads 'unknown', a missing run date falls back to the start date. -#}
with runs as (
    select * from {{ source('ops', 'ops_pipeline_runs') }}
)

select
    run_id,
    coalesce(job_name, 'unknown') as job_name,
    partition_key,
    coalesce(run_date, cast(started_at as date)) as run_date,
    started_at,
    ended_at,
    cast(duration_seconds as {{ wh_float() }}) as duration_seconds,
    status,
    coalesce(records_processed, 0) as records_processed,
    coalesce(errors, 0) as errors,
    coalesce(failed_checks, 0) as failed_checks,
    issues,
    recorded_at
from runs
