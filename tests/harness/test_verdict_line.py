"""The verdict line names the root cause first: a failed stage, then what it left undone."""

from __future__ import annotations

from harness.pytest.lifecycle import verdict_line
from harness.record import (
    ChecklistStatus,
    Coverage,
    GateRule,
    Outcome,
    RunRecord,
    RunStatus,
    StageResult,
)


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
