"""The named account configurations: the seed's two examples (Bob Smith, Jane Doe), one of
every diverse-account scenario, and the weighted random mix that fills the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from demo.calendar import add_months, clamp_day, latest_bill_date
from demo.generate.builder import (
    Acct,
    Ctx,
    add_balance,
    add_card,
    add_echeck,
    add_note,
    add_package,
    add_ticket,
    add_usage,
    new_account,
)

Builder = Callable[[Ctx], None]

BOB = "bob-smith-ten-packages"
JANE = "jane-doe-pooled-minutes"
JANE_INCLUDED, JANE_USED = 1000, 1180
JANE_CHILD_MINUTES = (300, 260, 240, 200, 180)  # sums to JANE_USED


def _internet(ctx: Ctx) -> str:
    return ctx.rng.choice(("NET-100", "NET-100", "NET-500", "NET-500", "NET-1000"))


def _minutes_of(ctx: Ctx, code: str) -> int:
    return ctx.cat.specs[code].minutes


def bob_smith(ctx: Ctx) -> None:
    """Ten packages: 4 monthly, 1 quarterly, 2 yearly (one due, one not), 3 one-off."""
    bob = new_account(ctx, BOB, first="Bob", last="Smith", name="Bob Smith", bill_day=1,
                      email=f"bob.smith@{ctx.pools.domains[0]}")
    due = ctx.monthly_due(1)
    for code in ("NET-1000", "VOICE-1000", "TV-PREMIUM", "STATIC-IP"):
        add_package(ctx, bob, code)
    add_package(ctx, bob, "SECURITY-Q", next_bill=due)
    add_package(ctx, bob, "DOMAIN-Y", next_bill=due)
    add_package(ctx, bob, "SUPPORT-Y", next_bill=add_months(due, 6, 1))
    moved_in = ctx.run_date - timedelta(days=6)
    for code in ("INSTALL", "ROUTER", "DEPOSIT"):
        add_package(ctx, bob, code, start=moved_in)
    add_usage(ctx, bob, 420, 9)
    add_card(ctx, bob)


def jane_doe(ctx: Ctx) -> None:
    """A parent holding the family's minutes and five lines that use them past the pool."""
    jane = new_account(ctx, JANE, first="Jane", last="Doe", name="Jane Doe", bill_day=1,
                       email=f"jane.doe@{ctx.pools.domains[-1]}")
    add_package(ctx, jane, "VOICE-FAMILY-1000")
    add_package(ctx, jane, "NET-500")
    for line, minutes in enumerate(JANE_CHILD_MINUTES, start=1):
        child = new_account(ctx, "pooled-child", last="Doe", name=f"Jane Doe – Line {line}",
                            parent=jane)
        add_package(ctx, child, "VOICE-LINE")
        add_usage(ctx, child, minutes, 4)


def family(ctx: Ctx, children: int | None = None, scenario: str = "family-pool",
           over: bool | None = None) -> Acct:
    """A parent with a shared minute package and 1-4 lines using the pool."""
    rng = ctx.rng
    children = children if children is not None else min(rng.randint(1, 4), ctx.budget - 1)
    parent = new_account(ctx, scenario)
    add_package(ctx, parent, "VOICE-FAMILY-1000")
    add_package(ctx, parent, _internet(ctx))
    over = over if over is not None else rng.random() < 0.1
    total = rng.randint(1010, 1400) if over else rng.randint(200, 950)
    share = total // max(children, 1)
    for line in range(1, children + 1):
        child = new_account(ctx, "pooled-child", name=f"{parent.name} – Line {line}",
                            parent=parent)
        add_package(ctx, child, "VOICE-LINE")
        add_usage(ctx, child, share)
    return parent


def random_family(ctx: Ctx) -> None:
    """A family of random size, for the random mix."""
    family(ctx)


def child_without_packages(ctx: Ctx) -> None:
    """A family whose second child has no packages of its own but still uses minutes."""
    parent = family(ctx, children=1, over=False)
    child = new_account(ctx, "child-without-packages", name=f"{parent.name} – Tablet",
                        parent=parent)
    add_usage(ctx, child, ctx.rng.randint(20, 90), 3)


