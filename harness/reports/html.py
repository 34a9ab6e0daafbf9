"""The self-contained sign-off page (``signoff.html``), rendered from a run record.

The page is a packaged Jinja2 template with autoescape on: every string that
came from the target (account names, error messages, evidence) is escaped.
It carries its CSS inline and loads nothing (no scripts, fonts or images), so
it can be attached to a change request and opened anywhere. It shows no clock
of its own: the same record renders to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from harness.gate import effective_verdict, is_not_applicable
from harness.record import (
    Coverage,
    Failure,
    GateRule,
    Outcome,
    RunRecord,
    RunStatus,
    ScenarioResult,
    Verdict,
)
from harness.reports.text import plain
from harness.severity import Severity

__all__ = ["REUSED_NOTE", "render_html"]

REUSED_NOTE = "staging reused, not prepared in this run (--golive-reuse)"

_VERDICT_CLASS = {
    Verdict.GO: "go",
    Verdict.GO_WITH_WAIVERS: "waivers",
    Verdict.NO_GO: "nogo",
}


@dataclass(frozen=True)
class FailureView:
    failure: Failure
    resolution: str
    rank: int


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["seconds"] = _seconds
    env.filters["evidence"] = _evidence
    return env


def _finalize(value: Any) -> Any:
    """Every printed string loses ANSI colours and control characters before escaping."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain(value)
    return value


def _seconds(value: float) -> str:
    if value >= 60:
        return f"{int(value // 60)}m {value % 60:04.1f}s"
    return f"{value:.2f}s"


def _evidence(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return plain(value if isinstance(value, str) else json.dumps(value))
    return json.dumps(value, indent=1, sort_keys=True, default=str)


def _rule_state(rule: GateRule) -> str:
    if is_not_applicable(rule):
        return "n/a"
    if rule.passed:
        return "pass"
    return "waived" if rule.waived else "fail"


def _failure_view(failure: Failure) -> FailureView:
    try:
        severity = Severity(failure.severity)
    except ValueError:
        return FailureView(failure, "unknown severity: treat as severe", -1)
    return FailureView(failure, severity.resolution, severity.rank)


def _status_banner(record: RunRecord) -> str | None:
    if record.status is RunStatus.COMPLETE:
        return None
    if record.status is RunStatus.RUNNING:
        return "RUN DID NOT FINISH — the record was never closed; results are partial"
    stopped = record.status.value.upper()
    return f"RUN {stopped} — results are partial, nothing after the stop was verified"


def _counts(scenarios: list[ScenarioResult]) -> dict[str, int]:
    counts = {o.value: 0 for o in Outcome if o is not Outcome.REUSED}
    for s in scenarios:
        counts[s.outcome.value] = counts.get(s.outcome.value, 0) + 1
    return {k: v for k, v in counts.items() if v or k == Outcome.PASSED.value}


def _context(record: RunRecord, title: str) -> dict[str, Any]:
    verdict = effective_verdict(record)
    anchors = {s.nodeid: f"sc-{i}" for i, s in enumerate(record.scenarios, 1)}
    outcomes = {s.nodeid: s.outcome.value for s in record.scenarios}
    notes = list(record.notes)
    if record.reused and not any("reused" in n for n in notes):
        notes.insert(0, REUSED_NOTE)
    failures = sorted((_failure_view(f) for f in record.failures), key=lambda v: v.rank)
    uncovered = [c.item_id for c in record.checklist if c.coverage is Coverage.UNCOVERED]
    return {
        "title": title,
        "r": record,
        "verdict": verdict.value,
        "verdict_class": _VERDICT_CLASS[verdict],
        "status_banner": _status_banner(record),
        "blocking": [g for g in record.gate if not g.passed and not g.waived],
        "gate": [(g, _rule_state(g)) for g in record.gate],
        "anchors": anchors,
        "outcomes": outcomes,
        "uncovered": uncovered,
        "counts": _counts(record.scenarios),
        "failures": failures,
        "notes": notes,
    }


def render_html(record: RunRecord, title: str = "Release sign-off") -> str:
    """The sign-off page for ``record`` as one self-contained HTML document."""
    template = _environment().get_template("signoff.html.j2")
    return template.render(**_context(record, title))
