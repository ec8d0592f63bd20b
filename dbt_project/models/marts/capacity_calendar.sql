{#- One row per production resource x date from the live capacity board items. Several items for the
    same slot add up; a slot whose capacity cell is empty counts as 0 and is flagged. -#}
with slots as (
    select * from {{ ref('stg_monday__capacity') }}
    where is_active = 1 and resource is not null and capacity_date is not null
)

select
    resource,
    capacity_date,
    {{ wh_iso_weekday('capacity_date') }} as weekday,
    sum(coalesce(capacity_units, 0)) as capacity_units,
    sum(coalesce(overtime_units, 0)) as overtime_units,
    {{ wh_bool('max(case when is_maintenance = 1 then 1 else 0 end) = 1') }} as is_maintenance,
    {{ wh_bool('max(case when capacity_units is null then 1 else 0 end) = 1') }} as capacity_is_missing,
    count(*) as source_items
from slots
group by resource, capacity_date
