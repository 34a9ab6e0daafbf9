"""What the sign-off page shows, computed from the record: the manager's summary, the
traceability matrix, the scenarios with their steps and evidence, and the caps that
keep the page small for a big run.

A run of 10,000 scenarios and 100,000 account checks must still open in a
browser, so each long list is capped on the page — the failing and
mismatching entries first — and says where the whole list is: the sidecar
CSV/XLSX files written beside it (`harness.reports.tables`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.record import (
    AccountCheck,
    Attachment,
    ChecklistStatus,
    Coverage,
    Failure,
    Outcome,
    RunRecord,
    ScenarioResult,
    StepResult,
)
from harness.reports.labels import LABELS, item_label, scenario_label
from harness.severity import Severity
from harness.signoff.model import SignoffRules, Waiver

__all__ = [
    "ACCOUNT_ROWS",
    "BLOCKER_ROWS",
    "CHECKS_PER_STEP",
    "FAILURE_ROWS",
    "SCENARIO_DETAIL",
    "TRACE_PER_ITEM",
    "Blocker",
    "FailureView",
    "ScenarioView",
    "StepView",
    "TraceRow",
    "blockers",
    "failure_views",
    "scenario_views",
    "trace_rows",
]

SCENARIO_DETAIL = 500  # scenarios shown with their steps; failing ones first
CHECKS_PER_STEP = 20  # account checks shown under one step (or one scenario)
ACCOUNT_ROWS = 200  # rows of the accounts table; mismatches first
FAILURE_ROWS = 200  # rows of the failures table; worst first
TRACE_PER_ITEM = 20  # scenarios named per checklist item
BLOCKER_ROWS = 10  # blockers on the summary


@dataclass(frozen=True)
class FailureView:
    failure: Failure
    resolution: str
    rank: int


def _failure_view(failure: Failure) -> FailureView:
    try:
        severity = Severity(failure.severity)
    except ValueError:
        return FailureView(failure, "unknown severity: treat as severe", -1)
    return FailureView(failure, severity.resolution, severity.rank)


def failure_views(record: RunRecord) -> list[FailureView]:
    """Every failure, worst first (open before waived at equal severity)."""
    return sorted((_failure_view(f) for f in record.failures),
                  key=lambda v: (v.rank, bool(v.failure.waived_by), v.failure.due_date or ""))


# -- the summary -----------------------------------------------------------------------
@dataclass(frozen=True)
class Blocker:
    view: FailureView
    overdue: bool


def rules_of(record: RunRecord) -> SignoffRules:
    """The gate and sign-off rules the record carries (defaults for an older record)."""
    return record.signoff.rules or SignoffRules()


def blockers(record: RunRecord, views: Sequence[FailureView]) -> list[Blocker]:
    """Open failures of a blocking severity (an unknown severity blocks), worst first."""
    blocking = {s.lower() for s in rules_of(record).blocking_severities}
    finished = (record.finished_at or record.started_at)[:10]
    return [Blocker(v, bool(v.failure.due_date and v.failure.due_date < finished))
            for v in views
            if not v.failure.waived_by and (v.rank < 0 or v.failure.severity.lower() in blocking)]


def waivers(record: RunRecord) -> list[Waiver]:
    return list(record.signoff.waivers)


def scenario_counts(record: RunRecord) -> dict[str, int]:
    counts = Counter(scenario_label(s.outcome) for s in record.scenarios)
    return {label: counts[label] for label in LABELS if counts[label]}


def item_counts(record: RunRecord) -> dict[str, int]:
    outcomes = {s.nodeid: s.outcome for s in record.scenarios}
    counts = Counter(item_label(c, [outcomes[n] for n in c.scenarios if n in outcomes])
                     for c in record.checklist)
    return {label: counts[label] for label in LABELS if counts[label]}


# -- traceability ------------------------------------------------------------------------
@dataclass(frozen=True)
class TraceScenario:
    nodeid: str
    name: str
    label: str
    outcome: str


@dataclass(frozen=True)
class TraceRow:
    status: ChecklistStatus
    label: str
    detail: str  # e.g. "manual pass by alice", the coverage in golive's own words
    scenarios: list[TraceScenario]
    more: int  # scenarios not named on the page
    more_counts: dict[str, int] = field(default_factory=dict)


def trace_rows(record: RunRecord) -> list[TraceRow]:
    by_id = {s.nodeid: s for s in record.scenarios}
    rows = []
    for status in record.checklist:
        mine = [by_id[n] for n in status.scenarios if n in by_id]
        label = item_label(status, [s.outcome for s in mine])
        # the ones that need attention are named first
        ordered = sorted(mine, key=lambda s: scenario_label(s.outcome) == "OK")
        named = [TraceScenario(s.nodeid, s.name, scenario_label(s.outcome), s.outcome.value)
                 for s in ordered[:TRACE_PER_ITEM]]
        rest = Counter(scenario_label(s.outcome) for s in ordered[TRACE_PER_ITEM:])
        detail = {Coverage.MANUAL_PASS: "manual pass", Coverage.MANUAL_FAIL: "manual fail"}.get(
            status.coverage, status.coverage.value.replace("_", " "))
        rows.append(TraceRow(status, label, detail, named, len(ordered) - len(named),
                             {k: rest[k] for k in LABELS if rest[k]}))
    return rows


def untraced(record: RunRecord) -> int:
    """Scenarios tagged with no checklist item: they verify nothing the gate reads."""
    return sum(1 for s in record.scenarios if not s.checklist_ids)


# -- scenarios, steps and their evidence -------------------------------------------------
@dataclass(frozen=True)
class StepView:
    step: StepResult
    css: str
    checks: list[AccountCheck]
    more_checks: int
    images: list[Attachment]
    texts: list[Attachment]
    missing: list[Attachment]  # files the record names that are no longer in the run folder


@dataclass(frozen=True)
class ScenarioView:
    scenario: ScenarioResult
    anchor: str
    label: str
    open: bool
    steps: list[StepView]
    checks: list[AccountCheck]  # not tied to a step
    more_checks: int


@dataclass(frozen=True)
class FeatureView:
    uri: str
    name: str
    open: bool
    scenarios: list[ScenarioView]
    counts: dict[str, int]


def _step_css(step: StepResult) -> str:
    if step.outcome is Outcome.PASSED:
        return ""
    return "bad" if step.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.UNDEFINED) \
        else "unrun"


def _shown_checks(checks: list[AccountCheck]) -> tuple[list[AccountCheck], int]:
    ordered = sorted(checks, key=lambda c: c.ok)  # mismatches first
    return ordered[:CHECKS_PER_STEP], max(len(ordered) - CHECKS_PER_STEP, 0)


def _step_view(step: StepResult, checks: list[AccountCheck], run_dir: Path | None) -> StepView:
    shown, more = _shown_checks(checks)
    images: list[Attachment] = []
    texts: list[Attachment] = []
    missing: list[Attachment] = []
    for a in step.attachments:
        present = a.path is None or run_dir is None or (run_dir / a.path).is_file()
        if a.media_type.startswith("image/") and a.path:
            (images if present else missing).append(a)
        else:
            texts.append(a)
            if not present:
                missing.append(a)
    return StepView(step, _step_css(step), shown, more, images, texts, missing)


def detail_selection(record: RunRecord) -> list[ScenarioResult]:
    """The scenarios shown with their steps: all of them, or — beyond the cap — every one
    that did not pass first, then passed ones, in the record's order."""
    scenarios = record.scenarios
    if len(scenarios) <= SCENARIO_DETAIL:
        return list(scenarios)
    bad = [s for s in scenarios if s.outcome is not Outcome.PASSED]
    chosen = {id(s) for s in bad[:SCENARIO_DETAIL]}
    for s in scenarios:
        if len(chosen) >= SCENARIO_DETAIL:
            break
        chosen.add(id(s))
    return [s for s in scenarios if id(s) in chosen]


