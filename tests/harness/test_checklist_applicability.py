"""`golive checklist`: per item, whether this target can verify it and why not.

Steps declare what they need (`steps.needs`); the plugin exports it at
collection and checks it before a step runs, so the prediction and the run
agree. The command is run as a real subprocess with a real terminal width.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.applicability import ScenarioNeeds, StepNeeds, plan
from harness.checklists import Item
from harness.record import Outcome
from harness.severity import Severity
from steps.needs import needed_by, needs
from tests.harness.plugin_project import PASSING, latest_record, write_project

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
GOLIVE = Path(sys.executable).parent / "golive"

CHECKLIST_EXTRA = """\
  - id: CF-PROV-01
    title: Provisioning workflows are in place and fully functional for every service
    why: switches
    critical: true
    severity: severe
    owner: provisioning
    mode: automated
    provisions_externally: true
  - id: CF-LOCK-01
    title: Staging is locked down so that nothing leaves for real customers, cards or switches
    why: escapes
    critical: true
    severity: severe
    owner: operations
    mode: manual
"""

NEEDY_STEPS = '''
from pytest_bdd import then
from steps.needs import needs


@needs("payments")
@then("the payment processors answer")
def _(golive):
    raise AssertionError("a step that declared payments must never start without them")
'''

NEEDY = """\
Feature: What the fake target cannot answer
  @CF-PROV-01
  Scenario: Provisioning requests went out
    Given the bill run has finished
    Then no provisioning request of the bill run failed

  @CF-DOCS-01
  Scenario: Payment processors answer
    Given the bill run has finished
    Then the payment processors answer
"""


def item(item_id: str, mode: str = "automated") -> Item:
    return Item(id=item_id, title="t", why="w", critical=True, severity=Severity.HIGH,
                owner="o", mode=mode)


def scenario(ids: list[str], *needs_per_step: list[str]) -> ScenarioNeeds:
    return ScenarioNeeds(nodeid=f"x::{ids}", feature="f", name="n", checklist_ids=ids,
                         steps=[StepNeeds("Then x", n) for n in needs_per_step])


# -- the plan -----------------------------------------------------------------------------

def test_plan_says_verifiable_not_here_manual_and_no_scenario() -> None:
    items = [item("CF-A-01"), item("CF-B-01"), item("CF-C-01", "manual"), item("CF-D-01"),
             item("CF-E-01")]
    scenarios = [scenario(["CF-A-01"], [], ["pools"]),
                 scenario(["CF-B-01"], ["provisioning"], ["outbound"]),
                 scenario(["CF-C-01"], ["portals"]),
                 scenario(["CF-E-01"], []), scenario(["CF-E-01"], ["portals"])]
    present = {"pools": True, "provisioning": False, "outbound": False, "portals": False}
    said = {p.item.id: p.says for p in plan(items, scenarios, present)}
    assert said == {
        "CF-A-01": "verifiable",
        "CF-B-01": "not on this target (needs outbound, provisioning: the target has no "
                   "outbound and no provisioning)",
        "CF-C-01": "manual",
        "CF-D-01": "no scenario",
        "CF-E-01": "verifiable (1 of 2 scenarios; the others need portals)",
    }


def test_needs_marks_the_function_and_refuses_unknown_names() -> None:
    @needs("pools")
    @needs("sub_accounts")
    def step() -> None: ...

    assert needed_by(step) == {"pools", "sub_accounts"}
    assert needed_by(lambda: None) == frozenset()
    with pytest.raises(ValueError, match=r"unknown capability pool .*known: sub_accounts"):
        needs("pool")


def test_the_step_library_declares_what_its_require_calls_need() -> None:
    """Every step that calls require(golive.target.X, "X") unconditionally declares X."""
    import steps.custom
    import steps.imports
    import steps.payments
    import steps.permissions
    import steps.provisioning

    assert needed_by(steps.provisioning.none_failed) == {"provisioning"}
    assert needed_by(steps.permissions.roles_have_permissions) == {"permissions"}
    assert needed_by(steps.imports.run_import) == {"imports"}
    assert needed_by(steps.custom.custom_action_enabled) == {"custom_actions"}
    assert needed_by(steps.payments.staff_payment_card) == {"staff_payments"}


# -- the command, as a user runs it --------------------------------------------------------

def project(pytester: pytest.Pytester) -> Path:
    root = write_project(pytester, {"billing.feature": PASSING, "needy.feature": NEEDY})
    checklist = root / "checklists" / "critical.yaml"
    text = checklist.read_text().replace("accounts:\n", CHECKLIST_EXTRA + "accounts:\n")
    checklist.write_text(text)
    (root / "needy_steps.py").write_text(NEEDY_STEPS)
    profile = root / "golive.yaml"
    profile.write_text(profile.read_text().replace("steps: [fake_steps]",
                                                   "steps: [fake_steps, needy_steps]"))
    return root


def golive(root: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(GOLIVE), *args], cwd=root, env=env, capture_output=True,
                          text=True, check=False)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_checklist_at_80_columns_says_per_item_what_this_target_can_verify(
        pytester: pytest.Pytester) -> None:
    root = project(pytester)
    done = golive(root, "checklist")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, done.stdout
    text = flat(done.stdout)
    assert "target python" in text and "lacks: sub_accounts, pools, outbound" in text
    blocks = {m.group(1): flat(m.group(2)) for m in
              re.finditer(r"^(CF-[A-Z]+-\d+) \((.*?)(?=^CF-|\Z)", done.stdout, re.M | re.S)}
    assert set(blocks) == {"CF-PAY-01", "CF-BILL-01", "CF-DOCS-01", "CF-PROV-01", "CF-LOCK-01"}
    assert "this target: verifiable latest run: —" in blocks["CF-PAY-01"]
    assert ("this target: not on this target (needs provisioning: the target has no "
            "provisioning)") in blocks["CF-PROV-01"]
    assert ("this target: not on this target (needs payments: the target has no payments)"
            in blocks["CF-DOCS-01"])
    assert "this target: manual" in blocks["CF-LOCK-01"]
    # every word of a long title survives, in order
    assert ("Staging is locked down so that nothing leaves for real customers, cards or "
            "switches") in blocks["CF-LOCK-01"]
    assert "no run yet" in text


def test_a_run_agrees_with_the_prediction_and_the_table_keeps_whole_words(
        pytester: pytest.Pytester) -> None:
    root = project(pytester)
    ran = golive(root, "run", "--", "--golive-no-prepare")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    record = latest_record(root)
    outcomes = {s.name: (s.outcome, s.error) for s in record.scenarios}
    # the declared need stopped the step before it started: NOT APPLICABLE, not failed
    assert outcomes["Payment processors answer"] == (
        Outcome.NOT_APPLICABLE, "not applicable: the target has no payments")
    assert outcomes["Provisioning requests went out"] == (
        Outcome.NOT_APPLICABLE, "not applicable: the target has no provisioning")
    shown = {}
    for width in (80, 120, 200):
        done = golive(root, "checklist", columns=width)
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in done.stdout.splitlines()) <= width
        words = set(re.findall(r"[a-z_]+", done.stdout))
        assert {"verified", "uncovered", "verifiable"} <= words, done.stdout
        assert "verifie " not in done.stdout and "verifie\n" not in done.stdout
        shown[width] = done.stdout
    row = next(line for line in shown[200].splitlines() if "CF-PAY-01" in line)
    assert "Payments process" in row and "verifiable" in row and "verified" in row


def test_checklist_with_an_undefined_step_exits_2_naming_it(pytester: pytest.Pytester) -> None:
    root = project(pytester)
    (root / "features" / "needy.feature").write_text(NEEDY.replace(
        "Then the payment processors answer", "Then the payment processors sing"))
    done = golive(root, "checklist")
    assert done.returncode == 2
    assert "features/needy.feature:10: undefined step: Then the payment processors sing" \
        in done.stderr
    assert "Traceback" not in done.stderr


def test_checklist_on_the_demo_opens_its_target_without_writing(tmp_path: Path) -> None:
    """Every item is verifiable on the demo, and asking created no database or file."""
    profile = tmp_path / "golive.yaml"
    profile.write_text(f"""\
