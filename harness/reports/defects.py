"""``defects.csv``: one row per failure, worst first, for the defect tracker.

Every cell holds text from the target or the user (scenario names, error
messages, checklist ids), and a spreadsheet runs a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula. So, as
OWASP's "CSV Injection" advises, every such cell is prefixed with a single
quote — negative numbers too: a defect list has no arithmetic to lose.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from harness.cells import FORMULA_START, neutral
from harness.record import Failure, RunRecord
from harness.reports.text import plain
from harness.severity import Severity

__all__ = ["COLUMNS", "FORMULA_START", "defect_rows", "neutral", "render_defects"]

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


def _severity(failure: Failure) -> tuple[int, str]:
    try:
        severity = Severity(failure.severity)
    except ValueError:
        return -1, "unknown severity: treat as severe"
    return severity.rank, severity.resolution


def defect_rows(record: RunRecord) -> Iterator[list[str]]:
    """One row per failure, worst first (the columns of `COLUMNS`)."""
    for failure in sorted(record.failures, key=lambda f: _severity(f)[0]):
        yield [
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


def render_defects(record: RunRecord) -> str:
    """The CSV text (header plus one row per failure)."""
    out = io.StringIO()
    # RFC 4180's CRLF: a carriage return inside a cell is then quoted, never a row break
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in defect_rows(record):
        writer.writerow([neutral(plain(v)) for v in row])
    return out.getvalue()
