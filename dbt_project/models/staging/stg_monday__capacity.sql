{#- One typed row per capacity slot item (production line x date) of the Monday capacity board. -#}
with
{{ monday_pivot('capacity', {
    'resource': 'text', 'capacity_date': 'date', 'capacity_units': 'number',
    'maintenance': 'bool', 'overtime_units': 'number'
}) }}

select
    {{ monday_item_columns() }},
    cast({{ wh_clean('resource') }} as {{ wh_string(200) }}) as resource,
    capacity_date,
    capacity_units,
    {{ wh_bool('maintenance = 1') }} as is_maintenance,
    overtime_units
from monday_items
