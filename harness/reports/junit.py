"""JUnit XML for CI: one testcase per scenario, per stage, and one for the gate.

Each scenario's ``<system-out>`` holds its Gherkin steps with their results
(GitLab and Jenkins show it beside the test), the text evidence of each step,
and a ``[[ATTACHMENT|screenshots/<sha256>.png]]`` line per screenshot, the
convention GitLab's test reports and Jenkins' JUnit Attachments plugin read
(paths relative to the run folder, where junit.xml is).

Fail closed: a scenario that was skipped, never ran or was interrupted is
written as a ``<failure>``, not as ``<skipped>``. CI dashboards count skipped
tests as "not failed", and a release gate must not let an unverified check
look green; the message says it was not verified rather than that it broke.
Undefined steps and crashes are ``<error>``. A scenario NOT APPLICABLE on this
target (it needs a capability the target lacks) is the one ``<skipped>``: it is
neither a pass nor a defect, and what it leaves unverified shows where it
matters — an uncovered critical item fails the ``golive.gate`` testcase, which
fails unless the run's exit code is 0, so JUnit agrees with the exit code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.gate import effective_verdict, exit_code
from harness.record import Outcome, RunRecord, ScenarioResult, StageResult, Verdict
from harness.reports.text import plain

__all__ = ["render_junit"]

xml_text = plain


def _case(parent: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(
        parent,
        "testcase",
        {"classname": xml_text(classname), "name": xml_text(name), "time": f"{seconds:.3f}"},
    )


def _mark(case: ET.Element, kind: str, message: str, body: str | None) -> None:
    node = ET.SubElement(case, kind, {"message": xml_text(message)[:1000], "type": kind})
    node.text = xml_text(body or message)


def _scenario_body(scenario: ScenarioResult) -> str:
    lines = [
        f"{s.outcome.value:>11}  {s.keyword} {s.text}" + (f"\n{s.error}" if s.error else "")
        for s in scenario.steps
    ]
    if scenario.error:
        lines.append(scenario.error)
    return "\n".join(lines)


def _gherkin(scenario: ScenarioResult) -> str:
    """The scenario as Gherkin with each step's result and evidence."""
    tags = " ".join(f"@{t}" for t in scenario.tags)
    lines = ([tags] if tags else []) + [f"{scenario.keyword}: {scenario.name}"
                                        f"  # {scenario.feature}:{scenario.line}"]
    for step in scenario.steps:
        lines.append(f"  {step.keyword} {step.text}  # {step.outcome.value}"
                     + (f" ({step.duration:.3f}s)" if step.duration else ""))
        lines += [f"    | {' | '.join(row)} |" for row in step.rows]
        if step.error:
            lines += [f"      {line}" for line in step.error.splitlines()]
        for a in step.attachments:
            if a.media_type.startswith("image/") and a.path:
                lines.append(f"      {a.label}")
                lines.append(f"[[ATTACHMENT|{a.path}]]")
            else:
                lines.append(f"      {a.kind}: {a.label}"
                             + (f" (the whole text: {a.path})" if a.path else ""))
                lines += [f"        {line}" for line in (a.text or "").splitlines()[:50]]
    if scenario.error:
        lines.append(f"result: {scenario.outcome.value}: {scenario.error}")
    else:
        lines.append(f"result: {scenario.outcome.value}")
    return "\n".join(lines) + "\n"


def _scenario_case(suite: ET.Element, scenario: ScenarioResult) -> str | None:
    case = _case(suite, scenario.feature, scenario.name, scenario.duration)
    body = _scenario_body(scenario)
    mark = _scenario_mark(case, scenario, body)
    ET.SubElement(case, "system-out").text = xml_text(_gherkin(scenario))
    return mark


def _scenario_mark(case: ET.Element, scenario: ScenarioResult, body: str) -> str | None:
    outcome = scenario.outcome
    if outcome is Outcome.PASSED:
        return None
    if outcome is Outcome.FAILED:
        _mark(case, "failure", scenario.error or "scenario failed", body)
        return "failure"
    if outcome is Outcome.NOT_APPLICABLE:
        _mark(case, "skipped", scenario.error or "not applicable on this target", body)
        return "skipped"
    if outcome in (Outcome.ERROR, Outcome.UNDEFINED):
        what = "a step has no definition" if outcome is Outcome.UNDEFINED else "scenario crashed"
        _mark(case, "error", scenario.error or what, body)
        return "error"
    _mark(case, "failure", f"not verified: scenario {outcome.value}", body)
    return "failure"


def _stage_case(suite: ET.Element, stage: StageResult) -> str | None:
    case = _case(suite, "golive.stages", stage.name, stage.duration)
    if stage.outcome.ok:
        return None
    _mark(case, "failure", f"stage {stage.outcome.value}", stage.error)
    return "failure"


def _gate_case(suite: ET.Element, record: RunRecord) -> str | None:
    case = _case(suite, "golive", "gate", 0.0)
    verdict = effective_verdict(record)
    allowed = record.exit_status == 0
    if exit_code(record, allowed) == 0:
        return None
    blocking = [f"{g.name}: {g.detail}" for g in record.gate if not g.passed and not g.waived]
    if verdict is Verdict.GO_WITH_WAIVERS:
        blocking.append("GO WITH WAIVERS does not pass CI under this profile")
    if not record.gate:
        blocking.append("the gate was not applied to this run")
    body = f"run status {record.status.value}\n" + "\n".join(blocking)
    _mark(case, "failure", f"{verdict.value} (run {record.status.value})", body)
    return "failure"


def render_junit(record: RunRecord) -> str:
    """The JUnit XML document (as text) for ``record``."""
    root = ET.Element("testsuites", {"name": "golive"})
    suite = ET.SubElement(root, "testsuite", {"name": f"golive {record.run_id}"})
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("run_id", record.run_id),
        ("verdict", effective_verdict(record).value),
        ("status", record.status.value),
        ("profile", record.profile),
        ("target", record.target),
        ("release", record.release or ""),
        ("bill_run_date", record.bill_run_date or ""),
    ):
        ET.SubElement(props, "property", {"name": key, "value": xml_text(value)})
    marks = [_scenario_case(suite, s) for s in record.scenarios]
    marks += [_stage_case(suite, s) for s in record.stages]
    marks.append(_gate_case(suite, record))
    total = sum(s.duration for s in record.scenarios) + sum(s.duration for s in record.stages)
    counts = {
        "tests": str(len(marks)),
        "failures": str(marks.count("failure")),
        "errors": str(marks.count("error")),
        "skipped": str(marks.count("skipped")),
        "time": f"{total:.3f}",
        "timestamp": record.started_at,
    }
    suite.attrib.update(counts)
    root.attrib.update({k: counts[k] for k in ("tests", "failures", "errors", "time")})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
