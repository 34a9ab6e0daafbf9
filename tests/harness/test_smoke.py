"""Post-go-live smoke: production refuses every write golive or a step could make — tried.

A real demo production database (SQLite, generated), opened the way `golive smoke`
opens it: the target's write guard, the read-only connection under it, the read-only
portals, and the steps' `require_writable`. Production's file must not change a byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from common.errors import SafetyError
from harness.checklists import load_checklists
from harness.config import Profile, load_profile
from harness.pytest.context import BillRunInfo, GoliveContext
from harness.record import Outcome, RunRecord, RunStatus, ScenarioResult, StageResult, Verdict
from harness.smoke import decide_smoke, prepare_smoke, scope
from harness.targets.base import require
from harness.targets.loader import open_target
from tests.harness.gate_records import Rules

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 60


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo production that went live on 1.1: generated, then billed on the new release."""
    from demo.billing import run_bill_run
    from demo.db import make_engine
    from demo.generate import generate
    from demo.releases import get_release
    from demo.upgrade import upgrade

    path = tmp_path_factory.mktemp("live") / "production.db"
    generate(f"sqlite:///{path}", ACCOUNTS, 42, as_of=dt.date(2026, 10, 31))
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, get_release("1.1"))
    run_bill_run(engine, dt.date(2026, 11, 1), get_release("1.1"))
    engine.dispose()
    return path


@pytest.fixture
def profile(tmp_path: Path, production: Path) -> Profile:
    path = tmp_path / "golive.yaml"
    path.write_text(f"""\
name: smoke test
target: {{kind: demo, release: "1.1"}}
environments:
  production: {{dsn: "sqlite:///{production}", read_only: true}}
  staging: {{dsn: "sqlite:///{tmp_path / 'staging.db'}", staging: true}}
backup: {{path: backup.db}}
bill_run: {{date: 2026-11-01}}
checklists: {{dir: {ROOT / 'checklists'}}}
features: {{dir: {ROOT / 'features'}}}
""", encoding="utf-8")
    (tmp_path / "backup.db").touch()  # backup.path: the loader checks it exists
    return load_profile(path)


def test_every_destructive_operation_and_write_is_refused_on_production(
        profile: Profile, production: Path, tmp_path: Path) -> None:
    before = digest(production)
    target = open_target(profile, "production")
    outbound = require(target.outbound, "outbound")
    staff_payments = require(target.staff_payments, "staff_payments")
    imports = require(target.imports, "imports")
    attempts: dict[str, Any] = {
        "restore": lambda: target.restore(tmp_path / "backup.db"),
        "bill run": lambda: target.run_bill_run(dt.date(2026, 12, 1)),
        "billing service start": lambda: target.billing_service("start"),
        "redirect outbound": lambda: outbound.redirect({"mail": "smtp://127.0.0.1:1"}),
        "take payment": lambda: staff_payments.take("A000003", Decimal("1.00"), "card",
                                                    "4111111111111111"),
        "import": lambda: imports.import_file("usage",
                                              ROOT / "features/data/usage-import.csv"),
    }
    try:
        for name, attempt in attempts.items():
            with pytest.raises(SafetyError, match="refusing to write to sqlite"):
                attempt()
            assert name
        # the connection under the guard refuses too, whoever writes through it
        engine = target.db.engine  # type: ignore[attr-defined]  # the demo target's database
        with pytest.raises(OperationalError, match="readonly"), engine.begin() as conn:
            conn.execute(text("UPDATE accounts SET balance = 0"))
        assert target.account("A000001") is not None  # reading works
        assert target.release == "1.1"  # production runs what went live
    finally:
        target.close()
    assert digest(production) == before


def test_the_portals_of_production_cannot_write(profile: Profile, production: Path) -> None:
    before = digest(production)
    target = open_target(profile, "production")
    try:
        url = require(target.portals, "portals").urls().customer_url + "/signup"
        with urllib.request.urlopen(url, timeout=10) as page:  # reading the page works
            assert page.status == 200
        form = urllib.parse.urlencode({
            "first_name": "Smoke", "last_name": "Test", "email": "smoke@example.com",
            "phone": "555", "street": "1 Road", "city": "Town", "postcode": "1",
            "product_id": "1", "password": "secret"}).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, data=form, timeout=10)
        assert refused.value.code == 500
        assert target.account("A000061") is None  # no account was made
    finally:
        target.close()
    assert digest(production) == before


def test_a_writing_step_refuses_before_it_acts(profile: Profile) -> None:
    target = open_target(profile, "production")
    golive = GoliveContext(profile=profile, checklists=load_checklists(ROOT / "checklists"),
                           bill_run=BillRunInfo.unknown(), open_target=lambda: target,
                           record_check=lambda check: None, run_dir=Path("."))
    try:
        with pytest.raises(SafetyError, match="refusing posting a credit adjustment to "
                                              "A000050: the target is production"):
            golive.require_writable("posting a credit adjustment to A000050")
    finally:
        target.close()


def test_smoke_preparation_skips_every_stage_and_reads_production(profile: Profile) -> None:
    record = RunRecord("r", "2026-12-01T10:00:00+00:00", str(profile.path), "demo",
                       mode="smoke")
    prepared = prepare_smoke(profile, record)
    try:
        assert prepared.target.environment == "production"
        assert prepared.bill_run is not None and prepared.bill_run.run_date == dt.date(2026, 11, 1)
        assert {s.outcome for s in record.stages} == {Outcome.SKIPPED}
        assert [s.name for s in record.stages][:4] == ["backup", "baseline", "restore",
                                                        "sanitize"]
    finally:
        prepared.close()


def smoke_record(outcome: Outcome, stage: Outcome = Outcome.SKIPPED) -> RunRecord:
    from harness.coverage import compute_coverage
    from tests.harness.gate_records import ITEMS

    record = RunRecord("r", "2026-12-01T10:00:00+00:00", "p", "demo", mode="smoke",
                       status=RunStatus.COMPLETE)
    record.stages = [StageResult("restore", stage, evidence={"smoke": True})]
    record.scenarios = [ScenarioResult("f::s", "f.feature", "portal", 1, ["readonly"],
                                       ["CF-PAY-01"], outcome)]
    compute_coverage(record, ITEMS, {})
    scope(record)
    decide_smoke(record, Rules(), dt.date(2026, 12, 1))
    return record


def test_the_smoke_gate_judges_only_what_it_re_tested() -> None:
    good = smoke_record(Outcome.PASSED)
    assert good.verdict is Verdict.GO, good.gate
    assert [c.item_id for c in good.checklist] == ["CF-PAY-01"]
    assert any("not re-tested by the smoke" in n and "CF-BILL-01" in n for n in good.notes)
    bad = smoke_record(Outcome.FAILED)
    assert bad.verdict is Verdict.NO_GO
    touched = smoke_record(Outcome.PASSED, stage=Outcome.PASSED)
    assert touched.verdict is Verdict.NO_GO
    assert not next(g for g in touched.gate if g.name == "production untouched").passed
