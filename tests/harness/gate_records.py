"""Hand-built run records and checklist items for the gate and report tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from harness.record import (
    AccountCheck,
    Outcome,
    RunRecord,
    RunStatus,
    ScenarioResult,
    StageResult,
    StepResult,
)
from harness.sections import OutboundSection, SanitizeSection

RUN_DAY = "2026-11-03"


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    critical: bool
    severity: str
    owner: str = "qa"
    mode: str = "automated"


@dataclass(frozen=True)
class Manual:
    result: str
    by: str = "alice"
    at: str = "2026-11-03T10:00:00Z"
    note: str | None = None


@dataclass
class Rules:
    blocking_severities: list[str] = field(default_factory=lambda: ["severe", "high"])
    account_tolerance: Decimal = Decimal("0.00")
    go_with_waivers_passes_ci: bool = False


ITEMS = [
    Item("CF-BILL-01", "Bill run charges due packages", True, "severe"),
    Item("CF-PAY-01", "Payments process for every processor", True, "high"),
    Item("CF-RPT-01", "Usage report works", False, "medium"),
    Item("CF-TIX-01", "Tickets can be created", False, "high"),
]


def scenario(
    name: str,
    ids: list[str],
    outcome: Outcome = Outcome.PASSED,
    steps: list[StepResult] | None = None,
    error: str | None = None,
) -> ScenarioResult:
    if steps is None:
        steps = [
            StepResult("Given", "the bill run finished", Outcome.PASSED, 0.1),
            StepResult("Then", f"{name} holds", outcome, 0.2),
        ]
    return ScenarioResult(
        nodeid=f"features/billing.feature::{name}",
        feature="features/billing.feature",
        name=name,
        line=10,
        tags=list(ids),
        checklist_ids=list(ids),
        outcome=outcome,
        steps=steps,
        duration=0.3,
        error=error,
    )


def good_record() -> RunRecord:
    """A complete run where everything passed: the gate says GO."""
    record = RunRecord(
        run_id="20261103T100000Z-abcd",
        started_at=f"{RUN_DAY}T10:00:00+00:00",
        profile="golive.yaml",
        target="demo",
        release="1.1",
        bill_run_date="2026-11-01",
        status=RunStatus.COMPLETE,
        finished_at=f"{RUN_DAY}T10:05:00+00:00",
    )
    record.stages = [
        StageResult("restore", Outcome.PASSED, f"{RUN_DAY}T10:00:01+00:00", 1.5,
                    {"backup": "pre-bill-run.manifest.json", "rows": 1200}),
        StageResult("sanitize", Outcome.PASSED, f"{RUN_DAY}T10:00:02+00:00", 0.8,
                    {"rules_applied": 12, "scan": "clean"}),
        StageResult("lockdown", Outcome.PASSED, f"{RUN_DAY}T10:00:03+00:00", 0.1,
                    {"escaped": []}),
        StageResult("bill_run", Outcome.PASSED, f"{RUN_DAY}T10:00:03+00:00", 70.2,
                    {"transactions": 812}),
    ]
    # the evidence of the two safety rules, as the sanitize and lock-down stages write it
    record.sanitize = SanitizeSection(enabled=True, residue=[])
    record.outbound = OutboundSection(sinks={"smtp": "smtp://127.0.0.1:2525"}, escaped=[])
    record.scenarios = [
        scenario("bob smith balance", ["CF-BILL-01"]),
        scenario("jane doe pool", ["CF-BILL-01"]),
        scenario("card payment", ["CF-PAY-01"]),
        scenario("usage report", ["CF-RPT-01"]),
        scenario("open a ticket", ["CF-TIX-01"]),
    ]
    record.accounts = [
        AccountCheck("Bob Smith", "balance", "120.00", "120.00", True,
                     "features/billing.feature::bob smith balance"),
        AccountCheck("Jane Doe", "pool_minutes_applied", "340", "340", True),
    ]
    return record
