"""Row builders for one account and what hangs off it (contacts, notes, packages, usage,
payment methods, portal user, history). Scenarios are written in terms of these."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from demo.calendar import latest_bill_date
from demo.generate.bulk import RowBuffer
from demo.generate.catalog import Catalog
from demo.generate.pools import READ_OUT_CARDS, Pools

# Accounts are spread over ten years before as_of, in creation (number) order.
HISTORY_DAYS = 3650
NEWEST_ACCOUNT_DAYS = 35

CARD_BRANDS = ("Visa", "Mastercard", "Amex", "Discover")


@dataclass
class Acct:
    """What scenario code needs to know about an account it just made."""

    id: int
    number: str
    name: str
    bill_day: int
    created: date
    first: str
    last: str
    email: str
    top_level: bool
    row: dict[str, Any]  # the buffered accounts row, for later touches (balance)


@dataclass
class Ctx:
    """Everything a builder needs: the row buffer, value pools, catalog and dates."""

    buf: RowBuffer
    pools: Pools
    rng: random.Random
    cat: Catalog
    as_of: date
    run_date: date
    portal_hash: str
    total: int
    made: int = 0
    # While True, default bill days avoid 29-31 so only the month-end scenarios have them.
    plain_bill_days: bool = False
    scenarios: Counter[str] = field(default_factory=Counter)

    @property
    def budget(self) -> int:
        return self.total - self.made

    def at(self, day: date, rng_hours: tuple[int, int] = (8, 19)) -> datetime:
        """A datetime on ``day`` at a seeded time of day (never the wall clock)."""
        return datetime.combine(day, time(self.rng.randint(*rng_hours),
                                          self.rng.randrange(60), self.rng.randrange(60)))

    def default_created(self) -> date:
        """Spread over the history in number order, ending over a month before as_of so
        every package starts before its (due) next bill date."""
        newest = self.as_of - timedelta(days=NEWEST_ACCOUNT_DAYS)
        start = newest - timedelta(days=HISTORY_DAYS)
        # The fixed scenario accounts use a fixed spread so their dates (and so their bill
        # days) do not depend on how many accounts are generated: golive's expected
        # values for them hold for any N.
        spread = 1000 if self.plain_bill_days else max(self.total, 1)
        return start + timedelta(days=HISTORY_DAYS * self.made // spread)

    def monthly_due(self, bill_day: int) -> date:
        """Where a monthly package's next bill date sits before the run (it is due)."""
        return latest_bill_date(self.run_date, bill_day)


def new_account(
    ctx: Ctx,
    scenario: str,
    *,
    first: str | None = None,
    last: str | None = None,
    name: str | None = None,
    parent: Acct | None = None,
    bill_day: int | None = None,
    status: str = "active",
    price_plan: str | None = None,
    past_due_since: date | None = None,
    auto_pay: bool = False,
    created: date | None = None,
    email: str | None = None,
    pii: bool = True,
) -> Acct:
    """An account with its primary contact, optional PII extras and a portal user."""
    rng, pools = ctx.rng, ctx.pools
    created = created or (parent.created if parent else ctx.default_created())
    if bill_day is None:
        bill_day = parent.bill_day if parent else _default_bill_day(ctx, created)
    first = first or pools.first()
    last = last or (parent.last if parent and rng.random() < 0.7 else pools.last())
    name = name or (pools.company() if rng.random() < 0.08 else f"{first} {last}")
    email = email or pools.email(first, last)
    account_id = ctx.buf.next_ids["accounts"]
    number = f"A{account_id:06d}"
    row: dict[str, Any] = {
        "number": number, "name": name, "parent_id": parent.id if parent else None,
        "status": status, "bill_day": bill_day, "balance": Decimal("0.00"),
        "price_plan_id": ctx.cat.price_plans[price_plan] if price_plan else None,
        "past_due_since": past_due_since, "auto_pay": auto_pay,
        "custom_fields": _custom_fields(ctx, first) if pii else None,
        "scenario": scenario, "created_at": ctx.at(created),
    }
    ctx.buf.add("accounts", row)
    ctx.made += 1
    ctx.scenarios[scenario] += 1
    acct = Acct(account_id, number, name, bill_day, created, first, last, email, parent is None,
                row)
    _contact(ctx, acct, first, last, email, primary=True)
    if pii and rng.random() < 0.1:
        f2 = pools.first()
        _contact(ctx, acct, f2, last, pools.email(f2, last), primary=False)
    if pii and rng.random() < 0.35:
        for _ in range(rng.randint(1, 2)):
            add_note(ctx, acct)
    if acct.top_level:
        ctx.buf.add("portal_users", {"account_id": acct.id, "login": number,
                                     "password_hash": ctx.portal_hash})
    return acct


