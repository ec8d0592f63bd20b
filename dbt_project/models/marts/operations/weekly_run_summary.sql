{#- The weekly summary: one row per ISO week (Monday week_start) x job_name over ops_pipeline_runs, with
    the trend against the calendar week before (prev_* and the changes; NULL when that week had no run
    of the job). success_rate_change is a difference of rates; *_change_pct are relative changes as
    fractions (0.25 = +25 %), NULL when the previous value is NULL or 0. -#}
with runs as (
    select
        runs.*,
        {{ wh_iso_week_start('run_date') }} as week_start
    from {{ ref('stg_ops__pipeline_runs') }} as runs
),

weeks as (
    select
        week_start,
        job_name,
        count(*) as total_runs,
        sum(case when status = 'success' then 1 else 0 end) as successful_runs,
        sum(case when status = 'failure' then 1 else 0 end) as failed_runs,
        avg(duration_seconds) as avg_duration_seconds,
        avg(cast(records_processed as {{ wh_float() }})) as avg_records,
        sum(records_processed) as total_records,
        sum(errors) as errors,
        sum(failed_checks) as failed_checks
    from runs
    group by week_start, job_name
),

rated as (
    select
        weeks.*,
        cast(successful_runs as {{ wh_float() }}) / total_runs as success_rate,
        {{ wh_add_days('week_start', '-7') }} as prev_week_start
    from weeks
)

select
    cur.week_start,
    {{ wh_iso_week_label('cur.week_start') }} as iso_week,
    cur.job_name,
    cur.total_runs,
    cur.successful_runs,
    cur.failed_runs,
    cur.success_rate,
    cur.avg_duration_seconds,
    cur.avg_records,
    cur.total_records,
    cur.errors,
    cur.failed_checks,
    prev.total_runs as prev_total_runs,
    prev.success_rate as prev_success_rate,
    prev.avg_duration_seconds as prev_avg_duration_seconds,
    prev.avg_records as prev_avg_records,
    cur.total_runs - prev.total_runs as total_runs_change,
    cur.success_rate - prev.success_rate as success_rate_change,
    case
        when prev.avg_duration_seconds > 0
            then (cur.avg_duration_seconds - prev.avg_duration_seconds) / prev.avg_duration_seconds
    end as avg_duration_change_pct,
    case
        when prev.avg_records > 0
            then (cur.avg_records - prev.avg_records) / prev.avg_records
    end as avg_records_change_pct
from rated as cur
left join rated as prev
    on prev.job_name = cur.job_name and prev.week_start = cur.prev_week_start
