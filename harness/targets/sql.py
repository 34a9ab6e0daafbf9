"""SqlTarget: any platform whose database golive can read, configured entirely in YAML.

Each question runs one named query from ``target.queries`` with bound
parameters only (``:ref``, ``:bill_run_id``, ``:since``, ``:levels``) and maps
the result by column name (`harness.targets.rows`). The core queries are
required; a capability exists only when its queries are given
(`harness.targets.sql_catalog`, checked when the profile loads). The pipeline's
operations use ``target.commands`` (`harness.targets.sql_commands`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

from harness.config import Profile, SqlTargetConfig
from harness.safety import reveal
from harness.targets import sql_catalog
from harness.targets.base import ServiceAction, TargetError, environment_dsn
from harness.targets.capabilities import (
    BackupLocator,
    CustomActions,
    Imports,
    Outbound,
    Payments,
    Permissions,
    Pools,
    Portals,
    Provisioning,
    StaffPayments,
    SubAccounts,
)
from harness.targets.sql_capabilities import (
    SqlCapability,
    SqlCustomActions,
    SqlOutbound,
    SqlPayments,
    SqlPermissions,
    SqlPools,
    SqlProvisioning,
    SqlSubAccounts,
)
from harness.targets.sql_commands import SqlCommands
from harness.targets.sql_database import SqlDatabase
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    PackageView,
    TransactionView,
)

C = TypeVar("C", bound=SqlCapability)


class SqlTarget:
    """A platform read through named SQL queries from the profile."""

    name = "sql"

    def __init__(self, profile: Profile, environment_name: str = "staging") -> None:
        config = profile.target
        if not isinstance(config, SqlTargetConfig):
            raise TargetError(f"the SQL target needs target.kind: sql, not {config.kind}")
        self.environment = environment_name
        self.release: str | None = config.release
        own = reveal(config.dsn) if environment_name == "staging" else ""
        self.db = SqlDatabase(profile, own or environment_dsn(profile, environment_name),
                              config.queries, writable=environment_name == "staging")
        self.commands = SqlCommands(self.db, config.commands)
        queries = config.queries
        self.sub_accounts: SubAccounts | None = _made(SqlSubAccounts, self.db, queries)
        self.pools: Pools | None = _made(SqlPools, self.db, queries)
        self.outbound: Outbound | None = _made(SqlOutbound, self.db, queries)
        self.provisioning: Provisioning | None = _made(SqlProvisioning, self.db, queries)
        self.payments: Payments | None = _made(SqlPayments, self.db, queries)
        self.permissions: Permissions | None = _made(SqlPermissions, self.db, queries)
        self.custom_actions: CustomActions | None = _made(SqlCustomActions, self.db, queries)
        # a database alone cannot take a payment, run the platform's importer or show
        # portals, and the backup is a plain file the pipeline finds itself
        self.staff_payments: StaffPayments | None = None
        self.imports: Imports | None = None
        self.portals: Portals | None = None
        self.backup: BackupLocator | None = None

    def close(self) -> None:
        self.db.close()

    # --- the core: read-only questions ------------------------------------------------
    def account(self, ref: str) -> AccountView | None:
        return self.db.one(AccountView, "account", "account", ref=ref)

    def packages(self, ref: str) -> list[PackageView]:
        return self.db.views(PackageView, "packages", "packages", ref=ref)

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        return self.db.views(TransactionView, "transactions", "transactions", ref=ref,
                             bill_run_id=bill_run_id)

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        return self.db.views(InvoiceView, "invoices", "invoices", ref=ref,
                             bill_run_id=bill_run_id)

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        wanted = [str(level) for level in levels]
        bound: Any = since
        if self.db.engine.dialect.name == "sqlite":  # SQLite keeps times as text
            bound = _comparable(since, dt.datetime(2000, 1, 1)).isoformat(sep=" ")
        found = self.db.views(EventView, "events", "events", since=bound, levels=wanted)
        return [e for e in found if e.level in wanted and e.at >= _comparable(since, e.at)]

    def billing_settings(self) -> dict[str, str]:
        rows = self.db.rows("billing_settings", "billing_settings")
        self.db.columns(rows, ("key", "value"), "billing_settings", "billing_settings")
        return {str(r["key"]): str(r["value"]) for r in rows}

    def latest_bill_run(self) -> BillRunView | None:
        found = self.db.views(BillRunView, "latest_bill_run", "latest_bill_run")
        return max(found, key=lambda b: b.id) if found else None

    # --- the core: the staging pipeline's operations -----------------------------------
    def restore(self, backup: Path) -> dict[str, Any]:
        return self.commands.restore(backup)

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        self.commands.bill_run(run_date)
        found = self.latest_bill_run()
        if found is None or found.run_date != run_date:
            raise TargetError(f"target.commands.bill_run finished but latest_bill_run shows "
                              f"no bill run for {run_date}")
        return found

    def billing_service(self, action: ServiceAction) -> str:
        return self.commands.billing_service(action)


def _made(cls: type[C], db: SqlDatabase, queries: Collection[str]) -> C | None:
    """The capability ``cls`` on ``db`` when the profile gives its queries, else None."""
    return cls(db) if sql_catalog.has(cls.capability, queries) else None


def _comparable(since: dt.datetime, sample: dt.datetime) -> dt.datetime:
    """``since`` with or without a zone, as ``sample`` is (databases differ)."""
    if since.tzinfo is not None and sample.tzinfo is None:
        return since.astimezone().replace(tzinfo=None)
    if since.tzinfo is None and sample.tzinfo is not None:
        return since.astimezone()
    return since
