"""The data generator on SQLite and PostgreSQL: deterministic, the seed's two accounts,
every named scenario, PII where a production backup has it, and usable logins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from demo.db import make_engine
from demo.generate import REQUIRED_SCENARIOS, GenerateSummary, generate
from demo.models import (
    Account,
    AccountDiscount,
    BillingSetting,
    Contact,
    CustomAction,
    Discount,
    EventLog,
    MailConfig,
    Note,
    PaymentMethod,
    PaymentProcessor,
    Permission,
    PortalUser,
    Product,
    ProvisioningConfig,
    Role,
    RolePermission,
    StaffUser,
    Ticket,
    UsageRecord,
    UserPackage,
)
from demo.security import verify_password

N = 60
SEED = 7
AS_OF = dt.date(2026, 10, 31)
RUN = dt.date(2026, 11, 1)


@pytest.fixture
def gen(db_url: str) -> Iterator[tuple[Engine, GenerateSummary]]:
    summary = generate(db_url, N, SEED)
    engine = make_engine(db_url)
    yield engine, summary
    engine.dispose()


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = (Account, Contact, Note, UserPackage, UsageRecord, PaymentMethod, PortalUser,
              StaffUser, EventLog, Ticket)
    with engine.connect() as conn:
        return {
            t.__tablename__: [tuple(r) for r in conn.execute(
                select(t.__table__).order_by(t.__table__.c.id))]
            for t in tables
        }


def _packages(s: Session, account: Account) -> list[tuple[UserPackage, Product]]:
    rows = s.execute(select(UserPackage, Product).join(Product)
                     .where(UserPackage.account_id == account.id)
                     .order_by(UserPackage.id)).all()
    return [(up, p) for up, p in rows]


def test_same_seed_same_rows_other_seed_other_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        generate(db_url, N, SEED)
        first = _dump(engine)
        generate(db_url, N, SEED)
        assert _dump(engine) == first
        generate(db_url, N, SEED + 1)
        other = _dump(engine)
    finally:
        engine.dispose()
    assert other["contacts"] != first["contacts"]
    assert other["notes"] != first["notes"]
    assert len(first["accounts"]) == N


def test_bob_smith_has_ten_packages_of_every_period(gen: tuple[Engine, GenerateSummary]) -> None:
    engine, _ = gen
    with Session(engine) as s:
        bob = s.scalars(select(Account).where(Account.number == "A000001")).one()
        assert (bob.name, bob.scenario) == ("Bob Smith", "bob-smith-ten-packages")
        pkgs = _packages(s, bob)
    assert len(pkgs) == 10
    periods = [p.period for _, p in pkgs]
    assert periods.count("monthly") == 4
    assert periods.count("quarterly") == 1
    yearly = [up for up, p in pkgs if p.period == "yearly"]
    assert sorted(up.next_bill_date <= RUN for up in yearly) == [False, True]
    one_offs = [up for up, p in pkgs if p.period == "one_off"]
    assert len(one_offs) == 3
    assert all(up.next_bill_date <= RUN and up.start_date <= RUN for up in one_offs)


def test_jane_doe_five_children_pool_minutes_into_overage(
    gen: tuple[Engine, GenerateSummary],
) -> None:
    engine, _ = gen
    with Session(engine) as s:
        jane = s.scalars(select(Account).where(Account.number == "A000002")).one()
        assert (jane.name, jane.scenario, jane.parent_id) == (
            "Jane Doe", "jane-doe-pooled-minutes", None)
        children = s.scalars(select(Account).where(Account.parent_id == jane.id)).all()
        assert len(children) == 5
        assert all(c.name.startswith("Jane Doe – Line ") for c in children)
        family = [jane, *children]
        included = {a.id: sum(p.included_minutes * up.quantity for up, p in _packages(s, a))
                    for a in family}
        used = {a.id: s.scalar(select(func.coalesce(func.sum(UsageRecord.minutes), 0))
                               .where(UsageRecord.account_id == a.id)) for a in family}
    pool = sum(included.values())
    assert pool == included[jane.id] == 1000
    total_used = sum(used.values())
    assert total_used == 1180 > pool
    assert all(used[c.id] > 0 and total_used > included[c.id] for c in children)


def test_every_named_scenario_is_present_and_shaped(gen: tuple[Engine, GenerateSummary]) -> None:
    engine, summary = gen
    with Session(engine) as s:
        counts = dict(s.execute(select(Account.scenario, func.count())
                                .group_by(Account.scenario)).all())
        assert counts == summary.scenarios
        missing = [name for name in REQUIRED_SCENARIOS if counts.get(name, 0) < 1]
        assert missing == []

        def one(scenario: str) -> Account:
            return s.scalars(select(Account).where(Account.scenario == scenario)
                             .order_by(Account.id).limit(1)).one()

        past_due = one("past-due")
        assert past_due.status == "active" and past_due.balance > 0
        assert past_due.past_due_since is not None
        assert (RUN - past_due.past_due_since).days > 30
        assert one("suspended").status == "suspended"
        closed = one("closed")
        assert closed.status == "closed"
        assert all(up.status != "active" for up, _ in _packages(s, closed))

        leap = one("leap-day")
        assert leap.bill_day == 29
        leap_pk = {p.period: up for up, p in _packages(s, leap)}
        assert leap_pk["yearly"].start_date == dt.date(2024, 2, 29)
        assert leap_pk["yearly"].next_bill_date == dt.date(2027, 2, 28)
        assert leap_pk["monthly"].next_bill_date == dt.date(2026, 10, 29)

        d31 = one("bill-day-31")
        assert d31.bill_day == 31
        assert {up.next_bill_date for up, _ in _packages(s, d31)} == {dt.date(2026, 10, 31)}

        fresh = [(up, p) for up, p in _packages(s, one("new-package-unprovisioned"))
                 if not up.provisioned]
        assert fresh and all(p.service and up.start_date <= RUN for up, p in fresh)

        assert all(up.next_bill_date > RUN
                   for up, _ in _packages(s, one("yearly-not-due")))
        assert all(up.next_bill_date <= RUN and p.period == "yearly"
                   for up, p in _packages(s, one("yearly-due")))
        assert "quarterly" in {p.period for _, p in _packages(s, one("quarterly"))}

        for scenario, kind in (("card-autopay", "card"), ("echeck-autopay", "echeck")):
            acct = one(scenario)
            method = s.scalars(select(PaymentMethod)
                               .where(PaymentMethod.account_id == acct.id)).one()
            assert acct.auto_pay and method.kind == kind and method.is_default
            assert method.token.startswith("tok_") and not method.token.endswith("_decline")
        echeck = s.scalars(select(PaymentMethod).where(PaymentMethod.kind == "echeck")).first()
        assert echeck is not None and echeck.bank_routing and echeck.bank_account_masked

        child = one("child-without-packages")
        assert child.parent_id is not None and _packages(s, child) == []

        heavy = one("heavy-overage")
        minutes = sum(p.included_minutes for up, p in _packages(s, heavy))
        used = s.scalar(select(func.sum(UsageRecord.minutes))
                        .where(UsageRecord.account_id == heavy.id))
        assert used > minutes > 0
        no_usage = one("no-usage")
        assert sum(p.included_minutes for _, p in _packages(s, no_usage)) > 0
        assert s.scalar(select(func.count()).select_from(UsageRecord)
                        .where(UsageRecord.account_id == no_usage.id)) == 0

        def discounts(scenario: str) -> set[tuple[str, bool]]:
            rows = s.execute(select(Discount.kind, Discount.product_id)
                             .join(AccountDiscount)
                             .where(AccountDiscount.account_id == one(scenario).id)).all()
            return {(kind, product is None) for kind, product in rows}

        assert discounts("discounted-percent") == {("percent", False)}
        assert discounts("discounted-fixed") == {("fixed", False)}
        assert discounts("invoice-discount") == {("percent", True)}
        assert one("special-price-plan").price_plan_id is not None


def test_usage_is_whole_minutes_in_the_month_before_as_of(
    gen: tuple[Engine, GenerateSummary],
) -> None:
    engine, summary = gen
    with Session(engine) as s:
        records = s.scalars(select(UsageRecord)).all()
        minute_accounts = set(s.scalars(
            select(UserPackage.account_id).join(Product).where(Product.included_minutes > 0)))
        pools = {a.id: a.parent_id or a.id for a in s.scalars(select(Account))}
    assert len(records) == summary.usage_records > 0
    for r in records:
        assert isinstance(r.minutes, int) and r.minutes > 0
        assert AS_OF - dt.timedelta(days=31) < r.started_at.date() <= AS_OF
        assert r.bill_run_id is None
        assert pools[r.account_id] in minute_accounts


def test_pii_where_production_has_it_and_uniqueness(gen: tuple[Engine, GenerateSummary]) -> None:
    engine, summary = gen
    with Session(engine) as s:
        notes = s.scalars(select(Note.body)).all()
        assert any("@" in n for n in notes)
        assert any(sum(ch.isdigit() for ch in n) >= 7 for n in notes)
        fields = [f for f in s.scalars(select(Account.custom_fields)) if f]
        assert any("alt_contact" in f and f["alt_contact"]["phone"] for f in fields)
        emails = s.scalars(select(Contact.email)).all()
        assert len(emails) == len(set(emails)) == summary.contacts
        assert all("@" in e for e in emails)
        numbers = s.scalars(select(Account.number).order_by(Account.id)).all()
        assert numbers == [f"A{i:06d}" for i in range(1, N + 1)]
        with_packages = set(s.scalars(select(UserPackage.account_id)))
        with_email = set(s.scalars(select(Contact.account_id)
                                   .where(Contact.is_primary, Contact.email != "")))
        assert with_packages <= with_email
        staff = s.scalars(select(StaffUser)).all()
        assert {u.username for u in staff} == {"admin", "billing", "support", "sales"}
        assert all(" " in u.full_name and "@" in u.email for u in staff)


def test_reference_data_is_release_1_0_and_production_like(
    gen: tuple[Engine, GenerateSummary],
) -> None:
    engine, _ = gen
    with Session(engine) as s:
        perms = set(s.scalars(select(Permission.code)))
        assert "adjustments.create" not in perms and len(perms) == 10
        grants = s.execute(select(Role.name, Permission.code)
                           .join(RolePermission, RolePermission.role_id == Role.id)
                           .join(Permission, Permission.id == RolePermission.permission_id)).all()
        by_role: dict[str, set[str]] = {}
        for role, code in grants:
            by_role.setdefault(role, set()).add(code)
        assert by_role["admin"] == perms
        assert by_role["billing"] == {"accounts.view", "payments.process", "billing.run",
                                      "eventlog.view"}
        assert "tickets.edit" in by_role["support"]
        settings = dict(s.execute(select(BillingSetting.key, BillingSetting.value)).all())
        assert settings == {"tax_rate": "0.10", "payment_terms_days": "14",
                            "suspend_after_days": "30", "usage_rate_default": "0.05",
                            "currency": "USD", "generator_seed": "7",
                            "generator_as_of": "2026-10-31", "release": "1.0",
                            # production runs this bill run right after its backup
                            "bill_run_after_backup": "2026-11-01"}
        mail = s.scalars(select(MailConfig)).one()
        assert (mail.smtp_host, mail.smtp_port) == ("smtp.mail.isp-billing.example", 25)
        procs = {p.name: (p.kind, p.gateway_url) for p in s.scalars(select(PaymentProcessor))}
        assert procs == {"CardPay": ("card", "https://gateway.cardpay.example/api"),
                         "ACH Direct": ("echeck", "https://ach.echeck-direct.example/api")}
        urls = {c.service: c.url for c in s.scalars(select(ProvisioningConfig))}
        assert set(urls) == {"internet", "voice", "tv"}
        assert all(".example/" in u for u in urls.values())
        late_fee = s.scalars(select(CustomAction).where(CustomAction.name == "late_fee")).one()
        assert (late_fee.hook, late_fee.enabled, late_fee.config) == (
            "after_invoice", True, {"amount": "5.00"})
        periods = set(s.scalars(select(Product.period)))
        assert periods == {"monthly", "quarterly", "yearly", "one_off"}
        assert s.scalar(select(func.count()).select_from(Product)
                        .where(Product.taxable.is_(False))) >= 1


def test_event_log_history_and_logins(gen: tuple[Engine, GenerateSummary]) -> None:
    engine, _ = gen
    with Session(engine) as s:
        events = s.scalars(select(EventLog)).all()
        assert any(e.level == "INFO" for e in events)
        assert all(e.at < dt.datetime.combine(AS_OF, dt.time()) for e in events)
        assert not [e for e in events if e.level == "ERROR" and e.at.date() >= AS_OF]
        top = set(s.scalars(select(Account.number).where(Account.parent_id.is_(None))))
        users = s.scalars(select(PortalUser)).all()
        assert {u.login for u in users} == top
        bob = next(u for u in users if u.login == "A000001")
        assert verify_password("demo", bob.password_hash)
        assert not verify_password("wrong", bob.password_hash)
        admin = s.scalars(select(StaffUser).where(StaffUser.username == "admin")).one()
        assert verify_password("demo", admin.password_hash)
        # Ids chosen by the generator must not collide with rows the platform adds later.
        s.add(Ticket(account_id=1, subject="after generate", body="x", created_by="support",
                     created_at=dt.datetime(2026, 11, 2), updated_at=dt.datetime(2026, 11, 2)))
        s.commit()
        balances = s.scalars(select(Account.balance)).all()
        assert all(isinstance(b, Decimal) for b in balances)


def test_summary_and_progress(sqlite_url: str) -> None:
    stages: list[tuple[str, int, int]] = []
    summary = generate(sqlite_url, 25, 3, progress=lambda *a: stages.append(a))
    assert summary.accounts == 25 and summary.seed == 3 and summary.as_of == AS_OF
    assert summary.user_packages > 0 and summary.contacts >= 25
    assert summary.scenarios["bob-smith-ten-packages"] == 1
    assert ("accounts", 25, 25) in stages and stages[-1][0] == "done"


@pytest.mark.parametrize("accounts", [0, 5, -1, "100"])
def test_bad_account_count_is_a_clear_error(sqlite_url: str, accounts: Any) -> None:
    with pytest.raises(ValueError, match="accounts must be a whole number >= 20"):
        generate(sqlite_url, accounts, 1)
