"""Cucumber JSON (the format Cucumber reporters and Jira/Xray read), from the run record.

Statuses are only passed, failed, skipped and undefined, and "passed" only
for what PASSED. Reporters derive a scenario's status from its steps, so a
scenario that did not pass although none of its steps failed (a fixture
error, an interruption, no steps recorded) gets an ``after`` hook carrying
its real status: it can never read as passed. Stages and the gate are
written as one extra ``golive`` feature so the verdict shows there too.

It is complete for importers such as Xray, whichever process ran a scenario
(``pytest -n 2`` included: everything comes from the record): features with
their name, description and tags, scenarios with their keyword, tags and
line, steps with keyword, name, line, data table, doc string, status,
duration and error, and the step's evidence as ``embeddings`` (screenshots
as base64 PNG, text evidence as text/plain).
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from harness.gate import effective_verdict, exit_code
from harness.record import Attachment, Outcome, RunRecord, ScenarioResult, StepResult

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


def _embedding(attachment: Attachment, run_dir: Path | None) -> dict[str, Any] | None:
    if attachment.path and run_dir is not None and attachment.media_type.startswith("image/"):
        try:
            data = (run_dir / attachment.path).read_bytes()
        except OSError:
            return None  # gone from the run folder: the HTML report says so
    elif attachment.text is not None:
        data = attachment.text.encode("utf-8")
    else:
        return None
    return {"mime_type": attachment.media_type, "name": attachment.label,
            "data": base64.b64encode(data).decode("ascii")}


def _step(scenario: ScenarioResult, step: StepResult, i: int,
          run_dir: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "keyword": f"{step.keyword.strip().capitalize()} ",
        "name": step.text,
        "line": step.line or scenario.line + i,
        "match": {"location": scenario.nodeid},
        "result": _result(status_of(step.outcome), step.duration, step.error),
    }
    if step.rows:
        out["rows"] = [{"cells": list(row)} for row in step.rows]
    if step.docstring is not None:
        out["doc_string"] = {"value": step.docstring, "content_type": "",
                             "line": (step.line or scenario.line + i) + 1}
    embeddings = [e for e in (_embedding(a, run_dir) for a in step.attachments) if e]
    if embeddings:
        out["embeddings"] = embeddings
    return out


def _element(scenario: ScenarioResult, run_dir: Path | None = None) -> dict[str, Any]:
    steps = [_step(scenario, step, i, run_dir) for i, step in enumerate(scenario.steps, 1)]
    outline = "outline" in scenario.keyword.lower()
    example = scenario.nodeid.rsplit("[", 1)[-1].rstrip("]") if "[" in scenario.nodeid else ""
    element: dict[str, Any] = {
        "id": f"{_slug(scenario.feature)};{_slug(scenario.name)}"
              + (f";;{_slug(example)}" if example else ""),
        "keyword": "Scenario Outline" if outline else "Scenario",
        "type": "scenario",
        "name": scenario.name,
        "line": scenario.line,
        "description": scenario.description,
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


def _feature(uri: str, elements: list[dict[str, Any]],
             first: ScenarioResult | None = None) -> dict[str, Any]:
    name = (first.feature_name if first is not None and first.feature_name
            else PurePosixPath(uri).stem.replace("_", " "))
    return {
        "uri": uri,
        "id": _slug(name),
        "keyword": "Feature",
        "name": name,
        "line": 1,
        "description": first.feature_description if first is not None else "",
        "tags": _tags(first.feature_tags, 1) if first is not None else [],
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


def cucumber_json(record: RunRecord, run_dir: Path | None = None) -> list[dict[str, Any]]:
    """The Cucumber JSON document for ``record`` (a list of features); screenshots are
    read from ``run_dir`` (the run folder) for the embeddings."""
    by_feature: dict[str, list[dict[str, Any]]] = defaultdict(list)
    first: dict[str, ScenarioResult] = {}
    for scenario in record.scenarios:
        by_feature[scenario.feature].append(_element(scenario, run_dir))
        first.setdefault(scenario.feature, scenario)
    features = [_feature(uri, elements, first[uri]) for uri, elements in by_feature.items()]
    features.append(_golive_feature(record))
    return features
