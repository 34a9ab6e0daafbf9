"""SqlTarget: any platform whose database golive can read, configured entirely in YAML.

Each view method runs one named query from ``target.queries`` with bound
parameters only (``:ref``, ``:bill_run_id``, ``:since``, ``:levels``) and maps the
result by column name (`harness.targets.rows`); ``provisioning_requests``,
``payments`` (``:ref``, ``:bill_run_id``), ``payment_processors``,
``role_permissions`` (columns ``role``, ``permission``; one row per grant) and
``custom_actions`` answer the operations questions. A database alone cannot
take a payment or run an import, so ``take_payment`` and ``import_data`` are
refused with a TargetError saying so. The destructive operations use
the profile's ``target.commands`` (``restore``, ``bill_run``, ``start_billing``,
``stop_billing``, ``billing_status``: split like a shell would but run without
one, with ``{backup}`` / ``{date}`` placeholders; the DSN is passed in
``$GOLIVE_DSN``, never on a command line; ``billing_status`` prints the state on
its last line), a ``redirect_outbound`` statement (``:name``, ``:url``), or for
restore the engine's own way (SQLite file copy, ``pg_restore``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from common.dsn import sqlalchemy_url
from harness.safety import assert_staging, environment, redact, reveal, safe_dsn
from harness.targets.base import (
    AccountView,
    BillRunView,
    CustomActionView,
    EventView,
    ImportView,
    InvoiceView,
    OutboundEndpoint,
    PackageView,
    PaymentView,
    PoolView,
    ProcessorView,
    ProvisioningView,
    ServiceAction,
    TargetError,
    TransactionView,
)
from harness.targets.rows import build_view

V = TypeVar("V")
_BIND = re.compile(r"(?<![:\w\\]):(\w+)")  # SQLAlchemy's own rule for text() binds
QUERY_NAMES = ("account", "account_children", "packages", "transactions", "invoices",
               "bucket_pool", "events", "billing_settings", "latest_bill_run", "outbound",
               "redirect_outbound", "provisioning_requests", "payment_processors", "payments",
               "role_permissions", "custom_actions")


def section(obj: Any, key: str) -> dict[str, Any]:
    """A mapping-valued profile key (pydantic attribute or plain dict), {} when absent."""
    value = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    return dict(value)


class SqlTarget:
    """A platform read through named SQL queries from the profile."""

    name = "sql"

    def __init__(self, profile: Any, environment_name: str = "staging") -> None:
        env = environment(profile, environment_name)
        if env is None or not reveal(getattr(env, "dsn", None)):
            raise TargetError(f"the profile has no environments.{environment_name}.dsn")
        self.profile = profile
        self.environment = environment_name
        own = getattr(profile.target, "dsn", None) if environment_name == "staging" else None
        self.dsn = reveal(own or env.dsn)
        self.release: str | None = getattr(profile.target, "release", None)
        self.queries = {k: str(v) for k, v in section(profile.target, "queries").items()}
        self.commands = section(profile.target, "commands")
        unknown = sorted(set(self.queries) - set(QUERY_NAMES))
        if unknown:
            close = difflib.get_close_matches(unknown[0], QUERY_NAMES, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise TargetError(f"target.queries: unknown query {', '.join(unknown)} "
                              f"(known: {', '.join(QUERY_NAMES)}){hint}")
        self._engine: Engine | None = None

    # --- plumbing -------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                self._engine = create_engine(sqlalchemy_url(self.dsn))
            except ArgumentError as exc:
                raise TargetError(f"bad database URL {safe_dsn(self.dsn)}: {exc}") from None
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _rows(self, query: str, method: str, **params: Any) -> list[dict[str, Any]]:
        sql = self.queries.get(query)
        if sql is None:
            raise TargetError(f"Target.{method} needs the query target.queries.{query} in the "
                              "profile; add it (see tests/harness/data/sql_profile.yaml)")
        used = set(_BIND.findall(sql))
        stmt = text(sql)
        if "levels" in used:
            stmt = stmt.bindparams(bindparam("levels", expanding=True))
        try:
            with self.engine.connect() as conn:
                result = conn.execute(stmt, {k: v for k, v in params.items() if k in used})
                return [dict(r) for r in result.mappings()]
        except DBAPIError as exc:
            reason = redact(str(exc.orig or exc).strip().splitlines()[0], [self.dsn])
            raise TargetError(f"query target.queries.{query} (used by Target.{method}) "
                              f"failed on {safe_dsn(self.dsn)}: {reason}") from None

    def _views(self, cls: type[V], query: str, method: str, **params: Any) -> list[V]:
        return [build_view(cls, row, query, method) for row in self._rows(query, method, **params)]

    def _one(self, cls: type[V], query: str, method: str, **params: Any) -> V | None:
        found = self._views(cls, query, method, **params)
        if len(found) > 1:
            raise TargetError(f"query target.queries.{query} (used by Target.{method}) "
                              f"returned {len(found)} rows for {params}; it must return one")
        return found[0] if found else None

    # --- read-only questions -------------------------------------------------------
    def account(self, ref: str) -> AccountView | None:
        found = self._one(AccountView, "account", "account", ref=ref)
        if found is None:
            return None
        children = [str(r["number"]) for r in
                    self._rows("account_children", "account", ref=found.number)
                    if "number" in r]
        return AccountView(**{**found.__dict__, "children": children})

    def packages(self, ref: str) -> list[PackageView]:
        return self._views(PackageView, "packages", "packages", ref=ref)

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        return self._views(TransactionView, "transactions", "transactions", ref=ref,
                           bill_run_id=bill_run_id)

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        return self._views(InvoiceView, "invoices", "invoices", ref=ref, bill_run_id=bill_run_id)

    def bucket_pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        found = self._views(PoolView, "bucket_pool", "bucket_pool", ref=ref,
                            bill_run_id=bill_run_id)
        return found[0] if found else None  # the query orders newest first

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        wanted = [str(level) for level in levels]
        bound: Any = since
        if self.engine.dialect.name == "sqlite":  # SQLite keeps times as text
            bound = _comparable(since, dt.datetime(2000, 1, 1)).isoformat(sep=" ")
        found = self._views(EventView, "events", "events", since=bound, levels=wanted)
        return [e for e in found if e.level in wanted and e.at >= _comparable(since, e.at)]

    def billing_settings(self) -> dict[str, str]:
        rows = self._rows("billing_settings", "billing_settings")
        if rows and not {"key", "value"} <= set(rows[0]):
            raise TargetError("query target.queries.billing_settings (used by "
                              "Target.billing_settings) must return columns key and value")
        return {str(r["key"]): str(r["value"]) for r in rows}

    def latest_bill_run(self) -> BillRunView | None:
        found = self._views(BillRunView, "latest_bill_run", "latest_bill_run")
        return max(found, key=lambda b: b.id) if found else None

    def outbound(self) -> list[OutboundEndpoint]:
        return self._views(OutboundEndpoint, "outbound", "outbound")

    def provisioning_requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        found: list[ProvisioningView] = []
        for row in self._rows("provisioning_requests", "provisioning_requests",
                              bill_run_id=bill_run_id):
            payload = _json_object(row.pop("payload", None), "provisioning_requests")
            view = build_view(ProvisioningView, row, "provisioning_requests",
                              "provisioning_requests")
            found.append(dataclasses.replace(view, payload=payload))
        return found

    def payment_processors(self) -> list[ProcessorView]:
        return self._views(ProcessorView, "payment_processors", "payment_processors")

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        return self._views(PaymentView, "payments", "payments", ref=ref, bill_run_id=bill_run_id)

    def role_permissions(self) -> dict[str, frozenset[str]]:
        rows = self._rows("role_permissions", "role_permissions")
        if rows and not {"role", "permission"} <= set(rows[0]):
            raise TargetError("query target.queries.role_permissions (used by "
                              "Target.role_permissions) must return columns role and permission")
        granted: dict[str, set[str]] = {}
        for r in rows:
            codes = granted.setdefault(str(r["role"]), set())
            if r["permission"] is not None:  # a role without grants (LEFT JOIN) is still listed
                codes.add(str(r["permission"]))
        return {role: frozenset(codes) for role, codes in granted.items()}

    def custom_actions(self) -> list[CustomActionView]:
        return self._views(CustomActionView, "custom_actions", "custom_actions")

    # --- writes a verification makes: not possible through a database alone --------------
    def take_payment(self, ref: str, amount: Decimal, kind: str,
                     card_number: str | None = None) -> PaymentView:
        raise TargetError("Target.take_payment is not supported by the SQL target: a payment "
                          "goes through the platform's gateway, not its database; record the "
                          "item as a manual result or use a Python adapter (target.kind: python)")

    def import_data(self, kind: str, path: Path) -> ImportView:
        raise TargetError("Target.import_data is not supported by the SQL target: an import "
                          "runs the platform's own importer; record the item as a manual "
                          "result or use a Python adapter (target.kind: python)")

    # --- destructive operations (staging only) -----------------------------------------
    def _command(self, key: str, method: str, **values: str) -> subprocess.CompletedProcess[str]:
        raw = self.commands.get(key)
        if not raw:
            raise TargetError(f"Target.{method} needs target.commands.{key} in the profile "
                              "(a command; it gets the DSN in $GOLIVE_DSN)")
        argv = shlex.split(raw) if isinstance(raw, str) else [str(a) for a in raw]
        argv = [a.format(**values) for a in argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, "GOLIVE_DSN": self.dsn})
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            last = redact(lines[-1] if lines else f"exit code {done.returncode}", [self.dsn])
            raise TargetError(f"target.commands.{key} failed: {last}")
        return done

    def restore(self, backup: Path) -> dict[str, Any]:
        assert_staging(self.profile, self.dsn)
        if not backup.is_file():
            raise TargetError(f"no backup file at {backup}")
        self.close()
        url = make_url(sqlalchemy_url(self.dsn))
        if self.commands.get("restore"):
            how = "target.commands.restore"
            self._command("restore", "restore", backup=str(backup))
        elif url.get_backend_name() == "sqlite" and url.database:
            how = "sqlite file copy"
            _sqlite_copy(backup, Path(url.database))
        elif url.get_backend_name() == "postgresql":
            how = "pg_restore"
            self._pg_restore(backup)
        else:
            raise TargetError(f"cannot restore into {safe_dsn(self.dsn)}: set "
                              "target.commands.restore")
        return {"backup": str(backup), "method": how, "database": safe_dsn(self.dsn)}

    def _pg_restore(self, backup: Path) -> None:
        tool = shutil.which("pg_restore")
        if tool is None:
            raise TargetError("pg_restore not found on PATH (apt-get install postgresql-client)")
        libpq = make_url(sqlalchemy_url(self.dsn)).set(drivername="postgresql")
        dsn = libpq.render_as_string(hide_password=False)
        done = subprocess.run(
            [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--exit-on-error", "--dbname", dsn, str(backup)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            raise TargetError("pg_restore failed: "
                              + redact(lines[-1] if lines else "no message", [self.dsn]))

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        assert_staging(self.profile, self.dsn)
        self._command("bill_run", "run_bill_run", date=run_date.isoformat())
        found = self.latest_bill_run()
        if found is None or found.run_date != run_date:
            raise TargetError(f"target.commands.bill_run finished but latest_bill_run shows "
                              f"no bill run for {run_date}")
        return found

    def billing_service(self, action: ServiceAction) -> str:
        if action != "status":
            assert_staging(self.profile, self.dsn)
            self._command(f"{action}_billing", "billing_service")
        done = self._command("billing_status", "billing_service")
        return (done.stdout.strip().splitlines() or ["unknown"])[-1].strip()

    def redirect_outbound(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        assert_staging(self.profile, self.dsn)
        sql = self.queries.get("redirect_outbound")
        if sql is None:
            raise TargetError("Target.redirect_outbound needs target.queries.redirect_outbound "
                              "(an UPDATE using :name and :url)")
        before = {e.name: e.url for e in self.outbound()}
        unknown = sorted(set(mapping) - set(before))
        if unknown:
            raise TargetError(f"redirect_outbound: no endpoint named {', '.join(unknown)}")
        with self.engine.begin() as conn:
            for name, url in mapping.items():
                conn.execute(text(sql), {"name": name, "url": url})
        return {name: {"from": before[name], "to": url} for name, url in mapping.items()}


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


def _comparable(since: dt.datetime, sample: dt.datetime) -> dt.datetime:
    """``since`` with or without a zone, as ``sample`` is (databases differ)."""
    if since.tzinfo is not None and sample.tzinfo is None:
        return since.astimezone().replace(tzinfo=None)
    if since.tzinfo is None and sample.tzinfo is not None:
        return since.astimezone()
    return since


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise TargetError(f"SQLite restore {source} → {target} failed: {exc}") from None
    finally:
        src.close()
