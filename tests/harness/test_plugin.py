"""The pytest plugin as a QA engineer meets it: a project with features, run by pytest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.record import Coverage, Outcome, RunStatus, Verdict
from tests.harness.plugin_project import (
    PASSING,
    latest_record,
    stub_pipeline,
    write_project,
)

pytest_plugins = ["pytester"]

FAILING = """\
Feature: Payments
  @CF-PAY-01
  Scenario: A payment is refused
    Given the bill run has finished
    Then it fails
    And it passes

  @CF-BILL-01
  Scenario: Bob is billed right
    Given the bill run has finished
    Then account BOB has balance 10.00
"""


@pytest.fixture
def calls(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = pytester.path / "prepare-calls.txt"
    stub_pipeline(monkeypatch, path)
    return path


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--golive-profile", "golive.yaml", "features", *args)


def test_passing_scenarios_are_go(pytester: pytest.Pytester, calls: Path) -> None:
    root = write_project(pytester)
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*golive: GO; report: *signoff.html"])
    record = latest_record(root)
    assert record.verdict is Verdict.GO and record.status is RunStatus.COMPLETE
    assert [s.outcome for s in record.scenarios] == [Outcome.PASSED, Outcome.PASSED]
    assert all(st.outcome is Outcome.PASSED for s in record.scenarios for st in s.steps)
    assert record.scenarios[1].checklist_ids == ["CF-BILL-01"]
    assert record.scenarios[1].feature == "features/billing.feature"
    assert {(a.account, a.expected, a.actual, a.ok) for a in record.accounts} == {
        ("BOB", "10", "10", True)
    }
    assert (root / "reports" / "latest" / "signoff.html").is_file()
    assert calls.read_text().count("prepare") == 1


def test_failing_step_is_no_go(pytester: pytest.Pytester, calls: Path) -> None:
    root = write_project(pytester, {"pay.feature": FAILING})
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*golive: NO-GO*CF-PAY-01*"])
    record = latest_record(root)
    refused = record.scenarios[0]
    assert refused.outcome is Outcome.FAILED
    assert [s.outcome for s in refused.steps] == [Outcome.PASSED, Outcome.FAILED, Outcome.NOT_RUN]
    assert "deliberate failure" in (refused.steps[1].error or "")
    junit = (root / "reports" / "latest" / "junit.xml").read_text()
    assert "<failure" in junit and "deliberate failure" in junit


def test_unknown_checklist_tag_is_a_collection_error(
    pytester: pytest.Pytester, calls: Path
) -> None:
    write_project(pytester, {"pay.feature": PASSING.replace("@CF-PAY-01", "@CF-PAI-01")})
    result = run(pytester)
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "*ERROR collecting features/pay.feature*",
        "features/pay.feature:2: unknown checklist id @CF-PAI-01 (did you mean CF-PAY-01?)",
    ])
    assert not calls.exists(), "staging must not be touched when features are invalid"


def test_undefined_step_is_a_collection_error(pytester: pytest.Pytester, calls: Path) -> None:
    text = PASSING.replace("When nothing happens", "When the thing happens")
    root = write_project(pytester, {"pay.feature": text})
    result = run(pytester)
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "*ERROR collecting features/pay.feature*",
        "features/pay.feature:5: undefined step: When the thing happens",
        "*Interrupted: 1 error during collection*",
    ])
    assert not calls.exists()
    assert latest_record(root).verdict is Verdict.NO_GO


def test_skipped_scenario_is_not_passed(pytester: pytest.Pytester, calls: Path) -> None:
    root = write_project(pytester, {"pay.feature": PASSING.replace(
        "Then it passes", "Then it is skipped")})
    result = run(pytester)
    assert result.ret == 1
    record = latest_record(root)
    skipped = record.scenarios[0]
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.steps[-1].outcome is Outcome.SKIPPED
    assert record.verdict is Verdict.NO_GO
    coverage = {c.item_id: c.coverage.value for c in record.checklist}
    assert coverage["CF-PAY-01"] == "not_verified"


def test_fixture_error_is_error_not_pass(pytester: pytest.Pytester, calls: Path) -> None:
    root = write_project(pytester, {"pay.feature": PASSING.replace(
        "Then it passes", "Then a fixture breaks")})
    assert run(pytester).ret == 1
    scenario = latest_record(root).scenarios[0]
    assert scenario.outcome is Outcome.ERROR
    assert "fixture exploded" in (scenario.error or "") + str(scenario.steps)


def test_stopped_run_leaves_the_rest_not_run(pytester: pytest.Pytester, calls: Path) -> None:
    root = write_project(pytester, {"pay.feature": FAILING})
    assert run(pytester, "-x").ret == 1
    record = latest_record(root)
    assert record.status is RunStatus.INTERRUPTED
    assert [s.outcome for s in record.scenarios] == [Outcome.FAILED, Outcome.NOT_RUN]
    assert record.verdict is Verdict.NO_GO


def test_failed_preparation_runs_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from common.errors import EnvironmentProblem

    stub_pipeline(monkeypatch, pytester.path / "calls", EnvironmentProblem("staging is down"))
    root = write_project(pytester)
    assert run(pytester).ret == 3  # an environment problem, and NO-GO in the record
    record = latest_record(root)
    assert [s.outcome for s in record.scenarios] == [Outcome.NOT_RUN, Outcome.NOT_RUN]
    assert "staging is down" in (record.scenarios[0].error or "")
    assert record.verdict is Verdict.NO_GO


def test_no_prepare_is_never_go(pytester: pytest.Pytester) -> None:
    root = write_project(pytester)
    result = run(pytester, "--golive-no-prepare")
    assert result.ret == 1
    record = latest_record(root)
    assert [s.outcome for s in record.scenarios] == [Outcome.PASSED, Outcome.PASSED]
    assert record.stages[0].outcome is Outcome.SKIPPED
    assert record.verdict is Verdict.NO_GO


def test_xdist_aggregates_and_prepares_once(pytester: pytest.Pytester, calls: Path) -> None:
    features = {
        "billing.feature": PASSING,
        "more.feature": PASSING.replace("Feature: Billing", "Feature: More")
        .replace("A payment", "Another payment").replace("Bob is", "Bob still is"),
    }
    root = write_project(pytester, features)
    result = run(pytester, "-n", "2")
    assert result.ret == 0, result.stdout.str()
    record = latest_record(root)
    assert len(record.scenarios) == 4
    assert all(s.outcome is Outcome.PASSED for s in record.scenarios)
    assert {s.worker for s in record.scenarios} <= {"gw0", "gw1"}
    assert len(record.accounts) == 4
    assert calls.read_text().count("prepare") == 1


def test_xdist_collection_error_stops_the_run(pytester: pytest.Pytester, calls: Path) -> None:
    text = PASSING.replace("When nothing happens", "When the thing happens")
    write_project(pytester, {"pay.feature": text})
    result = run(pytester, "-n", "2")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*features/pay.feature:5: undefined step: When the thing happens"])
    assert not calls.exists()


def test_config_error_exits_2_with_file_and_line(pytester: pytest.Pytester) -> None:
    root = write_project(pytester)
    profile = (root / "golive.yaml").read_text().replace("date: 2026-11-01", "date: someday")
    (root / "golive.yaml").write_text(profile)
    result = pytester.runpytest_subprocess("--golive-profile", "golive.yaml", "features")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*golive.yaml:15*bill_run.date*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_inactive_for_other_paths(pytester: pytest.Pytester) -> None:
    """golive.yaml at the root does not turn golive's own tests into a verification run."""
    root = write_project(pytester)
    (root / "tests").mkdir()
    (root / "tests" / "test_unit.py").write_text("def test_one():\n    pass\n")
    result = pytester.runpytest("tests")
    assert result.ret == 0
    assert not (root / "reports").exists()
    pytester.runpytest("--golive-profile", "golive.yaml", "-p", "no:golive", "features")
    assert not (root / "reports").exists()


