"""Small hand-built databases and loopback sinks for the billing tests (no generator)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from demo.db import create_schema, make_engine, session_factory
from demo.models import (
    Account,
    AccountDiscount,
    BillingSetting,
    Contact,
    CustomAction,
    Discount,
    MailConfig,
    PaymentMethod,
    PaymentProcessor,
    PricePlan,
    PricePlanPrice,
    Product,
    ProvisioningConfig,
    UsageRecord,
    UserPackage,
)

D = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 10, 1, 9, 0)
SETTINGS = {
    "tax_rate": "0.10",
    "payment_terms_days": "14",
    "suspend_after_days": "30",
    "usage_rate_default": "0.05",
    "currency": "USD",
}
# Production-like outbound configuration: .example hosts never resolve.
PROD_SMTP = ("smtp.mail.isp-billing.example", 25)
PROD_GATEWAY = {"card": "https://gateway.cardpay.example/api",
                "echeck": "https://ach.echeck-direct.example/api"}
PROD_PROVISION = {"internet": "https://provision.core.isp-billing.example/radius",
                  "voice": "https://voice.switch.isp-billing.example/api",
                  "tv": "https://iptv.headend.isp-billing.example/api"}


def new_db(url: str) -> Engine:
    """A fresh schema with settings and production-like outbound configuration."""
    engine = make_engine(url)
    create_schema(engine)
    with session_factory(engine)() as s:
        s.add_all(BillingSetting(key=k, value=v) for k, v in SETTINGS.items())
        s.add(MailConfig(smtp_host=PROD_SMTP[0], smtp_port=PROD_SMTP[1],
                         from_address="billing@isp-billing.example"))
        s.add(PaymentProcessor(name="CardPay", kind="card", gateway_url=PROD_GATEWAY["card"],
                               merchant_id="m-card", api_key="k-card"))
        s.add(PaymentProcessor(name="ACH Direct", kind="echeck",
                               gateway_url=PROD_GATEWAY["echeck"], merchant_id="m-ach",
                               api_key="k-ach"))
        s.add_all(ProvisioningConfig(service=svc, url=u, username="prov", password="secret")
                  for svc, u in PROD_PROVISION.items())
        s.commit()
    return engine


@dataclass
class Builder:
    """Adds rows with sensible defaults; every helper flushes so ids are available."""

    session: Session
    _n: int = 0

    def product(self, code: str, period: str = "monthly", price: str = "10.00",
                minutes: int = 0, rate: str = "0", service: str | None = None,
                taxable: bool = True) -> Product:
        p = Product(code=code, name=code.title(), period=period, price=Decimal(price),
                    included_minutes=minutes, overage_rate=Decimal(rate), service=service,
                    taxable=taxable)
        self.session.add(p)
        self.session.flush()
        return p

    def account(self, bill_day: int = 1, parent: Account | None = None, status: str = "active",
                plan: PricePlan | None = None, auto_pay: bool = False,
                past_due_since: dt.date | None = None, email: str | None = None) -> Account:
        self._n += 1
        number = f"A{self._n:06d}"
        a = Account(number=number, name=f"Customer {number}",
                    parent_id=parent.id if parent else None, status=status,
                    bill_day=bill_day, balance=Decimal("0.00"),
                    price_plan_id=plan.id if plan else None, past_due_since=past_due_since,
                    auto_pay=auto_pay, created_at=NOW)
        self.session.add(a)
        self.session.flush()
        self.session.add(Contact(account_id=a.id, first_name="Pat", last_name=number,
                                 email=email or f"{number.lower()}@customer.example",
                                 phone="555-0100", street="1 Main St", city="Springfield",
                                 postcode="12345"))
        self.session.flush()
        return a

    def package(self, account: Account, product: Product, next_bill_date: dt.date | None = D,
                start: dt.date = dt.date(2026, 1, 1), quantity: int = 1,
                end: dt.date | None = None, provisioned: bool = True) -> UserPackage:
        up = UserPackage(account_id=account.id, product_id=product.id, start_date=start,
                         end_date=end, quantity=quantity, next_bill_date=next_bill_date,
                         status="active", provisioned=provisioned)
        self.session.add(up)
        self.session.flush()
        return up

    def usage(self, account: Account, minutes: int,
              at: dt.datetime = dt.datetime(2026, 10, 15, 12)) -> UsageRecord:
        u = UsageRecord(account_id=account.id, started_at=at, minutes=minutes, destination="US")
        self.session.add(u)
        self.session.flush()
        return u

    def plan(self, name: str, prices: dict[Product, str]) -> PricePlan:
        p = PricePlan(name=name)
        self.session.add(p)
        self.session.flush()
        self.session.add_all(PricePlanPrice(price_plan_id=p.id, product_id=prod.id,
                                            price=Decimal(v)) for prod, v in prices.items())
        self.session.flush()
        return p

    def discount(self, account: Account, code: str, kind: str, value: str,
                 product: Product | None = None) -> Discount:
        d = Discount(code=code, name=code, kind=kind, value=Decimal(value),
                     product_id=product.id if product else None)
        self.session.add(d)
        self.session.flush()
        self.session.add(AccountDiscount(account_id=account.id, discount_id=d.id))
        self.session.flush()
        return d

    def method(self, account: Account, kind: str = "card", token: str = "tok_abc123",
               routing: str | None = None) -> PaymentMethod:
        m = PaymentMethod(account_id=account.id, kind=kind, holder_name="Pat", token=token,
                          card_brand="visa" if kind == "card" else None,
                          card_last4="1111" if kind == "card" else None,
                          bank_routing=routing if kind == "echeck" else None,
                          bank_account_masked="****6789" if kind == "echeck" else None,
                          is_default=True)
        self.session.add(m)
        self.session.flush()
        return m

    def late_fee(self, amount: str) -> None:
        self.session.add(CustomAction(name="late_fee", hook="after_invoice", enabled=True,
                                      config={"amount": amount}))
        self.session.flush()


@contextmanager
def build(engine: Engine) -> Iterator[Builder]:
    with session_factory(engine)() as s:
        existing = s.scalar(select(func.count()).select_from(Account)) or 0
        yield Builder(s, existing)
        s.commit()


def point_outbound(engine: Engine, smtp: tuple[str, int] | None = None,
                   gateway_url: str | None = None, provisioning_url: str | None = None) -> None:
    """Point the database's outbound configuration at loopback sinks (as golive does)."""
    with session_factory(engine)() as s:
        if smtp is not None:
            for m in s.query(MailConfig):
                m.smtp_host, m.smtp_port = smtp
        if gateway_url is not None:
            for p in s.query(PaymentProcessor):
                p.gateway_url = f"{gateway_url}/{p.kind}"
        if provisioning_url is not None:
            for c in s.query(ProvisioningConfig):
                c.url = f"{provisioning_url}/{c.service}"
        s.commit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Inbox:
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[tuple[str, int], _Inbox]]:
    """A real SMTP server on 127.0.0.1; yields ((host, port), inbox)."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield ("127.0.0.1", port), inbox
    finally:
        controller.stop()


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@contextmanager
def http_sink(status: int = 200) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on 127.0.0.1 recording each POST: yields (url, received)."""
    received: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        received.append({"path": request.path, "json": json.loads(request.get_data() or b"{}")})
        return Response('{"ok": true}', status=status, mimetype="application/json")(
            environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
