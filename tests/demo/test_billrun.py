"""The bill run's arithmetic and its deliveries, on SQLite and on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from demo.billing import BillingConfigError, run_bill_run
from demo.db import session_factory
from demo.gateway import GatewayServer
from demo.models import (
    Account,
    BillingSetting,
    BillRun,
    EventLog,
    Invoice,
    MinuteBucket,
    Payment,
    ProvisioningRequest,
    Transaction,
    UsageRecord,
    UserPackage,
)
from demo.releases import get_release
from tests.demo.billing_fixtures import (
    D,
    build,
    http_sink,
    new_db,
    point_outbound,
    smtp_sink,
)

R11 = get_release("1.1")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = new_db(db_url)
    yield engine
    engine.dispose()


def s(engine: Engine) -> Session:
    return session_factory(engine)()


def txns(engine: Engine, number: str) -> list[tuple[str, Decimal]]:
    with s(engine) as session:
        rows = session.execute(
            select(Transaction.kind, Transaction.amount)
            .join(Account, Account.id == Transaction.account_id)
            .where(Account.number == number)
            .order_by(Transaction.id)
        )
        return [(k, Decimal(a)) for k, a in rows]


def account(engine: Engine, number: str) -> Account:
    with s(engine) as session:
        return session.scalars(select(Account).where(Account.number == number)).one()


def nbd(engine: Engine, up_id: int) -> dt.date | None:
    with s(engine) as session:
        return session.get(UserPackage, up_id).next_bill_date  # type: ignore[union-attr]


def count(engine: Engine, model: type) -> int:
    with s(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_price_plan_quantity_discounts_and_tax(engine: Engine) -> None:
    with build(engine) as b:
        inet = b.product("inet", price="40.00", service="internet")
        plan = b.plan("gold", {inet: "30.00"})
        a = b.account(plan=plan)
        up = b.package(a, inet, quantity=2)
        b.discount(a, "INET10", "percent", "10", product=inet)
        b.discount(a, "WELCOME5", "fixed", "5.00")
        other = b.account()
        tv = b.product("tv", price="20.00", taxable=False)
        b.package(other, tv)
        b.discount(other, "TVFREE", "fixed", "50.00", product=tv)
    result = run_bill_run(engine, D, R11)
    # 2 × 30.00 plan price; −6.00 (10 %); −5.00 invoice; tax 10 % of 49.00.
    assert txns(engine, "A000001") == [
        ("charge", Decimal("60.00")),
        ("discount", Decimal("-6.00")),
        ("discount", Decimal("-5.00")),
        ("tax", Decimal("4.90")),
    ]
    assert account(engine, "A000001").balance == Decimal("53.90")
    # A fixed product discount never exceeds the charge; nothing taxable is left.
    assert txns(engine, "A000002") == [
        ("charge", Decimal("20.00")), ("discount", Decimal("-20.00"))]
    with s(engine) as session:
        inv = session.scalars(select(Invoice).where(Invoice.account_id == a.id)).one()
        assert inv.number == "INV-20261101-A000001"
        assert inv.due_date == dt.date(2026, 11, 15)
        assert (inv.subtotal, inv.discount_total, inv.tax_total, inv.total) == (
            Decimal("60.00"), Decimal("11.00"), Decimal("4.90"), Decimal("53.90"))
        charge = session.scalars(select(Transaction).where(
            Transaction.account_id == a.id, Transaction.kind == "charge")).one()
        assert (charge.period_start, charge.period_end) == (D, dt.date(2026, 11, 30))
        assert charge.invoice_id == inv.id and charge.bill_run_id == result.bill_run_id
        run = session.get(BillRun, result.bill_run_id)
        assert run is not None and run.status == "done" and run.invoices == 2
    assert nbd(engine, up.id) == dt.date(2026, 12, 1)
    assert result.invoices == 2 and result.total == Decimal("53.90")


def test_pooled_minutes_across_parent_and_children(engine: Engine) -> None:
    with build(engine) as b:
        voice = b.product("voice", price="25.00", minutes=100, rate="0.10")
        voice2 = b.product("voice2", price="15.00", minutes=50, rate="0.20")
        parent = b.account()
        c1 = b.account(parent=parent)
        c2 = b.account(parent=parent)
        b.package(parent, voice)
        b.package(c1, voice2)
        b.usage(parent, 60, dt.datetime(2026, 10, 3, 8))
        b.usage(c1, 70, dt.datetime(2026, 10, 4, 8))
        b.usage(c2, 40, dt.datetime(2026, 11, 1, 23, 59))
        late = b.usage(c2, 500, dt.datetime(2026, 11, 2, 0, 1))  # after D: not rated yet
    run_bill_run(engine, D, R11)
    # 170 used of 150 pooled minutes; 20 over at the pool's highest rate 0.20, to the payer.
    assert txns(engine, parent.number) == [
        ("charge", Decimal("25.00")), ("usage", Decimal("4.00")), ("tax", Decimal("2.90"))]
    assert txns(engine, c1.number) == [("charge", Decimal("15.00")), ("tax", Decimal("1.50"))]
    assert txns(engine, c2.number) == []
    with s(engine) as session:
        bucket = session.scalars(select(MinuteBucket)).one()
        assert (bucket.account_id, bucket.included_minutes, bucket.used_minutes,
                bucket.overage_minutes) == (parent.id, 150, 170, 20)
        unrated = session.scalars(select(UsageRecord.id).where(UsageRecord.bill_run_id.is_(None)))
        assert list(unrated) == [late.id]


def test_pool_without_minutes_uses_default_rate(engine: Engine) -> None:
    with build(engine) as b:
        a = b.account()
        b.package(a, b.product("inet", price="10.00"))
        b.usage(a, 30)
    run_bill_run(engine, D, R11)
    assert ("usage", Decimal("1.50")) in txns(engine, a.number)  # 30 × 0.05 default


def test_catch_up_closed_suspended_one_off_and_periods(engine: Engine) -> None:
    with build(engine) as b:
        monthly = b.product("basic", price="10.00")
        yearly = b.product("annual", period="yearly", price="120.00")
        quarterly = b.product("quarter", period="quarterly", price="30.00")
        once = b.product("install", period="one_off", price="99.00")
        behind = b.account()
        up_behind = b.package(behind, monthly, next_bill_date=dt.date(2026, 9, 1))
        closed = b.account(status="closed")
        up_closed = b.package(closed, monthly)
        suspended = b.account(status="suspended")
        b.package(suspended, monthly)
        mixed = b.account()
        up_year = b.package(mixed, yearly)
        up_quarter = b.package(mixed, quarterly)
        up_once = b.package(mixed, once)
        day31 = b.account(bill_day=31)
        up31 = b.package(day31, monthly, next_bill_date=dt.date(2026, 10, 31))
        future = b.account()
        up_future = b.package(future, monthly, next_bill_date=dt.date(2026, 11, 2))
        ended = b.account()
        b.package(ended, monthly, end=dt.date(2026, 10, 31))
    run_bill_run(engine, D, R11)
    with s(engine) as session:
        periods = session.execute(
            select(Transaction.period_start, Transaction.period_end)
            .where(Transaction.user_package_id == up_behind.id).order_by(Transaction.id)
        ).all()
    assert [tuple(p) for p in periods] == [
        (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ]
    assert nbd(engine, up_behind.id) == dt.date(2026, 12, 1)
    assert txns(engine, closed.number) == []
    assert nbd(engine, up_closed.id) == D
    assert txns(engine, suspended.number)[0] == ("charge", Decimal("10.00"))
    assert nbd(engine, up_year.id) == dt.date(2027, 11, 1)
    assert nbd(engine, up_quarter.id) == dt.date(2027, 2, 1)
    assert nbd(engine, up_once.id) is None
    assert nbd(engine, up31.id) == dt.date(2026, 11, 30)
    assert nbd(engine, up_future.id) == dt.date(2026, 11, 2)
    assert txns(engine, future.number) == []
    assert txns(engine, ended.number) == []
    charges_of_mixed = [a for k, a in txns(engine, mixed.number) if k == "charge"]
    assert charges_of_mixed == [Decimal("120.00"), Decimal("30.00"), Decimal("99.00")]
    # The one-off is billed once: a run a month later charges only what recurs.
    run_bill_run(engine, dt.date(2026, 12, 1), R11)
    assert [a for k, a in txns(engine, mixed.number) if k == "charge"] == charges_of_mixed


def test_second_run_for_the_same_date_bills_nothing(engine: Engine) -> None:
    with build(engine) as b:
        voice = b.product("voice", price="25.00", minutes=10, rate="0.10")
        a = b.account()
        b.package(a, voice)
        b.usage(a, 30)
    first = run_bill_run(engine, D, R11)
    before = (count(engine, Transaction), count(engine, Invoice), count(engine, MinuteBucket))
    balance = account(engine, a.number).balance
    second = run_bill_run(engine, D, R11)
    assert first.invoices == 1 and second.invoices == 0
    assert (count(engine, Transaction), count(engine, Invoice),
            count(engine, MinuteBucket)) == before
    assert account(engine, a.number).balance == balance
    # Usage imported after the first run is rated by the next, against what is left.
    with build(engine) as b:
        b.usage(account(engine, a.number), 5)
    third = run_bill_run(engine, D, R11)
    assert third.invoices == 1
    assert txns(engine, a.number)[-2:] == [("usage", Decimal("0.50")), ("tax", Decimal("0.05"))]
    with s(engine) as session:
        bucket = session.scalars(select(MinuteBucket)).one()
        assert (bucket.used_minutes, bucket.overage_minutes) == (35, 25)
        numbers = sorted(session.scalars(select(Invoice.number)))
    assert numbers == ["INV-20261101-A000001", "INV-20261101-A000001-2"]


def test_past_due_suspension_and_late_fee(engine: Engine) -> None:
    with build(engine) as b:
        inet = b.product("inet", price="40.00", service="internet")
        b.late_fee("7.50")
        overdue = b.account(past_due_since=dt.date(2026, 9, 15))  # 47 days > 30
        up = b.package(overdue, inet)
        recent = b.account(past_due_since=dt.date(2026, 10, 20))  # 12 days
        b.package(recent, inet)
    with http_sink() as (url, received):
        point_outbound(engine, provisioning_url=url)
        result = run_bill_run(engine, D, R11)
    assert account(engine, overdue.number).status == "suspended"
    assert account(engine, recent.number).status == "active"
    assert result.accounts_suspended == 1
    assert received == [{"path": "/internet", "json": {
        "action": "suspend", "account": overdue.number, "package": "inet",
        "user_package_id": up.id, "service": "internet"}}]
    # Late fee: an adjustment, not taxed; the suspended account is still billed.
    assert txns(engine, overdue.number) == [
        ("charge", Decimal("40.00")), ("tax", Decimal("4.00")), ("adjustment", Decimal("7.50"))]
    assert ("adjustment", Decimal("7.50")) in txns(engine, recent.number)


def test_invoice_emails_arrive_at_the_configured_server(engine: Engine) -> None:
    with build(engine) as b:
        inet = b.product("inet", price="40.00")
        a = b.account(email="pat@customer.example")
        b.package(a, inet)
        c = b.account(email="sam@customer.example")
        b.package(c, inet)
    with smtp_sink() as (address, inbox):
        point_outbound(engine, smtp=address)
        result = run_bill_run(engine, D, R11)
    assert result.emails_sent == 2
    got = sorted((rcpt[0], msg["Subject"], sender) for sender, rcpt, msg in inbox.messages)
    assert got == [
        ("pat@customer.example", "Your invoice INV-20261101-A000001",
         "billing@isp-billing.example"),
        ("sam@customer.example", "Your invoice INV-20261101-A000002",
         "billing@isp-billing.example"),
    ]
    with s(engine) as session:
        emailed = sorted(session.scalars(select(Invoice.emailed_to)))
    assert emailed == ["pat@customer.example", "sam@customer.example"]


def test_provisioning_requests_arrive_and_mark_packages(engine: Engine) -> None:
    with build(engine) as b:
        inet = b.product("inet", price="40.00", service="internet")
        tv = b.product("tv", price="20.00", service="tv")
        a = b.account()
        up_new = b.package(a, inet, provisioned=False)
        b.package(a, tv)  # already provisioned: nothing sent
        up_later = b.package(a, tv, start=dt.date(2026, 12, 1), provisioned=False)
    with http_sink() as (url, received):
        point_outbound(engine, provisioning_url=url)
        result = run_bill_run(engine, D, R11)
    assert received == [{"path": "/internet", "json": {
        "action": "activate", "account": a.number, "package": "inet",
        "user_package_id": up_new.id, "service": "internet"}}]
    assert result.provisioning_sent == 1
    with s(engine) as session:
        assert session.get(UserPackage, up_new.id).provisioned is True  # type: ignore[union-attr]
        assert session.get(UserPackage, up_later.id).provisioned is False  # type: ignore[union-attr]
        req = session.scalars(select(ProvisioningRequest)).one()
        assert (req.status, req.response_code) == ("sent", 200)


def test_autopay_through_the_gateway_sandbox(engine: Engine) -> None:
    with build(engine) as b:
        inet = b.product("inet", price="40.00")
        outcomes = {}
        for name, kind, token in [
            ("approve", "card", "tok_a1"),
            ("decline", "card", "tok_b2_decline"),
            ("nsf", "card", "tok_c3_nsf"),
            ("echeck", "echeck", "tok_d4"),
        ]:
            acct = b.account(auto_pay=True)
            b.package(acct, inet)
            b.method(acct, kind=kind, token=token, routing="021000021")
            outcomes[name] = acct
        manual = b.account()
        b.package(manual, inet)
    with GatewayServer() as gw:
        point_outbound(engine, gateway_url=gw.url)
        result = run_bill_run(engine, D, R11)
        received = [r["body"] for r in gw.requests]
    assert (result.payments_approved, result.payments_declined, result.payments_failed) == (2, 2, 0)
    assert len(received) == 4
    assert {r["amount"] for r in received} == {"44.00"}
    echeck = next(r for r in received if r["kind"] == "echeck")
    assert echeck["routing"] == "021000021" and echeck["merchant_id"] == "m-ach"
    with s(engine) as session:
        status = dict(session.execute(select(Payment.account_id, Payment.status)).all())
        nsf_msg = session.scalar(select(Payment.message).where(
            Payment.account_id == outcomes["nsf"].id))
    assert status == {outcomes["approve"].id: "approved", outcomes["decline"].id: "declined",
                      outcomes["nsf"].id: "declined", outcomes["echeck"].id: "approved"}
    assert "insufficient" in (nsf_msg or "")
    assert account(engine, outcomes["approve"].number).balance == Decimal("0.00")
    assert account(engine, outcomes["decline"].number).balance == Decimal("44.00")
    assert txns(engine, outcomes["echeck"].number)[-1] == ("payment", Decimal("-44.00"))


def test_unreachable_hosts_are_logged_and_the_run_finishes(engine: Engine) -> None:
    """The database still points at production's .example hosts, which never resolve."""
    with build(engine) as b:
        inet = b.product("inet", price="40.00", service="internet")
        for _ in range(3):
            acct = b.account(auto_pay=True)
            b.package(acct, inet, provisioned=False)
            b.method(acct)
    result = run_bill_run(engine, D, R11)
    assert result.invoices == 3 and result.emails_sent == 0
    assert result.provisioning_sent == 0 and result.payments_failed == 3
    with s(engine) as session:
        errors = session.execute(
            select(EventLog.source, EventLog.account_id, EventLog.message)
            .where(EventLog.level == "ERROR", EventLog.bill_run_id == result.bill_run_id)
        ).all()
        run = session.get(BillRun, result.bill_run_id)
        assert run is not None and run.status == "done" and run.errors == 9
        infos = session.scalars(select(EventLog.message).where(EventLog.level == "INFO"))
        assert any("stage invoices" in m for m in infos)
    by_source = {src: sum(1 for e in errors if e.source == src) for src in
                 ("mail", "provisioning", "payments")}
    assert by_source == {"mail": 3, "provisioning": 3, "payments": 3}
    assert all(e.account_id is not None for e in errors)
    assert any("smtp.mail.isp-billing.example" in e.message for e in errors)


def test_bad_settings_are_a_clear_error(engine: Engine) -> None:
    with s(engine) as session:
        session.get(BillingSetting, "tax_rate").value = "ten"  # type: ignore[union-attr]
        session.commit()
    with pytest.raises(BillingConfigError, match="tax_rate: not a number: 'ten'"):
        run_bill_run(engine, D, R11)
    assert count(engine, BillRun) == 0
