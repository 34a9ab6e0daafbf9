"""DemoTarget: the embedded demo platform as a `Target`, composed of plain parts.

Each part holds one concern and shares one `DemoDatabase` (engine, account
lookup, staging guard): `DemoCore` reads, `DemoPipeline` restores and bills,
and one object per capability — the demo has them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from demo.releases import DEFAULT_RELEASE, UnknownRelease, get_release
from harness.config import DemoTargetConfig, Profile
from harness.targets.base import ServiceAction, TargetError, environment_dsn
from harness.targets.demo.backup import DemoBackup
from harness.targets.demo.core import DemoCore
from harness.targets.demo.database import DemoDatabase
from harness.targets.demo.family import DemoPools, DemoSubAccounts
from harness.targets.demo.operations import (
    DemoCustomActions,
    DemoImports,
    DemoPayments,
    DemoPermissions,
    DemoProvisioning,
    DemoStaffPayments,
)
from harness.targets.demo.outbound import DemoOutbound
from harness.targets.demo.pipeline import DemoPipeline
from harness.targets.demo.portals import DemoPortals
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    PackageView,
    TransactionView,
)

PRODUCTION_RELEASE = "1.0"


class DemoTarget:
    """The demo ISP billing platform in one environment of the profile."""

    name = "demo"

    def __init__(self, profile: Profile, environment_name: str = "staging") -> None:
        config = profile.target
        wanted = PRODUCTION_RELEASE
        if environment_name == "staging":  # the profile's release, else the demo's newest
            configured = config.release if isinstance(config, DemoTargetConfig) else None
            wanted = configured or DEFAULT_RELEASE
        try:
            release = get_release(wanted)
        except UnknownRelease as exc:
            raise TargetError(f"target.release: {exc}") from None
        self.environment = environment_name
        self.db = DemoDatabase(profile, environment_dsn(profile, environment_name), release,
                               writable=environment_name == "staging")
        self.core = DemoCore(self.db)
        self.pipeline = DemoPipeline(self.db, self.core)
        self.sub_accounts = DemoSubAccounts(self.db)
        self.pools = DemoPools(self.db)
        self.outbound = DemoOutbound(self.db)
        self.provisioning = DemoProvisioning(self.db)
        self.payments = DemoPayments(self.db)
        self.staff_payments = DemoStaffPayments(self.db)
        self.permissions = DemoPermissions(self.db)
        self.imports = DemoImports(self.db)
        self.custom_actions = DemoCustomActions(self.db)
        self.portals = DemoPortals(self.db)
        self.backup = DemoBackup(profile)

    @property
    def release(self) -> str | None:
        """The release deployed: staging's from the profile; any other environment's from
        its latest bill run (read on first use)."""
        if not self.db.writable:
            self.db.engine  # noqa: B018 — opening it learns the deployed release
        return self.db.release.name

    def servers(self) -> list[str]:
        """What this target runs until ``close()`` (`harness.started.RunsServers`)."""
        return self.portals.servers()

    def close(self) -> None:
        """Stop the portal server (if started), then dispose of the engine. Idempotent."""
        try:
            self.portals.stop()
        finally:
            self.db.close()

    # --- the core: read-only questions ------------------------------------------------
    def account(self, ref: str) -> AccountView | None:
        return self.core.account(ref)

    def packages(self, ref: str) -> list[PackageView]:
        return self.core.packages(ref)

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        return self.core.transactions(ref, bill_run_id)

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        return self.core.invoices(ref, bill_run_id)

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        return self.core.events(since, levels)

    def billing_settings(self) -> dict[str, str]:
        return self.core.billing_settings()

    def latest_bill_run(self) -> BillRunView | None:
        return self.core.latest_bill_run()

    # --- the core: the staging pipeline's operations -----------------------------------
    def restore(self, backup: Path) -> dict[str, Any]:
        return self.pipeline.restore(backup)

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        return self.pipeline.run_bill_run(run_date)

    def billing_service(self, action: ServiceAction) -> str:
        return self.pipeline.billing_service(action)