name: demo checklist
target: {{kind: demo, release: "1.1"}}
environments:
  production: {{dsn: "sqlite:///{tmp_path}/prod.db", read_only: true}}
  staging: {{dsn: "sqlite:///{tmp_path}/staging.db", staging: true}}
backup: {{path: {tmp_path}/backup.json}}
bill_run: {{date: 2026-11-01}}
checklists: {{dir: {ROOT / 'checklists'}}}
features: {{dir: {ROOT / 'features'}}}
report: {{dir: {tmp_path}/reports}}
""" + yaml.safe_dump({"population": yaml.safe_load(  # the checklist's accounts expect it
        (ROOT / "golive.yaml").read_text())["population"]}))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = golive(tmp_path, "checklist", "--profile", str(profile), columns=200)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    rows = [line for line in done.stdout.splitlines() if re.search(r"\b(CF|REL)-", line)]
    assert len(rows) == 19  # the demo's critical items and the 1.1 release notes
    assert all("verifiable" in row for row in rows), done.stdout
    assert "lacks: nothing" in done.stdout


def test_export_lists_each_scenario_with_its_steps_needs(pytester: pytest.Pytester) -> None:
    root = project(pytester)
    answer = root / "needs.json"
    result = pytester.runpytest("--collect-only", "--golive-profile", "golive.yaml",
                                f"--golive-needs={answer}")
    assert result.ret == 0
    data = json.loads(answer.read_text())["scenarios"]
    by_name = {s["name"]: s for s in data}
    assert by_name["Provisioning requests went out"]["checklist_ids"] == ["CF-PROV-01"]
    assert [s["needs"] for s in by_name["Provisioning requests went out"]["steps"]] == [
        [], ["provisioning"]]
    assert not (root / "reports").exists()  # collecting prepares and records nothing
