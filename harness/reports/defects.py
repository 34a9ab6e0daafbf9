"""``defects.csv``: one row per failure, worst first, for the defect tracker.

Cells that a spreadsheet would run as a formula (text from the target can
start with ``=``, ``+``, ``@``) are prefixed with a quote so opening the file
cannot execute anything.
"""

from __future__ import annotations

import csv
import io

from harness.record import Failure, RunRecord
from harness.reports.text import plain
from harness.severity import Severity

__all__ = ["COLUMNS", "render_defects"]

COLUMNS = [
    "severity",
    "due_date",
    "title",
    "checklist_ids",
    "message",
    "resolution",
    "found_on",
    "source",
    "scenario",
    "status",
    "run_id",
]
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _cell(text: str) -> str:
    if text.startswith(_FORMULA_START) or (text.startswith("-") and not text[1:2].isdigit()):
        return "'" + text
    return text


def _severity(failure: Failure) -> tuple[int, str]:
    try:
        severity = Severity(failure.severity)
    except ValueError:
        return -1, "unknown severity: treat as severe"
    return severity.rank, severity.resolution


def render_defects(record: RunRecord) -> str:
    """The CSV text (header plus one row per failure)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for failure in sorted(record.failures, key=lambda f: _severity(f)[0]):
        row = [
            failure.severity,
            failure.due_date or "",
            failure.title,
            " ".join(failure.checklist_ids),
            failure.message,
            _severity(failure)[1],
            failure.found_on or "",
            failure.source,
            failure.nodeid or "",
            f"waived by {failure.waived_by}" if failure.waived_by else "open",
            record.run_id,
        ]
        writer.writerow([_cell(plain(v)) for v in row])
    return out.getvalue()
