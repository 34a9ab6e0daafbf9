"""Targets: the YAML-configured SQL target on a hand-made schema (SQLite and PostgreSQL),
its capabilities declared by the queries a profile has, and Python adapters by dotted path."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from common.errors import ConfigError, SafetyError
from harness.config import Profile, load_profile
from harness.targets.base import (
    CAPABILITIES,
    CapabilityMissing,
    Target,
    TargetError,
    capabilities,
    require,
)
from harness.targets.loader import open_target
from harness.targets.sql import SqlTarget
from harness.targets.sql_catalog import CORE_QUERIES
from harness.targets.views import (
    AccountView,
    BillRunView,
    OutboundEndpoint,
    PackageView,
    PoolView,
)

DATA = Path(__file__).parent / "data"

SCHEMA = """
CREATE TABLE cust (id INTEGER PRIMARY KEY, acct_no VARCHAR(20), full_name VARCHAR(100),
  state VARCHAR(20), bal NUMERIC(12, 2), parent_id INTEGER, cycle_day INTEGER);
CREATE TABLE subs (id INTEGER PRIMARY KEY, cust_id INTEGER, sku VARCHAR(20), title VARCHAR(100),
  every VARCHAR(20), qty INTEGER, next_bill DATE, state VARCHAR(20), live BOOLEAN);
CREATE TABLE ledger (id INTEGER PRIMARY KEY, cust_id INTEGER, run_id INTEGER, kind VARCHAR(20),
  amt NUMERIC(12, 2), memo VARCHAR(200), posted DATE);
CREATE TABLE bills (id INTEGER PRIMARY KEY, cust_id INTEGER, run_id INTEGER, bill_no VARCHAR(30),
  issued DATE, due DATE, sub NUMERIC(12, 2), disc NUMERIC(12, 2), tax NUMERIC(12, 2),
  total NUMERIC(12, 2), state VARCHAR(20));
CREATE TABLE minutes (id INTEGER PRIMARY KEY, owner_id INTEGER, run_id INTEGER, incl INTEGER,
  used INTEGER, over INTEGER);
CREATE TABLE logs (id INTEGER PRIMARY KEY, ts TIMESTAMP, sev VARCHAR(10), src VARCHAR(40),
  msg VARCHAR(300), cust_id INTEGER);
CREATE TABLE settings (name VARCHAR(40) PRIMARY KEY, val VARCHAR(100));
CREATE TABLE runs (id INTEGER PRIMARY KEY, run_for DATE, state VARCHAR(20), began TIMESTAMP,
  ended TIMESTAMP, n_accounts INTEGER, n_bills INTEGER, n_errors INTEGER,
  amount NUMERIC(12, 2));
