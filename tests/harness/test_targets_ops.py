"""The operations questions of the Target (provisioning, payments, roles, imports, custom
actions): the demo target on a real generated and billed demo database (SQLite and
PostgreSQL), and the SQL target's named queries on a hand-made schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from common.errors import ConfigError, SafetyError
from harness.sinks import HttpSink
from harness.targets.base import CAPABILITIES, Target, TargetError, capabilities, require
from harness.targets.capabilities import PaymentSandbox
from harness.targets.demo import DemoTarget
from harness.targets.loader import open_target
from harness.targets.sql import SqlTarget
from harness.targets.views import CustomActionView, PaymentView, ProcessorView, ProvisioningView
from tests.harness.target_profiles import demo_profile, unmarked
from tests.harness.test_targets import build as build_hand_made
from tests.harness.test_targets import sql_profile

RUN_DATE = dt.date(2026, 11, 1)
FEATURE_DATA = Path(__file__).resolve().parents[2] / "features" / "data"


Billed = tuple[DemoTarget, HttpSink, PaymentSandbox]


@pytest.fixture
def billed(db_url: str, tmp_path: Path) -> Iterator[Billed]:
    """A generated demo database (the 31 fixed accounts) upgraded to and billed on 1.1 for
    RUN_DATE, its provisioning pointed at an HTTP sink, its processors at the sandbox."""
    from demo.billing.run import run_bill_run
    from demo.generate import generate
    from demo.releases import get_release
    from demo.upgrade import upgrade

    generate(db_url, 31, 42)  # production's release 1.0 …
    target = DemoTarget(demo_profile(tmp_path, db_url))
    upgrade(target.db.engine, get_release("1.1"))  # … deployed as 1.1 on staging
    sink = HttpSink().start()
    gateway = target.outbound.start_payment_sandbox()
    assert gateway is not None
    try:
        mapping = {e.name: (f"{gateway.url}/api" if e.kind == "payment"
                            else f"{sink.url}/{e.name.replace(':', '/')}")
                   for e in target.outbound.endpoints() if e.kind != "mail"}
        target.outbound.redirect(mapping)
        run_bill_run(target.db.engine, RUN_DATE, "1.1")
        yield target, sink, gateway
    finally:
        target.close()
        sink.stop()
        gateway.stop()


def test_the_demo_target_is_a_target_with_every_capability(billed: Billed) -> None:
    assert isinstance(billed[0], Target)
    assert capabilities(billed[0]) == dict.fromkeys(CAPABILITIES, True)
    assert billed[0].sub_accounts.children("Jane Doe") == [
        f"A00000{n}" for n in range(3, 8)]


def test_provisioning_requests_match_what_the_sink_received(
    billed: Billed,
) -> None:
    target, sink, _ = billed
    run = target.latest_bill_run()
    assert run is not None
    requests = target.provisioning.requests(bill_run_id=run.id)
    assert target.provisioning.requests(bill_run_id=run.id + 1) == []
    new_pkg = [r for r in requests if r.account == "A000030"]
    assert [(r.action, r.service, r.status, r.payload["package"]) for r in new_pkg] == [
        ("activate", "tv", "sent", "TV-BASIC")]
    past_due = sorted((r.action, r.service, r.payload["package"])
                      for r in requests if r.account == "A000016")
    assert past_due == [("suspend", "internet", "NET-1000"), ("suspend", "tv", "TV-BASIC")]
    assert isinstance(new_pkg[0], ProvisioningView) and new_pkg[0].bill_run_id == run.id
    bodies = [c["body"] for c in sink.captured()]
    assert all(r.payload in bodies for r in requests)  # each recorded request arrived
    assert len(bodies) == len(requests)


def test_processors_payments_roles_and_custom_actions(
    billed: Billed,
) -> None:
    target, _, _ = billed
    payments = target.payments
    assert payments.processors() == [ProcessorView("CardPay", "card", True),
                                     ProcessorView("ACH Direct", "echeck", True)]
    run = target.latest_bill_run()
    assert run is not None
    autopay = {p.account: p for p in payments.payments(bill_run_id=run.id)}
    assert autopay["A000020"] == PaymentView("A000020", "CardPay", "card", Decimal("87.98"),
                                             "approved", "autopay", "approved", run.id)
    assert autopay["A000021"].status == "declined"
    assert autopay["A000022"].kind == "echeck" and autopay["A000022"].status == "approved"
    assert [p.account for p in payments.payments("A000022")] == ["A000022"]
    assert payments.payments("Bob Smith") == []
    roles = target.permissions.roles()
    assert {"admin", "billing", "sales", "support"} <= roles.keys()
    assert "tickets.edit" in roles["support"] and "adjustments.create" in roles["billing"]
    assert "adjustments.create" not in roles["support"]
    assert isinstance(roles["admin"], frozenset)
    assert target.custom_actions.actions() == [CustomActionView("late_fee", "after_invoice", True)]


def test_staff_take_payments_through_each_processor(
    billed: Billed,
) -> None:
    target, _, gateway = billed
    before = target.account("A000026")
    assert before is not None
    staff = target.staff_payments
    card = staff.take("A000026", Decimal("10.00"), "card", card_number="4111111111111111")
    assert (card.kind, card.status, card.amount, card.bill_run_id) == (
        "card", "approved", Decimal("10.00"), None)
    after = target.account("A000026")
    assert after is not None and after.balance == before.balance - Decimal("10.00")
    echeck = staff.take("A000022", Decimal("5.50"), "echeck")
    assert (echeck.processor, echeck.status) == ("ACH Direct", "approved")
    assert echeck in target.payments.payments("A000022")
    declined = staff.take("A000026", Decimal("1.00"), "card", card_number="4000000000000002")
    assert declined.status == "declined"
    assert [c["kind"] for c in gateway.captured()][-3:] == ["card", "echeck", "card"]
    with pytest.raises(TargetError, match="no stored echeck payment method"):
        staff.take("A000026", Decimal("1.00"), "echeck")
    with pytest.raises(TargetError, match="unknown payment kind 'cash'"):
        staff.take("A000026", Decimal("1.00"), "cash")
    with pytest.raises(TargetError, match="amount must be positive"):
        staff.take("A000026", Decimal("0"), "card", card_number="4111111111111111")


def test_a_broken_echeck_integration_shows_as_an_error(
    billed: Billed, db_url: str, tmp_path: Path,
) -> None:
    broken = DemoTarget(demo_profile(tmp_path / "broken", db_url, release="1.1-echeck-broken"))
    try:
        payment = broken.staff_payments.take("A000022", Decimal("5.00"), "echeck")
        assert payment.status == "error" and "rejected" in payment.message
    finally:
        broken.close()


def test_imports_keep_good_lines_and_report_bad_ones_by_number(
    billed: Billed,
) -> None:
    target, _, _ = billed
    imports = target.imports
    usage = imports.import_file("usage", FEATURE_DATA / "usage-import.csv")
    assert (usage.rows_ok, usage.rows_failed) == (3, 1)
    assert [line for line, _ in usage.errors] == [4] and "minutes" in usage.errors[0][1]
    accounts = imports.import_file("accounts", FEATURE_DATA / "accounts-import.csv")
    assert (accounts.rows_ok, [line for line, _ in accounts.errors]) == (2, [3])
    assert [target.account(n).name for n in accounts.created] == [  # type: ignore[union-attr]
        "Imported Tester One", "Imported Tester Three"]
    with pytest.raises(TargetError, match="unknown import kind 'payments'"):
        imports.import_file("payments", FEATURE_DATA / "usage-import.csv")
    with pytest.raises(TargetError, match=r"accounts-import\.csv: unknown column"):
        imports.import_file("usage", FEATURE_DATA / "accounts-import.csv")


def test_writes_are_refused_outside_staging(sqlite_url: str, tmp_path: Path) -> None:
    target = DemoTarget(unmarked(demo_profile(tmp_path, sqlite_url)))
    try:
        with pytest.raises(SafetyError, match="not marked 'staging: true'"):
            target.staff_payments.take("A000001", Decimal("1.00"), "card",
                                       card_number="4111111111111111")
        with pytest.raises(SafetyError):
            target.imports.import_file("usage", FEATURE_DATA / "usage-import.csv")
        with pytest.raises(SafetyError):
            target.outbound.redirect({"mail": "smtp://127.0.0.1:2525"})
    finally:
        target.close()


# --- the SQL target ------------------------------------------------------------------------

OPS_SCHEMA = """
CREATE TABLE prov (id INTEGER PRIMARY KEY, cust_id INTEGER, run_id INTEGER, act VARCHAR(20),
  svc VARCHAR(20), state VARCHAR(20), endpoint VARCHAR(200), body VARCHAR(500));
