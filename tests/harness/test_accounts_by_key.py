"""Accounts by stable key, shown with the name staging gives them.

Checklists and features name an account by its key (number, code); the name
is read from staging (after sanitizing) and shown beside the key in the run
record and the report; a name that matches several accounts is an error
naming their keys — on the SQL target, the demo target and a Python adapter.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.checklists import load_checklists
from harness.record import Outcome
from harness.targets.base import AmbiguousAccount
from harness.targets.demo import DemoTarget
from harness.targets.loader import open_target
from tests.harness.plugin_project import write_project
from tests.harness.target_profiles import demo_profile
from tests.harness.test_targets import build, sql_profile

pytest_plugins = ["pytester"]


def test_sql_target_a_shared_name_is_an_error_naming_the_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'staging.db'}"
    build(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO cust (id, acct_no, full_name, state, bal, cycle_day) "
                             "VALUES (9, 'C-200', 'Jane Doe', 'active', '0', 1)"))
    engine.dispose()
    target = open_target(sql_profile(tmp_path, url, f"sqlite:///{tmp_path / 'prod.db'}"))
    try:
        with pytest.raises(AmbiguousAccount) as caught:
            target.account("Jane Doe")
        assert str(caught.value) == ("'Jane Doe' matches 2 accounts: C-100, C-200 — name the "
                                     "account by its key (account number or code)")
        assert caught.value.keys == ["C-100", "C-200"]
        assert target.account("C-200").name == "Jane Doe"  # type: ignore[union-attr]
    finally:
        target.close()


def test_demo_target_a_shared_name_is_an_error_naming_the_keys(tmp_path: Path) -> None:
    from demo.generate import generate

    url = f"sqlite:///{tmp_path / 'staging.db'}"
    generate(url, 31, 42)
    target = DemoTarget(demo_profile(tmp_path, url))
    try:
        with target.db.engine.begin() as conn:  # sanitizing gave three accounts one name
            conn.execute(sa.text("UPDATE accounts SET name = 'Pat Lee' "
                                 "WHERE number IN ('A000005', 'A000003', 'A000009')"))
        with pytest.raises(AmbiguousAccount, match=r"'Pat Lee' matches 3 accounts: "
                                                   r"A000003, A000005, A000009 — name"):
            target.account("Pat Lee")
        assert target.account("A000005").name == "Pat Lee"  # type: ignore[union-attr]
    finally:
        target.close()


def test_a_checklist_account_that_looks_like_a_name_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(textwrap.dedent("""\
        items:
          - {id: CF-BILL-02, title: t, why: w, critical: true, severity: high, owner: o,
             mode: automated}
        accounts:
          - {id: ACC-BOB, account: Bob Smith, why: w, expect: {balance: "1.00"}}
          - {id: ACC-JANE, account: A000002, why: w, expect: {balance: "1.00"}}
        """))
    warnings = [w.format() for w in load_checklists(tmp_path).warnings]
    assert any("ACC-BOB: account 'Bob Smith' looks like a name: name it by its key" in w
               for w in warnings), warnings
    assert not any("ACC-JANE" in w for w in warnings)


NAMED_TARGET = '''
from decimal import Decimal

from harness.targets.base import AmbiguousAccount
from harness.targets.views import AccountView

ACCOUNTS = {"A1": "Jane Doe", "A2": "Jane Doe", "B1": "Bob <b>Smith</b>"}


class FakeTarget:
    """Staging after sanitizing: two accounts now share a name."""

    name = "named"

    def __init__(self, profile, environment, options):
        self.environment = environment
        self.release = None

    def account(self, ref):
        if ref in ACCOUNTS:
            return AccountView(ref, ACCOUNTS[ref], "active", Decimal("10.00"), None, 1)
        keys = sorted(k for k, v in ACCOUNTS.items() if v == ref)
        if len(keys) > 1:
            raise AmbiguousAccount(ref, keys)
        return self.account(keys[0]) if keys else None

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

ACCOUNTS_FEATURE = """\
@CF-BILL-01
Feature: Accounts by key
  Scenario: Bob by his checklist entry
    Given the diverse account "ACC-BOB" from the checklist
    Then it matches every expectation in the checklist

  Scenario: Jane by a name two accounts share
    Given the account "Jane Doe"
    Then its balance is "10.00"
"""


def test_a_run_records_key_name_and_checklist_id_and_refuses_a_shared_name(
        pytester: pytest.Pytester) -> None:
    root = write_project(pytester, {"accounts.feature": ACCOUNTS_FEATURE})
    (root / "fake_target.py").write_text(NAMED_TARGET)
    checklist = root / "checklists" / "critical.yaml"
    checklist.write_text(checklist.read_text().replace("account: BOB", "account: B1"))
    result = pytester.runpytest("--golive-profile", "golive.yaml", "--golive-no-prepare")
    assert result.ret == 1
    (run_dir,) = [p for p in (root / "reports").iterdir()
                  if p.name != "latest" and not p.name.startswith(".")]  # not .state
    from harness.record import RunRecord

    record = RunRecord.load(run_dir / "run.json")
    outcomes = {s.name: (s.outcome, s.error) for s in record.scenarios}
    assert outcomes["Bob by his checklist entry"][0] is Outcome.PASSED
    jane = outcomes["Jane by a name two accounts share"]
    assert jane[0] is Outcome.ERROR
    assert "'Jane Doe' matches 2 accounts: A1, A2 — name the account by its key" in str(jane[1])
    (check,) = record.accounts
    assert (check.account, check.name, check.label, check.check, check.ok) == (
        "B1", "Bob <b>Smith</b>", "ACC-BOB", "balance", True)
    html = (run_dir / "signoff.html").read_text()
    assert ('<td class="account-key">B1 <span class="muted">ACC-BOB</span></td>'
            '<td class="account-name">Bob &lt;b&gt;Smith&lt;/b&gt;</td>') in html