def standard(ctx: Ctx) -> None:
    """A mostly-internet household with a random bundle, usage on minute packages."""
    rng = ctx.rng
    acct = new_account(ctx, "standard")
    codes = []
    if rng.random() < 0.85:
        codes.append(_internet(ctx))
    if rng.random() < 0.4:
        codes.append(rng.choice(("VOICE-300", "VOICE-300", "VOICE-1000")))
    if rng.random() < 0.3:
        codes.append(rng.choice(("TV-BASIC", "TV-BASIC", "TV-PREMIUM")))
    for code, share in (("ROUTER-RENT", 0.2), ("STATIC-IP", 0.05)):
        if rng.random() < share:
            codes.append(code)
    codes = codes or ["NET-100"]
    for code in codes:
        add_package(ctx, acct, code)
        minutes = _minutes_of(ctx, code)
        if minutes and rng.random() < 0.85:
            add_usage(ctx, acct, rng.randint(minutes // 10, minutes * 8 // 10))
    if rng.random() < 0.05:
        add_package(ctx, acct, "SECURITY-Q",
                    next_bill=add_months(ctx.monthly_due(acct.bill_day), rng.randrange(3),
                                         acct.bill_day))
    if rng.random() < 0.03:
        add_package(ctx, acct, "DOMAIN-Y",
                    next_bill=add_months(ctx.monthly_due(acct.bill_day), rng.randrange(12),
                                         acct.bill_day))
    if rng.random() < 0.2:
        add_card(ctx, acct)
    if rng.random() < 0.1:
        amount = Decimal(rng.randint(500, 9000)) / 100
        add_balance(ctx, acct, amount, ctx.as_of - timedelta(days=rng.randint(3, 12)))
    if rng.random() < 0.03:
        add_ticket(ctx, acct)


def discounted_percent(ctx: Ctx) -> None:
    acct = new_account(ctx, "discounted-percent")
    add_package(ctx, acct, "NET-500")
    _discount(ctx, acct, "LOYAL10")


def discounted_fixed(ctx: Ctx) -> None:
    acct = new_account(ctx, "discounted-fixed")
    add_package(ctx, acct, "TV-PREMIUM")
    add_package(ctx, acct, "NET-100")
    _discount(ctx, acct, "TVFIVE")


def invoice_discount(ctx: Ctx, code: str = "BUNDLE5") -> None:
    acct = new_account(ctx, "invoice-discount")
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "TV-BASIC")
    _discount(ctx, acct, code)


def invoice_discount_any(ctx: Ctx) -> None:
    """Percent or fixed invoice discount, for the random mix."""
    invoice_discount(ctx, ctx.rng.choice(("BUNDLE5", "WELCOME10")))


def _discount(ctx: Ctx, acct: Acct, code: str) -> None:
    ctx.buf.add("account_discounts", {"account_id": acct.id,
                                      "discount_id": ctx.cat.discounts[code]})


def special_price_plan(ctx: Ctx) -> None:
    acct = new_account(ctx, "special-price-plan", price_plan="Senior")
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "VOICE-300")
    add_usage(ctx, acct, ctx.rng.randint(50, 250))


def quarterly(ctx: Ctx) -> None:
    acct = new_account(ctx, "quarterly")
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "SPORTS-Q")
    add_package(ctx, acct, "SECURITY-Q")


def yearly_due(ctx: Ctx) -> None:
    acct = new_account(ctx, "yearly-due")
    add_package(ctx, acct, "NET-500-Y")
    add_package(ctx, acct, "DOMAIN-Y")


def yearly_not_due(ctx: Ctx) -> None:
    """Only yearly packages billed months ago: the run must not bill this account."""
    acct = new_account(ctx, "yearly-not-due")
    due = ctx.monthly_due(acct.bill_day)
    add_package(ctx, acct, "NET-500-Y",
                next_bill=add_months(due, ctx.rng.randint(2, 10), acct.bill_day))
    add_package(ctx, acct, "DOMAIN-Y",
                next_bill=add_months(due, ctx.rng.randint(1, 11), acct.bill_day))


