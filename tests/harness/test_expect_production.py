"""Diverse accounts take their expectations from production (issue 11, item 4).

On the real demo (production generated and billed on 1.0, staging restored, sanitized and
billed through the pipeline on 1.1 or a regressed release): a diverse account with
``expect: production`` is checked field by field against its rows in the baseline; a
regressed release fails with production's value beside staging's, in the step's message,
the run record and the HTML report; a hand-written value overrides production's check of
the same name and is recorded and shown as hand-written; without a population section,
``expect: production`` is a configuration error at load time, naming file and line.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from common.errors import ConfigError
from harness.baseline.oracle import open_oracle
from harness.checklists import load_checklists
from harness.config import Profile, load_profile
from harness.pipeline import prepare
from harness.pytest.context import BillRunInfo, GoliveContext
from harness.record import AccountCheck, ExpectedFrom, RunRecord, RunStatus, new_run_id, now
from harness.reports import write_reports
from steps import accounts as steps
from tests.furnish import furnish

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROFILE = """\
name: expect production on the demo
target:
  kind: demo
  release: "{release}"
environments:
  production:
    dsn: sqlite:///{shared}/production.db
  staging:
    dsn: sqlite:///staging.db
    staging: true
backup:
  path: {shared}/backups/pre-bill-run.manifest.json
  generate:
    accounts: 60
    seed: 42
bill_run:
  date: 2026-11-01
checklists:
  dir: checklists
report:
  dir: reports
"""
ACCOUNTS = """\
accounts:
- id: ACC-BOB
  account: A000001
  why: ten packages of mixed periods
- id: ACC-BOB-WRITTEN
  account: A000001
  why: the same account with hand-written overrides
  expect:
    balance: "1.00"                # not what production billed: the override decides
    next_bill_dates:
      DOMAIN-Y: 2027-11-01         # what production billed, written by hand
- id: ACC-PICK-A000002
  account: A000002
  why: picked
  picked: true
- id: ACC-PICK-A000013
  account: A000013
  why: picked
  picked: true
"""


@dataclass
class Staging:
    profile: Profile
    bill_run_id: int | None


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("expect-production")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEMO_HOME", str(base / "demo-home"))
        yield base


@pytest.fixture(scope="module")
def staging(shared: Path) -> Callable[[str], Staging]:
    """Staging prepared by the real pipeline on ``release``, once per release."""
    population = yaml.safe_dump(
        {"population": yaml.safe_load((ROOT / "golive.yaml").read_text())["population"]})
    made: dict[str, Staging] = {}

    def run(release: str) -> Staging:
        if release not in made:
            folder = shared / release
            furnish(folder)
            shutil.copy(ROOT / "checklists" / "critical.yaml", folder / "checklists")
            (folder / "checklists" / "accounts.yaml").write_text(ACCOUNTS)
            path = folder / "golive.yaml"
            path.write_text(PROFILE.format(release=release, shared=shared) + population)
            profile = load_profile(path)
            record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(),
                               profile=str(path), target="demo")
            prepared = prepare(profile, record)
            bill_run = prepared.bill_run
            prepared.close()
            made[release] = Staging(profile, int(bill_run.id) if bill_run else None)
        return made[release]

    return run


def verify(staging: Staging, account_id: str | None, tmp_path: Path
           ) -> tuple[list[AccountCheck], AssertionError | None]:
    """The checklist's scenario for ``account_id`` (None: the picked accounts' scenario),
    as the plugin runs it: every check recorded, and the step's failure (None: passed)."""
    from harness.targets.loader import open_target

    profile = staging.profile
    assert profile.population is not None
    checks: list[AccountCheck] = []
    target = open_target(profile, "staging")
    oracle = open_oracle(profile.population, profile.state_dir, profile.target_dsn(),
                         profile.bill_run.date)
    golive = GoliveContext(
        profile=profile, checklists=load_checklists(profile.checklists.dir),
        bill_run=BillRunInfo(staging.bill_run_id, profile.bill_run.date, None),
        open_target=lambda: target, record_check=checks.append, run_dir=tmp_path,
        scenario=f"features/accounts.feature::{account_id}", open_production=lambda: oracle)
    try:
        if account_id is None:
            steps.picked_accounts(golive)
        else:
            steps.matches_checklist(golive, steps.diverse_account(golive, account_id))
        failure = None
    except AssertionError as exc:
        failure = exc
    finally:
        oracle.close()
        target.close()
    return checks, failure


