"""Monday.com GraphQL API v2 sandbox: a loopback emulator with deterministic demo data.

Public API (others code against these names):

- `BOARD_IDS`, `SANDBOX_TOKEN`, `COLUMN_IDS` (role -> fixed column id per board)
- `ACCOUNTS`, `ACCOUNT_BOARD_IDS[account]`, `ACCOUNT_COLUMN_IDS[account]`: the same for every account
  profile (`WorkspaceSpec(account="northwind")`, see accounts.py)
- `WorkspaceSpec`, `generate_workspace(spec) -> Workspace`
- `SandboxServer(spec, *, host, port, token, latency_ms, complexity_budget_per_minute,
  cursor_ttl_seconds)` - context manager serving `url` (http://127.0.0.1:<port>/v2)
- `SandboxControl(base_url)` - client of the (unauthenticated, loopback-only) control endpoint
- `OmsServer`, `OmsSpec`, `OmsControl`, `OmsControlError`: the OMS REST emulator beside it
  (Shopify or WooCommerce shape, same customers and order numbers; see oms/README.md)

See README.md in this folder for what is emulated, the faults and the control ops.
"""

from customer_master.sandbox.accounts import ACCOUNT_BOARD_IDS, ACCOUNT_COLUMN_IDS, ACCOUNTS
from customer_master.sandbox.boards import BOARD_IDS, COLUMN_IDS
from customer_master.sandbox.control import SandboxControl, SandboxControlError
from customer_master.sandbox.engine import SANDBOX_TOKEN, SandboxEngine
from customer_master.sandbox.generator import WorkspaceSpec, generate_workspace
from customer_master.sandbox.model import Workspace
from customer_master.sandbox.oms import OmsControl, OmsControlError, OmsServer, OmsSpec
from customer_master.sandbox.server import SandboxServer

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_BOARD_IDS",
    "ACCOUNT_COLUMN_IDS",
    "BOARD_IDS",
    "COLUMN_IDS",
    "OmsControl",
    "OmsControlError",
    "OmsServer",
    "OmsSpec",
    "SANDBOX_TOKEN",
    "SandboxControl",
    "SandboxControlError",
    "SandboxEngine",
    "SandboxServer",
    "Workspace",
    "WorkspaceSpec",
    "generate_workspace",
]