def one_off(ctx: Ctx) -> None:
    acct = new_account(ctx, "one-off")
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "ACTIVATION")
    add_package(ctx, acct, "ROUTER")


def past_due(ctx: Ctx, days: int = 45, scenario: str = "past-due") -> None:
    """Active with an invoice overdue ``days`` before the run (over 30: suspended)."""
    since = ctx.run_date - timedelta(days=days)
    acct = new_account(ctx, scenario, past_due_since=since)
    add_package(ctx, acct, _internet(ctx))
    add_package(ctx, acct, "TV-BASIC")
    add_balance(ctx, acct, Decimal(ctx.rng.randint(4000, 15000)) / 100,
                since - timedelta(days=14), invoice_due=since)
    add_note(ctx, acct, "Payment reminder sent to {email}; promised to pay, call {phone}.")


def past_due_grace(ctx: Ctx) -> None:
    past_due(ctx, days=12, scenario="past-due-grace")


def suspended(ctx: Ctx) -> None:
    since = ctx.run_date - timedelta(days=80)
    acct = new_account(ctx, "suspended", status="suspended", past_due_since=since)
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "VOICE-300")
    add_balance(ctx, acct, Decimal(ctx.rng.randint(8000, 25000)) / 100,
                since - timedelta(days=14), invoice_due=since)


def closed(ctx: Ctx) -> None:
    acct = new_account(ctx, "closed", status="closed")
    ended = max(ctx.as_of - timedelta(days=ctx.rng.randint(40, 300)),
                acct.created + timedelta(days=40))
    last_billed = latest_bill_date(ended, acct.bill_day)
    for code in ("NET-100", "TV-BASIC"):
        add_package(ctx, acct, code, status="cancelled", end=ended,
                    next_bill=add_months(last_billed, 1, acct.bill_day), start=acct.created)


def card_autopay(ctx: Ctx, outcome: str = "approve", scenario: str = "card-autopay") -> None:
    acct = new_account(ctx, scenario, auto_pay=True)
    add_package(ctx, acct, _internet(ctx))
    add_package(ctx, acct, "TV-BASIC")
    add_card(ctx, acct, outcome)


def card_declined(ctx: Ctx) -> None:
    card_autopay(ctx, "decline", "card-declined")


def echeck_autopay(ctx: Ctx) -> None:
    acct = new_account(ctx, "echeck-autopay", auto_pay=True)
    add_package(ctx, acct, _internet(ctx))
    add_echeck(ctx, acct)


def no_usage(ctx: Ctx) -> None:
    acct = new_account(ctx, "no-usage")
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "VOICE-300")


def heavy_overage(ctx: Ctx) -> None:
    acct = new_account(ctx, "heavy-overage")
    add_package(ctx, acct, "VOICE-300")
    add_usage(ctx, acct, _minutes_of(ctx, "VOICE-300") + ctx.rng.randint(120, 400), 12)


def bill_day_31(ctx: Ctx) -> None:
    acct = new_account(ctx, "bill-day-31", bill_day=31)
    add_package(ctx, acct, "NET-500")
    add_package(ctx, acct, "VOICE-300")
    add_usage(ctx, acct, ctx.rng.randint(30, 200))


def leap_day(ctx: Ctx) -> None:
    """Bill day 29 with a yearly package started on the last 29 February."""
    leap = _last_leap_day(ctx.as_of)
    acct = new_account(ctx, "leap-day", bill_day=29, created=leap - timedelta(days=9))
    year = leap.year + 1
    while clamp_day(year, 2, 29) <= ctx.run_date:
        year += 1
    add_package(ctx, acct, "NET-500-Y", start=leap, next_bill=clamp_day(year, 2, 29))
    add_package(ctx, acct, "TV-BASIC", start=leap)


def _last_leap_day(on_or_before: date) -> date:
    year = on_or_before.year
    while True:
        leap = clamp_day(year, 2, 29)
        if leap.day == 29 and leap <= on_or_before:
            return leap
        year -= 1


