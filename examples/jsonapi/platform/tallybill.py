"""Tallybill: a small billing platform that is reached only through its HTTP JSON API.

No database golive can read, no SQL: the case for a Python adapter. It holds
accounts (with sub-accounts), subscriptions with monthly, quarterly, yearly and
one-off periods, usage, a ledger, invoices, an event log, staff roles and the
mail server it e-mails invoices through. Its admin API restores an export
(the pre-bill-run backup), points the mail server elsewhere, runs the bill run
and starts and stops the billing service. Standard library only.

    python examples/jsonapi/platform/tallybill.py serve --port 8702 --release 1.5 [--load FILE]

Releases: 1.4 (production), 1.5 (the new release), 1.5-yearly-bug (1.5 with a
regression: yearly subscriptions move ahead by one month).
"""

from __future__ import annotations

import argparse
import calendar
import copy
import datetime as dt
import hashlib
import json
import smtplib
import threading
import uuid
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RELEASES = ("1.4", "1.5", "1.5-yearly-bug")
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
CENT = Decimal("0.01")


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year,
                                                                                    month)[1]))


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


class Platform:
    """The platform's state and its rules; one lock, so the API is safe across threads."""

    def __init__(self, release: str) -> None:
        if release not in RELEASES:
            raise ValueError(f"unknown release {release!r} (known: {', '.join(RELEASES)})")
        self.release = release
        # this installation's own identifier, whatever address reaches it (like a database
        # server's system identifier): golive compares staging's with production's
        self.installation = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.data: dict[str, Any] = {"settings": {}, "accounts": [], "subscriptions": [],
                                     "usage": [], "roles": {}, "mail": {"smtp_url": ""},
                                     "bill_runs": [], "ledger": [], "invoices": [],
                                     "events": [], "mails": []}
        self.billing = "running"

    # --- admin ----------------------------------------------------------------------------
    def restore(self, body: bytes) -> dict[str, Any]:
        export = json.loads(body)
        if export.get("format") != "tallybill-export/1":
            raise ValueError("not a tallybill export (format tallybill-export/1)")
        with self.lock:
            self.data = {**copy.deepcopy(self.data), **export}
            self.data.setdefault("mails", [])
            self._log("INFO", "admin", f"restored an export of {len(export['accounts'])} "
                                       "accounts")
            return {"accounts": len(export["accounts"]),
                    "sha256": hashlib.sha256(body).hexdigest()}

    def _log(self, level: str, source: str, message: str, account: str | None = None) -> None:
        self.data["events"].append({"at": dt.datetime.now().isoformat(timespec="seconds"),
                                    "level": level, "source": source, "message": message,
                                    "account": account})

    # --- reads ----------------------------------------------------------------------------
    def account(self, key: str) -> dict[str, Any] | None:
        return next((a for a in self.data["accounts"] if a["key"] == key), None)

    # --- the bill run ---------------------------------------------------------------------
    def bill_run(self, run_date: dt.date) -> dict[str, Any]:
        with self.lock:
            run_id = len(self.data["bill_runs"]) + 1
            run: dict[str, Any] = {"id": run_id, "run_date": run_date.isoformat(),
                                   "status": "running",
                   "started_at": dt.datetime.now().isoformat(timespec="seconds"),
                   "finished_at": None, "accounts_billed": 0, "invoices": 0, "errors": 0,
                   "total": "0.00"}
            self.data["bill_runs"].append(run)
            self._log("INFO", "billing", f"bill run {run_id} for {run_date} started")
            tax = Decimal(self.data["settings"].get("tax_rate", "0"))
            total = Decimal("0")
            for account in self.data["accounts"]:
                if account["status"] != "active" or account["parent"] is not None:
                    continue
                billed = self._bill(account, run_id, run_date, tax)
                if billed is not None:
                    run["accounts_billed"] += 1
                    run["invoices"] += 1
                    total += billed
            run.update(status="done", total=_money(total),
                       finished_at=dt.datetime.now().isoformat(timespec="seconds"))
            self._log("INFO", "billing", f"bill run {run_id} finished: {run['invoices']} "
                                         "invoices")
        self._send_invoices(run_id)
        with self.lock:
            run["errors"] = sum(1 for e in self.data["events"]
                                if e["level"] == "ERROR" and e["at"] >= run["started_at"])
            return dict(run)

    def _family(self, account: dict[str, Any]) -> list[str]:
        return [account["key"], *(a["key"] for a in self.data["accounts"]
                                  if a["parent"] == account["key"])]

    def _bill(self, account: dict[str, Any], run_id: int, run_date: dt.date,
              tax: Decimal) -> Decimal | None:
        lines: list[tuple[str, Decimal, str]] = []
        for sub in self.data["subscriptions"]:
            due = sub["next_bill"]
            if sub["account"] != account["key"] or sub["status"] != "active" or due is None \
                    or dt.date.fromisoformat(due) > run_date:
                continue
            amount = Decimal(sub["price"]) * sub["quantity"]
            lines.append(("charge", amount, f"{sub['name']} x{sub['quantity']}"))
            if sub["period"] == "one_off":
                sub.update(next_bill=None, status="ended")
            else:
                months = MONTHS[sub["period"]]
                if sub["period"] == "yearly" and self.release == "1.5-yearly-bug":
                    months = 1  # REGRESSION(yearly-bug)
                sub["next_bill"] = _add_months(dt.date.fromisoformat(due), months).isoformat()
        family = self._family(account)
        for usage in self.data["usage"]:
            if usage["account"] in family and usage.get("bill_run") is None \
                    and dt.date.fromisoformat(usage["day"]) < run_date:
                amount = (Decimal(usage["rate"]) * usage["minutes"]).quantize(CENT)
                lines.append(("usage", amount, f"{usage['minutes']} minutes ({usage['account']})"))
                usage["bill_run"] = run_id
        if not lines:
            return None
        subtotal = sum((amount for _, amount, _ in lines), Decimal("0"))
        tax_total = (subtotal * tax).quantize(CENT)
        lines.append(("tax", tax_total, f"tax {tax}"))
        for kind, amount, memo in lines:
            self.data["ledger"].append({"account": account["key"], "kind": kind,
                                        "amount": _money(amount), "description": memo,
                                        "posted_on": run_date.isoformat(), "bill_run": run_id})
        total = subtotal + tax_total
        number = f"INV-{run_id}-{len(self.data['invoices']) + 1:04d}"
        terms = int(self.data["settings"].get("payment_terms_days", "14"))
        self.data["invoices"].append({
            "number": number, "account": account["key"], "issue_date": run_date.isoformat(),
            "due_date": (run_date + dt.timedelta(days=terms)).isoformat(),
            "subtotal": _money(subtotal), "discount_total": "0.00", "tax_total": _money(tax_total),
            "total": _money(total), "status": "open", "bill_run": run_id})
        account["balance"] = _money(Decimal(account["balance"]) + total)
        return total

    def _send_invoices(self, run_id: int) -> None:
        """E-mail each invoice of the run to its account's address, through the mail server
        the platform is configured with (production's, until someone points it elsewhere)."""
        with self.lock:
            invoices = [i for i in self.data["invoices"] if i["bill_run"] == run_id]
            smtp_url = self.data["mail"]["smtp_url"]
            emails = {a["key"]: a["email"] for a in self.data["accounts"]}
        where = urlsplit(smtp_url)
        for invoice in invoices:
            to = emails.get(invoice["account"])
            message = EmailMessage()
            message["From"], message["To"] = "billing@tallybill.example", to
            message["Subject"] = f"Your invoice {invoice['number']}"
            message.set_content(f"Invoice {invoice['number']}: {invoice['total']} due "
                                f"{invoice['due_date']}.")
            try:
                with smtplib.SMTP(where.hostname or "", where.port or 25, timeout=5) as smtp:
                    smtp.send_message(message)
                sent = to
            except (OSError, smtplib.SMTPException) as exc:
                sent = None
                with self.lock:
                    self._log("ERROR", "mail", f"invoice {invoice['number']} not sent: {exc}",
                              invoice["account"])
            with self.lock:
                self.data["mails"].append({"invoice": invoice["number"],
                                           "account": invoice["account"], "contact": to,
                                           "emailed_to": sent, "bill_run": run_id})


