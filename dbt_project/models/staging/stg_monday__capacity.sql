{#- One typed row per capacity slot item (production line x date) of the Monday capacity board. -#}
with
{{ monday_pivot('capacity', {
    'resource': 'text', 'capacity_date': 'date', 'capacity_units': 'number',
    'maintenance': 'bool', 'overtime_units': 'number'
}) }}

select
    item_id,
    board_id,
    cast({{ wh_clean('name') }} as {{ wh_string(400) }}) as name,
    state,
    {{ wh_bool("state = 'active'") }} as is_active,
    group_id,
    created_at,
    updated_at,
    cast({{ wh_clean('resource') }} as {{ wh_string(200) }}) as resource,
    capacity_date,
    capacity_units,
    {{ wh_bool('maintenance = 1') }} as is_maintenance,
    overtime_units
from monday_items
