"""Near-real-time order changes: the Monday webhook receiver and the durable change store that it and
the polling sensor fill and Dagster runs drain. Never imports dagster (defs/ wires it)."""

from __future__ import annotations

from customer_master.realtime.receiver import ReceiverConfig, create_app, serve
from customer_master.realtime.store import (
    Change,
    ChangeKey,
    ChangeStore,
    CompleteResult,
    FailResult,
    ParkedChange,
    StoreStats,
)

__all__ = [
    "Change",
    "ChangeKey",
    "ChangeStore",
    "CompleteResult",
    "FailResult",
    "ParkedChange",
    "ReceiverConfig",
    "StoreStats",
    "create_app",
    "serve",
]
