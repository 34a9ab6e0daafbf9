"""The self-contained sign-off page (``signoff.html``), rendered from a run record.

The page is a packaged Jinja2 template with autoescape on: every string that
came from the target (account names, error messages, evidence) is escaped.
It carries its CSS and charts (inline SVG) inline and loads no script, font or
stylesheet, so it can be attached to a change request and opened anywhere;
screenshots are files beside it, named by their digest. It shows no clock of
its own: the same record renders to the same bytes.

The page is two views: the manager's one-page summary first (verdict,
blockers, waivers, who signed and who must still sign, two charts), then the
engineer's detail, one section per entry of `SECTIONS` — a new section is a
template and one line there.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness.gate import effective_verdict, is_not_applicable
from harness.outbound import address, body_excerpt, mask_address
from harness.record import (
    GateRule,
    RunRecord,
    RunStatus,
    Verdict,
)
from harness.reports import charts, views
from harness.reports.text import plain

__all__ = ["MAIL_ROWS", "REUSED_NOTE", "SECTIONS", "Section", "render_html"]

REUSED_NOTE = "staging reused, not prepared in this run (--golive-reuse)"
MAIL_ROWS = 20  # captured emails listed; the rest are counted
CALL_ROWS = 20  # captured HTTP calls listed per sink

_VERDICT_CLASS = {
    Verdict.GO: "go",
    Verdict.GO_WITH_WAIVERS: "waivers",
    Verdict.NO_GO: "nogo",
}


@dataclass(frozen=True)
class Section:
    """One section of the engineer's detail: its anchor, its title in the contents, and
    the template that renders it (a missing template is left out)."""

    anchor: str
    title: str
    template: str


SECTIONS: tuple[Section, ...] = (
    Section("gate", "Gate rules", "gate.html.j2"),
    Section("failures", "Failures", "failures.html.j2"),
    Section("checklist", "Checklist traceability", "traceability.html.j2"),
    Section("scenarios", "Scenarios, steps and evidence", "scenarios.html.j2"),
    Section("accounts", "Accounts against production", "accounts.html.j2"),
    # the population compared with production's baseline (the compare stage)
    Section("population", "Population against production", "differences.html.j2"),
    Section("stages", "Stages", "stages.html.j2"),
    Section("stopped", "Started and stopped by golive", "stopped.html.j2"),
    Section("sanitizing", "Sanitizing", "sanitizing.html.j2"),
    Section("outbound", "Outbound traffic", "outbound.html.j2"),
    Section("history", "History, waivers, manual results, UAT", "signoff_sections.html.j2"),
    Section("provenance", "Provenance", "provenance.html.j2"),
)


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: the templates are compiled once."""
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


