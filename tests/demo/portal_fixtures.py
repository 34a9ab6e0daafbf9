"""A small hand-built database for the portal tests (independent of the generator).

What it holds, so tests can assert exact values:
- products INET-100 (monthly internet), VOICE-200 (monthly voice with 200 minutes),
  TV-YEAR (yearly tv), SETUP (one-off, no service);
- roles/permissions of release 1.0 and staff users admin, billing, support, sales;
- A000001 "Ada Lovelace": billed by the 2026-11-01 bill run (invoice 76.98, balance
  76.98, next bill date 2026-12-01), a stored card, an open ticket;
- A000002 with a <script> name (escaping), balance 12.50, next bill date 2027-03-15;
- A000003 "Family Pool" and its child A000004 with usage and a minute bucket;
- a portal user per account (login = number) and password "demo" for everybody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from demo.db import create_schema, make_engine
from demo.models import (
    Account,
    BillingSetting,
    BillRun,
    Contact,
    EventLog,
    Invoice,
    MinuteBucket,
    PaymentMethod,
    PaymentProcessor,
    Permission,
    PortalUser,
    Product,
    Role,
    RolePermission,
    StaffUser,
    Ticket,
    Transaction,
    UsageRecord,
    UserPackage,
)
from demo.security import DEMO_PASSWORD, hash_password

PASSWORD = DEMO_PASSWORD
RUN_DATE = dt.date(2026, 11, 1)
PRODUCTION_GATEWAY = "https://gateway.cardpay.example/api"

PERMISSIONS_1_0 = (
    "accounts.view", "accounts.add", "packages.add", "tickets.create", "tickets.edit",
    "workorders.manage", "payments.process", "billing.run", "eventlog.view",
    "permissions.view",
)
ROLES_1_0: dict[str, tuple[str, ...]] = {
    "admin": PERMISSIONS_1_0,
    "billing": ("accounts.view", "payments.process", "billing.run", "eventlog.view"),
    "support": ("accounts.view", "tickets.create", "tickets.edit", "workorders.manage",
                "eventlog.view"),
    "sales": ("accounts.view", "accounts.add", "packages.add", "tickets.create"),
}

ADA = "A000001"
SCRIPT = "A000002"
SCRIPT_NAME = "<script>alert('x')</script> Ltd"
POOL = "A000003"
POOL_CHILD = "A000004"
ADA_BALANCE = Decimal("76.98")
ADA_NEXT_BILL = dt.date(2026, 12, 1)


@dataclass(frozen=True)
class PortalDb:
    engine: Engine
    ticket_id: int  # Ada's open ticket
    card_method_id: int  # Ada's stored card (token approves)


def _now() -> dt.datetime:
    return dt.datetime(2026, 10, 31, 9, 0, 0)


def build_portal_db(url: str, gateway_url: str = PRODUCTION_GATEWAY) -> PortalDb:
    """Create the schema at ``url`` and fill it; the card processor points at ``gateway_url``."""
    engine = make_engine(url)
    create_schema(engine)
    pw = hash_password(PASSWORD)
    with Session(engine) as s, s.begin():
        products = {
            "INET-100": Product(code="INET-100", name="Internet 100", period="monthly",
                                price=Decimal("49.99"), service="internet"),
            "VOICE-200": Product(code="VOICE-200", name="Voice 200", period="monthly",
                                 price=Decimal("19.99"), included_minutes=200,
                                 overage_rate=Decimal("0.0500"), service="voice"),
            "TV-YEAR": Product(code="TV-YEAR", name="TV yearly", period="yearly",
                               price=Decimal("120.00"), service="tv"),
            "SETUP": Product(code="SETUP", name="Setup fee", period="one_off",
                             price=Decimal("25.00")),
        }
        s.add_all(products.values())
        for key, value in {"tax_rate": "0.10", "currency": "USD", "payment_terms_days": "14",
                           "suspend_after_days": "30", "usage_rate_default": "0.05"}.items():
            s.add(BillingSetting(key=key, value=value))
        _roles_and_staff(s, pw)
        s.add(PaymentProcessor(name="CardPay", kind="card", gateway_url=gateway_url,
                               merchant_id="cardpay-test", api_key="ck_test"))
        s.flush()

        ada = _account(s, ADA, "Ada Lovelace", 1, "ada@example.com")
        script = _account(s, SCRIPT, SCRIPT_NAME, 15, "evil@example.com",
                          balance=Decimal("12.50"))
        pool = _account(s, POOL, "Family Pool", 31, "pool@example.com")
        child = _account(s, POOL_CHILD, "Family Pool Kid", 31, "kid@example.com",
                         parent=pool)
        s.flush()

        ada_inet = _package(s, ada, products["INET-100"], dt.date(2026, 12, 1))
        ada_voice = _package(s, ada, products["VOICE-200"], dt.date(2026, 12, 1))
        _package(s, script, products["TV-YEAR"], dt.date(2027, 3, 15))
        _package(s, pool, products["VOICE-200"], dt.date(2026, 11, 30))
        _package(s, child, products["VOICE-200"], dt.date(2026, 11, 30))
        _package(s, ada, products["SETUP"], None, status="active")  # billed one-off
        s.flush()

        run = BillRun(run_date=RUN_DATE, release="1.0", status="done", started_at=_now(),
                      finished_at=_now(), accounts_billed=1, invoices=1, total=ADA_BALANCE)
        s.add(run)
        s.flush()
        invoice = Invoice(number=f"INV-20261101-{ADA}", account_id=ada.id, bill_run_id=run.id,
                          issue_date=RUN_DATE, due_date=dt.date(2026, 11, 15),
                          subtotal=Decimal("69.98"), discount_total=Decimal("0.00"),
                          tax_total=Decimal("7.00"), total=ADA_BALANCE)
        s.add(invoice)
        s.flush()
        for up, kind, amount, text in (
            (ada_inet, "charge", "49.99", "Internet 100"),
            (ada_voice, "charge", "19.99", "Voice 200"),
            (None, "tax", "7.00", "Tax 10%"),
        ):
            s.add(Transaction(account_id=ada.id, bill_run_id=run.id, invoice_id=invoice.id,
                              user_package_id=up.id if up else None, kind=kind,
                              amount=Decimal(amount), description=text, posted_on=RUN_DATE,
                              period_start=RUN_DATE if up else None,
                              period_end=dt.date(2026, 11, 30) if up else None,
                              created_at=_now()))
        ada.balance = ADA_BALANCE

        card = PaymentMethod(account_id=ada.id, kind="card", holder_name="Ada Lovelace",
                             token="tok_0a1b2c3d", card_brand="visa", card_last4="1111",
                             card_expiry="2029-12", is_default=True)
        s.add(card)
        ticket = Ticket(account_id=ada.id, subject="Slow internet", body="Evenings are slow",
                        status="open", priority="normal", created_by="support",
                        created_at=_now(), updated_at=_now())
        s.add(ticket)

        for day, minutes in ((dt.date(2026, 10, 3), 12), (dt.date(2026, 10, 3), 8),
                             (dt.date(2026, 10, 5), 30)):
            s.add(UsageRecord(account_id=child.id, minutes=minutes, destination="+15550100",
                              started_at=dt.datetime.combine(day, dt.time(18, 0)),
                              bill_run_id=run.id))
        s.add(MinuteBucket(account_id=pool.id, bill_run_id=run.id,
                           period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31),
                           included_minutes=400, used_minutes=50, overage_minutes=0))
        s.add(EventLog(at=_now(), level="INFO", source="billrun", message="bill run started",
                       bill_run_id=run.id))
        s.add(EventLog(at=_now(), level="ERROR", source="mail",
                       message="smtp.mail.isp-billing.example:25 unreachable",
                       account_id=ada.id, bill_run_id=run.id))
        for acct in (ada, script, pool, child):
            s.add(PortalUser(account_id=acct.id, login=acct.number, password_hash=pw))
        s.flush()
        ticket_id, card_id = ticket.id, card.id
    return PortalDb(engine=engine, ticket_id=ticket_id, card_method_id=card_id)


def _roles_and_staff(s: Session, pw: str) -> None:
    perms = {code: Permission(code=code, description=code) for code in PERMISSIONS_1_0}
    s.add_all(perms.values())
    for name, codes in ROLES_1_0.items():
        role = Role(name=name)
        s.add(role)
        s.flush()
        s.add_all(RolePermission(role_id=role.id, permission_id=perms[c].id) for c in codes)
        s.add(StaffUser(username=name, full_name=f"{name.title()} User",
                        email=f"{name}@isp-billing.example", password_hash=pw, role_id=role.id))


def _account(s: Session, number: str, name: str, bill_day: int, email: str,
             balance: Decimal = Decimal("0.00"), parent: Account | None = None) -> Account:
    acct = Account(number=number, name=name, bill_day=bill_day, balance=balance,
                   parent=parent, created_at=_now(), status="active")
    s.add(acct)
    s.flush()
    first, _, last = name.partition(" ")
    s.add(Contact(account_id=acct.id, first_name=first, last_name=last or "-", email=email,
                  phone="+1 555 0100", street="1 Main St", city="Springfield",
                  postcode="12345", country="US", is_primary=True))
    return acct


def _package(s: Session, acct: Account, product: Product, next_bill: dt.date | None,
             status: str = "active") -> UserPackage:
    up = UserPackage(account_id=acct.id, product_id=product.id, start_date=dt.date(2025, 1, 1),
                     quantity=1, next_bill_date=next_bill, status=status, provisioned=True)
    s.add(up)
    return up
