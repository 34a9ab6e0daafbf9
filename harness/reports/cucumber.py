"""Cucumber JSON (the format Cucumber reporters and Jira/Xray read), from the run record.

Statuses are only passed, failed, skipped and undefined, and "passed" only
for what PASSED. Reporters derive a scenario's status from its steps, so a
scenario that did not pass although none of its steps failed (a fixture
error, an interruption, no steps recorded) gets an ``after`` hook carrying
its real status: it can never read as passed. Stages and the gate are
written as one extra ``golive`` feature so the verdict shows there too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any

from harness.gate import effective_verdict, exit_code
from harness.record import Outcome, RunRecord, ScenarioResult

__all__ = ["cucumber_json", "status_of"]

PASSED, FAILED, SKIPPED, UNDEFINED = "passed", "failed", "skipped", "undefined"
_STATUS = {
    Outcome.PASSED: PASSED,
    Outcome.FAILED: FAILED,
    Outcome.ERROR: FAILED,
    Outcome.UNDEFINED: UNDEFINED,
}
_RANK = {FAILED: 0, UNDEFINED: 1, SKIPPED: 2, PASSED: 3}
_NS = 1_000_000_000


def status_of(outcome: Outcome) -> str:
    """Cucumber status of an outcome; anything not listed (skipped, not run, …) is skipped."""
    return _STATUS.get(outcome, SKIPPED)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _result(status: str, seconds: float = 0.0, error: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "duration": int(seconds * _NS)}
    if error:
        result["error_message"] = error
    return result


def _tags(names: list[str], line: int) -> list[dict[str, Any]]:
    return [{"name": n if n.startswith("@") else f"@{n}", "line": line} for n in names]


def _element(scenario: ScenarioResult) -> dict[str, Any]:
    steps = [
        {
            "keyword": f"{step.keyword.strip().capitalize()} ",
            "name": step.text,
            "line": scenario.line + i,
            "match": {"location": scenario.nodeid},
            "result": _result(status_of(step.outcome), step.duration, step.error),
        }
        for i, step in enumerate(scenario.steps, 1)
    ]
    element: dict[str, Any] = {
        "id": f"{_slug(scenario.feature)};{_slug(scenario.name)}",
        "keyword": "Scenario",
        "type": "scenario",
        "name": scenario.name,
        "line": scenario.line,
        "description": "",
        "tags": _tags(scenario.tags, scenario.line - 1),
        "steps": steps,
    }
    derived = min((status_of(s.outcome) for s in scenario.steps), key=_RANK.__getitem__,
                  default=PASSED)
    real = status_of(scenario.outcome)
    if _RANK[real] < _RANK[derived]:
        message = scenario.error or f"scenario {scenario.outcome.value}: not verified"
        element["after"] = [
            {"match": {"location": "golive"}, "result": _result(real, 0.0, message)}
        ]
    return element


def _feature(uri: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    name = PurePosixPath(uri).stem.replace("_", " ")
    return {
        "uri": uri,
        "id": _slug(uri),
        "keyword": "Feature",
        "name": name,
        "line": 1,
        "description": "",
        "tags": [],
        "elements": elements,
    }


def _golive_feature(record: RunRecord) -> dict[str, Any]:
    stage_steps = [
        {
            "keyword": "Given ",
            "name": f"stage {s.name}",
            "line": i,
            "match": {"location": "golive.stages"},
            "result": _result(
                PASSED if s.outcome.ok else status_of(s.outcome), s.duration, s.error
            ),
        }
        for i, s in enumerate(record.stages, 1)
    ]
    if not record.stages:
        stage_steps.append(
            {"keyword": "Given ", "name": "staging was prepared", "line": 1,
             "match": {"location": "golive.stages"},
             "result": _result(FAILED, 0.0, "no stage recorded")}
        )
    gate_steps = [
        {
            "keyword": "Then ",
            "name": f"{g.name}: {g.detail}",
            "line": i,
            "match": {"location": "golive.gate"},
            "result": _result(
                PASSED if g.passed else FAILED,
                0.0,
                None if g.passed else (f"waived: {g.detail}" if g.waived else g.detail),
            ),
        }
        for i, g in enumerate(record.gate, 1)
    ]
    verdict = effective_verdict(record)
    ok = exit_code(record, record.exit_status == 0) == 0
    gate_steps.append(
        {
            "keyword": "Then ",
            "name": f"the verdict is {verdict.value} (run {record.status.value})",
            "line": len(gate_steps) + 1,
            "match": {"location": "golive.gate"},
            "result": _result(PASSED if ok else FAILED, 0.0, None if ok else verdict.value),
        }
    )
    elements = [
        {"id": "golive;stages", "keyword": "Scenario", "type": "scenario",
         "name": "staging prepared", "line": 1, "description": "", "tags": [],
         "steps": stage_steps},
        {"id": "golive;gate", "keyword": "Scenario", "type": "scenario",
         "name": "release gate", "line": 2, "description": "", "tags": [],
         "steps": gate_steps},
    ]
    feature = _feature("golive/gate", elements)
    feature["name"] = "golive release gate"
    feature["description"] = f"verdict {verdict.value}"
    return feature


def cucumber_json(record: RunRecord) -> list[dict[str, Any]]:
    """The Cucumber JSON document for ``record`` (a list of features)."""
    by_feature: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for scenario in record.scenarios:
        by_feature[scenario.feature].append(_element(scenario))
    features = [_feature(uri, elements) for uri, elements in by_feature.items()]
    features.append(_golive_feature(record))
    return features
