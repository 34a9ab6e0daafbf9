"""Checklist coverage: which checklist items the run verified, and the failures it found.

Coverage takes plain data (anything shaped like a checklist item and a manual
result) so it does not depend on how checklists are loaded. It is fail-closed:
an item is VERIFIED only when at least one scenario verifies it and every such
scenario PASSED; a skipped, undefined, interrupted or unrun scenario leaves the
item NOT_VERIFIED, and an item with nothing at all is UNCOVERED.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Protocol

from harness.record import (
    ChecklistStatus,
    Coverage,
    Failure,
    Outcome,
    RunRecord,
    ScenarioResult,
    StageResult,
)
from harness.severity import Severity

__all__ = [
    "ChecklistItemLike",
    "ManualResultLike",
    "checklist_failure",
    "combine_manual",
    "compute_coverage",
    "run_date",
    "scenario_coverage",
    "worst_severity",
]

#: Scenario outcomes that count as a failure of the scenario (not merely unverified).
FAILED_OUTCOMES = frozenset({Outcome.FAILED, Outcome.ERROR, Outcome.UNDEFINED})
#: Stage outcomes recorded as a failure (NOT_RUN/SKIPPED stages are caught by the gate).
FAILED_STAGE_OUTCOMES = frozenset({Outcome.FAILED, Outcome.ERROR, Outcome.INTERRUPTED})
#: Coverage of a critical item that becomes a "checklist" failure.
NOT_OK_COVERAGE = frozenset(
    {Coverage.FAILED, Coverage.MANUAL_FAIL, Coverage.NOT_VERIFIED, Coverage.UNCOVERED}
)
STAGE_SEVERITY = Severity.SEVERE.value


class ChecklistItemLike(Protocol):
    """What coverage reads of a checklist item (harness.checklists models fit)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def critical(self) -> bool: ...
    @property
    def severity(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def mode(self) -> str: ...


class ManualResultLike(Protocol):
    """A manual check recorded by a person: result is "pass" or "fail"."""

    @property
    def result(self) -> str: ...
    @property
    def by(self) -> str: ...
    @property
    def at(self) -> object: ...
    @property
    def note(self) -> str | None: ...


def run_date(record: RunRecord) -> dt.date:
    """The date the run started on: the day failures were found."""
    try:
        return dt.date.fromisoformat(record.started_at[:10])
    except ValueError as exc:
        raise ValueError(
            f"run {record.run_id}: started_at {record.started_at!r} is not an ISO date"
        ) from exc


def worst_severity(names: Sequence[str], default: str) -> str:
    """The worst of several severity names; unknown names rank as severe (fail closed)."""
    if not names:
        return default

    def rank(name: str) -> int:
        try:
            return Severity(name).rank
        except ValueError:
            return -1

    return min(names, key=rank)


def scenario_coverage(outcomes: Sequence[Outcome]) -> Coverage:
    """Coverage given by the scenarios tagged with one item."""
    if not outcomes:
        return Coverage.UNCOVERED
    if any(o in (Outcome.FAILED, Outcome.ERROR) for o in outcomes):
        return Coverage.FAILED
    if all(o is Outcome.PASSED for o in outcomes):
        return Coverage.VERIFIED
    return Coverage.NOT_VERIFIED


def _manual_note(manual: ManualResultLike) -> str:
    text = f"manual {manual.result} by {manual.by} at {manual.at}"
    return f"{text}: {manual.note}" if manual.note else text


def combine_manual(auto: Coverage, manual: ManualResultLike) -> tuple[Coverage, str]:
    """An item's coverage once a person's result joins what its scenarios gave, and the note
    saying so. A manual fail always counts; a manual pass never hides a failed or unrun
    scenario."""
    note = _manual_note(manual)
    manual_ok = str(manual.result).lower() == "pass"
    if not manual_ok and auto is not Coverage.FAILED:
        return Coverage.MANUAL_FAIL, note
    if manual_ok and auto in (Coverage.UNCOVERED, Coverage.MANUAL_FAIL, Coverage.MANUAL_PASS):
        return Coverage.MANUAL_PASS, note
    if auto is Coverage.NOT_VERIFIED:
        # A person's pass does not turn automated scenarios that never ran into a pass.
        note += "; automated scenarios did not all pass, so the item stays not verified"
    return auto, note


def _not_applicable_note(scenarios: list[ScenarioResult]) -> str | None:
    """Why scenarios could not apply on this target ("the target has no provisioning")."""
    reasons = sorted({(s.error or "not applicable").removeprefix("not applicable: ")
                      for s in scenarios if s.outcome is Outcome.NOT_APPLICABLE})
    if not reasons:
        return None
    return (f"not applicable on this target ({'; '.join(reasons)}): it needs another "
            "scenario, a manual result or a waiver")


def _item_status(
    item: ChecklistItemLike, scenarios: list[ScenarioResult], manual: ManualResultLike | None
) -> ChecklistStatus:
    # a scenario the target cannot answer verifies nothing and fails nothing
    auto = scenario_coverage([s.outcome for s in scenarios
                              if s.outcome is not Outcome.NOT_APPLICABLE])
    coverage, note = auto, _not_applicable_note(scenarios)
    if manual is not None:
        coverage, said = combine_manual(auto, manual)
        note = f"{said}; {note}" if note else said
    return ChecklistStatus(
        item_id=item.id,
        title=item.title,
        critical=bool(item.critical),
        severity=str(item.severity),
        owner=item.owner,
        mode=str(item.mode),
        coverage=coverage,
        scenarios=[s.nodeid for s in scenarios],
        note=note,
    )


def _due(severity: str, found_on: dt.date) -> str | None:
    try:
        due = Severity(severity).due_date(found_on)
    except ValueError:
        due = found_on  # an unknown severity is treated as due at once
    return due.isoformat() if due else None


def _scenario_failure(
    scenario: ScenarioResult, severities: Mapping[str, str], default: str, found_on: dt.date
) -> Failure:
    known = [severities[i] for i in scenario.checklist_ids if i in severities]
    severity = worst_severity(known, default)
    message = scenario.error or _first_bad_step(scenario) or f"scenario {scenario.outcome}"
    return Failure(
        source="scenario",
        title=f"{scenario.name} ({scenario.outcome})",
        message=message,
        severity=severity,
        checklist_ids=list(scenario.checklist_ids),
        found_on=found_on.isoformat(),
        due_date=_due(severity, found_on),
        nodeid=scenario.nodeid,
    )


def _first_bad_step(scenario: ScenarioResult) -> str | None:
    for step in scenario.steps:
        if step.outcome is not Outcome.PASSED:
            detail = f": {step.error}" if step.error else ""
            return f"{step.keyword} {step.text} — {step.outcome}{detail}"
    return None


def _stage_failure(stage: StageResult, found_on: dt.date) -> Failure:
    return Failure(
        source="stage",
        title=f"stage {stage.name} {stage.outcome}",
        message=stage.error or f"stage {stage.name} did not finish",
        severity=STAGE_SEVERITY,
        found_on=found_on.isoformat(),
        due_date=_due(STAGE_SEVERITY, found_on),
    )


def checklist_failure(status: ChecklistStatus, found_on: dt.date) -> Failure:
    """The failure a critical item that is not OK stands for (source "checklist")."""
    words = {
        Coverage.FAILED: "failed",
        Coverage.MANUAL_FAIL: "failed its manual check",
        Coverage.NOT_VERIFIED: "was not verified",
        Coverage.UNCOVERED: "is uncovered (no scenario, no manual result)",
    }
    message = (
        f"scenarios: {', '.join(status.scenarios)}" if status.scenarios else "no scenario"
    )
    if status.note:
        message += f"; {status.note}"
    return Failure(
        source="checklist",
        title=f"critical item {status.item_id} {words[status.coverage]}: {status.title}",
        message=message,
        severity=status.severity,
        checklist_ids=[status.item_id],
        found_on=found_on.isoformat(),
        due_date=_due(status.severity, found_on),
    )


def compute_coverage(
    record: RunRecord,
    items: Sequence[ChecklistItemLike],
    manual: Mapping[str, ManualResultLike],
    *,
    default_severity: str = Severity.HIGH.value,
) -> None:
    """Fill ``record.checklist`` and add the run's failures to ``record.failures``.

    ``default_severity`` applies to a failed scenario tagged with no known
    checklist item. Calling it again does not duplicate failures (a failure
    already in the record, e.g. one carrying a waiver, is kept as it is).
    """
    found_on = run_date(record)
    tagged: dict[str, list[ScenarioResult]] = defaultdict(list)  # one pass, not one per item
    for scenario in record.scenarios:
        for item_id in dict.fromkeys(scenario.checklist_ids):
            tagged[item_id].append(scenario)
    record.checklist = [_item_status(item, tagged.get(item.id, []), manual.get(item.id))
                        for item in items]

    severities = {item.id: str(item.severity) for item in items}
    new: list[Failure] = [
        _scenario_failure(s, severities, default_severity, found_on)
        for s in record.scenarios
        if s.outcome in FAILED_OUTCOMES
    ]
    new += [
        _stage_failure(s, found_on) for s in record.stages if s.outcome in FAILED_STAGE_OUTCOMES
    ]
    new += [
        checklist_failure(c, found_on)
        for c in record.checklist
        if c.critical and c.coverage in NOT_OK_COVERAGE
    ]
    seen = {(f.source, f.title, f.nodeid) for f in record.failures}
    for failure in new:
        if (failure.source, failure.title, failure.nodeid) not in seen:
            record.failures.append(failure)
            seen.add((failure.source, failure.title, failure.nodeid))
