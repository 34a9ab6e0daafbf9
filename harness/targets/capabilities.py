"""The optional capabilities of a `Target`: what some platforms can answer and others cannot.

A target holds each capability as an attribute (`Target.provisioning`, …) that
is either an object with the methods below or None. None means the platform
cannot answer, and a scenario that needs it is NOT APPLICABLE (see
`harness.targets.base.require`); a target never fakes an answer it does not have.
Reads take an account by its stable key (``ref``: number, or exact name where
the platform allows it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from harness.config import Generate
from harness.targets.views import (
    ContactView,
    CustomActionView,
    ImportView,
    InvoiceMailView,
    OutboundEndpoint,
    PaymentView,
    PoolView,
    PortalView,
    ProcessorView,
    ProvisioningView,
    TicketView,
    UsageView,
)


@runtime_checkable
class SubAccounts(Protocol):
    """Parent/child account hierarchies."""

    def children(self, ref: str) -> list[str]:
        """Account numbers of ``ref``'s direct sub-accounts, in order."""
        ...


@runtime_checkable
class Pools(Protocol):
    """Minute buckets pooled across a bill payer and its sub-accounts."""

    def pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        """The newest pool of ``ref``'s family (a child's pool is its bill payer's)."""
        ...


class PaymentSandbox(Protocol):
    """A payment-gateway stand-in a target starts for lock-down."""

    url: str

    def captured(self) -> list[dict[str, Any]]: ...

    def stop(self) -> None: ...


@runtime_checkable
class Outbound(Protocol):
    """The channels through which the platform reaches the world (mail, provisioning,
    payment gateways); lock-down points them at golive's sinks."""

    def endpoints(self) -> list[OutboundEndpoint]: ...

    def redirect(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        """Point the named endpoints at new URLs (staging only); ``{name: {from, to}}``."""
        ...

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView] | None:
        """Whom each invoice of the run should reach and went to; None: cannot say."""
        ...

    def start_payment_sandbox(self) -> PaymentSandbox | None:
        """A running gateway sandbox for the payment processors; None: the HTTP sink."""
        ...


@runtime_checkable
class Provisioning(Protocol):
    """Requests the platform sent to external systems (switches, TV head-ends, …)."""

    def requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]: ...


@runtime_checkable
class Payments(Protocol):
    """Payment processors and the payments that went through them."""

    def processors(self) -> list[ProcessorView]: ...

    def payments(self, ref: str | None = None,
                 bill_run_id: int | None = None) -> list[PaymentView]: ...


@runtime_checkable
class StaffPayments(Protocol):
    """Taking a payment as staff would, through the (sandboxed) gateway: a write on staging."""

    def take(self, ref: str, amount: Decimal, kind: str,
             card_number: str | None = None) -> PaymentView:
        """A typed-in card (``card_number``) or the account's stored method of ``kind``."""
        ...


@runtime_checkable
class Permissions(Protocol):
    """Staff roles and what each may do."""

    def roles(self) -> dict[str, frozenset[str]]:
        """Every role with its granted permission codes (a role without grants included)."""
        ...


@runtime_checkable
class Imports(Protocol):
    """The platform's regular data imports: a write on staging."""

    def import_file(self, kind: str, path: Path) -> ImportView: ...


@runtime_checkable
class CustomActions(Protocol):
    """Site-specific extensions (custom code, page extensions, actions)."""

    def actions(self) -> list[CustomActionView]: ...


@runtime_checkable
class Portals(Protocol):
    """The platform's web portals and the reads a portal page is compared with."""

    def urls(self) -> PortalView:
        """The running portals of this environment (a target may start them on demand)."""
        ...

    def contact(self, ref: str) -> ContactView | None: ...

    def tickets(self, ref: str) -> list[TicketView]:
        """The account's tickets, newest first."""
        ...

    def ticket(self, ticket_id: int) -> TicketView | None: ...

    def usage(self, ref: str) -> UsageView: ...


@runtime_checkable
class BackupLocator(Protocol):
    """A target that finds, or (demo) makes, its own pre-bill-run backup."""

    def locate(self, path: Path, generate: Generate | None, run_date: dt.date
               ) -> dict[str, Any]:
        """Evidence with at least ``sha256``, the digest the reuse marker keys on."""
        ...
