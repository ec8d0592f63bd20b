{#- The daily run report: one row per run_date x job_name over ops_pipeline_runs (run_date = the
    partition's date for daily partitioned runs, else the UTC start date). success_rate = successful /
    all runs (a canceled run counts as not successful); the last run is the latest started one (ties by
    run id), and its status and issues are the day's headline. -#}
with runs as (
    select * from {{ ref('stg_ops__pipeline_runs') }}
),

ranked as (
    select
        runs.*,
        row_number() over (
            partition by run_date, job_name
            order by started_at desc, run_id desc
        ) as recency
    from runs
),

last_runs as (
    select
        run_date,
        job_name,
        run_id as last_run_id,
        status as last_status,
        started_at as last_started_at,
        duration_seconds as last_duration_seconds,
        issues as last_issues
    from ranked
    where recency = 1
),

days as (
    select
        run_date,
        job_name,
        count(*) as runs,
        sum(case when status = 'success' then 1 else 0 end) as successful_runs,
        sum(case when status = 'failure' then 1 else 0 end) as failed_runs,
        sum(case when status = 'canceled' then 1 else 0 end) as canceled_runs,
        sum(duration_seconds) as total_duration_seconds,
        avg(duration_seconds) as avg_duration_seconds,
        max(duration_seconds) as max_duration_seconds,
        sum(records_processed) as records_processed,
        sum(errors) as errors,
        sum(failed_checks) as failed_checks,
        min(started_at) as first_started_at
    from runs
    group by run_date, job_name
)

select
    d.run_date,
    d.job_name,
    d.runs,
    d.successful_runs,
    d.failed_runs,
    d.canceled_runs,
    cast(d.successful_runs as {{ wh_float() }}) / d.runs as success_rate,
    d.total_duration_seconds,
    d.avg_duration_seconds,
    d.max_duration_seconds,
    d.records_processed,
    d.errors,
    d.failed_checks,
    d.first_started_at,
    l.last_started_at,
    l.last_run_id,
    l.last_status,
    l.last_duration_seconds,
    l.last_issues
from days as d
inner join last_runs as l
    on l.run_date = d.run_date and l.job_name = d.job_name
