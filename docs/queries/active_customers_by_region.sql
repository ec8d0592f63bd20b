-- Active customers by region (customers without a region are counted as 'unassigned').
select coalesce(region, 'unassigned') as region, count(*) as active_customers
from customer_master
where is_active = 1
group by coalesce(region, 'unassigned')
order by active_customers desc, region
