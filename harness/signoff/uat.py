"""A customer's own UAT results: JUnit XML or Cucumber JSON, read into counts and failures.

Customers run their acceptance tests with their own tools and send the result
file; golive reads the two formats every tool writes and keeps everything else
(PDFs, spreadsheets, screenshots) as evidence without reading it. A result
file that does not parse is an error naming the file and the line and column,
never a silently empty section. XML is parsed with defusedxml: a customer's
file is untrusted input (no entity expansion, no external entities).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from common.errors import GoliveError

__all__ = ["UatError", "UatSummary", "kind_of", "read_uat"]

FAILURE_TEXT = 500  # characters of a failure message kept


class UatError(GoliveError):
    """A UAT result file that cannot be read as what its name says it is."""

    exit_code = 2
    headline = "unreadable UAT result file"


@dataclass
class UatSummary:
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)  # {name, message}

    def to_dict(self) -> dict[str, Any]:
        return {"tests": self.tests, "passed": self.passed, "failed": self.failed,
                "skipped": self.skipped, "failures": self.failures}


def kind_of(path: Path) -> str:
    """junit (.xml), cucumber (.json), or document (anything else: kept, not read)."""
    suffix = path.suffix.lower()
    return {".xml": "junit", ".json": "cucumber"}.get(suffix, "document")


def read_uat(path: Path, shown: str) -> UatSummary | None:
    """The summary of a result file, None for a document; UatError if it does not parse."""
    kind = kind_of(path)
    if kind == "junit":
        return _junit(path, shown)
    if kind == "cucumber":
        return _cucumber(path, shown)
    return None


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= FAILURE_TEXT else text[:FAILURE_TEXT - 1] + "…"


# -- JUnit XML -------------------------------------------------------------------------
def _junit(path: Path, shown: str) -> UatSummary:
    try:
        root = SafeET.parse(str(path)).getroot()
    except ParseError as exc:
        line, column = exc.position
        raise UatError(f"{shown}:{line}:{column + 1}: not well-formed JUnit XML: "
                       f"{str(exc).split(':')[0]}") from None
    except DefusedXmlException as exc:
        raise UatError(f"{shown}: refused: the XML uses {type(exc).__name__} "
                       "(entities or DTDs are not allowed in a result file)") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise UatError(f"{shown}:1: not JUnit XML: the root element is <{root.tag}>, "
                       "expected <testsuites> or <testsuite>")
    summary = UatSummary()
    for case in root.iter("testcase"):
        _junit_case(case, summary)
    if summary.tests == 0:
        raise UatError(f"{shown}: no <testcase> in the file: it proves nothing")
    return summary


def _junit_case(case: Element, summary: UatSummary) -> None:
    summary.tests += 1
    name = case.get("name") or "(unnamed)"
    if case.get("classname"):
        name = f"{case.get('classname')} › {name}"
    bad = case.find("failure")
    if bad is None:
        bad = case.find("error")
    if bad is not None:
        summary.failed += 1
        summary.failures.append({"name": name,
                                 "message": _short(bad.get("message") or bad.text)})
    elif case.find("skipped") is not None:
        summary.skipped += 1
    else:
        summary.passed += 1


# -- Cucumber JSON ---------------------------------------------------------------------------
def _cucumber(path: Path, shown: str) -> UatSummary:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UatError(f"{shown}: byte {exc.start}: not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise UatError(f"{shown}:{exc.lineno}:{exc.colno}: not valid Cucumber JSON: "
                       f"{exc.msg}") from None
    if not isinstance(data, list):
        raise UatError(f"{shown}: not Cucumber JSON: expected a list of features at the top")
    summary = UatSummary()
    for f_index, feature in enumerate(data, 1):
        if not isinstance(feature, dict) or not isinstance(feature.get("elements", []), list):
            raise UatError(f"{shown}: feature {f_index}: not a Cucumber feature object")
        for e_index, element in enumerate(feature.get("elements", []), 1):
            if not isinstance(element, dict):
                raise UatError(f"{shown}: feature {f_index}, element {e_index}: not an object")
            if element.get("type", "scenario") == "background":
                continue
            _cucumber_scenario(element, str(feature.get("name") or f"feature {f_index}"),
                               summary, f"{shown}: feature {f_index}, element {e_index}")
    if summary.tests == 0:
        raise UatError(f"{shown}: no scenario in the file: it proves nothing")
    return summary


def _cucumber_scenario(element: dict[str, Any], feature: str, summary: UatSummary,
                       where: str) -> None:
    steps = element.get("steps", [])
    if not isinstance(steps, list):
        raise UatError(f"{where}: 'steps' is not a list")
    statuses: list[str] = []
    message = ""
    for step in steps:
        result = step.get("result") if isinstance(step, dict) else None
        if not isinstance(result, dict) or "status" not in result:
            raise UatError(f"{where}: a step has no result.status")
        statuses.append(str(result["status"]))
        if result["status"] != "passed" and not message:
            text = result.get("error_message") or result["status"]
            message = f"{step.get('keyword', '')}{step.get('name', '')}: {text}"
    summary.tests += 1
    name = f"{feature} › {element.get('name') or '(unnamed)'}"
    if statuses and all(s == "passed" for s in statuses):
        summary.passed += 1
    elif any(s in ("failed", "undefined", "ambiguous") for s in statuses) or not statuses:
        summary.failed += 1
        summary.failures.append({"name": name, "message": _short(message or "no steps")})
    else:
        summary.skipped += 1