class Api(BaseHTTPRequestHandler):
    """/api/… as JSON; the platform object is the server's."""

    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: a test server

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        platform = self.server.platform
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")[1:]  # after "api"
        with platform.lock:
            data = platform.data
            bill_run = int(query["bill_run"][0]) if "bill_run" in query else None
            if parts == ["health"]:
                return self._send(200, {"release": platform.release,
                                        "installation": platform.installation})
            if parts == ["accounts"]:
                name = query.get("name", [""])[0]
                return self._send(200, [a for a in data["accounts"] if a["name"] == name])
            if len(parts) >= 2 and parts[0] == "accounts":
                account = platform.account(parts[1])
                if account is None:
                    return self._send(404, {"error": f"no account {parts[1]}"})
                rest = parts[2:]
                if not rest:
                    return self._send(200, account)
                mine = {"subscriptions": data["subscriptions"], "ledger": data["ledger"],
                        "invoices": data["invoices"]}
                if rest == ["children"]:
                    return self._send(200, sorted(a["key"] for a in data["accounts"]
                                                  if a["parent"] == account["key"]))
                if rest[0] in mine:
                    rows = [r for r in mine[rest[0]] if r["account"] == account["key"]
                            and (bill_run is None or r.get("bill_run") == bill_run)]
                    return self._send(200, rows)
            if parts == ["events"]:
                since, levels = query.get("since", [""])[0], query.get("level", [])
                return self._send(200, [e for e in data["events"]
                                        if e["at"] >= since and e["level"] in levels])
            if parts == ["settings"]:
                return self._send(200, data["settings"])
            if parts == ["roles"]:
                return self._send(200, data["roles"])
            if parts == ["bill-runs", "latest"]:
                runs = data["bill_runs"]
                return self._send(200, runs[-1] if runs else None)
            if len(parts) == 3 and parts[0] == "bill-runs" and parts[2] == "mails":
                return self._send(200, [m for m in data["mails"]
                                        if m["bill_run"] == int(parts[1])])
            if parts == ["admin", "mail"]:
                return self._send(200, data["mail"])
            if parts == ["admin", "billing"]:
                return self._send(200, {"state": platform.billing})
        return self._send(404, {"error": f"no such resource {url.path}"})

    def do_POST(self) -> None:
        platform = self.server.platform
        parts = urlsplit(self.path).path.strip("/").split("/")[1:]
        body = self._body()
        try:
            if parts == ["admin", "restore"]:
                return self._send(200, platform.restore(body))
            if parts == ["bill-runs"]:
                run_date = dt.date.fromisoformat(json.loads(body)["date"])
                return self._send(201, platform.bill_run(run_date))
            if len(parts) == 3 and parts[:2] == ["admin", "billing"] \
                    and parts[2] in ("start", "stop"):
                platform.billing = "running" if parts[2] == "start" else "stopped"
                return self._send(200, {"state": platform.billing})
        except (ValueError, KeyError) as exc:
            return self._send(400, {"error": str(exc)})
        return self._send(404, {"error": f"no such resource {self.path}"})

    def do_PUT(self) -> None:
        platform = self.server.platform
        if urlsplit(self.path).path.rstrip("/") == "/api/admin/mail":
            smtp_url = str(json.loads(self._body()).get("smtp_url", ""))
            with platform.lock:
                platform.data["mail"]["smtp_url"] = smtp_url
                platform._log("INFO", "admin", "mail server changed")
            return self._send(200, platform.data["mail"])
        return self._send(404, {"error": f"no such resource {self.path}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, platform: Platform) -> None:
        super().__init__(("127.0.0.1", port), Api)
        self.platform = platform

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


def start(release: str, port: int = 0, load: bytes | None = None) -> Server:
    """A running platform on 127.0.0.1 (a free port when 0), in a background thread."""
    platform = Platform(release)
    if load is not None:
        platform.restore(load)
    server = Server(port, platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(prog="tallybill")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8702)
    serve.add_argument("--release", choices=RELEASES, default="1.5")
    serve.add_argument("--load", help="an export to load first (production's data)")
    args = parser.parse_args()
    load = open(args.load, "rb").read() if args.load else None  # noqa: SIM115
    server = start(args.release, args.port, load)
    print(f"tallybill {args.release} at {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
