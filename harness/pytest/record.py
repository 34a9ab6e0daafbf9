"""Recording scenario and step results ourselves, the same way with and without xdist.

pytest-bdd's own reporting is empty under xdist, and pytest's pass/fail alone
cannot tell an undefined step from a failed assertion, so golive records
every scenario itself. The process that runs a scenario (the only process, or
an xdist worker) fills a :class:`ScenarioResult` from pytest-bdd's step hooks
and pytest's reports, and attaches it as JSON to the teardown report's
``user_properties``; whoever receives the report (the same process, or the
xdist controller) aggregates it. Fail closed: a result starts NOT_RUN with
every step NOT_RUN and only a step that returned is PASSED; a scenario
is PASSED only when its call passed and every step passed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_bdd.parser import Scenario, Step

from harness.pytest.collect import is_checklist_id, relative, rendered_scenario, template_of
from harness.record import (
    AccountCheck,
    Attachment,
    Outcome,
    ScenarioResult,
    StepResult,
    dumps,
    scenario_from_dict,
)
from harness.targets.base import CapabilityMissing

SCENARIO_PROPERTY = "golive_scenario"
ACCOUNT_PROPERTY = "golive_account"

_result_key = pytest.StashKey[ScenarioResult]()
_step_key = pytest.StashKey[tuple[int, float]]()  # running step: index, start time
_accounts_key = pytest.StashKey[list[AccountCheck]]()
_not_prepared_key = pytest.StashKey[str]()
_pending_key = pytest.StashKey[list[Attachment]]()  # evidence left while no step was running

_MAX_ERROR = 4000


def _text(message: str) -> str:
    message = message.strip()
    return message if len(message) <= _MAX_ERROR else message[:_MAX_ERROR] + " …"


def _exception_text(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if isinstance(exc, AssertionError | pytest.fail.Exception):
        return _text(text or name)
    return _text(f"{name}: {text}" if text else name)


def _report_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return _text(str(crash.message))
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # (file, line, reason)
        return _text(str(report.longrepr[2]))
    return _text(report.longreprtext.strip().splitlines()[-1] if report.longreprtext else "")


def mark_not_prepared(item: pytest.Item, reason: str) -> None:
    """Called before skipping a scenario because staging was not prepared: it is NOT_RUN."""
    item.stash[_not_prepared_key] = reason


def _running_index(item: pytest.Item) -> int:
    index, _ = item.stash.get(_step_key, (-1, 0.0))
    return index


def add_account_check(item: pytest.Item, check: AccountCheck) -> None:
    """An account check a step made: kept with the scenario and the step that made it."""
    index = _running_index(item)
    if check.step is None and index >= 0:
        check.step = index
    item.stash.setdefault(_accounts_key, []).append(check)


def add_attachment(item: pytest.Item, attachment: Attachment) -> None:
    """Evidence a step left (a screenshot, captured mails, event-log lines): on the step
    running now, else kept until one finishes badly (see `Recorder._attach`)."""
    result = item.stash.get(_result_key, None)
    index = _running_index(item)
    if result is not None and 0 <= index < len(result.steps):
        result.steps[index].attachments.append(attachment)
    else:
        item.stash.setdefault(_pending_key, []).append(attachment)


def _step_result(step: Step) -> StepResult:
    table = step.datatable.raw() if step.datatable is not None else []
    return StepResult(keyword=step.keyword, text=step.name, line=step.line_number,
                      docstring=step.docstring,
                      rows=[[str(cell) for cell in row] for row in table])


def skeleton(item: pytest.Item, project: Path, worker: str | None) -> ScenarioResult | None:
    """The result of a scenario that has not run yet (None for an ordinary test)."""
    template = template_of(item)
    if template is None:
        return None
    scenario = rendered_scenario(item, template)
    rule_tags = template.rule.tags if template.rule else set()
    tags = sorted(template.tags | template.feature.tags | rule_tags)
    feature = template.feature
    return ScenarioResult(
        nodeid=item.nodeid,
        feature=relative(feature.filename, project),
        name=scenario.name,
        line=template.line_number,
        tags=tags,
        checklist_ids=[t for t in tags if is_checklist_id(t)],
        steps=[_step_result(s) for s in scenario.steps],
        worker=worker,
        keyword=template.keyword or "Scenario",
        description=(template.description or "").strip(),
        feature_name=feature.name,
        feature_tags=sorted(feature.tags),
        feature_description=(feature.description or "").strip(),
    )


def _first_bad(result: ScenarioResult) -> Outcome | None:
    for step in result.steps:
        if step.outcome not in (Outcome.PASSED, Outcome.NOT_RUN):
            return step.outcome
    return None


class Recorder:
    """Fills one `ScenarioResult` per scenario item; the plugin forwards pytest's hooks here.

    It runs in every process that runs or receives scenarios; it knows nothing of
    the run it records for (the plugin hands what it returns to the lifecycle).
    """

    def __init__(self, project: Path, worker: str | None) -> None:
        self.project = project
        self.worker = worker
        self.live: dict[str, ScenarioResult] = {}  # started in this process, not yet reported

    # -- collection --------------------------------------------------------
    def skeletons(self, items: list[pytest.Item]) -> list[ScenarioResult]:
        """Every scenario item's result-to-be (NOT_RUN), remembered on the item."""
        collected = []
        for item in items:
            result = skeleton(item, self.project, self.worker)
            if result is not None:
                item.stash[_result_key] = result
                collected.append(result)
        return collected

    # -- pytest-bdd --------------------------------------------------------
    def _result(self, request: pytest.FixtureRequest) -> ScenarioResult | None:
        node: pytest.Item = request.node
        return node.stash.get(_result_key, None)

    def before_scenario(self, request: pytest.FixtureRequest) -> None:
        result = self._result(request)
        if result is not None:
            self.live[result.nodeid] = result

    def _step(
        self, request: pytest.FixtureRequest, scenario: Scenario, step: Step
    ) -> StepResult | None:
        result = self._result(request)
        if result is None:
            return None
        index = next((i for i, s in enumerate(scenario.steps) if s is step), None)
        if index is None or index >= len(result.steps):
            return None
        return result.steps[index]

    def before_step(self, request: pytest.FixtureRequest, scenario: Scenario, step: Step) -> None:
        index = next((i for i, s in enumerate(scenario.steps) if s is step), -1)
        request.node.stash[_step_key] = (index, time.perf_counter())

    def finish_step(self, request: pytest.FixtureRequest, scenario: Scenario, step: Step,
                    exception: BaseException | None = None) -> None:
        """A step returned (``exception`` None) or raised."""
        if exception is None:
            outcome, error = Outcome.PASSED, None
        elif isinstance(exception, CapabilityMissing):
            outcome, error = Outcome.NOT_APPLICABLE, f"not applicable: {exception}"
        else:
            failed = isinstance(exception, AssertionError | pytest.fail.Exception)
            outcome, error = (Outcome.FAILED if failed else Outcome.ERROR), \
                _exception_text(exception)
        recorded = self._step(request, scenario, step)
        if recorded is None:
            return
        _, started = request.node.stash.get(_step_key, (-1, time.perf_counter()))
        recorded.outcome = outcome
        recorded.error = error
        recorded.duration = round(time.perf_counter() - started, 6)
        request.node.stash[_step_key] = (-1, 0.0)

    def undefined_step(self, request: pytest.FixtureRequest, scenario: Scenario,
                       step: Step) -> None:
        recorded = self._step(request, scenario, step)
        if recorded is not None:
            recorded.outcome = Outcome.UNDEFINED
            recorded.error = "no step definition matches this step"

    # -- pytest ------------------------------------------------------------
    def report(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """Each of setup, call and teardown's reports, in the process that ran the item."""
        result = item.stash.get(_result_key, None)
        if result is None:
            return
        self._apply(item, result, report)
        if report.when == "teardown":
            self._attach(item, result, report)

    def _running_step(self, item: pytest.Item, result: ScenarioResult) -> StepResult | None:
        index, _ = item.stash.get(_step_key, (-1, 0.0))
        return result.steps[index] if 0 <= index < len(result.steps) else None

    def _apply(self, item: pytest.Item, result: ScenarioResult, report: pytest.TestReport) -> None:
        result.duration = round(result.duration + report.duration, 6)
        if report.when == "setup":
            if report.failed:
                result.outcome = Outcome.ERROR
                result.error = "error in a fixture (setup): " + _report_text(report)
            elif report.skipped:
                reason = item.stash.get(_not_prepared_key, None)
                result.outcome = Outcome.NOT_RUN if reason else Outcome.SKIPPED
                result.error = reason or "skipped: " + _report_text(report)
        elif report.when == "call":
            self._apply_call(item, result, report)
        elif report.failed:  # teardown
            result.outcome = Outcome.ERROR
            result.error = "error in a fixture (teardown): " + _report_text(report)

    def _apply_call(
        self, item: pytest.Item, result: ScenarioResult, report: pytest.TestReport
    ) -> None:
        running = self._running_step(item, result)
        xfail = hasattr(report, "wasxfail")
        if report.skipped or xfail:
            if running is not None:
                running.outcome = Outcome.SKIPPED
            result.outcome = Outcome.SKIPPED
            reason = f"xfail: {report.wasxfail}" if xfail else _report_text(report)
            result.error = "skipped: " + reason
        elif report.failed:
            if running is not None:
                running.outcome = Outcome.ERROR
                running.error = _report_text(report)
            result.outcome = _first_bad(result) or Outcome.ERROR
            inapplicable = next((s for s in result.steps
                                 if s.outcome is Outcome.NOT_APPLICABLE), None)
            if result.outcome is Outcome.NOT_APPLICABLE and inapplicable is not None:
                result.error = inapplicable.error
            result.error = result.error or _report_text(report)
        elif all(s.outcome is Outcome.PASSED for s in result.steps) and result.steps:
            result.outcome = Outcome.PASSED
        else:
            result.outcome = Outcome.ERROR
            result.error = "the scenario passed but not every step ran to a pass"

    def _attach(self, item: pytest.Item, result: ScenarioResult, report: pytest.TestReport) -> None:
        self.live.pop(result.nodeid, None)
        pending = item.stash.get(_pending_key, [])
        if pending and result.steps:  # on the step that went wrong, else the last one
            step = next((s for s in result.steps
                         if s.outcome not in (Outcome.PASSED, Outcome.NOT_RUN)), result.steps[-1])
            step.attachments.extend(pending)
            pending.clear()
        report.user_properties.append(
            (SCENARIO_PROPERTY, dumps(result)))
        for check in item.stash.get(_accounts_key, []):
            check.scenario = check.scenario or result.nodeid
            report.user_properties.append(
                (ACCOUNT_PROPERTY, dumps(check)))

    @staticmethod
    def received(report: pytest.TestReport) -> tuple[ScenarioResult, list[AccountCheck]] | None:
        """A finished scenario from its teardown report, where the report arrives (this
        process, or the xdist controller); None for anything else."""
        if report.when != "teardown":
            return None
        scenario: ScenarioResult | None = None
        checks: list[AccountCheck] = []
        for name, value in report.user_properties:
            if name == SCENARIO_PROPERTY:
                scenario = scenario_from_dict(json.loads(str(value)))
            elif name == ACCOUNT_PROPERTY:
                checks.append(AccountCheck(**json.loads(str(value))))
        return (scenario, checks) if scenario is not None else None

    def interrupted(self) -> dict[str, ScenarioResult]:
        """Scenarios this process started but never finished: INTERRUPTED, never passed."""
        out = {}
        for nodeid, result in self.live.items():
            result.outcome = Outcome.INTERRUPTED
            result.error = result.error or "the run was interrupted during this scenario"
            for step in result.steps:
                if step.outcome is Outcome.NOT_RUN:
                    step.outcome = Outcome.INTERRUPTED
                    break
            out[nodeid] = result
        return out
