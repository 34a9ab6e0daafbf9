"""Reads and writes the portals share: balances, bill dates, usage, new accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from demo.models import (
    Account,
    BillRun,
    Contact,
    Invoice,
    MinuteBucket,
    Product,
    UsageRecord,
    UserPackage,
)
from demo.releases import Fault, Release

SEARCH_LIMIT = 50


def account_by_number(db: Session, number: str) -> Account | None:
    return db.scalar(select(Account).where(Account.number == number))


def search_accounts(db: Session, query: str) -> list[Account]:
    """Accounts whose number starts with, or whose name contains, ``query``."""
    q = query.strip()
    stmt = select(Account).order_by(Account.number).limit(SEARCH_LIMIT)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(
                Account.number.ilike(f"{escaped}%", escape="\\"),
                Account.name.ilike(f"%{escaped}%", escape="\\"),
            )
        )
    return list(db.scalars(stmt))


def primary_contact(db: Session, account_id: int) -> Contact | None:
    return db.scalar(
        select(Contact)
        .where(Contact.account_id == account_id)
        .order_by(Contact.is_primary.desc(), Contact.id)
        .limit(1)
    )


def next_bill_date(db: Session, account_id: int) -> dt.date | None:
    """The earliest next bill date of the account's active packages."""
    return db.scalar(
        select(func.min(UserPackage.next_bill_date)).where(
            UserPackage.account_id == account_id,
            UserPackage.status == "active",
            UserPackage.next_bill_date.is_not(None),
        )
    )


def portal_balance(db: Session, account: Account, release: Release) -> Decimal:
    """The balance the customer portal shows."""
    balance = Decimal(account.balance)
    # REGRESSION(portal-stale-balance): the portal reads a balance cached before the
    # latest bill run, i.e. without that run's invoices.
    if release.has(Fault.PORTAL_STALE_BALANCE):
        latest = db.scalar(select(BillRun.id).order_by(BillRun.run_date.desc(), BillRun.id.desc()))
        if latest is not None:
            billed = db.scalar(
                select(func.coalesce(func.sum(Invoice.total), 0)).where(
                    Invoice.account_id == account.id, Invoice.bill_run_id == latest
                )
            )
            balance -= Decimal(billed or 0)
    return balance


def next_account_number(db: Session) -> str:
    """The next free account number (A000001, A000002, …)."""
    highest = db.scalar(select(func.max(Account.number)).where(Account.number.like("A%")))
    current = int(highest[1:]) if highest and highest[1:].isdigit() else 0
    return f"A{current + 1:06d}"


def catalog(db: Session) -> list[Product]:
    return list(db.scalars(select(Product).order_by(Product.name)))


def add_package(
    db: Session, account: Account, product: Product, start: dt.date, quantity: int = 1
) -> UserPackage:
    """Subscribe ``account`` to ``product`` from ``start``; billed first on ``start``."""
    package = UserPackage(
        account_id=account.id,
        product_id=product.id,
        start_date=start,
        quantity=quantity,
        next_bill_date=start,
        status="active",
        provisioned=product.service is None,
    )
    db.add(package)
    return package


@dataclass(frozen=True)
class UsageDay:
    day: dt.date
    calls: int
    minutes: int


def usage_by_day(db: Session, account_id: int) -> list[UsageDay]:
    """Usage records summed per day (grouped in Python: same on SQLite and PostgreSQL)."""
    days: dict[dt.date, list[int]] = {}
    rows = db.execute(
        select(UsageRecord.started_at, UsageRecord.minutes)
        .where(UsageRecord.account_id == account_id)
        .order_by(UsageRecord.started_at)
    )
    for started_at, minutes in rows:
        totals = days.setdefault(started_at.date(), [0, 0])
        totals[0] += 1
        totals[1] += minutes
    return [UsageDay(day, calls, minutes) for day, (calls, minutes) in sorted(days.items())]


def pool_owner(db: Session, account: Account) -> Account:
    """The top-level account whose pool of minutes this account shares."""
    seen = {account.id}
    while account.parent_id is not None and account.parent_id not in seen:
        parent = db.get(Account, account.parent_id)
        if parent is None:
            break
        seen.add(parent.id)
        account = parent
    return account


def current_bucket(db: Session, owner: Account) -> MinuteBucket | None:
    return db.scalar(
        select(MinuteBucket)
        .where(MinuteBucket.account_id == owner.id)
        .order_by(MinuteBucket.period_start.desc(), MinuteBucket.id.desc())
        .limit(1)
    )