CREATE TABLE procs (name VARCHAR(40) PRIMARY KEY, kind VARCHAR(20), on_ BOOLEAN);
CREATE TABLE pays (id INTEGER PRIMARY KEY, cust_id INTEGER, proc_name VARCHAR(40),
  kind VARCHAR(20), amt NUMERIC(12, 2), state VARCHAR(20), origin VARCHAR(20),
  note VARCHAR(200), run_id INTEGER);
CREATE TABLE staff_roles (name VARCHAR(40) PRIMARY KEY);
CREATE TABLE grants (role VARCHAR(40), perm VARCHAR(60));
CREATE TABLE extensions (name VARCHAR(40) PRIMARY KEY, hook VARCHAR(40), active BOOLEAN);
INSERT INTO prov VALUES (1, 1, 7, 'activate', 'voice', 'sent', 'https://switch.example.net/v',
  '{"line": "C-100", "plan": "VOICE-500"}');
INSERT INTO prov VALUES (2, 3, 6, 'suspend', 'voice', 'failed', 'https://switch.example.net/v',
  NULL);
INSERT INTO procs VALUES ('Stripe-ish', 'card', TRUE);
INSERT INTO procs VALUES ('BankLink', 'echeck', FALSE);
INSERT INTO pays VALUES (1, 1, 'Stripe-ish', 'card', 51.50, 'approved', 'autopay', 'ok', 7);
INSERT INTO pays VALUES (2, 3, 'BankLink', 'echeck', 5.25, 'error', 'portal', 'HTTP 400', NULL);
INSERT INTO staff_roles VALUES ('support');
INSERT INTO staff_roles VALUES ('auditor');
INSERT INTO grants VALUES ('support', 'tickets.edit');
INSERT INTO grants VALUES ('support', 'tickets.create');
INSERT INTO extensions VALUES ('late_fee', 'after_invoice', TRUE);
"""


@pytest.fixture
def sql_target(db_url: str, tmp_path: Path) -> Iterator[SqlTarget]:
    build_hand_made(db_url)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        for statement in OPS_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement))
    engine.dispose()
    found = open_target(sql_profile(tmp_path, db_url, f"sqlite:///{tmp_path / 'prod.db'}"))
    assert isinstance(found, SqlTarget)
    yield found
    found.close()


def test_sql_target_answers_the_operations_questions(sql_target: SqlTarget) -> None:
    provisioning = require(sql_target.provisioning, "provisioning")
    assert provisioning.requests(bill_run_id=7) == [ProvisioningView(
        "C-100", "activate", "voice", "sent", "https://switch.example.net/v",
        {"line": "C-100", "plan": "VOICE-500"}, 7)]
    every = provisioning.requests()
    assert [(r.account, r.status, r.payload) for r in every][1] == ("C-102", "failed", {})
    payments = require(sql_target.payments, "payments")
    assert payments.processors() == [ProcessorView("BankLink", "echeck", False),
                                     ProcessorView("Stripe-ish", "card", True)]
    assert [p.status for p in payments.payments()] == ["approved", "error"]
    assert payments.payments("Jane Doe", bill_run_id=7) == [PaymentView(
        "C-100", "Stripe-ish", "card", Decimal("51.50"), "approved", "autopay", "ok", 7)]
    assert payments.payments("C-102")[0].bill_run_id is None
    assert payments.payments("x' OR '1'='1") == []
    assert require(sql_target.permissions, "permissions").roles() == {
        "auditor": frozenset(), "support": frozenset({"tickets.create", "tickets.edit"})}
    assert require(sql_target.custom_actions, "custom_actions").actions() == [
        CustomActionView("late_fee", "after_invoice", True)]


def test_sql_target_has_no_payment_taking_or_imports(sql_target: SqlTarget) -> None:
    """A database alone cannot take a payment or run an importer: NOT APPLICABLE, said so."""
    with pytest.raises(TargetError, match="the target has no staff payments"):
        require(sql_target.staff_payments, "staff_payments")
    with pytest.raises(TargetError, match="the target has no imports"):
        require(sql_target.imports, "imports")


def test_sql_target_names_a_bad_operations_query(sql_target: SqlTarget) -> None:
    sql_target.db.queries["role_permissions"] = "SELECT name AS role FROM staff_roles"
    with pytest.raises(TargetError, match="must return columns role and permission"):
        require(sql_target.permissions, "permissions").roles()
    sql_target.db.queries["provisioning_requests"] = (
        "SELECT 'C-1' AS account, 'a' AS action, 's' AS service, 'sent' AS status, "
        "'u' AS url, 'not json' AS payload")
    with pytest.raises(TargetError, match="column payload is not JSON"):
        require(sql_target.provisioning, "provisioning").requests()


def test_a_missing_operations_query_is_refused_when_the_profile_loads(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"golive\.yaml:\d+: target\.queries\.payments: the "
                                          "payments capability needs payment_processors"):
        sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db", drop=("payment_processors",))
