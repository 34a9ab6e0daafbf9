"""What a step may ask of the platform under test: the `Target` protocol and its views.

Steps never speak SQL or HTTP; they ask a `Target` for the things a go-live
checklist speaks of (an account's balance, a package's next bill date, the
charges of a bill run, …). Every answer is a frozen view with `Decimal` money
and `date` fields, so the same step works on the demo, on any platform behind
the YAML-configured SQL target, and on a Python adapter.

The destructive operations (`restore`, `run_bill_run`, `billing_service`,
`redirect_outbound`) are for the staging pipeline only; `take_payment` and
`import_data` are the writes a verification itself makes on staging after the
bill run. Every implementation asks `harness.safety` before it writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

ServiceAction = Literal["start", "stop", "status"]
OUTBOUND_KINDS = ("mail", "payment", "provisioning")
# BillRunView.status values that mean the run finished well, whatever the platform calls it.
BILL_RUN_FINISHED = frozenset(
    {"done", "complete", "completed", "finished", "success", "succeeded", "ok"}
)


class TargetError(Exception):
    """The target cannot answer: misconfigured (a missing query, a bad adapter path)
    or unable to do what was asked. The message says which and what to change."""


@dataclass(frozen=True)
class AccountView:
    number: str
    name: str
    status: str
    balance: Decimal
    parent_number: str | None
    bill_day: int
    children: list[str] = field(default_factory=list)  # account numbers


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
class PoolView:
    """Pooled minutes of one pool (a bill payer and its children) for one bill run."""

    owner: str  # the pool owner's account number
    included: int
    used: int
    overage: int
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
class OutboundEndpoint:
    """One outbound channel of the target; `url` is ``smtp://host:port`` for mail."""

    kind: str  # one of OUTBOUND_KINDS
    name: str  # stable key used by redirect_outbound, e.g. "mail", "provisioning:voice"
    url: str


@runtime_checkable
class Target(Protocol):
    """The platform under test, as the checklist speaks of it."""

    name: str  # "demo", "sql", or the adapter's own name
    environment: str  # "staging" or "production"
    release: str | None

    # --- read-only questions (steps) -----------------------------------------
    def account(self, ref: str) -> AccountView | None: ...

    def packages(self, ref: str) -> list[PackageView]: ...

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]: ...

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]: ...

    def bucket_pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None: ...

    def events(
        self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)
    ) -> list[EventView]: ...

    def billing_settings(self) -> dict[str, str]: ...

    def latest_bill_run(self) -> BillRunView | None: ...

    def outbound(self) -> list[OutboundEndpoint]: ...

    def provisioning_requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]: ...

    def payment_processors(self) -> list[ProcessorView]: ...

    def payments(
        self, ref: str | None = None, bill_run_id: int | None = None
    ) -> list[PaymentView]: ...

    def role_permissions(self) -> dict[str, frozenset[str]]: ...

    def custom_actions(self) -> list[CustomActionView]: ...

    # --- destructive operations (the staging pipeline only) -------------------
    def restore(self, backup: Path) -> dict[str, Any]: ...

    def run_bill_run(self, run_date: dt.date) -> BillRunView: ...

    def billing_service(self, action: ServiceAction) -> str: ...

    def redirect_outbound(self, mapping: Mapping[str, str]) -> dict[str, Any]: ...

    # --- writes a verification itself makes on staging (after the bill run) -----------
    def take_payment(
        self, ref: str, amount: Decimal, kind: str, card_number: str | None = None
    ) -> PaymentView: ...

    def import_data(self, kind: str, path: Path) -> ImportView: ...

    def close(self) -> None: ...


class PaymentSandbox(Protocol):
    """A payment-gateway stand-in a target starts for lock-down (see `PaymentSandboxes`)."""

    url: str

    def captured(self) -> list[dict[str, Any]]: ...

    def stop(self) -> None: ...


@runtime_checkable
class PaymentSandboxes(Protocol):
    """Optional: a target whose payment processors need a real sandbox, not a plain sink."""

    def start_payment_sandbox(self) -> PaymentSandbox: ...


@dataclass(frozen=True)
class InvoiceMailView:
    """One invoice of a bill run and where its email should go and went."""

    invoice: str  # invoice number
    account: str  # account number
    contact: str | None  # the account's primary contact e-mail, as the platform has it
    emailed_to: str | None  # where the platform says it emailed the invoice (None: not sent)
    bill_run_id: int | None = None


@runtime_checkable
class InvoiceMails(Protocol):
    """Optional: a target that can say, per invoice of a bill run, whom it emailed."""

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView]: ...


@runtime_checkable
class BackupLocator(Protocol):
    """Optional: a target that finds, or (demo) makes, its own pre-bill-run backup.

    Returns evidence with at least ``sha256``: the digest the reuse marker keys on.
    """

    def locate_backup(self, path: Path, generate: Any, run_date: dt.date) -> dict[str, Any]: ...


def view_to_dict(view: object) -> dict[str, Any]:
    """A view as JSON-ready evidence (money and dates as strings)."""
    from dataclasses import asdict, is_dataclass

    if not is_dataclass(view) or isinstance(view, type):
        raise TypeError(f"not a view: {view!r}")
    out: dict[str, Any] = {}
    for key, value in asdict(view).items():
        if isinstance(value, Decimal | dt.date):
            out[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        else:
            out[key] = value
    return out
