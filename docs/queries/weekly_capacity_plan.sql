-- Capacity plan for the next 8 weeks (the latest plan's week and the 7 after it), by resource and
-- ISO week: regular and overtime capacity, units booked, utilization, days over 95 % and days off.
-- Portable: runs unchanged on DuckDB and SQL Server (capacity_planning carries the ISO week columns).
select
    resource,
    iso_week,
    week_start,
    count(*) as days,
    sum(capacity_units) as capacity_units,
    sum(overtime_capacity_units) as overtime_capacity_units,
    sum(scheduled_units) as scheduled_units,
    sum(scheduled_overtime_units) as scheduled_overtime_units,
    sum(capacity_units) - sum(scheduled_units) as free_units,
    case
        when sum(capacity_units) > 0 then sum(total_scheduled_units) / sum(capacity_units)
        else 0
    end as utilization,
    sum(case when is_over_utilization_warn = 1 then 1 else 0 end) as days_over_utilization_warn,
    sum(case when is_maintenance = 1 or is_holiday = 1 then 1 else 0 end) as days_closed,
    max(plan_date) as plan_date
from capacity_planning
where weeks_ahead between 0 and 7
group by resource, iso_week, week_start
order by resource, week_start