def by_name(checks: list[AccountCheck]) -> dict[str, AccountCheck]:
    names = [c.check for c in checks]
    assert len(names) == len(set(names)), "every check is named once"
    return {c.check: c for c in checks}


def production(shared: Path, sql: str) -> str:
    with sqlite3.connect(shared / "production.db") as conn:
        return str(conn.execute(sql).fetchone()[0])


def html_row(html: str, account: str, check: str) -> str:
    """The accounts table's row of ``account``'s ``check``, its tags stripped."""
    for row in re.findall(r"<tr class=\"[^\"]*\"><td class=\"account-key\">.*?</tr>", html):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        if text.startswith(account) and f" {check} " in f" {text} ":
            return text
    raise AssertionError(f"no row for {account} {check}")


def render(checks: list[AccountCheck], out: Path) -> str:
    record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(),
                       profile="golive.yaml", target="demo", status=RunStatus.COMPLETE)
    record.accounts = checks
    write_reports(record, out)
    return (out / "signoff.html").read_text(encoding="utf-8")


def test_a_diverse_account_takes_every_value_from_production(
        staging: Callable[[str], Staging], shared: Path, tmp_path: Path) -> None:
    checks, failure = verify(staging("1.1"), "ACC-BOB", tmp_path)
    assert failure is None, failure
    named = by_name(checks)
    assert {c.expected_from for c in checks} == {ExpectedFrom.PRODUCTION}
    assert all(c.ok and c.label == "ACC-BOB" and c.account == "A000001" for c in checks)
    # every compared field of every dataset: the account, its ten packages, its charges
    assert named["balance"].expected == production(
        shared, "SELECT printf('%.2f', balance) FROM accounts WHERE number = 'A000001'")
    assert named["next bill date DOMAIN-Y"].expected == "2027-11-01"
    assert named["next bill date SUPPORT-Y"].expected == "2027-05-01"
    assert named["next bill date INSTALL"].expected == "(none)"  # a one-off, billed and ended
    assert named["charges DOMAIN-Y"].expected == "49.00"
    assert {"status", "invoice total", "usage charge", "pooled minutes applied",
            "status NET-1000", "product discounts NET-1000"} <= named.keys()
    assert len([n for n in named if n.startswith("next bill date ")]) == 10


def test_a_regressed_release_fails_with_production_beside_staging(
        staging: Callable[[str], Staging], tmp_path: Path) -> None:
    checks, failure = verify(staging("1.1-yearly-one-month"), "ACC-BOB", tmp_path)
    assert failure is not None
    message = str(failure)
    assert ("account ACC-BOB (A000001): next bill date DOMAIN-Y: production 2027-11-01, "
            "staging 2026-12-01, -11 months") in message  # a yearly package moved by a month
    named = by_name(checks)
    wrong = named["next bill date DOMAIN-Y"]
    assert (wrong.ok, wrong.expected, wrong.actual, wrong.expected_from) == (
        False, "2027-11-01", "2026-12-01", ExpectedFrom.PRODUCTION)
    assert named["next bill date NET-1000"].ok  # monthly packages are not touched
    failed = {c.check for c in checks if not c.ok}
    assert failed == {"next bill date DOMAIN-Y"}, failed  # SUPPORT-Y was not due
    html = render(checks, tmp_path / "report")
    row = html_row(html, "A000001", "next bill date DOMAIN-Y")
    assert "2027-11-01 production 2026-12-01 mismatch" in row, row


