-- Orders and units per customer requested for this calendar month (DuckDB; see README for T-SQL).
select c.company, count(*) as orders, sum(o.quantity) as units
from order_master as o
join customer_master as c on c.customer_id = o.customer_id
where o.requested_date >= date_trunc('month', current_date)
  and o.requested_date < date_trunc('month', current_date) + interval 1 month
group by c.company
order by orders desc, c.company
