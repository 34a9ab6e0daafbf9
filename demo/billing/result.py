"""What a bill run did, as returned to the CLI, the billing service and golive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class BillRunResult:
    bill_run_id: int
    run_date: dt.date
    accounts_billed: int = 0
    invoices: int = 0
    total: Decimal = Decimal("0.00")
    errors: int = 0
    emails_sent: int = 0
    provisioning_sent: int = 0
    payments_approved: int = 0
    payments_declined: int = 0
    payments_failed: int = 0  # gateway unreachable, or it rejected the request (error)
    accounts_suspended: int = 0