def new_unprovisioned(ctx: Ctx) -> None:
    """A package that started before the run but was never provisioned: activate it."""
    acct = new_account(ctx, "new-package-unprovisioned", bill_day=1)
    add_package(ctx, acct, "NET-100")
    add_package(ctx, acct, "TV-BASIC", start=ctx.run_date - timedelta(days=5),
                provisioned=False)


def business(ctx: Ctx) -> None:
    acct = new_account(ctx, "business", name=ctx.pools.company(), price_plan="Business")
    add_package(ctx, acct, "NET-1000")
    add_package(ctx, acct, "STATIC-IP", quantity=ctx.rng.randint(2, 5))
    add_package(ctx, acct, "VOICE-1000", quantity=2)
    add_package(ctx, acct, "SUPPORT-Y", next_bill=add_months(ctx.monthly_due(acct.bill_day),
                                                             ctx.rng.randrange(12),
                                                             acct.bill_day))
    add_usage(ctx, acct, ctx.rng.randint(300, 1800))
    add_ticket(ctx, acct)


# (builder, accounts it makes) in the order they are made after Bob and Jane.
FIXED: tuple[tuple[Builder, int], ...] = (
    (discounted_percent, 1),
    (discounted_fixed, 1),
    (invoice_discount, 1),
    (special_price_plan, 1),
    (quarterly, 1),
    (yearly_due, 1),
    (yearly_not_due, 1),
    (one_off, 1),
    (past_due, 1),
    (past_due_grace, 1),
    (suspended, 1),
    (closed, 1),
    (card_autopay, 1),
    (card_declined, 1),
    (echeck_autopay, 1),
    (child_without_packages, 3),
    (no_usage, 1),
    (heavy_overage, 1),
    (bill_day_31, 1),
    (leap_day, 1),
    (new_unprovisioned, 1),
    (business, 1),
)

REQUIRED_SCENARIOS = (
    BOB, JANE, "discounted-percent", "discounted-fixed", "invoice-discount",
    "special-price-plan", "quarterly", "yearly-due", "yearly-not-due", "one-off", "past-due",
    "suspended", "closed", "card-autopay", "echeck-autopay", "child-without-packages",
    "no-usage", "heavy-overage", "bill-day-31", "leap-day", "new-package-unprovisioned",
)

# The random mix: (builder, weight); families are built whole.
MIX: tuple[tuple[Builder, float], ...] = (
    (standard, 72.0),
    (random_family, 7.0),
    (card_autopay, 7.0),
    (card_declined, 0.3),
    (echeck_autopay, 3.0),
    (discounted_percent, 1.0),
    (discounted_fixed, 1.0),
    (invoice_discount_any, 1.0),
    (special_price_plan, 2.0),
    (quarterly, 1.0),
    (yearly_due, 0.5),
    (yearly_not_due, 1.0),
    (one_off, 1.0),
    (past_due, 0.5),
    (suspended, 0.5),
    (closed, 1.0),
    (heavy_overage, 1.0),
    (business, 1.0),
)

SEED_ACCOUNTS = 1 + 1 + len(JANE_CHILD_MINUTES)
FULL_SCENARIO_ACCOUNTS = SEED_ACCOUNTS + sum(size for _, size in FIXED)


def build_all(ctx: Ctx, on_account: Callable[[], None]) -> None:
    """Make ``ctx.total`` accounts: Bob, Jane's family, the fixed scenarios (as far as the
    total allows), then the random mix. ``on_account`` runs after each builder."""
    ctx.plain_bill_days = True  # fixed accounts: the same rows whatever the total
    bob_smith(ctx)
    jane_doe(ctx)
    on_account()
    for builder, size in FIXED:
        if ctx.budget < size:
            break
        builder(ctx)
        on_account()
    ctx.plain_bill_days = False
    builders = [b for b, _ in MIX]
    weights = [w for _, w in MIX]
    while ctx.budget > 0:
        builder = ctx.rng.choices(builders, weights)[0]
        if builder is random_family and ctx.budget < 2:
            builder = standard
        builder(ctx)
        on_account()
