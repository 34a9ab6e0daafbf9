"""A golive Python adapter for Tallybill, a billing platform reached only through its
HTTP JSON API (``platform/tallybill.py``): where SQL cannot reach.

The profile names it with ``target.kind: python`` and
``target.adapter: tallybill_adapter:TallybillTarget``; each environment's ``dsn``
is the platform's API address. It answers the Target core and three
capabilities — ``sub_accounts``, ``permissions`` and ``outbound`` (the mail
server invoices go through, which lock-down points at golive's SMTP sink). The
platform takes no payments, provisions nothing and has no portals: those
capabilities stay None, and what needs them is NOT APPLICABLE.

Writes (restore, bill run, billing service, mail server) go to staging only:
each asks ``assert_staging`` first. Accounts are asked for by key; a name
several accounts share raises ``AmbiguousAccount`` naming their keys.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from common.errors import EnvironmentProblem
from harness.config import Profile
from harness.safety import assert_staging, safe_dsn
from harness.targets.base import AmbiguousAccount, ServiceAction, TargetError, environment_dsn
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceMailView,
    InvoiceView,
    OutboundEndpoint,
    PackageView,
    TransactionView,
)


class Api:
    """JSON over HTTP to one Tallybill; a refused connection is an environment problem
    (exit 3), an error answer a TargetError carrying the platform's message."""

    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, path: str, body: bytes | None = None,
             query: Sequence[tuple[str, str]] = (), missing_ok: bool = False) -> Any:
        url = f"{self.base}/{path}" + (f"?{urlencode(list(query))}" if query else "")
        request = Request(url, data=body, method=method,
                          headers={"Content-Type": "application/json"})
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            said = exc.read().decode("utf-8", "replace")
            raise TargetError(f"Tallybill {method} /{path} answered {exc.code}: {said}") from None
        except URLError as exc:
            raise EnvironmentProblem(f"Tallybill at {safe_dsn(self.base)} is unreachable: "
                                     f"{exc.reason}") from None

    def get(self, path: str, query: Sequence[tuple[str, str]] = (),
            missing_ok: bool = False) -> Any:
        return self.call("GET", path, query=query, missing_ok=missing_ok)

    def send(self, method: str, path: str, body: Any) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.call(method, path, body=data)


def _bill_run(data: Mapping[str, Any]) -> BillRunView:
    finished = data.get("finished_at")
    return BillRunView(id=int(data["id"]), run_date=dt.date.fromisoformat(data["run_date"]),
                       status=str(data["status"]),
                       started_at=dt.datetime.fromisoformat(data["started_at"]),
                       finished_at=dt.datetime.fromisoformat(finished) if finished else None,
                       accounts_billed=int(data["accounts_billed"]),
                       invoices=int(data["invoices"]), errors=int(data["errors"]),
                       total=Decimal(data["total"]))


def _run_query(bill_run_id: int | None) -> list[tuple[str, str]]:
    return [] if bill_run_id is None else [("bill_run", str(bill_run_id))]


class TallybillFamily:
    """sub_accounts: an account's sub-accounts."""

    def __init__(self, target: TallybillTarget) -> None:
        self.target = target

    def children(self, ref: str) -> list[str]:
        return [str(k) for k in self.target.api.get(f"accounts/{self.target.key(ref)}/children")]


