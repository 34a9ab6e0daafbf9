"""pytest-html (``pytest --html=report.html``): each scenario's row shows its Gherkin steps
and its evidence.

The process that ran a scenario (the only one, or an xdist worker) adds
pytest-html "extras" to the scenario's teardown report: one HTML block with
the steps, their results and errors, the account checks and text evidence of
each step, and one image per screenshot. Extras are plain data, so xdist
carries them to the controller like the rest of the report. A "golive"
column shows the scenario's result in golive's words (NOT APPLICABLE is not
pytest's "skipped"). Every text is escaped: a scenario name is never markup.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup, escape

from harness.record import AccountCheck, Attachment, ScenarioResult
from harness.reports.labels import scenario_label
from harness.reports.text import plain

__all__ = ["add_extras", "header", "row", "wanted"]

_MAX_CHECKS = 50  # account checks listed per scenario; the run's report has them all


def wanted(config: pytest.Config) -> bool:
    """Whether pytest-html writes a report in this session (``--html``)."""
    return bool(getattr(config.option, "htmlpath", None))


def _text(value: object) -> Markup:
    return escape(plain(value))


def _attachment(attachment: Attachment) -> str:
    if attachment.kind == "screenshot":
        return (f"<div class='golive-evidence'>screenshot: {_text(attachment.label)} "
                f"(<code>{_text(attachment.path)}</code>, shown below)</div>")
    more = (f" — the whole text: <code>{_text(attachment.path)}</code> in the run folder"
            if attachment.path else "")
    return (f"<div class='golive-evidence'><strong>{_text(attachment.kind)}</strong>: "
            f"{_text(attachment.label)}{more}<pre>{_text(attachment.text or '')}</pre></div>")


def _checks(checks: list[AccountCheck]) -> str:
    if not checks:
        return ""
    rows = "".join(
        f"<tr><td>{_text(c.account)}</td><td>{_text(c.check)}</td><td>{_text(c.expected)}</td>"
        f"<td>{_text(c.actual if c.actual is not None else 'missing')}</td>"
        f"<td>{'ok' if c.ok else 'MISMATCH'}</td></tr>" for c in checks[:_MAX_CHECKS])
    more = (f"<p>… and {len(checks) - _MAX_CHECKS} more in the run's report</p>"
            if len(checks) > _MAX_CHECKS else "")
    return ("<table class='golive-checks'><tr><th>account</th><th>check</th><th>expected</th>"
            f"<th>actual</th><th>result</th></tr>{rows}</table>{more}")


def _steps_html(result: ScenarioResult, checks: list[AccountCheck]) -> str:
    items = []
    for index, step in enumerate(result.steps):
        error = f"<pre>{_text(step.error)}</pre>" if step.error else ""
        evidence = "".join(_attachment(a) for a in step.attachments)
        mine = [c for c in checks if c.step == index]
        items.append(f"<li><strong>{_text(step.outcome.value)}</strong> "
                     f"{_text(step.keyword)} {_text(step.text)}{error}{evidence}"
                     f"{_checks(mine)}</li>")
    unplaced = [c for c in checks if c.step is None or not 0 <= c.step < len(result.steps)]
    tags = " ".join(f"@{t}" for t in result.tags)
    return (f"<div class='golive-scenario'><p><strong>{_text(result.keyword)}: "
            f"{_text(result.name)}</strong> — {_text(scenario_label(result.outcome))} "
            f"({_text(result.outcome.value)}) <code>{_text(tags)}</code></p>"
            f"<ol>{''.join(items)}</ol>{_checks(unplaced)}"
            + (f"<pre>{_text(result.error)}</pre>" if result.error else "") + "</div>")


def _image(run_dir: Path, attachment: Attachment) -> dict[str, Any] | None:
    if attachment.path is None:
        return None
    try:
        data = (run_dir / attachment.path).read_bytes()
    except OSError:
        return None
    extension = attachment.path.rsplit(".", 1)[-1]
    return {"name": plain(attachment.label), "format_type": "image",
            "content": base64.b64encode(data).decode("ascii"),
            "mime_type": attachment.media_type, "extension": extension}


def add_extras(report: pytest.TestReport, result: ScenarioResult, checks: list[AccountCheck],
               run_dir: Path) -> None:
    """The scenario's steps and evidence as pytest-html extras on its teardown report."""
    extras: list[dict[str, Any]] = list(getattr(report, "extras", []))
    extras.append({"name": "Gherkin steps", "format_type": "html",
                   "content": _steps_html(result, checks), "mime_type": None,
                   "extension": None})
    for step in result.steps:
        for attachment in step.attachments:
            if attachment.kind == "screenshot":
                image = _image(run_dir, attachment)
                if image is not None:
                    extras.append(image)
    report.extras = extras  # type: ignore[attr-defined]


def header(cells: list[str]) -> None:
    cells.insert(1, "<th>golive</th>")


def row(report: pytest.TestReport, cells: list[str], results: dict[str, ScenarioResult]
        ) -> None:
    result = results.get(report.nodeid)
    label = (f"{scenario_label(result.outcome)} ({result.outcome.value})"
             if result is not None else "")
    cells.insert(1, f'<td class="col-golive">{_text(label)}</td>')
