-- Weekly run summary for the last 8 ISO weeks with runs, per job: total runs, success rate, average
-- duration and records, and the trend against the week before (the weekly summary the ops team
-- reviews). The model keeps rates as fractions; here they are shown as percent / percentage points.
-- Portable: runs unchanged on DuckDB and SQL Server.
select
    week_start,
    iso_week,
    job_name,
    total_runs,
    round(100 * success_rate, 1) as success_rate_percent,
    round(avg_duration_seconds / 60, 2) as avg_duration_minutes,
    round(avg_records, 0) as avg_records,
    prev_total_runs,
    round(100 * success_rate_change, 1) as success_rate_change_points,
    round(100 * avg_duration_change_pct, 1) as avg_duration_change_percent,
    round(100 * avg_records_change_pct, 1) as avg_records_change_percent
from (
    select
        weekly_run_summary.*,
        dense_rank() over (order by week_start desc) as weeks_back
    from weekly_run_summary
) as recent
where weeks_back <= 8
order by week_start desc, job_name
