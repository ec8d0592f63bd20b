"""Reports for people, built from what the warehouse holds; no dagster here (defs/ wires them).

The daily delivery sheet: `read_delivery_sheet(warehouse, plan_date)` reads the written plan,
`write_delivery_sheet(sheet, directory)` writes its printable HTML and its CSV,
`markdown_preview(sheet)` and `next_delivery_day(sheet)` summarise it for the UI and the ops message,
and `sheet.metrics` holds the numbers worth tracking from day to day.
"""

from customer_master.reports.delivery_sheet import (
    WHAT_TO_DO,
    DaySummary,
    DeliverySheet,
    PlanNotWritten,
    SheetOrder,
    SheetStatements,
    next_delivery_day,
    read_delivery_sheet,
)
from customer_master.reports.render import (
    SheetFiles,
    csv_rows,
    markdown_preview,
    render_csv,
    render_html,
    write_delivery_sheet,
)

__all__ = [
    "WHAT_TO_DO",
    "DaySummary",
    "DeliverySheet",
    "PlanNotWritten",
    "SheetFiles",
    "SheetOrder",
    "SheetStatements",
    "csv_rows",
    "markdown_preview",
    "next_delivery_day",
    "read_delivery_sheet",
    "render_csv",
    "render_html",
    "write_delivery_sheet",
]
