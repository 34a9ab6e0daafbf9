"""A bill run on a platform with no bill-run table: golive takes a watermark (the highest
invoice id) just before its bill run and the run is what appeared above it; queries bind
:watermark, :started_at and :run_date. Real SQLite, the platform's real bill-run command."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from harness.config import Profile, load_profile
from harness.pipeline import prepare
from harness.record import Outcome, RunRecord, new_run_id, now
from harness.targets.loader import open_target
from tests.furnish import furnish

DATA = Path(__file__).parent / "data"
SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, ref VARCHAR(20), name VARCHAR(60));
CREATE TABLE plans (id INTEGER PRIMARY KEY, cust_id INTEGER, code VARCHAR(20),
  price NUMERIC(12, 2), next_bill DATE);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, cust_id INTEGER, no VARCHAR(30), issued DATE,
  total NUMERIC(12, 2), created TIMESTAMP);
CREATE TABLE lines (id INTEGER PRIMARY KEY, invoice_id INTEGER, kind VARCHAR(20),
  amount NUMERIC(12, 2), memo VARCHAR(60));
CREATE TABLE config (k VARCHAR(20), v VARCHAR(20));
INSERT INTO customers VALUES (1, 'K-1', 'Ann'), (2, 'K-2', 'Ben'), (3, 'K-3', 'Cy');
INSERT INTO plans VALUES (1, 1, 'FIBRE', 30.00, '2026-11-01'), (2, 2, 'FIBRE', 30.00,
  '2026-11-01'), (3, 3, 'COPPER', 12.50, '2026-12-01');
INSERT INTO invoices VALUES (1, 1, 'INV-202610-1', '2026-10-01', 30.00, '2026-10-01 02:00:00'),
  (2, 2, 'INV-202610-2', '2026-10-01', 30.00, '2026-10-01 02:00:00'),
  (3, 3, 'INV-202610-3', '2026-10-01', 12.50, '2026-10-01 02:00:00');
INSERT INTO lines VALUES (1, 1, 'charge', 30.00, 'plan'), (2, 2, 'charge', 30.00, 'plan'),
  (3, 3, 'charge', 12.50, 'plan');
INSERT INTO config VALUES ('currency', 'EUR');
"""


def _profile(root: Path) -> Profile:
    production = root / "production.db"
    engine = sa.create_engine(f"sqlite:///{production}")
    with engine.begin() as conn:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement))
    engine.dispose()
    (root / "backup").mkdir()
    shutil.copy(production, root / "backup" / "pre-bill-run.db")
    path = root / "golive.yaml"
    shutil.copy(DATA / "no_runs_profile.yaml", path)
    furnish(root)
    return load_profile(path, env={"PYTHON": sys.executable, "HERE": str(DATA),
                                   "PRODUCTION_DSN": f"sqlite:///{production}",
                                   "STAGING_DSN": f"sqlite:///{root / 'staging.db'}"})


def test_the_run_is_what_appeared_above_the_watermark(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="t",
                       target="sql")
    before = dt.datetime.now(dt.UTC)
    prepared = prepare(profile, record)
    try:
        stages = {s.name: s for s in record.stages}
        assert stages["bill_run"].outcome is Outcome.PASSED
        mark = stages["bill_run"].evidence["bill_run_mark"]
        assert mark["watermark"] == 3 and mark["run_date"] == "2026-11-01"
        assert dt.datetime.fromisoformat(mark["started_at"]) >= before
        ran = stages["bill_run"].evidence["commands"]
        assert ran[0]["exit_code"] == 0 and ran[0]["stdout_tail"] == [
            "billed 2 customers for 2026-11-01"]
        run = prepared.bill_run
        assert run is not None
        assert (run.id, run.run_date, run.accounts_billed, run.invoices, run.total) == (
            3, dt.date(2026, 11, 1), 2, 2, Decimal("60.00"))
        local = before.astimezone().replace(tzinfo=None)  # SQLite's :started_at: local time
        assert run.started_at is not None and run.started_at >= local
        target = prepared.target
        assert [i.number for i in target.invoices("K-1", bill_run_id=run.id)] == ["INV-202611-1"]
        assert [i.number for i in target.invoices("K-1")] == ["INV-202610-1", "INV-202611-1"]
        assert target.invoices("K-3", bill_run_id=run.id) == []  # not due: not in the run
        assert [t.bill_run_id for t in target.transactions("K-2")] == [None, 3]
    finally:
        prepared.close()
    # another process (a pytest worker, a reused staging) identifies the same run
    again = open_target(profile)
    try:
        latest = again.latest_bill_run()
        assert latest is not None and (latest.id, latest.invoices) == (3, 2)
    finally:
        again.close()


def test_without_golives_run_there_is_no_run_and_a_restore_forgets_it(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    shutil.copy(tmp_path / "production.db", tmp_path / "staging.db")
    target = open_target(profile)
    try:
        assert target.latest_bill_run() is None  # the platform records none; golive ran none
        assert target.run_bill_run(dt.date(2026, 11, 1)).invoices == 2
        assert target.latest_bill_run() is not None
        target.restore(tmp_path / "backup" / "pre-bill-run.db")
        assert target.latest_bill_run() is None
    finally:
        target.close()
    production = open_target(profile, "production")  # production's runs are not golive's
    try:
        assert production.latest_bill_run() is None
    finally:
        production.close()
