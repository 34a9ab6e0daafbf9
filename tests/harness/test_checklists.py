"""Checklists: the shipped ones follow the seed; files merge; manual results load.

Malformed checklists are data files under ``bad_inputs/checklists_*`` run by the
parametrised test in test_config.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import ConfigError
from harness.checklists import load_checklists

ROOT = Path(__file__).resolve().parents[2]

SEED_TWELVE = [
    "CF-PROV-01", "CF-PRICE-01", "CF-PAY-01", "CF-PORTAL-01", "CF-TICKET-01", "CF-REPORT-01",
    "CF-PAYONLINE-01", "CF-SIGNUP-01", "CF-CONTACT-01", "CF-PORTALDATA-01", "CF-CUSTOM-01",
    "CF-IMPORT-01",
]
ADDED = ["CF-BILL-01", "CF-BILL-02", "CF-LOG-01", "CF-PERM-01", "CF-LOCK-01"]

ITEMS = """\
notice: Anything provisioning externally is critical.
items:
  - id: CF-BILL-01
    title: Bill run completes
    why: it is the release's job
    critical: true
    severity: severe
    owner: billing
    mode: automated
  - id: CF-BILL-02
    title: Diverse accounts bill as expected
    why: they show billing changes first
    critical: true
    severity: severe
    owner: billing
    mode: automated
  - id: CF-CUSTOM-01
    title: Custom actions work
    why: site code
    critical: false
    severity: medium
    owner: billing
    mode: manual
"""

ACCOUNTS = """\
accounts:
  - id: ACC-BOB
    account: Bob Smith
    why: ten packages
    expect:
      balance: "1234.50"
      next_bill_dates: {NET-500: 2026-12-01, INSTALL: null}
      pool_minutes_applied: 0
  - id: ACC-JANE
    account: "100042"
    why: pooled minutes
    checklist: [CF-BILL-01]
    expect: {usage_charge: "12.40", pool_minutes_applied: 4200, status: active}
"""

RESULTS = """\
results:
  - id: CF-CUSTOM-01
    result: fail
    by: Dana (QA)
    at: 2026-11-02 10:30:00
    note: late fee not added
"""


def make(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name.replace('_', '-')}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_checklists_hold_the_seeds_functions_and_notice() -> None:
    checklists = load_checklists(ROOT / "checklists")
    assert [item.id for item in checklists.items] == SEED_TWELVE + ADDED + RELEASE_1_1
    assert all(item.critical for item in checklists.items)
    assert any("provisions to an external system" in n for n in checklists.notices)
    assert checklists.item("CF-PROV-01").provisions_externally
    assert {item.severity for item in checklists.items} <= {
        "severe", "high", "medium", "low", "enhancement"}
    assert checklists.where["CF-PROV-01"] == f"{_shown(ROOT / 'checklists')}/critical.yaml:22"


def test_the_shipped_accounts_are_marked_as_not_yet_verifying() -> None:
    checklists = load_checklists(ROOT / "checklists")
    ids = [a.id for a in checklists.accounts]
    assert ids[:2] == ["ACC-BOB", "ACC-JANE"]
    pending = [a.id for a in checklists.accounts if not a.has_expectations]
    warned = " ".join(p.format() for p in checklists.warnings)
    for account_id in pending:  # an account with nothing expected must be called out
        assert f"{account_id}: no expectations yet" in warned
    if len(ids) < 10:
        assert "pick ten or more" in warned


def test_files_merge_and_values_are_typed(tmp_path: Path) -> None:
    checklists = load_checklists(make(tmp_path, critical=ITEMS, accounts=ACCOUNTS,
                                      manual_results=RESULTS))
    assert checklists.ids == {"CF-BILL-01", "CF-BILL-02", "CF-CUSTOM-01"}
    assert [i.id for i in checklists.critical] == ["CF-BILL-01", "CF-BILL-02"]
    assert checklists.notices == ["Anything provisioning externally is critical."]
    bob = checklists.account("ACC-BOB")
    assert bob.checklist == ["CF-BILL-02"]  # the default
    assert bob.expect.balance == Decimal("1234.50")
    assert bob.expect.next_bill_dates == {"NET-500": dt.date(2026, 12, 1), "INSTALL": None}
    assert bob.has_expectations
    jane = checklists.account("ACC-JANE")
    assert jane.account == "100042" and jane.checklist == ["CF-BILL-01"]
    assert jane.expect.pool_minutes_applied == 4200
    manual = checklists.manual_results["CF-CUSTOM-01"]
    assert (manual.result, manual.by, manual.note) == ("fail", "Dana (QA)", "late fee not added")
    assert manual.at == dt.datetime(2026, 11, 2, 10, 30)


def test_without_the_default_item_an_account_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_checklists(make(tmp_path, critical=ITEMS.replace("CF-BILL-02", "CF-LOG-01"),
                             accounts=ACCOUNTS))
    [problem] = info.value.problems
    assert (problem.key, problem.line) == ("accounts[0].checklist[0]", 2)
    assert problem.message == "unknown checklist item CF-BILL-02 (the default checklist)"


def test_a_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="checklist directory not found"):
        load_checklists(tmp_path / "nope")


def test_a_directory_without_items_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no checklist items defined"):
        load_checklists(make(tmp_path, notes="notice: only a notice\n"))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


RELEASE_1_1 = ["REL-CREDIT-01", "REL-PERM-01"]


def test_the_release_notes_of_1_1_are_checklist_items() -> None:
    checklists = load_checklists(ROOT / "checklists")
    assert checklists.releases == {"1.1": f"{_shown(ROOT / 'checklists')}/release-1.1.yaml"}
    notes = {i.id: i.change for i in checklists.items if i.change}
    assert notes == {"REL-CREDIT-01": "feature", "REL-PERM-01": "changed"}
    [change] = checklists.billing_changes
    assert change.accounts == ["A000050"] and change.checks == ["balance"]
    # every note is verified by a scenario of the shipped features
    features = "\n".join(p.read_text() for p in (ROOT / "features").glob("*.feature"))
    assert all(f"@{item}" in features for item in RELEASE_1_1)


RELEASE_ITEM = """\
release: "2.0"
items:
  - id: REL-EXPORT-01
    change: feature
    title: Invoices export to PDF
    why: new
    critical: false
    severity: low
    owner: billing
    mode: manual
"""


@pytest.mark.parametrize(("name", "text", "words"), [
    ("release_2.1", RELEASE_ITEM, "release-2.1.yaml:1: release: '2.0' does not match the file "
                                  "name (release-2.1.yaml): write release: \"2.1\""),
    ("release_2.0", RELEASE_ITEM.replace("    change: feature\n", ""),
     "release-2.0.yaml:3: items[0]: a release note's item says what it is"),
    ("notes", RELEASE_ITEM, "notes.yaml:1: release: release notes belong in a file named "
                            "release-<version>.yaml"),
])
def test_release_notes_files_are_checked(tmp_path: Path, name: str, text: str,
                                         words: str) -> None:
    make(tmp_path, **{name: text})
    with pytest.raises(ConfigError) as info:
        load_checklists(tmp_path)
    assert words in str(info.value)


def test_a_release_notes_file_loads_with_its_items(tmp_path: Path) -> None:
    make(tmp_path, **{"release_2.0": RELEASE_ITEM})
    checklists = load_checklists(tmp_path)
    assert checklists.releases == {"2.0": f"{_shown(tmp_path)}/release-2.0.yaml"}
    assert checklists.item("REL-EXPORT-01").mode == "manual"