def test_active_for_the_features_dir_with_the_default_profile(pytester: pytest.Pytester) -> None:
    root = write_project(pytester)
    assert pytester.runpytest("features", "--golive-no-prepare").ret == 1
    assert latest_record(root).verdict is Verdict.NO_GO


def test_interrupted_run_is_no_go(pytester: pytest.Pytester) -> None:
    root = write_project(pytester, {"pay.feature": PASSING.replace(
        "Then it passes", "Then it passes\n    And the run is interrupted")})
    with (root / "fake_steps.py").open("a") as steps:
        steps.write('\n@then("the run is interrupted")\ndef _():\n    raise KeyboardInterrupt\n')
    result = pytester.runpytest_subprocess(
        "--golive-profile", "golive.yaml", "--golive-no-prepare", "features")
    assert result.ret == 2
    record = latest_record(root)
    assert record.status is RunStatus.INTERRUPTED
    assert record.verdict is Verdict.NO_GO
    assert [s.outcome for s in record.scenarios] == [Outcome.INTERRUPTED, Outcome.NOT_RUN]


NEEDS_A_CAPABILITY = """\
Feature: Custom code
  @CF-PAY-01
  Scenario: The late-fee action is in place
    Given the bill run has finished
    Then the custom action "late_fee" is in place at hook "after_invoice" and enabled

  @CF-BILL-01
  Scenario: Bob is billed right
    Given the bill run has finished
    Then account BOB has balance 10.00
"""


def test_a_step_the_target_cannot_answer_is_not_applicable_everywhere(
        pytester: pytest.Pytester, calls: Path) -> None:
    """golive's real custom-action step on a core-only target: NOT APPLICABLE, never passed
    and never a crash; the critical item it was to verify is UNCOVERED (NO-GO), saying why."""
    root = write_project(pytester, {"custom.feature": NEEDS_A_CAPABILITY})
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*golive: NO-GO*critical item uncovered: CF-PAY-01*"])
    record = latest_record(root)
    custom = record.scenarios[0]
    assert custom.outcome is Outcome.NOT_APPLICABLE
    assert custom.error == "not applicable: the target has no custom actions"
    assert [s.outcome for s in custom.steps] == [Outcome.PASSED, Outcome.NOT_APPLICABLE]
    assert record.scenarios[1].outcome is Outcome.PASSED
    item = next(c for c in record.checklist if c.item_id == "CF-PAY-01")
    assert item.coverage is Coverage.UNCOVERED
    assert "not applicable on this target (the target has no custom actions)" in (item.note or "")
    assert not any(f.source == "scenario" for f in record.failures)  # not a defect
    latest = root / "reports" / "latest"
    junit = (latest / "junit.xml").read_text()
    assert '<skipped message="not applicable: the target has no custom actions"' in junit
    cucumber = json.loads((latest / "cucumber.json").read_text())
    steps = cucumber[0]["elements"][0]["steps"]
    assert [s["result"]["status"] for s in steps] == ["passed", "skipped"]
    html = (latest / "signoff.html").read_text()
    assert "not_applicable" in html and "the target has no custom actions" in html