class TallybillRoles:
    """permissions: staff roles and what each may do."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def roles(self) -> dict[str, frozenset[str]]:
        return {str(role): frozenset(map(str, granted))
                for role, granted in self.api.get("roles").items()}


class TallybillMail:
    """outbound: the mail server invoices are e-mailed through, its only outbound channel."""

    def __init__(self, target: TallybillTarget) -> None:
        self.target = target

    def endpoints(self) -> list[OutboundEndpoint]:
        smtp_url = str(self.target.api.get("admin/mail")["smtp_url"])
        return [OutboundEndpoint("mail", "mail", smtp_url)]

    def redirect(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        self.target.guard()
        unknown = sorted(set(mapping) - {"mail"})
        if unknown:
            raise TargetError(f"Tallybill has no outbound endpoint {', '.join(unknown)} "
                              "(only mail)")
        if "mail" not in mapping:
            return {}
        before = self.endpoints()[0].url
        self.target.api.send("PUT", "admin/mail", {"smtp_url": mapping["mail"]})
        return {"mail": {"from": before, "to": mapping["mail"]}}

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView] | None:
        return [InvoiceMailView(invoice=m["invoice"], account=m["account"], contact=m["contact"],
                                emailed_to=m["emailed_to"], bill_run_id=m["bill_run"])
                for m in self.target.api.get(f"bill-runs/{bill_run_id}/mails")]

    def start_payment_sandbox(self) -> None:
        return None  # Tallybill takes no payments


class TallybillTarget:
    """Tallybill in one environment of the profile."""

    name = "tallybill"

    def __init__(self, profile: Profile, environment: str, options: dict[str, Any]) -> None:
        self.profile = profile
        self.environment = environment
        self.address = environment_dsn(profile, environment)
        self.api = Api(self.address, float(options.get("timeout_seconds", 30)))
        self._release: str | None = None
        self.sub_accounts = TallybillFamily(self)
        self.permissions = TallybillRoles(self.api)
        self.outbound = TallybillMail(self)
        # what Tallybill cannot answer: NOT APPLICABLE wherever a step needs it
        self.pools = self.provisioning = self.payments = self.staff_payments = None
        self.imports = self.custom_actions = self.portals = self.backup = None

    @property
    def release(self) -> str | None:
        """The release the platform says it runs."""
        if self._release is None:
            self._release = str(self.api.get("health")["release"])
        return self._release

    def installation(self) -> str:
        """The installation the platform says it is (golive tells staging from production
        by it, not by the URL: two addresses can reach one platform)."""
        return str(self.api.get("health").get("installation") or "")

    def guard(self) -> None:
        """Refuse (SafetyError) unless this is the profile's staging platform."""
        assert_staging(self.profile, self.address)

    def close(self) -> None:
        """Nothing is held open between calls."""

    # --- accounts by key ------------------------------------------------------------------
    def key(self, ref: str) -> str:
        """``ref``'s key: the key itself, or the key of the one account with that name."""
        found = self.account(ref)
        if found is None:
            raise TargetError(f"Tallybill has no account {ref!r}")
        return found.number

    def account(self, ref: str) -> AccountView | None:
        data = self.api.get(f"accounts/{quote(ref, safe='')}", missing_ok=True)
        if data is None:
            named = self.api.get("accounts", [("name", ref)])
            if len(named) > 1:
                raise AmbiguousAccount(ref, sorted(a["key"] for a in named))
            data = named[0] if named else None
        if data is None:
            return None
        return AccountView(number=data["key"], name=data["name"], status=data["status"],
                           balance=Decimal(data["balance"]), parent_number=data["parent"],
                           bill_day=int(data["bill_day"]))

    # --- the core reads -----------------------------------------------------------------
    def packages(self, ref: str) -> list[PackageView]:
        rows = self.api.get(f"accounts/{self.key(ref)}/subscriptions")
        return [PackageView(code=s["code"], name=s["name"], period=s["period"],
                            quantity=int(s["quantity"]),
                            next_bill_date=dt.date.fromisoformat(s["next_bill"])
                            if s["next_bill"] else None,
                            status=s["status"], provisioned=bool(s["provisioned"]))
                for s in sorted(rows, key=lambda s: s["code"])]

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        rows = self.api.get(f"accounts/{self.key(ref)}/ledger", _run_query(bill_run_id))
        return [TransactionView(kind=t["kind"], amount=Decimal(t["amount"]),
                                description=t["description"],
                                posted_on=dt.date.fromisoformat(t["posted_on"]),
                                bill_run_id=t["bill_run"]) for t in rows]

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        rows = self.api.get(f"accounts/{self.key(ref)}/invoices", _run_query(bill_run_id))
        return [InvoiceView(number=i["number"], issue_date=dt.date.fromisoformat(i["issue_date"]),
                            due_date=dt.date.fromisoformat(i["due_date"]),
                            subtotal=Decimal(i["subtotal"]),
                            discount_total=Decimal(i["discount_total"]),
                            tax_total=Decimal(i["tax_total"]), total=Decimal(i["total"]),
                            status=i["status"], bill_run_id=i["bill_run"]) for i in rows]

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        local = since.astimezone().replace(tzinfo=None) if since.tzinfo else since
        query = [("since", local.isoformat(timespec="seconds")),
                 *(("level", str(level)) for level in levels)]
        return [EventView(at=dt.datetime.fromisoformat(e["at"]), level=e["level"],
                          source=e["source"], message=e["message"], account=e["account"])
                for e in self.api.get("events", query)]

    def billing_settings(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.api.get("settings").items()}

    def latest_bill_run(self) -> BillRunView | None:
        data = self.api.get("bill-runs/latest")
        return _bill_run(data) if data else None

    # --- the staging pipeline's operations ------------------------------------------------
    def restore(self, backup: Path) -> dict[str, Any]:
        self.guard()
        answer = self.api.send("POST", "admin/restore", backup.read_bytes())
        return {"backup": str(backup), "accounts": answer["accounts"],
                "sha256": answer["sha256"], "method": "POST /api/admin/restore"}

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        self.guard()
        return _bill_run(self.api.send("POST", "bill-runs", {"date": run_date.isoformat()}))

    def billing_service(self, action: ServiceAction) -> str:
        if action != "status":
            self.guard()
            return str(self.api.send("POST", f"admin/billing/{action}", {})["state"])
        return str(self.api.get("admin/billing")["state"])
