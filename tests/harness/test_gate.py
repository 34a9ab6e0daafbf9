"""Checklist coverage and the gate, on hand-built run records: one test per rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from harness.coverage import compute_coverage
from harness.gate import decide, exit_code, is_not_applicable
from harness.record import (
    AccountCheck,
    Coverage,
    Failure,
    GateRule,
    Outcome,
    RunRecord,
    RunStatus,
    StageResult,
    StepResult,
    Verdict,
)
from harness.sections import SanitizeSection
from tests.harness.gate_records import ITEMS, RUN_DAY, Item, Manual, Rules, good_record, scenario

TODAY = dt.date(2026, 11, 3)


def judge(
    record: RunRecord,
    items: Sequence[Item] = ITEMS,
    manual: Mapping[str, Manual] | None = None,
    rules: Rules | None = None,
) -> Verdict:
    compute_coverage(record, items, manual or {})
    return decide(record, rules or Rules(), TODAY)


def rule(record: RunRecord, name_start: str) -> GateRule:
    (found,) = [g for g in record.gate if g.name.startswith(name_start)]
    return found


def coverage_of(record: RunRecord, item_id: str) -> Coverage:
    (status,) = [c for c in record.checklist if c.item_id == item_id]
    return status.coverage


def failing_rules(record: RunRecord) -> list[str]:
    return [g.name for g in record.gate if not g.passed and not g.waived]


# -- GO and GO WITH WAIVERS ------------------------------------------------------


def test_everything_passed_is_go_and_exit_0() -> None:
    record = good_record()
    assert judge(record) is Verdict.GO
    assert record.verdict is Verdict.GO
    assert record.failures == []
    assert all(g.passed for g in record.gate)
    assert {c.item_id: c.coverage for c in record.checklist} == {
        i.id: Coverage.VERIFIED for i in ITEMS
    }
    assert exit_code(record, go_with_waivers_passes_ci=False) == 0
    assert record.exit_status == 0


@pytest.mark.parametrize(
    ("section", "key", "rule_name"),
    [("sanitize", "residue", "sanitize scan clean"),
     ("outbound", "escaped", "nothing escaped the sinks")],
)
@pytest.mark.parametrize("how", ["section deleted", "key deleted", "key renamed", "not a list",
                                 "stage and section deleted"])
def test_a_safety_rule_whose_evidence_is_missing_is_no_go(
        section: str, key: str, rule_name: str, how: str) -> None:
    data = good_record().to_dict()  # damaged as run.json could be, then read back
    if how == "section deleted":
        data[section] = None
    elif how == "key deleted":
        del data[section][key]
    elif how == "key renamed":
        data[section][key + "s"] = data[section].pop(key)
    elif how == "not a list":
        data[section][key] = "accounts.email: 3 rows"
    else:
        data[section] = None
        stage = "sanitize" if section == "sanitize" else "lockdown"
        data["stages"] = [s for s in data["stages"] if s["name"] != stage]
    record = RunRecord.from_dict(data)
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == [rule_name]
    assert rule(record, rule_name).detail.startswith("no evidence")


def test_missing_evidence_names_the_stage_that_did_not_leave_it() -> None:
    record = good_record()
    record.sanitize = None
    record.outbound = None
    record.stages[1].outcome = Outcome.FAILED
    record.stages[2].outcome = Outcome.NOT_RUN
    judge(record)
    assert "the sanitize stage is failed" in rule(record, "sanitize").detail
    assert "the lockdown stage is not_run" in rule(record, "nothing escaped").detail
    record = good_record()
    record.stages = []
    record.sanitize = None
    judge(record)
    assert "no sanitize stage was recorded" in rule(record, "sanitize").detail


def test_a_disabled_flag_without_the_stage_saying_so_is_not_evidence() -> None:
    record = good_record()
    record.sanitize = SanitizeSection(enabled=False)  # but the sanitize stage passed
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == ["sanitize scan clean"]


def test_lockdown_disabled_by_the_profile_rules_out_no_escape() -> None:
    record = good_record()
    record.outbound = None
    record.stages[2] = StageResult("lockdown", Outcome.SKIPPED,
                                   evidence={"enabled": False, "reason": "disabled"})
    assert judge(record) is Verdict.NO_GO
    assert "lock-down disabled by the profile" in rule(record, "nothing escaped").detail
    assert "stages finished" in failing_rules(record)


def test_waived_blocking_failure_is_go_with_waivers() -> None:
    record = good_record()
    record.scenarios[4].outcome = Outcome.FAILED  # CF-TIX-01: not critical, severity high
    compute_coverage(record, ITEMS, {})
    (failure,) = record.failures
    assert failure.severity == "high"
    failure.waived_by = "rm@example.com"
    assert decide(record, Rules(), TODAY) is Verdict.GO_WITH_WAIVERS
    blocking = rule(record, "no open")
    assert blocking.waived and not blocking.passed
    assert "rm@example.com" in blocking.detail
    assert exit_code(record, go_with_waivers_passes_ci=False) == 1
    assert exit_code(record, go_with_waivers_passes_ci=True) == 0
    assert record.exit_status == 1


def test_go_with_waivers_passes_ci_when_the_profile_says_so() -> None:
    record = good_record()
    record.scenarios[4].outcome = Outcome.FAILED
    compute_coverage(record, ITEMS, {})
    record.failures[0].waived_by = "rm"
    decide(record, Rules(go_with_waivers_passes_ci=True), TODAY)
    assert record.exit_status == 0


def test_non_blocking_failure_still_goes() -> None:
    record = good_record()
    record.scenarios[3].outcome = Outcome.FAILED  # CF-RPT-01, medium, not critical
    assert judge(record) is Verdict.GO
    (failure,) = record.failures
    assert (failure.severity, failure.due_date) == ("medium", "2026-11-07")
    assert coverage_of(record, "CF-RPT-01") is Coverage.FAILED


def test_the_profile_chooses_blocking_severities() -> None:
    record = good_record()
    record.scenarios[3].outcome = Outcome.FAILED  # medium
    assert judge(record, rules=Rules(blocking_severities=["medium"])) is Verdict.NO_GO
    assert "no open medium failure" in failing_rules(record)


# -- NO-GO, one reason at a time -----------------------------------------------------


@pytest.mark.parametrize(
    "status", [RunStatus.INTERRUPTED, RunStatus.CRASHED, RunStatus.RUNNING]
)
def test_a_run_that_did_not_finish_is_no_go(status: RunStatus) -> None:
    record = good_record()
    record.status = status
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == ["run complete"]
    assert status.value in rule(record, "run complete").detail
    assert exit_code(record, go_with_waivers_passes_ci=True) == 1


def test_an_empty_run_is_no_go() -> None:
    record = good_record()
    record.scenarios = []
    record.accounts = []
    assert judge(record) is Verdict.NO_GO
    assert "scenarios ran" in failing_rules(record)
    # with no scenario, every critical item is uncovered too
    assert coverage_of(record, "CF-BILL-01") is Coverage.UNCOVERED
    assert "critical items verified" in failing_rules(record)


def test_a_failed_stage_is_no_go_with_a_severe_failure() -> None:
    record = good_record()
    record.stages[-1].outcome = Outcome.FAILED
    record.stages[-1].error = "bill run raised"
    assert judge(record) is Verdict.NO_GO
    assert "stages finished" in failing_rules(record)
    (failure,) = record.failures
    assert (failure.source, failure.severity, failure.due_date) == ("stage", "severe", "2026-11-04")
    assert failure.message == "bill run raised"


@pytest.mark.parametrize("outcome", [Outcome.NOT_RUN, Outcome.SKIPPED, Outcome.INTERRUPTED])
def test_a_stage_that_did_not_finish_is_no_go(outcome: Outcome) -> None:
    record = good_record()
    record.stages.append(StageResult("stop_billing", outcome))
    assert judge(record) is Verdict.NO_GO
    assert f"stop_billing ({outcome.value})" in rule(record, "stages").detail


def test_no_stage_at_all_is_no_go() -> None:
    record = good_record()
    record.stages = []
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == ["stages finished"]


def test_reused_stages_pass_and_say_so() -> None:
    record = good_record()
    for stage in record.stages:
        stage.outcome = Outcome.REUSED
    record.reused = True
    assert judge(record) is Verdict.GO
    assert "reused" in rule(record, "stages").detail


def test_uncovered_critical_item_is_no_go_naming_it() -> None:
    record = good_record()
    record.scenarios = [s for s in record.scenarios if "CF-PAY-01" not in s.checklist_ids]
    assert judge(record) is Verdict.NO_GO
    assert coverage_of(record, "CF-PAY-01") is Coverage.UNCOVERED
    assert "CF-PAY-01 (uncovered)" in rule(record, "critical").detail
    (failure,) = record.failures
    assert failure.source == "checklist" and failure.checklist_ids == ["CF-PAY-01"]
    assert failure.severity == "high"


def test_skipped_scenario_on_a_critical_item_is_no_go() -> None:
    record = good_record()
    record.scenarios[1].outcome = Outcome.SKIPPED
    assert judge(record) is Verdict.NO_GO
    assert coverage_of(record, "CF-BILL-01") is Coverage.NOT_VERIFIED
    assert "CF-BILL-01 (not_verified)" in rule(record, "critical").detail


def test_undefined_step_is_no_go() -> None:
    record = good_record()
    steps = [
        StepResult("Given", "the bill run finished", Outcome.PASSED),
        StepResult("Then", "the gizmo is frobbed", Outcome.UNDEFINED),
    ]
    record.scenarios[2] = scenario("card payment", ["CF-PAY-01"], Outcome.UNDEFINED, steps)
    assert judge(record) is Verdict.NO_GO
    assert coverage_of(record, "CF-PAY-01") is Coverage.NOT_VERIFIED
    scenario_failure = next(f for f in record.failures if f.source == "scenario")
    assert "the gizmo is frobbed" in scenario_failure.message
    assert scenario_failure.severity == "high"


def test_undefined_step_on_a_non_critical_high_item_blocks_too() -> None:
    record = good_record()
    record.scenarios[4].outcome = Outcome.UNDEFINED  # CF-TIX-01, high
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == ["no open high/severe failure"]


def test_failed_critical_scenario_is_no_go_with_worst_severity() -> None:
    record = good_record()
    record.scenarios[0] = scenario(
        "bill and pay", ["CF-PAY-01", "CF-BILL-01"], Outcome.FAILED, error="balance 99 != 120"
    )
    assert judge(record) is Verdict.NO_GO
    assert coverage_of(record, "CF-BILL-01") is Coverage.FAILED
    assert coverage_of(record, "CF-PAY-01") is Coverage.FAILED
    scenario_failure = next(f for f in record.failures if f.source == "scenario")
    assert scenario_failure.severity == "severe"  # worst of high and severe
    assert scenario_failure.message == "balance 99 != 120"
    assert scenario_failure.found_on == RUN_DAY
    assert set(failing_rules(record)) == {"critical items verified", "no open high/severe failure"}


def test_crashed_scenario_counts_as_failed() -> None:
    record = good_record()
    record.scenarios[0].outcome = Outcome.ERROR
    assert judge(record) is Verdict.NO_GO
    assert coverage_of(record, "CF-BILL-01") is Coverage.FAILED


def test_untagged_failed_scenario_defaults_to_high_and_blocks() -> None:
    record = good_record()
    record.scenarios.append(scenario("event log clean", [], Outcome.FAILED))
    assert judge(record) is Verdict.NO_GO
    assert record.failures[0].severity == "high"


def test_account_mismatch_is_no_go_naming_the_account() -> None:
    record = good_record()
    record.accounts.append(AccountCheck("Carol <Corp>", "balance", "50.00", "55.00", False))
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == ["accounts match production"]
    assert "Carol <Corp> balance: expected 50.00, got 55.00" in rule(record, "accounts").detail


def test_account_difference_within_tolerance_goes() -> None:
    record = good_record()
    record.accounts.append(AccountCheck("Carol", "balance", "50.00", "50.01", False))
    assert judge(record, rules=Rules(account_tolerance=Decimal("0.01"))) is Verdict.GO
    assert judge(record, rules=Rules(account_tolerance=Decimal("0.00"))) is Verdict.NO_GO


def test_missing_account_value_is_a_mismatch() -> None:
    record = good_record()
    record.accounts.append(AccountCheck("Dave", "next_bill_date[X]", "2026-12-01", None, False))
    assert judge(record) is Verdict.NO_GO
    assert "Dave" in rule(record, "accounts").detail


@pytest.mark.parametrize(
    ("section", "key", "rule_name"),
    [("sanitize", "residue", "sanitize scan clean"),
     ("outbound", "escaped", "nothing escaped the sinks")],
)
def test_residue_or_escapes_are_no_go(section: str, key: str, rule_name: str) -> None:
    data = good_record().to_dict()
    data[section] = {key: []}
    record = RunRecord.from_dict(data)
    assert judge(record) is Verdict.GO  # an empty list is a clean scan
    assert rule(record, rule_name).passed and not is_not_applicable(rule(record, rule_name))
    data[section] = {key: ["accounts.email: 3 rows"]}
    record = RunRecord.from_dict(data)
    assert judge(record) is Verdict.NO_GO
    assert failing_rules(record) == [rule_name]
    assert "accounts.email: 3 rows" in rule(record, rule_name).detail


def test_open_blocking_failure_past_due_is_marked() -> None:
    record = good_record()
    record.scenarios[4].outcome = Outcome.FAILED
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), dt.date(2026, 12, 1))
    assert "past due" in rule(record, "no open").detail


def test_waived_critical_item_is_go_with_waivers() -> None:
    record = good_record()
    record.scenarios = [s for s in record.scenarios if "CF-PAY-01" not in s.checklist_ids]
    compute_coverage(record, ITEMS, {})
    for failure in record.failures:
        failure.waived_by = "rm"
    assert decide(record, Rules(), TODAY) is Verdict.GO_WITH_WAIVERS
    assert rule(record, "critical").waived


# -- coverage details ---------------------------------------------------------------


def test_manual_results_cover_items() -> None:
    record = good_record()
    record.scenarios = [s for s in record.scenarios if "CF-PAY-01" not in s.checklist_ids]
    manual = {"CF-PAY-01": Manual("pass", by="alice", note="paid 1.00 on the sandbox")}
    assert judge(record, manual=manual) is Verdict.GO
    (status,) = [c for c in record.checklist if c.item_id == "CF-PAY-01"]
    assert status.coverage is Coverage.MANUAL_PASS
    assert status.note is not None and "alice" in status.note and "sandbox" in status.note

    assert judge(record, manual={"CF-PAY-01": Manual("fail")}) is Verdict.NO_GO
    assert coverage_of(record, "CF-PAY-01") is Coverage.MANUAL_FAIL


def test_manual_pass_does_not_cover_a_skipped_scenario() -> None:
    record = good_record()
    record.scenarios[2].outcome = Outcome.SKIPPED
    assert judge(record, manual={"CF-PAY-01": Manual("pass")}) is Verdict.NO_GO
    assert coverage_of(record, "CF-PAY-01") is Coverage.NOT_VERIFIED


def test_coverage_lists_scenarios_per_item() -> None:
    record = good_record()
    judge(record)
    (bill,) = [c for c in record.checklist if c.item_id == "CF-BILL-01"]
    assert bill.scenarios == [
        "features/billing.feature::bob smith balance",
        "features/billing.feature::jane doe pool",
    ]
    assert (bill.critical, bill.severity, bill.owner, bill.mode) == (
        True, "severe", "qa", "automated"
    )


def test_coverage_twice_does_not_duplicate_and_keeps_waivers() -> None:
    record = good_record()
    record.scenarios[4].outcome = Outcome.FAILED
    compute_coverage(record, ITEMS, {})
    record.failures[0].waived_by = "rm"
    compute_coverage(record, ITEMS, {})
    assert len(record.failures) == 1 and record.failures[0].waived_by == "rm"


def test_real_checklist_models_fit_the_protocols() -> None:
    checklists = pytest.importorskip("harness.checklists")
    item = checklists.Item(
        id="CF-BILL-01", title="Bill run", why="money", critical=True,
        severity="severe", owner="qa", mode="automated",
    )
    result = checklists.ManualResult(
        id="CF-BILL-01", result="fail", by="bob", at=dt.date(2026, 11, 3)
    )
    record = good_record()
    compute_coverage(record, [item], {"CF-BILL-01": result})
    (status,) = record.checklist
    assert (status.severity, status.coverage) == ("severe", Coverage.MANUAL_FAIL)
    assert decide(record, Rules(), TODAY) is Verdict.NO_GO


def test_exit_code_never_passes_an_unfinished_or_ungated_run() -> None:
    record = good_record()
    record.verdict = Verdict.GO  # set by hand, the gate never ran
    assert exit_code(record, go_with_waivers_passes_ci=True) == 1
    judge(record)
    record.status = RunStatus.INTERRUPTED  # stopped after the gate
    assert exit_code(record, go_with_waivers_passes_ci=True) == 1


def test_failure_records_are_plain_failures() -> None:
    record = good_record()
    record.failures.append(Failure("gate", "manual note", "x", "low"))
    assert judge(record) is Verdict.GO  # a low failure does not block


def test_the_profile_gate_section_fits_the_protocol() -> None:
    config = pytest.importorskip("harness.config")
    gate = config.Gate(blocking_severities=["severe"], account_tolerance="0.05")
    record = good_record()
    record.scenarios[4].outcome = Outcome.FAILED  # high: not blocking under this profile
    record.accounts.append(AccountCheck("Eve", "balance", "10.00", "10.04", False))
    assert judge(record, rules=gate) is Verdict.GO  # type: ignore[arg-type]


def _with_sanitize_and_lockdown(sanitize: Outcome, lockdown: Outcome, enabled: bool) -> RunRecord:
    record = good_record()
    record.stages[1:3] = [
        StageResult("sanitize", sanitize, evidence={"enabled": enabled}),
        StageResult("lockdown", lockdown, evidence={"sinks": 2}),
    ]
    if not enabled:  # what the sanitize stage writes when the profile disables it
        record.sanitize = SanitizeSection(enabled=False)
    return record


def test_sanitize_disabled_by_profile_is_excused_when_staging_was_locked_down() -> None:
    record = _with_sanitize_and_lockdown(Outcome.SKIPPED, Outcome.PASSED, enabled=False)
    record.sanitize = SanitizeSection(enabled=False, scan={"clean": True}, residue=[])
    assert judge(record) is Verdict.GO
    assert "not sanitized" in rule(record, "sanitize scan").detail
    assert "locked down instead" in rule(record, "stages").detail
    # a decision, not a gap — and judged on the scan of staging as it is, which found nothing
    scanned = rule(record, "sanitize scan clean")
    assert scanned.passed and "not sanitized" in scanned.detail
    # excused, never shown as a pass: the stage itself stays skipped
    assert record.stages[1].outcome is Outcome.SKIPPED


@pytest.mark.parametrize(
    ("sanitize", "lockdown", "enabled"),
    [
        (Outcome.SKIPPED, Outcome.SKIPPED, False),  # neither sanitized nor locked down
        (Outcome.SKIPPED, Outcome.FAILED, False),
        (Outcome.SKIPPED, Outcome.PASSED, True),  # skipped although the profile enabled it
        (Outcome.NOT_RUN, Outcome.PASSED, False),
    ],
)
def test_sanitize_not_done_blocks_unless_disabled_and_locked_down(
    sanitize: Outcome, lockdown: Outcome, enabled: bool
) -> None:
    record = _with_sanitize_and_lockdown(sanitize, lockdown, enabled)
    assert judge(record) is Verdict.NO_GO
    assert "stages finished" in failing_rules(record)


_RANK = {Verdict.GO: 2, Verdict.GO_WITH_WAIVERS: 1, Verdict.NO_GO: 0}


@pytest.mark.parametrize("residue", [[], ["contacts.email: email × 3"],
                                     ["notes: not read (permission denied)"], None])
def test_a_run_that_did_not_sanitize_is_never_better_off_than_one_that_did(
        residue: list[str] | None) -> None:
    """Same staging data, same scan result: disabling sanitizing never improves the verdict,
    and a disabled run whose scan is missing is not proven clean."""
    sanitized = _with_sanitize_and_lockdown(Outcome.PASSED, Outcome.PASSED, enabled=True)
    unsanitized = _with_sanitize_and_lockdown(Outcome.SKIPPED, Outcome.PASSED, enabled=False)
    for record, enabled in ((sanitized, True), (unsanitized, False)):
        if residue is not None:
            record.sanitize = SanitizeSection(enabled=enabled, scan={}, residue=residue)
    assert _RANK[judge(unsanitized)] <= _RANK[judge(sanitized)]
    if residue is None:
        assert judge(unsanitized) is Verdict.NO_GO
        assert "not scanned" in rule(unsanitized, "sanitize scan").detail
    elif residue:
        assert judge(unsanitized) is Verdict.NO_GO
        assert "not sanitized (disabled by the profile); staging holds" in rule(
            unsanitized, "sanitize scan").detail
