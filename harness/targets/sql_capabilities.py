"""The SQL target's optional capabilities, each answered by its own named queries.

`SqlTarget` makes one of these only when the profile has the queries it needs
(`harness.targets.sql_catalog`). A database alone cannot take a payment, run an
importer or show portals, so the SQL target has none of those capabilities.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import text

from harness.targets.base import TargetError
from harness.targets.capabilities import PaymentSandbox
from harness.targets.rows import build_view
from harness.targets.sql_database import SqlDatabase
from harness.targets.views import (
    CustomActionView,
    InvoiceMailView,
    OutboundEndpoint,
    PaymentView,
    PoolView,
    ProcessorView,
    ProvisioningView,
)


class SqlCapability:
    """One capability read from ``db``; ``capability`` names its query set."""

    capability: ClassVar[str]

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db


class SqlSubAccounts(SqlCapability):
    """``account_children``: one row per direct child, column ``number`` (:ref)."""

    capability = "sub_accounts"

    def children(self, ref: str) -> list[str]:
        rows = self.db.rows("account_children", "sub_accounts.children", ref=ref)
        self.db.columns(rows, ("number",), "account_children", "sub_accounts.children")
        return [str(r["number"]) for r in rows]


class SqlPools(SqlCapability):
    """``bucket_pool`` (:ref, :bill_run_id), newest first."""

    capability = "pools"

    def pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        found = self.db.views(PoolView, "bucket_pool", "pools.pool", ref=ref,
                              bill_run_id=bill_run_id)
        return found[0] if found else None


class SqlOutbound(SqlCapability):
    """``outbound`` lists the endpoints, ``redirect_outbound`` (an UPDATE with :name and
    :url) moves one; ``invoice_mails`` (:bill_run_id) is optional."""

    capability = "outbound"

    def endpoints(self) -> list[OutboundEndpoint]:
        return self.db.views(OutboundEndpoint, "outbound", "outbound.endpoints")

    def redirect(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        self.db.guard()
        before = {e.name: e.url for e in self.endpoints()}
        unknown = sorted(set(mapping) - set(before))
        if unknown:
            raise TargetError(f"redirect_outbound: no endpoint named {', '.join(unknown)}")
        sql = text(self.db.queries["redirect_outbound"])
        with self.db.engine.begin() as conn:
            for name, url in mapping.items():
                conn.execute(sql, {"name": name, "url": url})
        return {name: {"from": before[name], "to": url} for name, url in mapping.items()}

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView] | None:
        if "invoice_mails" not in self.db.queries:
            return None
        return self.db.views(InvoiceMailView, "invoice_mails", "outbound.invoice_mails",
                             bill_run_id=bill_run_id)

    def start_payment_sandbox(self) -> PaymentSandbox | None:
        return None  # the processors' calls go to golive's HTTP sink


class SqlProvisioning(SqlCapability):
    """``provisioning_requests`` (:bill_run_id); ``payload`` is a JSON object column."""

    capability = "provisioning"

    def requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        query, method = "provisioning_requests", "provisioning.requests"
        found: list[ProvisioningView] = []
        for row in self.db.rows(query, method, bill_run_id=bill_run_id):
            payload = _json_object(row.pop("payload", None), query)
            view = build_view(ProvisioningView, row, query, method)
            found.append(dataclasses.replace(view, payload=payload))
        return found


class SqlPayments(SqlCapability):
    """``payment_processors`` and ``payments`` (:ref, :bill_run_id, either may be NULL)."""

    capability = "payments"

    def processors(self) -> list[ProcessorView]:
        return self.db.views(ProcessorView, "payment_processors", "payments.processors")

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        return self.db.views(PaymentView, "payments", "payments.payments", ref=ref,
                             bill_run_id=bill_run_id)


class SqlPermissions(SqlCapability):
    """``role_permissions``: columns ``role`` and ``permission``, one row per grant (a role
    without grants as one row with a NULL permission, e.g. from a LEFT JOIN)."""

    capability = "permissions"

    def roles(self) -> dict[str, frozenset[str]]:
        rows = self.db.rows("role_permissions", "permissions.roles")
        self.db.columns(rows, ("role", "permission"), "role_permissions", "permissions.roles")
        granted: dict[str, set[str]] = {}
        for r in rows:
            codes = granted.setdefault(str(r["role"]), set())
            if r["permission"] is not None:
                codes.add(str(r["permission"]))
        return {role: frozenset(codes) for role, codes in granted.items()}


class SqlCustomActions(SqlCapability):
    """``custom_actions``: columns ``name``, ``hook``, ``enabled``."""

    capability = "custom_actions"

    def actions(self) -> list[CustomActionView]:
        return self.db.views(CustomActionView, "custom_actions", "custom_actions.actions")


def _json_object(value: Any, query: str) -> dict[str, Any]:
    """A JSON column as a dict: PostgreSQL hands back objects, SQLite text."""
    if value is None or value == "":
        return {}
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise TargetError(f"query target.queries.{query}: column payload is not JSON") from None
    if not isinstance(value, dict):
        raise TargetError(f"query target.queries.{query}: column payload is not a JSON object")
    return value
