-- Open rush orders, oldest requested date first, with the customer they are for.
select o.order_number, c.company, o.quantity, o.requested_date, o.promised_date, o.status
from order_master as o
left join customer_master as c on c.customer_id = o.customer_id
where o.priority = 'rush' and o.is_open = 1
order by o.requested_date, o.order_number