def _default_bill_day(ctx: Ctx, created: date) -> int:
    """Most ISPs bill on the 1st; otherwise the day the account was opened."""
    if ctx.rng.random() < 0.4:
        return 1
    return min(created.day, 28) if ctx.plain_bill_days else created.day


def _contact(ctx: Ctx, acct: Acct, first: str, last: str, email: str, primary: bool) -> None:
    city, postcode = ctx.pools.place()
    ctx.buf.add("contacts", {
        "account_id": acct.id, "first_name": first, "last_name": last, "email": email,
        "phone": ctx.pools.phone(), "street": ctx.pools.street(), "city": city,
        "postcode": postcode, "country": "US", "is_primary": primary,
    })


def _custom_fields(ctx: Ctx, first: str) -> dict[str, Any] | None:
    rng, pools = ctx.rng, ctx.pools
    roll = rng.random()
    if roll < 0.4:
        alt_first, alt_last = pools.first(), pools.last()
        return {
            "alt_contact": {"name": f"{alt_first} {alt_last}", "phone": pools.phone()},
            "installer_notes": f"Gate code {rng.randint(1000, 9999)}; call {first} on "
                               f"{pools.phone()} before arriving.",
            "segment": "residential",
        }
    if roll < 0.8:
        return {"segment": rng.choice(("residential", "residential", "business")),
                "referral": rng.choice(("web", "store", "phone", "partner"))}
    return None


NOTE_TEMPLATES = (
    "{first} {last} called from {phone} to change the billing email to {email}.",
    "Customer read out card {card} to pay the balance by phone; told to use the portal "
    "next time. Callback on {phone}.",
    "Refund requested to IBAN {iban} (holder {first} {last}). Confirmation sent to {email}.",
    "Spoke to {alt} on {alt_phone}, now authorised on the account. {sentence}",
    "Technician visit arranged; contact {first} on {phone}. {sentence}",
    "Complained about slow speeds in the evening. Reach at {email} or {phone}.",
)


def add_note(ctx: Ctx, acct: Acct, template: str | None = None) -> None:
    """A free-text note that embeds PII, as staff really write them."""
    rng, pools = ctx.rng, ctx.pools
    template = template or rng.choice(NOTE_TEMPLATES)
    body = template.format(
        first=acct.first, last=acct.last, phone=pools.phone(), email=acct.email,
        card=rng.choice(READ_OUT_CARDS), iban=pools.iban(),
        alt=f"{pools.first()} {pools.last()}", alt_phone=pools.phone(), sentence=pools.sentence(),
    )
    day = ctx.as_of - timedelta(days=rng.randint(1, 400))
    ctx.buf.add("notes", {"account_id": acct.id, "created_at": ctx.at(max(day, acct.created)),
                          "author": rng.choice(ctx.cat.staff), "body": body})


def add_package(
    ctx: Ctx,
    acct: Acct,
    code: str,
    *,
    next_bill: date | None = None,
    start: date | None = None,
    quantity: int = 1,
    provisioned: bool = True,
    status: str = "active",
    end: date | None = None,
) -> int:
    """A user-package; by default due in the run (recurring) or started just before it."""
    period = ctx.cat.specs[code].period
    if period == "one_off":
        start = start or ctx.as_of - timedelta(days=ctx.rng.randint(0, 14))
        next_bill = next_bill or start
    else:
        next_bill = next_bill or ctx.monthly_due(acct.bill_day)
        start = start or min(acct.created, next_bill)
    return ctx.buf.add("user_packages", {
        "account_id": acct.id, "product_id": ctx.cat.products[code], "start_date": start,
        "end_date": end, "quantity": quantity, "next_bill_date": next_bill, "status": status,
        "provisioned": provisioned,
    })


