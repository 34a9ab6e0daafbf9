"""Targets: the YAML-configured SQL target on a hand-made schema (SQLite and PostgreSQL),
and Python adapters by dotted path."""

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

from common.errors import SafetyError
from harness.config import load_profile
from harness.targets import (
    AccountView,
    BillRunView,
    OutboundEndpoint,
    PackageView,
    PoolView,
    TargetError,
    open_target,
)
from harness.targets.sql import SqlTarget

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


def sql_profile(root: Path, staging: str, production: str, drop: str | None = None) -> Any:
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    if drop is not None:
        del data["target"]["queries"][drop]
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data))
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
                               balance=Decimal("41.50"), parent_number=None, bill_day=31,
                               children=["C-101", "C-102"])
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
    assert target.bucket_pool("C-102") == PoolView("C-100", 1000, 1230, 230, 7)  # a child's pool
    assert target.bucket_pool("C-100", bill_run_id=6) == PoolView("C-100", 1000, 400, 0, 6)
    errors = target.events(T(2026, 11, 1, 2, 0))
    assert [(e.source, e.account) for e in errors] == [("rating", "C-101")]
    assert len(target.events(T(2026, 11, 1, 2, 0), levels=("ERROR", "INFO"))) == 2
    assert target.billing_settings() == {"tax_rate": "0.08", "currency": "EUR"}
    assert target.latest_bill_run() == BillRunView(
        7, D(2026, 11, 1), "done", T(2026, 11, 1, 2, 0), T(2026, 11, 1, 2, 9), 1, 1, 1,
        Decimal("51.50"))
    assert target.outbound() == [
        OutboundEndpoint("mail", "smtp", "smtp://mail.example.net:25"),
        OutboundEndpoint("provisioning", "switch", "https://switch.example.net/api"),
    ]


def test_values_are_bound_never_formatted(target: SqlTarget) -> None:
    assert target.account("x' OR '1'='1") is None
    assert target.packages("'; DROP TABLE subs; --") == []
    assert len(target.packages("C-100")) == 2


def test_destructive_operations_on_staging(target: SqlTarget) -> None:
    done = target.run_bill_run(D(2026, 12, 1))  # the profile's command, given $GOLIVE_DSN
    assert done.id == 8 and done.run_date == D(2026, 12, 1) and done.total == Decimal("30.00")
    moved = target.redirect_outbound({"smtp": "smtp://127.0.0.1:2525"})
    assert moved == {"smtp": {"from": "smtp://mail.example.net:25",
                              "to": "smtp://127.0.0.1:2525"}}
    assert target.outbound()[0].url == "smtp://127.0.0.1:2525"
    with pytest.raises(TargetError, match="no endpoint named nowhere"):
        target.redirect_outbound({"nowhere": "http://127.0.0.1:1"})


def test_the_production_target_reads_but_refuses_to_write(db_url: str, tmp_path: Path) -> None:
    build(db_url)
    profile = sql_profile(tmp_path, f"sqlite:///{tmp_path / 'staging.db'}", db_url)
    production = open_target(profile, "production")
    try:
        assert production.billing_settings()["currency"] == "EUR"
        with pytest.raises(SafetyError, match="not the profile's staging database"):
            production.run_bill_run(D(2026, 12, 1))
        with pytest.raises(SafetyError):
            production.redirect_outbound({"smtp": "smtp://127.0.0.1:2525"})
        assert production.latest_bill_run().id == 7  # type: ignore[union-attr]
        assert production.outbound()[0].url == "smtp://mail.example.net:25"
    finally:
        production.close()


def test_a_missing_query_names_the_query_and_the_method(sqlite_url: str, tmp_path: Path) -> None:
    build(sqlite_url)
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db", drop="bucket_pool"))
    try:
        with pytest.raises(TargetError) as caught:
            target.bucket_pool("C-100")
        assert "Target.bucket_pool needs the query target.queries.bucket_pool" in str(caught.value)
        assert target.account("C-100") is not None  # the others still work
    finally:
        target.close()


def test_a_missing_column_is_named(sqlite_url: str, tmp_path: Path) -> None:
    build(sqlite_url)
    target = open_target(sql_profile(tmp_path, sqlite_url, "sqlite:///prod.db"))
    assert isinstance(target, SqlTarget)
    target.queries["outbound"] = "SELECT channel AS kind, url FROM endpoints"
    try:
        with pytest.raises(TargetError) as caught:
            target.outbound()
        message = str(caught.value)
        assert "target.queries.outbound (used by Target.outbound) returns no column name" in message
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


class RecordingAdapter(SqlTarget):
    """A Python adapter: here simply the SQL target, remembering how it was built."""

    def __init__(self, profile: Any, environment: str, options: dict[str, Any]) -> None:
        super().__init__(profile, environment)
        self.name = "recording"
        self.options = options


class NotATarget:
    def __init__(self, profile: Any, environment: str, options: dict[str, Any]) -> None:
        self.profile = profile


def python_profile(tmp_path: Path, adapter: str) -> Any:
    staging = f"sqlite:///{tmp_path / 'staging.db'}"
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    data["target"] = {"kind": "python", "adapter": adapter,
                      "options": {"queries": data["target"]["queries"], "region": "eu"}}
    path = tmp_path / "golive.yaml"
    path.write_text(yaml.safe_dump(data))
    scaffold(tmp_path)
    return load_profile(path, env={"STAGING_DSN": staging, "PRODUCTION_DSN": "sqlite:///p.db"})


def test_python_adapter_by_dotted_path(tmp_path: Path) -> None:
    profile = python_profile(tmp_path, f"{__name__}:RecordingAdapter")
    target = open_target(profile, "staging")
    assert isinstance(target, RecordingAdapter)
    assert target.options["region"] == "eu" and target.environment == "staging"


@pytest.mark.parametrize(
    ("adapter", "message"),
    [
        ("no_such_package.adapters:Thing", "cannot import 'no_such_package.adapters'"),
        (f"{__name__}:Missing", "has no class 'Missing'"),
        (f"{__name__}:NotATarget", r"NotATarget lacks the Target method\(s\) account, packages"),
    ],
)
def test_a_bad_adapter_is_a_clear_error(tmp_path: Path, adapter: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        open_target(python_profile(tmp_path, adapter))


def test_an_unknown_query_name_suggests_the_right_one(sqlite_url: str, tmp_path: Path) -> None:
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    data["target"]["queries"]["acount"] = data["target"]["queries"].pop("account")
    (tmp_path / "golive.yaml").write_text(yaml.safe_dump(data))
    scaffold(tmp_path)
    profile = load_profile(tmp_path / "golive.yaml",
                           env={"PYTHON": "python", "HERE": ".", "STAGING_DSN": sqlite_url,
                                "PRODUCTION_DSN": "sqlite:///p.db"})
    with pytest.raises(TargetError, match=r"unknown query acount .* did you mean 'account'"):
        open_target(profile)
