"""A tiny golive project written into a pytester directory: profile, checklist, fake target.

Shared by the plugin and CLI tests. Like a user's project, it has no conftest.py
and no test module: golive's entry point collects the features and the profile's
``features.steps`` names the project's own step module. The target is a Python
adapter (``fake_target``) holding two accounts in memory; the steps
(``fake_steps``) use only the ``golive`` fixture, as real steps do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.record import Outcome, RunRecord, StageResult
from harness.sections import OutboundSection, SanitizeSection
from harness.targets.loader import open_target

PROFILE = """\
name: plugin test
target:
  kind: python
  adapter: fake_target:FakeTarget
environments:
  production:
    dsn: sqlite:///production.db
    read_only: true
  staging:
    dsn: sqlite:///staging.db
    staging: true
backup:
  path: backup.db
bill_run:
  date: 2026-11-01
checklists:
  dir: checklists
features:
  dir: features
  steps: [fake_steps]
gate:
  blocking_severities: [severe, high]
report:
  dir: reports
  title: Plugin test sign-off
"""

CHECKLIST = """\
items:
  - id: CF-PAY-01
    title: Payments process
    why: money
    critical: true
    severity: severe
    owner: billing
    mode: automated
  - id: CF-BILL-01
    title: The bill run completes
    why: invoices
    critical: true
    severity: high
    owner: billing
    mode: automated
  - id: CF-DOCS-01
    title: Release notes read
    why: training
    critical: false
    severity: low
    owner: qa
    mode: automated
accounts:
  - id: ACC-BOB
    account: BOB
    why: ten packages
    checklist: [CF-BILL-01]
    expect:
      balance: "10.00"
"""

FAKE_TARGET = '''
from decimal import Decimal
import datetime as dt

from harness.targets.views import AccountView


class FakeTarget:
    """An in-memory staging system: the core of the Target protocol, no capability."""

    name = "fake"

    def __init__(self, profile, environment, options):
        self.environment = environment
        self.release = getattr(profile.target, "release", None)
        self.balances = {"BOB": Decimal("10.0"), "JANE": Decimal("3.50")}

    def account(self, ref):
        if ref not in self.balances:
            return None
        return AccountView(ref, ref.title(), "active", self.balances[ref], None, 1)

    def packages(self, ref): return []
    def transactions(self, ref, bill_run_id=None): return []
    def invoices(self, ref, bill_run_id=None): return []
    def events(self, since, levels=("ERROR",)): return []
    def billing_settings(self): return {}
    def latest_bill_run(self): return None
    def restore(self, backup): return {}
    def run_bill_run(self, run_date): raise NotImplementedError
    def billing_service(self, action): return "stopped"
    def close(self): pass
'''

FAKE_STEPS = '''
import pytest
from pytest_bdd import given, parsers, then, when


@given("the bill run has finished")
def _(golive):
    assert golive.bill_run.date is not None


@when("nothing happens")
def _():
    pass


@then(parsers.parse("account {account} has balance {amount}"))
def _(golive, account, amount):
    golive.check_account(account, "balance", amount, golive.target.account(account).balance)


@then("the expected balance of ACC-BOB matches")
def _(golive):
    expected = golive.expected_account("ACC-BOB")
    actual = golive.target.account(expected.account).balance
    golive.check_account(expected.account, "balance", expected.expect.balance, actual)


@then("it fails")
def _():
    assert 1 == 2, "deliberate failure"


@then("it is skipped")
def _():
    pytest.skip("not today")


@then("a fixture breaks")
def _(broken):
    pass


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


@then("it passes")
def _():
    pass
'''


PASSING = """\
Feature: Billing
  @CF-PAY-01
  Scenario: A payment is taken
    Given the bill run has finished
    When nothing happens
    Then it passes

  @CF-BILL-01
  Scenario: Bob is billed right
    Given the bill run has finished
    Then account BOB has balance 10.00
    And the expected balance of ACC-BOB matches
"""


def write_project(pytester: pytest.Pytester, features: dict[str, str] | None = None) -> Path:
    """The project; ``features`` maps file names to .feature text (default: two passing)."""
    root = pytester.path
    (root / "golive.yaml").write_text(PROFILE, encoding="utf-8")
    (root / "backup.db").touch()  # backup.path: the loader checks it exists
    (root / "checklists").mkdir()
    (root / "checklists" / "critical.yaml").write_text(CHECKLIST, encoding="utf-8")
    (root / "features").mkdir()
    for name, text in (features or {"billing.feature": PASSING}).items():
        (root / "features" / name).write_text(text, encoding="utf-8")
    (root / "fake_target.py").write_text(FAKE_TARGET, encoding="utf-8")
    (root / "fake_steps.py").write_text(FAKE_STEPS, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n", "utf-8")
    pytester.syspathinsert()
    return root


@dataclass
class Prepared:
    """What the stub pipeline returns, shaped like harness.pipeline's result."""

    bill_run: Any
    started_at: dt.datetime
    target: Any
    closed: list[bool] = field(default_factory=list)

    def close(self, how: str = "stopped at the end of the run") -> None:
        self.closed.append(True)
        self.target.close()


@dataclass(frozen=True)
class StubBillRun:
    id: int
    run_date: dt.date
    started_at: dt.datetime


def stub_pipeline(monkeypatch: pytest.MonkeyPatch, calls: Path, fail: Exception | None = None
                  ) -> None:
    """Replace harness.pipeline.prepare: records its stages, counts calls in ``calls``."""

    def prepare(profile: Any, record: RunRecord, reuse: bool = False, progress: Any = None,
                on_stage: Any = None, on_start: Any = None, ledger: Any = None) -> Prepared:
        with calls.open("a", encoding="utf-8") as out:
            out.write("prepare\n")
        if fail is not None:
            record.stages.append(StageResult("restore", Outcome.ERROR, error=str(fail)))
            raise fail
        started = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
        for name in ("restore", "sanitize", "lockdown", "bill_run"):
            progress(f"{name} …")
            stage = StageResult(name, Outcome.PASSED, started.isoformat(), 0.1)
            record.stages.append(stage)
            on_stage(stage)
        # the evidence the gate's safety rules read, as the real stages write it
        record.sanitize = SanitizeSection(enabled=True, residue=[])
        record.outbound = OutboundSection(escaped=[])
        return Prepared(StubBillRun(7, profile.bill_run.date, started), started,
                        open_target(profile))

    import harness.pipeline as module

    monkeypatch.setattr(module, "prepare", prepare)


def latest_record(root: Path) -> RunRecord:
    runs = [p for p in (root / "reports").iterdir()
            if p.name != "latest" and not p.name.startswith(".") and p.is_dir()]
    assert len(runs) == 1, runs
    return RunRecord.load(runs[0] / "run.json")