def _status_banner(record: RunRecord) -> str | None:
    if record.status is RunStatus.COMPLETE:
        return None
    if record.status is RunStatus.RUNNING:
        return "RUN DID NOT FINISH — the record was never closed; results are partial"
    stopped = record.status.value.upper()
    return f"RUN {stopped} — results are partial, nothing after the stop was verified"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _calls(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """HTTP calls of one sink: the first rows with a short, secret-free body excerpt."""
    shown = [{"method": str(c.get("method", "")), "path": str(c.get("path", "")),
              "body": body_excerpt(c.get("body") if "body" in c else
                                   {k: v for k, v in c.items()
                                    if k not in ("method", "path", "received_at")})}
             for c in calls[:CALL_ROWS]]
    return {"count": len(calls), "rows": shown}


def _masked(recipient: str) -> str:
    """Recipients are stored masked; mask again anything that is not (an older record)."""
    return recipient if "***" in recipient else mask_address(recipient)


def _expected(data: object) -> list[tuple[str, str]] | None:
    """What the run should have sent per channel; "not compared" where nobody can say."""
    if not isinstance(data, dict):
        return None
    shown = []
    for key, label in (("mail", "mail"), ("invoices", "invoice email(s)"),
                       ("provisioning", "provisioning request(s)"),
                       ("payments", "payment attempt(s)"), ("http", "other HTTP call(s)")):
        if key == "invoices" and ("mail" in data or not data.get(key)):
            continue  # older records counted one mail per invoice
        value = data.get(key)
        shown.append((label, "not compared" if value is None else str(value)))
    if data.get("per_invoice"):
        shown[0] = ("mail", f"{shown[0][1]} (one per invoice)")
    blocked = data.get("blocked") or []
    if blocked:
        shown.append(("channels blocked, not redirected:", ", ".join(map(str, blocked))))
    return shown


def _outbound(record: RunRecord) -> dict[str, Any] | None:
    """The "Outbound traffic" section: redirections (hosts only), escapes, captures."""
    data = record.outbound
    if data is None:
        return None
    mails = data.mail or []
    return {
        "sinks": {k: address(v) for k, v in data.sinks.items()},
        "redirections": [(name, address(str(r.get("from", ""))), address(str(r.get("to", ""))))
                         for name, r in sorted(data.redirected.items())],
        "escaped": list(data.escaped or []),
        "checked": data.escaped is not None,
        "expected": _expected(data.expected),
        "blocked": [str(b) for b in _dict(data.expected).get("blocked") or []],
        "channels": [(name, str(c.get("method", "")), str(c.get("to") or c.get("blocked_by")
                                                           or ", ".join(c.get("endpoints") or [])),
                      str(c.get("sends") or "not said: compared where the target reports it"),
                      str(c.get("read_back") or "read back from the target"))
                     for name, c in sorted(data.channels.items())],
        "mail_count": len(mails),
        "mails": [{"to": ", ".join(_masked(str(t)) for t in m.get("recipients") or []),
                   "subject": str(m.get("subject", "")), "size": m.get("size", 0)}
                  for m in mails[:MAIL_ROWS]],
        "sinks_calls": [("provisioning (HTTP sink)", _calls(data.http or [])),
                        ("payment sandbox", _calls(data.payment or []))],
        "replayed": data.replayed,
    }


def _sanitize(record: RunRecord) -> dict[str, Any] | None:
    """The "Sanitizing" section: rules, rows per table, time, scan counts per detector."""
    data = record.sanitize
    if data is None:
        return None
    scan = data.scan or {}
    findings = _rows(scan.get("findings"))
    per_detector: dict[str, int] = {}
    for f in findings:
        name = str(f.get("detector", "?"))
        per_detector[name] = per_detector.get(name, 0) + int(f.get("count", 0) or 0)
    return {
        "enabled": data.enabled,
        "mode": data.mode,
        "rules": data.rules,
        "scripts": list(data.scripts),
        "tables": data.tables,
        "seconds": data.seconds,
        "scanned": bool(scan),
        "clean": bool(scan.get("clean")) and not data.residue,
        "findings": [{"table": f.get("table"), "column": f.get("column"),
                      "detector": f.get("detector"), "count": f.get("count")} for f in findings],
        "per_detector": sorted(per_detector.items()),
        "residue": list(data.residue or []),
    }


def _sections(env: jinja2.Environment) -> list[Section]:
    def present(name: str) -> bool:
        try:
            env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        return True

    return [s for s in SECTIONS if present(s.template)]


def _provenance(record: RunRecord) -> dict[str, Any]:
    """The backup the run verified (the backup or restore stage's digest) and its own."""
    backup = next((s.evidence for s in record.stages
                   if s.name in ("backup", "restore") and s.evidence.get("sha256")), {})
    return {"backup_sha256": backup.get("sha256"), "backup": backup.get("path")
            or backup.get("backup"), "backup_release": backup.get("release")
            or backup.get("backup_release"), "p": record.provenance}


def _context(record: RunRecord, title: str, env: jinja2.Environment,
             run_dir: Path | None) -> dict[str, Any]:
    verdict = effective_verdict(record)
    shown = views.detail_selection(record)
    on_page = {id(s) for s in shown}  # only a scenario shown in detail can be linked to
    anchors = {s.nodeid: f"sc-{i}" for i, s in enumerate(record.scenarios, 1)
               if id(s) in on_page}
    outcomes = {s.nodeid: s.outcome.value for s in record.scenarios}
    names = {s.nodeid: s.name for s in record.scenarios}  # readable link text
    notes = list(record.notes)
    if record.reused and not any("reused" in n for n in notes):
        notes.insert(0, REUSED_NOTE)
    failures = views.failure_views(record)
    blockers = views.blockers(record, failures)
    uncovered = [c.item_id for c in record.checklist if c.coverage.value == "uncovered"]
    rules = views.rules_of(record)
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
        "names": names,
        "uncovered": uncovered,
        "scenario_counts": views.scenario_counts(record),
        "item_counts": views.item_counts(record),
        "failures": failures[:views.FAILURE_ROWS],
        "failures_total": len(failures),
        "blockers": blockers[:views.BLOCKER_ROWS],
        "blockers_total": len(blockers),
        "blocking_severities": list(rules.blocking_severities),
        "required_roles": list(rules.required_roles),
        "waivers": views.waivers(record),
        "notes": notes,
        "area_chart": charts.area_chart(record),
        "stage_chart": charts.stage_chart(record),
        "trace": views.trace_rows(record),
        "untraced": views.untraced(record),
        "features": views.scenario_views(record, anchors, run_dir),
        "scenarios_shown": len(shown),
        "accounts_shown": views.account_rows(record),
        "sections": _sections(env),
        "provenance": _provenance(record),
        "outbound": _outbound(record),
        "sanitize": _sanitize(record),
        "population": record.population,
        # the first differences read grouped: by field, then by group (e.g. the product)
        "population_differences": sorted(
            record.population.differences,
            key=lambda d: (d.dataset, d.category, d.column, d.group, d.account, d.key))
        if record.population is not None else [],
        "population_rows": sum(d.staging_rows for d in record.population.datasets)
        if record.population is not None else 0,
        "population_note": _population_note(record),
    }


def _population_note(record: RunRecord) -> str:
    """Why a run has no population section (the gate's own words when it has one)."""
    rule = next((g for g in record.gate if g.name == "population matches production"), None)
    if rule is not None:
        return rule.detail
    return "The whole population was not compared with production in this run."


def render_html(record: RunRecord, title: str = "Release sign-off",
                run_dir: Path | None = None) -> str:
    """The sign-off page for ``record`` as one self-contained HTML document; ``run_dir``
    (where its screenshots are) lets the page say which evidence files are missing."""
    env = _environment()
    template = env.get_template("signoff.html.j2")
    return template.render(**_context(record, title, env, run_dir))
