"""A spreadsheet cell that holds text from the target or the user and never runs.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
line break as a formula. As OWASP's "CSV Injection" advises, every such cell
gets a leading single quote — negative numbers too: golive's CSV and XLSX
exports are read, not summed. Every writer of such a file (defects, differences,
traceability) uses this one rule.
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "neutral"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutral(text: str) -> str:
    """``text`` as a cell no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text
