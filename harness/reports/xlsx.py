"""XLSX of a table (openpyxl): the traceability matrix and the defect list, for the people
who keep the checklist in Excel.

Every cell is written as text — never a formula, a number or an error code —
whatever it starts with: a scenario called ``=HYPERLINK(…)`` is shown as
those characters and Excel runs nothing. Cells longer than Excel holds are
cut with a note. Written in openpyxl's streaming mode, so 100,000 rows cost
no more memory than one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from harness.reports.text import plain

__all__ = ["MAX_CELL", "xlsx_bytes"]

MAX_CELL = 32_767  # characters Excel keeps in one cell
_CUT = " … (cut: the cell held more than Excel keeps; see the CSV)"


def _text(value: object) -> str:
    text = plain(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - len(_CUT)] + _CUT
    return text


def _cell(sheet: WriteOnlyWorksheet, value: object, bold: bool = False) -> WriteOnlyCell | str:
    """A text cell. openpyxl takes a string that starts with "=" for a formula and "#N/A"
    for an error: those (and the header) are typed as text explicitly, the rest pass as
    strings, which openpyxl writes as text."""
    text = _text(value)
    if not bold and not text.startswith("=") and text not in ERROR_CODES:
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # text, even when it starts with "=" or reads "#N/A"
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A workbook with one sheet ``title``: a bold, frozen header and the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, c, bold=True) for c in columns])
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
