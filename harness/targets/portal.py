"""The portal part of the Target vocabulary: where the portals are, and the platform's
own data a portal page is compared with.

Portal steps drive a real browser against the URLs of `PortalAccess.portals` and
check what a page shows against these reads, never against the page alone: a
portal that shows a stale balance must disagree with `Target.account`, a ticket
edit must be visible in `tickets`, a contact update in `contact`. A target
without portals simply does not implement this protocol; the profile may then
still name the portals' URLs (``portals.admin_url`` / ``customer_url``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["ContactView", "PortalAccess", "PortalView", "TicketView", "UsageView"]


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


@runtime_checkable
class PortalAccess(Protocol):
    """Optional part of a `Target`: its web portals and the reads they are checked against."""

    def portals(self) -> PortalView:
        """The running portals of this environment (a target may start them on demand)."""
        ...

    def contact(self, ref: str) -> ContactView | None: ...

    def tickets(self, ref: str) -> list[TicketView]:
        """The account's tickets, newest first."""
        ...

    def ticket(self, ticket_id: int) -> TicketView | None: ...

    def usage(self, ref: str) -> UsageView: ...
