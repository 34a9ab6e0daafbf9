"""The verdict line names the root cause first: a failed stage, then what it left undone."""

from __future__ import annotations

from harness.record import (
    ChecklistStatus,
    Coverage,
    GateRule,
    Outcome,
    RunRecord,
    RunStatus,
    StageResult,
)
from harness.reports.verdict import verdict_line


def test_a_failed_stage_comes_before_the_items_it_left_unverified() -> None:
    record = RunRecord(run_id="r", started_at="2026-11-23T10:00:00+00:00", profile="p",
                       target="demo", status=RunStatus.COMPLETE)
    record.stages = [
        StageResult("restore", Outcome.PASSED),
        StageResult("sanitize", Outcome.FAILED,
                    error="SaltMissing: set GOLIVE_SANITIZE_SALT\nmore"),
        StageResult("bill_run", Outcome.NOT_RUN),
    ]
    record.checklist = [ChecklistStatus("CF-BILL-01", "t", True, "severe", "o", "automated",
                                        Coverage.NOT_VERIFIED)]
    record.gate = [GateRule("stages finished", False, "did not finish: sanitize (failed)"),
                   GateRule("critical items verified", False, "not verified: CF-BILL-01")]
    line = verdict_line(record, None)
    assert line.startswith("golive: NO-GO — stages finished: did not finish: sanitize (failed); "
                           "sanitize: SaltMissing: set GOLIVE_SANITIZE_SALT; ")
    assert line.index("SaltMissing") < line.index("CF-BILL-01")
    assert "more" not in line


def test_missing_safety_evidence_is_named_unless_a_stage_already_explains_it() -> None:
    record = RunRecord(run_id="r", started_at="2026-11-23T10:00:00+00:00", profile="p",
                       target="demo", status=RunStatus.COMPLETE)
    record.stages = [StageResult("preflight", Outcome.ERROR, error="Chromium not found")]
    no_scan = GateRule("sanitize scan clean", False, "no evidence: the run record has no "
                                                     "sanitize scan result")
    record.gate = [GateRule("stages finished", False, "did not finish: preflight (error)"),
                   no_scan]
    line = verdict_line(record, None)
    assert "preflight: Chromium not found" in line and "no evidence" not in line
    record.gate = [GateRule("stages finished", True, "4 stage(s) finished"), no_scan]
    assert "sanitize scan clean: no evidence" in verdict_line(record, None)
