"""Recurring charges (README rules 1–3): price, catch-up of missed periods, next bill date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from demo.billing.loaders import AccountRow, DuePackage
from demo.billing.money import cents
from demo.calendar import add_months, add_period
from demo.releases import Fault, Release

MAX_CATCH_UP = 240  # periods; a guard against a next bill date decades in the past


@dataclass(frozen=True)
class ChargeLine:
    account_id: int
    user_package_id: int
    product_id: int
    taxable: bool
    amount: Decimal
    description: str
    period_start: dt.date
    period_end: dt.date


@dataclass(frozen=True)
class PackageBilling:
    """What one due package produced: its charges and where its next bill date moves."""

    charges: list[ChargeLine]
    next_bill_date: dt.date | None


def next_bill_date(d: dt.date, period: str, bill_day: int, release: Release) -> dt.date | None:
    """README rule 3 (the month-end rule lives in demo.calendar)."""
    # REGRESSION(yearly-one-month): yearly packages advance by one month, not twelve.
    if period == "yearly" and release.has(Fault.YEARLY_ONE_MONTH):
        return add_months(d, 1, bill_day)
    return add_period(d, period, bill_day)


def unit_price(
    pkg: DuePackage, account: AccountRow, plan_prices: dict[tuple[int, int], Decimal]
) -> Decimal:
    """The price plan's special price for the product if it has one, else the list price."""
    if account.price_plan_id is not None:
        special = plan_prices.get((account.price_plan_id, pkg.product_id))
        if special is not None:
            return Decimal(special)
    return Decimal(pkg.list_price)


def bill_package(
    pkg: DuePackage,
    account: AccountRow,
    plan_prices: dict[tuple[int, int], Decimal],
    run_date: dt.date,
    release: Release,
) -> PackageBilling:
    """One charge per period due on or before ``run_date`` (catch-up), and the new next
    bill date. A package whose end date falls before a period starts stops there."""
    amount = cents(unit_price(pkg, account, plan_prices) * pkg.quantity)
    charges: list[ChargeLine] = []
    due: dt.date | None = pkg.next_bill_date
    while (
        due is not None
        and due <= run_date
        and (pkg.end_date is None or pkg.end_date >= due)
        and len(charges) < MAX_CATCH_UP
    ):
        following = next_bill_date(due, pkg.period, account.bill_day, release)
        period_end = following - dt.timedelta(days=1) if following is not None else due
        qty = f"{pkg.quantity} × " if pkg.quantity != 1 else ""
        charges.append(
            ChargeLine(
                account_id=pkg.account_id,
                user_package_id=pkg.id,
                product_id=pkg.product_id,
                taxable=pkg.taxable,
                amount=amount,
                description=f"{qty}{pkg.name} ({pkg.period}) {due.isoformat()}"
                f"–{period_end.isoformat()}"[:300],
                period_start=due,
                period_end=period_end,
            )
        )
        due = following
    return PackageBilling(charges, due)
