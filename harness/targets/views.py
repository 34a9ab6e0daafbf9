"""The answers a `Target` gives: frozen views with `Decimal` money and `date` fields.

Every target (demo, SQL, Python adapter) answers with these, so the same step
works on any platform. Views carry only what the checklist speaks of; nothing
here says how a platform stores it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, is_dataclass
from decimal import Decimal
from typing import Any

OUTBOUND_KINDS = ("mail", "payment", "provisioning")
# BillRunView.status values that mean the run finished well, whatever the platform calls it.
BILL_RUN_FINISHED = frozenset(
    {"done", "complete", "completed", "finished", "success", "succeeded", "ok"}
)


# --- the core -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    number: str
    name: str
    status: str
    balance: Decimal
    parent_number: str | None
    bill_day: int


@dataclass(frozen=True)
class PackageView:
    code: str  # product code
    name: str
    period: str  # monthly | quarterly | yearly | one_off
    quantity: int
    next_bill_date: dt.date | None
    status: str
    provisioned: bool


@dataclass(frozen=True)
class TransactionView:
    kind: str  # charge | usage | discount | tax | payment | adjustment
    amount: Decimal
    description: str
    posted_on: dt.date
    bill_run_id: int | None = None


@dataclass(frozen=True)
class InvoiceView:
    number: str
    issue_date: dt.date
    due_date: dt.date
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    status: str
    bill_run_id: int | None = None


@dataclass(frozen=True)
class EventView:
    at: dt.datetime
    level: str
    source: str
    message: str
    account: str | None = None


@dataclass(frozen=True)
class BillRunView:
    id: int
    run_date: dt.date
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    accounts_billed: int
    invoices: int
    errors: int
    total: Decimal


# --- the optional capabilities ---------------------------------------------------------


@dataclass(frozen=True)
class PoolView:
    """Pooled minutes of one pool (a bill payer and its children) for one bill run."""

    owner: str  # the pool owner's account number
    included: int
    used: int
    overage: int
    bill_run_id: int | None = None


@dataclass(frozen=True)
class OutboundEndpoint:
    """One outbound channel of the target; `url` is ``smtp://host:port`` for mail."""

    kind: str  # one of OUTBOUND_KINDS
    name: str  # stable key used by Outbound.redirect, e.g. "mail", "provisioning:voice"
    url: str


@dataclass(frozen=True)
class InvoiceMailView:
    """One invoice of a bill run and where its email should go and went."""

    invoice: str  # invoice number
    account: str  # account number
    contact: str | None  # the account's primary contact e-mail, as the platform has it
    emailed_to: str | None  # where the platform says it emailed the invoice (None: not sent)
    bill_run_id: int | None = None


@dataclass(frozen=True)
class ProvisioningView:
    """One provisioning request the platform sent (or tried to) to an external system."""

    account: str  # account number
    action: str  # activate | suspend | …
    service: str  # internet | voice | tv | …
    status: str  # sent | failed
    url: str
    payload: dict[str, Any] = field(default_factory=dict)
    bill_run_id: int | None = None


@dataclass(frozen=True)
class ProcessorView:
    """A configured payment processor."""

    name: str
    kind: str  # card | echeck
    enabled: bool


@dataclass(frozen=True)
class PaymentView:
    """One payment attempt; a declined card is the customer's problem, not a failure."""

    account: str  # account number
    processor: str  # processor name
    kind: str  # card | echeck
    amount: Decimal
    status: str  # approved | declined | failed | error
    source: str  # autopay | portal | admin
    message: str = ""
    bill_run_id: int | None = None


@dataclass(frozen=True)
class ImportView:
    """What a data import kept and what it rejected: (line number in the file, reason)."""

    rows_ok: int
    rows_failed: int
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # account numbers an import made


@dataclass(frozen=True)
class CustomActionView:
    """A site-specific extension (custom code, page extension, action) and where it hooks in."""

    name: str
    hook: str
    enabled: bool


@dataclass(frozen=True)
class PortalView:
    """Base URLs of the two portals, without a trailing slash."""

    admin_url: str
    customer_url: str


@dataclass(frozen=True)
class ContactView:
    """An account's primary contact as the platform stores it."""

    name: str
    email: str
    phone: str
    street: str
    city: str
    postcode: str


@dataclass(frozen=True)
class TicketView:
    id: int
    account: str  # account number
    subject: str
    status: str
    priority: str
    created_by: str


@dataclass(frozen=True)
class UsageView:
    """Usage records of one account (not its pool): what its usage report must total."""

    account: str
    calls: int
    minutes: int
    first_day: dt.date | None
    last_day: dt.date | None


def view_to_dict(view: object) -> dict[str, Any]:
    """A view as JSON-ready evidence (money and dates as strings)."""
    if not is_dataclass(view) or isinstance(view, type):
        raise TypeError(f"not a view: {view!r}")
    out: dict[str, Any] = {}
    for key, value in asdict(view).items():
        if isinstance(value, Decimal | dt.date):
            out[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        else:
            out[key] = value
    return out