def scenario_views(record: RunRecord, anchors: dict[str, str], run_dir: Path | None
                   ) -> list[FeatureView]:
    """The shown scenarios grouped by feature file, each with its steps' evidence."""
    checks: dict[str, list[AccountCheck]] = defaultdict(list)
    for check in record.accounts:
        if check.scenario:
            checks[check.scenario].append(check)
    features: dict[str, list[ScenarioView]] = {}
    names: dict[str, str] = {}
    for s in detail_selection(record):
        mine = checks.get(s.nodeid, [])
        per_step: dict[int, list[AccountCheck]] = defaultdict(list)
        loose = []
        for c in mine:
            if c.step is not None and 0 <= c.step < len(s.steps):
                per_step[c.step].append(c)
            else:
                loose.append(c)
        shown, more = _shown_checks(loose)
        view = ScenarioView(
            scenario=s, anchor=anchors[s.nodeid], label=scenario_label(s.outcome),
            open=s.outcome is not Outcome.PASSED,
            steps=[_step_view(step, per_step.get(i, []), run_dir)
                   for i, step in enumerate(s.steps)],
            checks=shown, more_checks=more)
        features.setdefault(s.feature, []).append(view)
        names.setdefault(s.feature, s.feature_name or Path(s.feature).stem.replace("_", " "))
    out = []
    for uri, views in features.items():
        counts = Counter(v.label for v in views)
        out.append(FeatureView(uri, names[uri], any(v.open for v in views), views,
                               {k: counts[k] for k in LABELS if counts[k]}))
    return out


def account_rows(record: RunRecord) -> list[AccountCheck]:
    """The accounts table: every mismatch first, then matches, up to the cap."""
    if len(record.accounts) <= ACCOUNT_ROWS:
        return list(record.accounts)
    bad = [c for c in record.accounts if not c.ok]
    good = [c for c in record.accounts if c.ok]
    return (bad + good)[:ACCOUNT_ROWS]