def add_usage(ctx: Ctx, acct: Acct, minutes: int, records: int | None = None) -> None:
    """Whole-minute usage records dated within the month before as_of, summing to
    exactly ``minutes``."""
    rng = ctx.rng
    if minutes <= 0:
        return
    records = max(1, min(records or rng.randint(2, 8), minutes))
    cuts = sorted(rng.sample(range(1, minutes), records - 1)) if records > 1 else []
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, minutes], strict=True)]
    starts = sorted(
        datetime.combine(ctx.as_of - timedelta(days=rng.randrange(30)),
                         time(rng.randrange(24), rng.randrange(60), rng.randrange(60)))
        for _ in parts
    )
    for started, part in zip(starts, parts, strict=True):
        ctx.buf.add("usage_records", {"account_id": acct.id, "started_at": started,
                                      "minutes": part, "destination": ctx.pools.phone(),
                                      "bill_run_id": None})


def add_card(ctx: Ctx, acct: Acct, outcome: str = "approve") -> None:
    """A stored card; the token's suffix tells the sandbox gateway how to answer."""
    rng = ctx.rng
    suffix = {"approve": "", "decline": "_decline", "nsf": "_nsf"}[outcome]
    ctx.buf.add("payment_methods", {
        "account_id": acct.id, "kind": "card", "holder_name": f"{acct.first} {acct.last}",
        "token": f"tok_{ctx.pools.hex_token()}{suffix}", "card_brand": rng.choice(CARD_BRANDS),
        "card_last4": f"{rng.randrange(10000):04d}",
        "card_expiry": f"{rng.randint(1, 12):02d}/{ctx.as_of.year + rng.randint(1, 5)}",
        "bank_routing": None, "bank_account_masked": None, "is_default": True,
    })


def add_echeck(ctx: Ctx, acct: Acct) -> None:
    ctx.buf.add("payment_methods", {
        "account_id": acct.id, "kind": "echeck", "holder_name": f"{acct.first} {acct.last}",
        "token": f"tok_{ctx.pools.hex_token()}", "card_brand": None, "card_last4": None,
        "card_expiry": None, "bank_routing": ctx.pools.routing(),
        "bank_account_masked": f"******{ctx.rng.randrange(10000):04d}", "is_default": True,
    })


def add_balance(ctx: Ctx, acct: Acct, amount: Decimal, posted: date,
                invoice_due: date | None = None) -> None:
    """An opening balance as a brought-forward adjustment (so balance = sum of
    transactions); with ``invoice_due`` also the open invoice it came from."""
    invoice_id = None
    if invoice_due is not None:
        invoice_id = ctx.buf.add("invoices", {
            "number": f"INV-{posted:%Y%m%d}-{acct.number}", "account_id": acct.id,
            "bill_run_id": None, "issue_date": posted, "due_date": invoice_due,
            "subtotal": amount, "discount_total": Decimal("0.00"), "tax_total": Decimal("0.00"),
            "total": amount, "status": "open", "emailed_to": acct.email,
            "emailed_at": ctx.at(posted),
        })
    ctx.buf.add("transactions", {
        "account_id": acct.id, "bill_run_id": None, "invoice_id": invoice_id,
        "user_package_id": None, "kind": "adjustment", "amount": amount,
        "description": "Balance brought forward", "posted_on": posted, "period_start": None,
        "period_end": None, "created_at": ctx.at(posted),
    })
    acct.row["balance"] = acct.row["balance"] + amount


def add_ticket(ctx: Ctx, acct: Acct) -> None:
    """A support ticket (its body carries PII), sometimes with a work order."""
    rng = ctx.rng
    subject = rng.choice(("No internet since this morning", "Question about my bill",
                          "TV channels missing", "Move service to a new address",
                          "Voicemail not working"))
    opened = ctx.as_of - timedelta(days=rng.randint(1, 60))
    status = rng.choice(("open", "open", "closed", "pending"))
    ticket_id = ctx.buf.add("tickets", {
        "account_id": acct.id, "subject": subject,
        "body": f"{acct.first} {acct.last} ({acct.email}, {ctx.pools.phone()}) reports: "
                f"{subject.lower()}. {ctx.pools.sentence()}",
        "status": status, "priority": rng.choice(("low", "normal", "normal", "high")),
        "created_by": rng.choice(("support", "sales", "admin")),
        "created_at": ctx.at(opened), "updated_at": ctx.at(opened + timedelta(days=1)),
    })
    if rng.random() < 0.5:
        ctx.buf.add("work_orders", {
            "account_id": acct.id, "ticket_id": ticket_id,
            "description": f"Site visit at {ctx.pools.street()}; ask for {acct.first}.",
            "status": "closed" if status == "closed" else "open", "assigned_to": "support",
            "created_at": ctx.at(opened + timedelta(days=1)),
        })
