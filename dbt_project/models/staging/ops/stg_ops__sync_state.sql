{#- One row per (source, board_id) synced at least once (source ops.ops_sync_state). -#}
with sync_state as (
    select * from {{ source('ops', 'ops_sync_state') }}
)

select
    source,
    board_id,
    last_sync_at,
    last_full_sync_at,
    high_watermark,
    coalesce(active_items, 0) as active_items,
    last_run_id
from sync_state
