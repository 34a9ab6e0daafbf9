"""Target adapters: how golive reaches the platform under test (see base.py)."""

from __future__ import annotations

from harness.targets.base import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    OutboundEndpoint,
    PackageView,
    PoolView,
    Target,
    TargetError,
    TransactionView,
)
from harness.targets.loader import open_target

__all__ = [
    "AccountView",
    "BillRunView",
    "EventView",
    "InvoiceView",
    "OutboundEndpoint",
    "PackageView",
    "PoolView",
    "Target",
    "TargetError",
    "TransactionView",
    "open_target",
]
