"""Every billing regression really changes behaviour: the same database billed on 1.1 and
on 1.1-<fault> gives a different next bill date / usage / discount / payment / mail /
event log, and only 1.0 ≡ 1.1 for the bill run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from demo.billing import run_bill_run
from demo.db import session_factory
from demo.gateway import GatewayServer
from demo.models import Account, EventLog, Payment, Transaction, UserPackage
from demo.releases import get_release
from tests.demo.billing_fixtures import D, build, new_db, point_outbound, smtp_sink


@dataclass
class Seen:
    """What one bill run did to the shared scenario."""

    yearly_next: dt.date | None
    transactions: dict[str, list[tuple[str, Decimal]]]
    payments: dict[str, str]
    mail_received: int
    errors: list[str]


def _scenario(engine: Engine) -> None:
    with build(engine) as b:
        annual = b.product("annual", period="yearly", price="120.00")
        voice = b.product("voice", price="25.00", minutes=100, rate="0.10")
        inet = b.product("inet", price="40.00")
        yearly = b.account()  # A000001
        b.package(yearly, annual)
        parent = b.account()  # A000002
        child = b.account(parent=parent)  # A000003
        b.package(parent, voice)
        b.usage(child, 60)
        discounted = b.account()  # A000004
        b.package(discounted, inet)
        b.discount(discounted, "INET10", "percent", "10", product=inet)
        echeck = b.account(auto_pay=True)  # A000005
        b.package(echeck, inet)
        b.method(echeck, kind="echeck", token="tok_e5", routing="021000021")
        card = b.account(auto_pay=True)  # A000006
        b.package(card, inet)
        b.method(card, kind="card", token="tok_c6")
        day31 = b.account(bill_day=31)  # A000007
        b.package(day31, inet, next_bill_date=dt.date(2026, 10, 31))


def _observe(engine: Engine, release: str) -> Seen:
    _scenario(engine)
    with smtp_sink() as (address, inbox), GatewayServer() as gw:
        point_outbound(engine, smtp=address, gateway_url=gw.url)
        result = run_bill_run(engine, D, get_release(release))
        received = len(inbox.messages)
    with session_factory(engine)() as s:
        yearly_next = s.scalar(select(UserPackage.next_bill_date).where(UserPackage.id == 1))
        tx: dict[str, list[tuple[str, Decimal]]] = {}
        for number, kind, amount in s.execute(
            select(Account.number, Transaction.kind, Transaction.amount)
            .join(Account, Account.id == Transaction.account_id).order_by(Transaction.id)
        ):
            tx.setdefault(number, []).append((kind, Decimal(amount)))
        payments = dict(s.execute(
            select(Account.number, Payment.status).join(Account, Account.id == Payment.account_id)
        ).all())
        errors = list(s.scalars(select(EventLog.message).where(
            EventLog.level == "ERROR", EventLog.bill_run_id == result.bill_run_id)))
    return Seen(yearly_next, tx, payments, received, errors)


@pytest.fixture
def second_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second fresh database on the same engine as ``db_url``."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    return str(request.getfixturevalue("pg_server").create_database())


@pytest.fixture
def pair(db_url: str, second_url: str) -> Iterator[tuple[Engine, Engine]]:
    a, b = new_db(db_url), new_db(second_url)
    yield a, b
    a.dispose()
    b.dispose()


def _compare(pair: tuple[Engine, Engine], fault: str) -> tuple[Seen, Seen]:
    return _observe(pair[0], "1.1"), _observe(pair[1], f"1.1-{fault}")


def test_good_release_baseline(pair: tuple[Engine, Engine]) -> None:
    good, old = _observe(pair[0], "1.1"), _observe(pair[1], "1.0")
    assert good == old
    assert good.errors == [] and good.mail_received == 6  # the child A000003 has no invoice
    assert good.payments == {"A000005": "approved", "A000006": "approved"}


def test_yearly_one_month(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "yearly-one-month")
    assert good.yearly_next == dt.date(2027, 11, 1)
    assert bad.yearly_next == dt.date(2026, 12, 1)


def test_pool_not_shared(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "pool-not-shared")
    # 60 child minutes fit the parent's 100; unshared, the child pays 60 × 0.05 default.
    assert ("usage", Decimal("3.00")) not in good.transactions.get("A000003", [])
    assert bad.transactions["A000003"][0] == ("usage", Decimal("3.00"))


def test_discount_twice(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "discount-twice")
    def discounts(seen: Seen) -> list[Decimal]:
        return [a for k, a in seen.transactions["A000004"] if k == "discount"]
    assert discounts(good) == [Decimal("-4.00")]
    assert discounts(bad) == [Decimal("-4.00"), Decimal("-4.00")]


def test_echeck_broken(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "echeck-broken")
    assert good.payments["A000005"] == "approved"
    assert bad.payments == {"A000005": "error", "A000006": "approved"}
    assert any("A000005" in e and "rejected" in e for e in bad.errors)


def test_mail_hardcoded_host(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "mail-hardcoded-host")
    assert good.mail_received == 6  # the child A000003 has no invoice
    assert bad.mail_received == 0
    assert any("smtp.billing-vendor.example" in e for e in bad.errors)


def test_billday31_errors(pair: tuple[Engine, Engine]) -> None:
    good, bad = _compare(pair, "billday31-errors")
    assert good.errors == []
    assert bad.errors == ["next bill date calculation failed for account A000007 (bill day 31)"]
    assert bad.transactions == good.transactions  # billed all the same