CREATE TABLE endpoints (name VARCHAR(60) PRIMARY KEY, channel VARCHAR(20), url VARCHAR(200));
"""

D = dt.date
T = dt.datetime
ROWS: dict[str, list[dict[str, Any]]] = {
    "cust": [
        {"id": 1, "acct_no": "C-100", "full_name": "Jane Doe", "state": "active",
         "bal": Decimal("41.50"), "parent_id": None, "cycle_day": 31},
        {"id": 2, "acct_no": "C-101", "full_name": "Jane Doe Jr", "state": "active",
         "bal": Decimal("0.00"), "parent_id": 1, "cycle_day": 31},
        {"id": 3, "acct_no": "C-102", "full_name": "Jim Doe", "state": "suspended",
         "bal": Decimal("-5.25"), "parent_id": 1, "cycle_day": 31},
    ],
    "subs": [
        {"id": 1, "cust_id": 1, "sku": "VOICE-500", "title": "Voice 500", "every": "monthly",
         "qty": 2, "next_bill": D(2026, 11, 30), "state": "active", "live": True},
        {"id": 2, "cust_id": 1, "sku": "ROUTER", "title": "Router", "every": "one_off",
         "qty": 1, "next_bill": None, "state": "active", "live": False},
    ],
    "ledger": [
        {"id": 1, "cust_id": 1, "run_id": None, "kind": "payment", "amt": Decimal("-10.00"),
         "memo": "thanks", "posted": D(2026, 10, 15)},
        {"id": 2, "cust_id": 1, "run_id": 7, "kind": "charge", "amt": Decimal("40.00"),
         "memo": "Voice 500 x2", "posted": D(2026, 11, 1)},
        {"id": 3, "cust_id": 1, "run_id": 7, "kind": "usage", "amt": Decimal("11.50"),
         "memo": "230 overage minutes", "posted": D(2026, 11, 1)},
    ],
    "bills": [
        {"id": 1, "cust_id": 1, "run_id": 7, "bill_no": "B-7-100", "issued": D(2026, 11, 1),
         "due": D(2026, 11, 15), "sub": Decimal("51.50"), "disc": Decimal("0.00"),
         "tax": Decimal("0.00"), "total": Decimal("51.50"), "state": "open"},
    ],
    "minutes": [
        {"id": 1, "owner_id": 1, "run_id": 6, "incl": 1000, "used": 400, "over": 0},
        {"id": 2, "owner_id": 1, "run_id": 7, "incl": 1000, "used": 1230, "over": 230},
    ],
    "logs": [
        {"id": 1, "ts": T(2026, 10, 31, 23, 0), "sev": "ERROR", "src": "mail",
         "msg": "before the run", "cust_id": None},
        {"id": 2, "ts": T(2026, 11, 1, 2, 5), "sev": "INFO", "src": "billing",
         "msg": "run 7 started", "cust_id": None},
        {"id": 3, "ts": T(2026, 11, 1, 2, 6), "sev": "ERROR", "src": "rating",
         "msg": "no rate for 0800 numbers", "cust_id": 2},
    ],
    "settings": [{"name": "tax_rate", "val": "0.08"}, {"name": "currency", "val": "EUR"}],
    "runs": [
        {"id": 7, "run_for": D(2026, 11, 1), "state": "done", "began": T(2026, 11, 1, 2, 0),
         "ended": T(2026, 11, 1, 2, 9), "n_accounts": 1, "n_bills": 1, "n_errors": 1,
         "amount": Decimal("51.50")},
    ],
    "endpoints": [
        {"name": "smtp", "channel": "mail", "url": "smtp://mail.example.net:25"},
        {"name": "switch", "channel": "provisioning", "url": "https://switch.example.net/api"},
    ],
}


def build(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement))
        for table, rows in ROWS.items():
            columns = list(rows[0])
            conn.execute(
                sa.text(f"INSERT INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join(':' + c for c in columns)})"),
                [{k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()}
                 for r in rows],  # SQLite's driver takes no Decimal
            )
    engine.dispose()


def scaffold(root: Path) -> None:
    """The folders and backup sql_profile.yaml names: the loader checks they exist."""
    for folder in ("checklists", "features", "backups"):
        (root / folder).mkdir(exist_ok=True)
    backup = root / "backups" / "pre-bill-run.sqlite"
    if not backup.exists():
        backup.touch()


def sql_profile(root: Path, staging: str, production: str, drop: tuple[str, ...] = (),
                keep: tuple[str, ...] | None = None) -> Profile:
    """The example SQL profile without the queries ``drop`` (or with only ``keep``)."""
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    queries = data["target"]["queries"]
    for name in [q for q in queries if q in drop or (keep is not None and q not in keep)]:
        del queries[name]
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scaffold(root)
    env = {"PYTHON": sys.executable, "HERE": str(DATA), "STAGING_DSN": staging,
           "PRODUCTION_DSN": production}
    return load_profile(path, env=env)


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[SqlTarget]:
    build(db_url)
    found = open_target(sql_profile(tmp_path, db_url, f"sqlite:///{tmp_path / 'prod.db'}"))
    assert isinstance(found, SqlTarget)
    yield found
    found.close()


def test_sql_target_answers_every_question_from_a_hand_made_schema(target: SqlTarget) -> None:
    jane = target.account("Jane Doe")
    assert jane == AccountView(number="C-100", name="Jane Doe", status="active",
                               balance=Decimal("41.50"), parent_number=None, bill_day=31)
    assert require(target.sub_accounts, "sub_accounts").children("Jane Doe") == ["C-101", "C-102"]
    assert target.account("C-101") is not None
    assert target.account("C-101").parent_number == "C-100"  # type: ignore[union-attr]
    assert target.account("nobody") is None
    assert target.packages("C-100") == [
        PackageView("ROUTER", "Router", "one_off", 1, None, "active", False),
        PackageView("VOICE-500", "Voice 500", "monthly", 2, D(2026, 11, 30), "active", True),
    ]
    assert [t.kind for t in target.transactions("C-100")] == ["payment", "charge", "usage"]
    run7 = target.transactions("Jane Doe", bill_run_id=7)
    assert [t.amount for t in run7] == [Decimal("40.00"), Decimal("11.50")]
    assert run7[0].posted_on == D(2026, 11, 1) and run7[0].bill_run_id == 7
    (bill,) = target.invoices("C-100", bill_run_id=7)
    assert bill.total == Decimal("51.50") and bill.due_date == D(2026, 11, 15)
    assert target.invoices("C-100", bill_run_id=8) == []
    pools = require(target.pools, "pools")
    assert pools.pool("C-102") == PoolView("C-100", 1000, 1230, 230, 7)  # a child's pool
    assert pools.pool("C-100", bill_run_id=6) == PoolView("C-100", 1000, 400, 0, 6)
    errors = target.events(T(2026, 11, 1, 2, 0))
    assert [(e.source, e.account) for e in errors] == [("rating", "C-101")]
    assert len(target.events(T(2026, 11, 1, 2, 0), levels=("ERROR", "INFO"))) == 2
    assert target.billing_settings() == {"tax_rate": "0.08", "currency": "EUR"}
    assert target.latest_bill_run() == BillRunView(
        7, D(2026, 11, 1), "done", T(2026, 11, 1, 2, 0), T(2026, 11, 1, 2, 9), 1, 1, 1,
        Decimal("51.50"))
    outbound = require(target.outbound, "outbound")
    assert outbound.endpoints() == [
        OutboundEndpoint("mail", "smtp", "smtp://mail.example.net:25"),
        OutboundEndpoint("provisioning", "switch", "https://switch.example.net/api"),
    ]
    assert outbound.invoice_mails(7) is None  # the profile has no invoice_mails query
    assert outbound.start_payment_sandbox() is None


def test_values_are_bound_never_formatted(target: SqlTarget) -> None:
    assert target.account("x' OR '1'='1") is None
    assert target.packages("'; DROP TABLE subs; --") == []
    assert len(target.packages("C-100")) == 2


def test_destructive_operations_on_staging(target: SqlTarget) -> None:
    done = target.run_bill_run(D(2026, 12, 1))  # the profile's command, given $GOLIVE_DSN
    assert done.id == 8 and done.run_date == D(2026, 12, 1) and done.total == Decimal("30.00")
    outbound = require(target.outbound, "outbound")
    moved = outbound.redirect({"smtp": "smtp://127.0.0.1:2525"})
    assert moved == {"smtp": {"from": "smtp://mail.example.net:25",
                              "to": "smtp://127.0.0.1:2525"}}
    assert outbound.endpoints()[0].url == "smtp://127.0.0.1:2525"
    with pytest.raises(TargetError, match="no endpoint named nowhere"):
        outbound.redirect({"nowhere": "http://127.0.0.1:1"})


def test_the_production_target_reads_but_refuses_to_write(db_url: str, tmp_path: Path) -> None:
    build(db_url)
    profile = sql_profile(tmp_path, f"sqlite:///{tmp_path / 'staging.db'}", db_url)
    production = open_target(profile, "production")
    try:
        assert production.billing_settings()["currency"] == "EUR"
        with pytest.raises(SafetyError, match="not the profile's staging database"):
            production.run_bill_run(D(2026, 12, 1))
        outbound = require(production.outbound, "outbound")
        with pytest.raises(SafetyError):
            outbound.redirect({"smtp": "smtp://127.0.0.1:2525"})
        assert production.latest_bill_run().id == 7  # type: ignore[union-attr]
        assert outbound.endpoints()[0].url == "smtp://mail.example.net:25"
    finally:
        production.close()


def test_a_profile_with_only_the_core_queries_has_no_optional_capability(
    sqlite_url: str, tmp_path: Path
) -> None:
    build(sqlite_url)
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db",
                                     keep=CORE_QUERIES))
    try:
        assert capabilities(target) == dict.fromkeys(CAPABILITIES, False)
        assert target.sub_accounts is None and target.pools is None
        assert target.outbound is None and target.provisioning is None
        assert target.account("C-100") is not None  # the core answers
        assert [i.number for i in target.invoices("C-100")] == ["B-7-100"]
        with pytest.raises(CapabilityMissing, match="the target has no pools") as caught:
            require(target.pools, "pools")
        assert caught.value.capability == "pools"
        assert isinstance(caught.value, TargetError)
    finally:
        target.close()


def test_the_full_example_profile_has_what_a_database_can_answer(
    sqlite_url: str, tmp_path: Path
) -> None:
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db"))
    have = capabilities(target)
    assert [name for name, has in have.items() if not has] == [
        "staff_payments", "imports", "portals", "backup"]  # not through a database alone
    target.close()


def test_dropping_a_capability_drops_only_it(sqlite_url: str, tmp_path: Path) -> None:
    build(sqlite_url)
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db",
                                     drop=("payments", "payment_processors")))
    try:
        assert target.payments is None and target.provisioning is not None
        assert target.account("C-100") is not None
    finally:
        target.close()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working directory: messages name the profile relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _load_problems(tmp_path: Path, change: Any) -> list[str]:
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    change(data["target"])
    path = tmp_path / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_profile(path, env={"PYTHON": "python", "HERE": ".", "STAGING_DSN": "s.db",
                                "PRODUCTION_DSN": "p.db"})
    return [p.format() for p in caught.value.problems]


def _line_of(tmp_path: Path, text: str) -> int:
    lines = (tmp_path / "golive.yaml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(text))


def test_a_partial_capability_is_a_load_time_error_with_file_and_line(in_tmp: Path) -> None:
    problems = _load_problems(in_tmp, lambda t: t["queries"].pop("payment_processors"))
    assert problems == [
        f"golive.yaml:{_line_of(in_tmp, 'payments:')}: target.queries.payments: the payments "
        "capability needs payment_processors and payments: add payment_processors, or leave "
        "out payments (then the target has no payments)"]


def test_an_unknown_query_is_a_load_time_error_with_a_suggestion(in_tmp: Path) -> None:
    def rename(target: dict[str, Any]) -> None:
        target["queries"]["acount"] = target["queries"].pop("account")

    problems = _load_problems(in_tmp, rename)
    assert len(problems) == 2
    [unknown] = [p for p in problems if "acount" in p]
    assert unknown.startswith(f"golive.yaml:{_line_of(in_tmp, 'acount:')}: "
                              "target.queries.acount: unknown query (known: account, ")
    assert unknown.endswith(" — did you mean 'account'?")
    [missing] = [p for p in problems if p is not unknown]
    assert missing == (f"golive.yaml:{_line_of(in_tmp, 'queries:')}: target.queries: missing "
                       "the core query account (every SQL target answers "
                       + ", ".join(CORE_QUERIES) + ")")


def test_an_unknown_command_is_a_load_time_error(in_tmp: Path) -> None:
    problems = _load_problems(in_tmp, lambda t: t["commands"].update(
        {"billrun": t["commands"].pop("bill_run")}))
    assert problems == [f"golive.yaml:{_line_of(in_tmp, 'billrun:')}: target.commands.billrun: "
                        "unknown command (known: restore, bill_run, start_billing, "
                        "stop_billing, billing_status) — did you mean 'bill_run'?"]


def test_a_missing_column_is_named(sqlite_url: str, tmp_path: Path) -> None:
    build(sqlite_url)
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db"))
    assert isinstance(target, SqlTarget)
    target.db.queries["outbound"] = "SELECT channel AS kind, url FROM endpoints"
    try:
        with pytest.raises(TargetError) as caught:
            require(target.outbound, "outbound").endpoints()
        message = str(caught.value)
        assert ("target.queries.outbound (used by Target.outbound.endpoints) returns no column "
                "name") in message
        assert "it returns: kind, url" in message
    finally:
        target.close()


def test_restore_copies_a_sqlite_backup_into_staging(tmp_path: Path) -> None:
    backup, staging = tmp_path / "backup.db", tmp_path / "staging.db"
    build(f"sqlite:///{backup}")
    target = open_target(sql_profile(tmp_path, f"sqlite:///{staging}", "sqlite:///prod.db"))
    try:
        evidence = target.restore(backup)
        assert evidence["method"] == "sqlite file copy"
        assert target.account("C-100") is not None
    finally:
        target.close()


# --- Python adapters -----------------------------------------------------------------


class CoreAdapter:
    """A Python adapter with the core only: no capability attribute at all."""

    name = "core-only"

    def __init__(self, profile: Profile, environment: str, options: dict[str, Any]) -> None:
        self.environment = environment
        self.release = profile.target.release
        self.options = options

    def account(self, ref: str) -> AccountView | None:
        return AccountView(ref, "Core Customer", "active", Decimal("1.00"), None, 1)

    def packages(self, ref: str) -> list[PackageView]:
        return []

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[Any]:
        return []

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[Any]:
        return []

    def events(self, since: dt.datetime, levels: Any = ("ERROR",)) -> list[Any]:
        return []

    def billing_settings(self) -> dict[str, str]:
        return {}

    def latest_bill_run(self) -> BillRunView | None:
        return None

    def restore(self, backup: Path) -> dict[str, Any]:
        return {}

    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        raise TargetError("not here")

    def billing_service(self, action: str) -> str:
        return "stopped"

    def close(self) -> None:
        pass


class WithPools(CoreAdapter):
    """An adapter with one capability, given as a plain object."""

    def __init__(self, profile: Profile, environment: str, options: dict[str, Any]) -> None:
        super().__init__(profile, environment, options)
        self.pools = self

    def pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        return PoolView(ref, 100, 40, 0, bill_run_id)


class BrokenPools(CoreAdapter):
    pools = object()  # not None, yet no pool() method


class NotATarget:
    def __init__(self, profile: Any, environment: str, options: dict[str, Any]) -> None:
        self.profile = profile


def python_profile(tmp_path: Path, adapter: str) -> Profile:
    staging = f"sqlite:///{tmp_path / 'staging.db'}"
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    data["target"] = {"kind": "python", "adapter": adapter, "release": "7.2",
                      "options": {"region": "eu"}}
    path = tmp_path / "golive.yaml"
    path.write_text(yaml.safe_dump(data))
    scaffold(tmp_path)
    return load_profile(path, env={"STAGING_DSN": staging, "PRODUCTION_DSN": "sqlite:///p.db"})


def test_a_python_adapter_without_optional_attributes_works(tmp_path: Path) -> None:
    target = open_target(python_profile(tmp_path, f"{__name__}:CoreAdapter"), "staging")
    assert isinstance(target, CoreAdapter) and isinstance(target, Target)
    assert target.options == {"region": "eu"} and target.environment == "staging"
    assert target.release == "7.2" and target.name == "core-only"
    assert capabilities(target) == dict.fromkeys(CAPABILITIES, False)
    with pytest.raises(CapabilityMissing, match="the target has no provisioning"):
        require(target.provisioning, "provisioning")
    view = target.account("X-1")
    assert view is not None and view.balance == Decimal("1.00")


def test_a_python_adapter_capability_is_used_as_given(tmp_path: Path) -> None:
    target = open_target(python_profile(tmp_path, f"{__name__}:WithPools"))
    assert capabilities(target)["pools"] and not capabilities(target)["sub_accounts"]
    assert require(target.pools, "pools").pool("X-1", 3) == PoolView("X-1", 100, 40, 0, 3)


@pytest.mark.parametrize(
    ("adapter", "message"),
    [
        ("no_such_package.adapters:Thing", "cannot import 'no_such_package.adapters'"),
        (f"{__name__}:Missing", "has no class 'Missing'"),
        (f"{__name__}:NotATarget", r"NotATarget lacks the Target method\(s\) account, packages"),
        (f"{__name__}:BrokenPools", r"BrokenPools: its pools lacks pool \(see "
                                    r"harness\.targets\.capabilities\.Pools\), or set pools to "
                                    "None"),
    ],
)
def test_a_bad_adapter_is_a_clear_error(tmp_path: Path, adapter: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        open_target(python_profile(tmp_path, adapter))


def test_steps_needing_an_absent_capability_raise_capability_missing(tmp_path: Path) -> None:
    """The real steps on a core-only target: the core answers, a capability step says which
    capability is missing (the plugin records that as NOT APPLICABLE), never an AttributeError."""
    from harness.checklists import Checklists
    from harness.pytest.context import BillRunInfo, GoliveContext
    from steps import accounts, custom, payments, permissions, provisioning

    profile = python_profile(tmp_path, f"{__name__}:CoreAdapter")
    target = open_target(profile)
    golive = GoliveContext(
        profile=profile, checklists=Checklists(tmp_path, [], [], {}),
        bill_run=BillRunInfo(7, dt.date(2026, 11, 1), None), open_target=lambda: target,
        record_check=lambda check: None, run_dir=tmp_path)
    subject = accounts.named_account(golive, "X-1")
    assert subject.view.number == "X-1"
    calls = {
        "sub_accounts": lambda: accounts.has_children(golive, subject, 5),
        "pools": lambda: accounts.pool_minutes(golive, subject, 10),
        "provisioning": lambda: provisioning.none_failed(golive),
        "payments": lambda: payments.processors_enabled(golive),
        "staff_payments": lambda: payments.staff_payment_stored(golive, "card", "1.00", "X-1"),
        "permissions": lambda: permissions.roles_have_permissions(
            golive, [["role", "permissions"]]),
        "custom_actions": lambda: custom.custom_action_enabled(golive, "late_fee", "after_invoice"),
    }
    for capability, call in calls.items():
        with pytest.raises(CapabilityMissing) as caught:
            call()
        assert caught.value.capability == capability
    assert str(CapabilityMissing("sub_accounts")) == "the target has no sub accounts"
