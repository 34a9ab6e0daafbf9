"""PlatformTarget: golive's view of the platform, for ``target.kind: python``.

golive constructs ``PlatformTarget(profile, environment, options)`` once per
environment it reads ("staging", or "production" to compare settings) with the
profile's ``target.options``. Steps never talk to the platform: they ask this
object, which answers with the views of ``harness.targets.views`` (Decimal
money, date fields). Rules golive relies on:

- read production, write only to staging: call ``assert_staging(profile, address)``
  before anything that writes (restore, bill run, starting and stopping billing);
- name accounts by their stable key (account number or code); when a name is
  given and several accounts share it, raise ``AmbiguousAccount(ref, keys)``;
- a capability the platform cannot answer stays None: what needs it is NOT
  APPLICABLE, never passed. Give one as an object with the methods of its
  protocol in ``harness.targets.capabilities`` (e.g. ``self.permissions = Roles(...)``).

See golive's README ("Targets": the Python adapter, and its tested example).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.config import Profile
from harness.targets.base import ServiceAction, TargetError, environment_dsn
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    PackageView,
    TransactionView,
)


class PlatformTarget:
    """The platform in one environment. FILL IN: implement the core methods below."""

    name = "platform"

    def __init__(self, profile: Profile, environment: str, options: dict[str, Any]) -> None:
        self.profile = profile
        self.environment = environment
        self.options = options
        self.address = environment_dsn(profile, environment)  # environments.<name>.dsn
        self.release: str | None = profile.target.release if environment == "staging" else None
        # the optional capabilities this platform has: none until you give them
        self.sub_accounts: Any = None
        self.pools: Any = None
        self.outbound: Any = None  # lock-down needs it: without it the run cannot be GO
        self.provisioning: Any = None
        self.payments: Any = None
        self.staff_payments: Any = None
        self.permissions: Any = None
        self.imports: Any = None
        self.custom_actions: Any = None
        self.portals: Any = None
        self.backup: Any = None

    def _unwritten(self, method: str) -> TargetError:
        return TargetError(f"PlatformTarget.{method} is not written yet ({__file__})")

    # --- the core: read-only questions ------------------------------------------------
    def account(self, ref: str) -> AccountView | None:
        raise self._unwritten("account")

    def packages(self, ref: str) -> list[PackageView]:
        raise self._unwritten("packages")

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        raise self._unwritten("transactions")

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        raise self._unwritten("invoices")

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        raise self._unwritten("events")

    def billing_settings(self) -> dict[str, str]:
        raise self._unwritten("billing_settings")

    def latest_bill_run(self) -> BillRunView | None:
        raise self._unwritten("latest_bill_run")

    # --- the core: the staging pipeline's operations (staging only) -----------------------
    def restore(self, backup: Path) -> dict[str, Any]:
        raise self._unwritten("restore")

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        raise self._unwritten("run_bill_run")

    def billing_service(self, action: ServiceAction) -> str:
        raise self._unwritten("billing_service")  # "running" or "stopped"

    def close(self) -> None:
        """Release connections; golive calls it once per opened target."""
