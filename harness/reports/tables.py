"""The run's tables as rows of text: the traceability matrix, the defect list and the
account checks — written as CSV (and the first two as XLSX) beside the page.

One row builder per table feeds both formats, so a spreadsheet and a CSV of
the same run never disagree. Every cell is plain text (no ANSI, no control
characters); `harness.reports.defects.neutral` (CSV) and
`harness.reports.xlsx` (XLSX, cells typed as text) make sure no spreadsheet
runs a cell as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from harness.record import RunRecord
from harness.reports.defects import COLUMNS as DEFECT_COLUMNS
from harness.reports.defects import defect_rows, neutral
from harness.reports.labels import item_label, scenario_label
from harness.reports.text import plain

__all__ = [
    "ACCOUNT_COLUMNS",
    "DEFECT_COLUMNS",
    "TRACE_COLUMNS",
    "account_rows",
    "csv_text",
    "defect_rows",
    "trace_rows",
]

TRACE_COLUMNS = [
    "item_id", "title", "critical", "severity", "owner", "mode", "item_result", "coverage",
    "scenario", "scenario_name", "feature", "line", "scenario_result", "outcome", "note",
    "run_id",
]
ACCOUNT_COLUMNS = ["account", "name", "label", "check", "expected", "expected_from",
                   "actual", "result", "scenario", "step", "run_id"]


def trace_rows(record: RunRecord) -> Iterator[list[str]]:
    """One row per item and scenario that verifies it (an item without scenarios gets one
    row, a scenario that verifies no item one row of its own): the whole matrix."""
    by_id = {s.nodeid: s for s in record.scenarios}
    traced: set[str] = set()
    for status in record.checklist:
        mine = [by_id[n] for n in status.scenarios if n in by_id]
        item = [status.item_id, status.title, "yes" if status.critical else "no",
                status.severity, status.owner, status.mode,
                item_label(status, [s.outcome for s in mine]), status.coverage.value]
        if not status.scenarios:
            yield [*item, "", "", "", "", "", "", status.note or "", record.run_id]
        for nodeid in status.scenarios:
            traced.add(nodeid)
            s = by_id.get(nodeid)
            if s is None:
                yield [*item, nodeid, "", "", "", "NOT RUN", "not in this run",
                       status.note or "", record.run_id]
                continue
            yield [*item, s.nodeid, s.name, s.feature, str(s.line), scenario_label(s.outcome),
                   s.outcome.value, status.note or "", record.run_id]
    for s in record.scenarios:
        if s.nodeid not in traced:
            yield ["", "", "", "", "", "", "", "", s.nodeid, s.name, s.feature, str(s.line),
                   scenario_label(s.outcome), s.outcome.value, "verifies no checklist item",
                   record.run_id]


def account_rows(record: RunRecord) -> Iterator[list[str]]:
    for c in record.accounts:
        yield [c.account, c.name or "", c.label or "", c.check, c.expected,
               str(c.expected_from or ""), "" if c.actual is None else c.actual,
               "ok" if c.ok else "mismatch", c.scenario or "",
               "" if c.step is None else str(c.step + 1), record.run_id]


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV (CRLF rows: a line break inside a cell is quoted, never a row break),
    every cell plain and formula-proof."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([neutral(plain(v)) for v in row] for row in rows)
    return out.getvalue()