def test_a_hand_written_value_overrides_production_and_is_shown_as_such(
        staging: Callable[[str], Staging], shared: Path, tmp_path: Path) -> None:
    checks, failure = verify(staging("1.1"), "ACC-BOB-WRITTEN", tmp_path)
    billed = production(
        shared, "SELECT printf('%.2f', balance) FROM accounts WHERE number = 'A000001'")
    assert failure is not None
    assert str(failure) == (f"account ACC-BOB-WRITTEN (A000001): balance: hand-written 1.00 "
                            f"(production {billed}), staging {billed}, "
                            f"+{float(billed) - 1:.2f}")
    named = by_name(checks)  # the override replaces production's check of that name
    assert (named["balance"].expected, named["balance"].expected_from) == (
        "1.00", ExpectedFrom.CHECKLIST)
    domain = named["next bill date DOMAIN-Y"]
    assert (domain.ok, domain.expected, domain.expected_from) == (
        True, "2027-11-01", ExpectedFrom.CHECKLIST)
    others = [c for c in checks if c.check not in ("balance", "next bill date DOMAIN-Y")]
    assert others and {c.expected_from for c in others} == {ExpectedFrom.PRODUCTION}
    assert all(c.ok for c in others)
    html = render(checks, tmp_path / "report")
    assert "1.00 hand-written checklist" in html_row(html, "A000001", "balance")
    assert "hand-written" in html_row(html, "A000001", "next bill date DOMAIN-Y")
    assert "hand-written" not in html_row(html, "A000001", "status")


def test_the_picked_accounts_are_checked_against_production_without_a_feature_naming_them(
        staging: Callable[[str], Staging], tmp_path: Path) -> None:
    checks, failure = verify(staging("1.1"), None, tmp_path)
    assert failure is None, failure
    assert {c.label for c in checks} == {"ACC-PICK-A000002", "ACC-PICK-A000013"}
    assert {c.expected_from for c in checks} == {ExpectedFrom.PRODUCTION}
    checks, failure = verify(staging("1.1-yearly-one-month"), None, tmp_path)
    assert failure is not None  # A000013's yearly packages were due: moved by a month
    assert {c.label for c in checks if not c.ok} == {"ACC-PICK-A000013"}
    assert ("account ACC-PICK-A000013 (A000013): next bill date NET-500-Y: production "
            "2027-11-01, staging 2026-12-01, -11 months") in str(failure)


# -- without a population section ----------------------------------------------------------

def test_expect_production_without_population_is_a_load_error_at_its_line(
        tmp_path: Path) -> None:
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(ROOT / "checklists" / "critical.yaml", folder)
    (folder / "accounts.yaml").write_text(
        "accounts:\n"
        "- id: ACC-ONE\n  account: A1\n  why: default, production\n"
        "- id: ACC-TWO\n  account: A2\n  why: written out\n  expect: production\n"
        "- id: ACC-THREE\n  account: A3\n  why: hand-written\n  expect: {balance: '1.00'}\n")
    with pytest.raises(ConfigError) as caught:
        load_checklists(folder, production=False)
    lines = str(caught.value).splitlines()[1:]
    assert len(lines) == 2, lines
    assert lines[0].endswith("accounts.yaml:2: accounts[0]: ACC-ONE takes its expectations "
                             "from production (no expect: means expect: production), but the "
                             "profile has no population section to read them from: add "
                             "population to the profile, or write the values under expect:")
    assert "accounts.yaml:8: accounts[1].expect: ACC-TWO takes its expectations" in lines[1]
    loaded = load_checklists(folder)  # with a population: production's values, no error
    assert [a.from_production for a in loaded.accounts] == [True, True, False]


def test_golive_refuses_the_demo_checklist_on_a_profile_without_population(
        tmp_path: Path) -> None:
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text())
    del profile["population"]
    profile["checklists"]["dir"] = str(ROOT / "checklists")
    path = tmp_path / "golive.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    golive = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]
    done = subprocess.run([*golive, "checklist", "--profile", str(path)], capture_output=True,
                          text=True, cwd=ROOT, check=False, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert re.search(r"checklists/accounts\.yaml:\d+: accounts\[0\]: ACC-BOB takes its "
                     r"expectations from production", output), output
    # the hand-written overrides are fine without a population: only the others are named
    assert "ACC-EOM31" not in output and "ACC-LEAP" not in output
