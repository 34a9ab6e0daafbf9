"""The demo target's core reads: accounts, packages, the run's transactions and invoices,
the event log, billing settings and bill runs — plain queries on `demo.models`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from demo.models import (
    Account,
    BillingSetting,
    BillRun,
    EventLog,
    Invoice,
    Product,
    Transaction,
    UserPackage,
)
from harness.safety import safe_dsn
from harness.targets.base import TargetError
from harness.targets.demo.database import DemoDatabase, local_naive
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    PackageView,
    TransactionView,
)


class DemoCore:
    """The questions every target answers, on the demo's database."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def account(self, ref: str) -> AccountView | None:
        with self.db.session() as session:
            account_id = self.db.account_id(session, ref)
            if account_id is None:
                return None
            acct = session.get(Account, account_id)
            assert acct is not None
            parent = session.get(Account, acct.parent_id) if acct.parent_id else None
            return AccountView(number=acct.number, name=acct.name, status=acct.status,
                               balance=Decimal(acct.balance),
                               parent_number=parent.number if parent else None,
                               bill_day=acct.bill_day)

    def packages(self, ref: str) -> list[PackageView]:
        with self.db.session() as session:
            rows = session.execute(
                select(UserPackage, Product).join(Product, Product.id == UserPackage.product_id)
                .where(UserPackage.account_id == self.db.require(session, ref))
                .order_by(Product.code, UserPackage.id)
            ).all()
            return [PackageView(code=p.code, name=p.name, period=p.period, quantity=up.quantity,
                                next_bill_date=up.next_bill_date, status=up.status,
                                provisioned=bool(up.provisioned))
                    for up, p in rows]

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        with self.db.session() as session:
            query = select(Transaction).where(
                Transaction.account_id == self.db.require(session, ref))
            if bill_run_id is not None:
                query = query.where(Transaction.bill_run_id == bill_run_id)
            return [TransactionView(kind=t.kind, amount=Decimal(t.amount),
                                    description=t.description, posted_on=t.posted_on,
                                    bill_run_id=t.bill_run_id)
                    for t in session.scalars(query.order_by(Transaction.id))]

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        with self.db.session() as session:
            query = select(Invoice).where(Invoice.account_id == self.db.require(session, ref))
            if bill_run_id is not None:
                query = query.where(Invoice.bill_run_id == bill_run_id)
            return [InvoiceView(number=i.number, issue_date=i.issue_date, due_date=i.due_date,
                                subtotal=Decimal(i.subtotal),
                                discount_total=Decimal(i.discount_total),
                                tax_total=Decimal(i.tax_total), total=Decimal(i.total),
                                status=i.status, bill_run_id=i.bill_run_id)
                    for i in session.scalars(query.order_by(Invoice.id))]

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        acct = aliased(Account)
        with self.db.session() as session:
            rows = session.execute(
                select(EventLog, acct.number).outerjoin(acct, acct.id == EventLog.account_id)
                .where(EventLog.at >= local_naive(since), EventLog.level.in_(list(levels)))
                .order_by(EventLog.at, EventLog.id)
            ).all()
            return [EventView(at=e.at, level=e.level, source=e.source, message=e.message,
                              account=number) for e, number in rows]

    def billing_settings(self) -> dict[str, str]:
        with self.db.session() as session:
            return {s.key: s.value for s in session.scalars(select(BillingSetting))}

    def latest_bill_run(self) -> BillRunView | None:
        with self.db.session() as session:
            last = session.scalar(select(func.max(BillRun.id)))
        return None if last is None else self.bill_run(int(last))

    def bill_run(self, bill_run_id: int) -> BillRunView:
        with self.db.session() as session:
            run = session.get(BillRun, bill_run_id)
            if run is None:
                raise TargetError(f"bill run #{bill_run_id} is not in {safe_dsn(self.db.dsn)}")
            return BillRunView(id=run.id, run_date=run.run_date, status=run.status,
                               started_at=run.started_at, finished_at=run.finished_at,
                               accounts_billed=run.accounts_billed, invoices=run.invoices,
                               errors=run.errors, total=Decimal(run.total))
