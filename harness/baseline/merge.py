"""Streaming merge: two key-ordered row streams walked side by side, one row of each in
memory at a time, so any engine pair (SQLite, PostgreSQL, mixed) compares in bounded
memory. A stream out of key order (a duplicate key, or a collation golive did not
expect) stops the comparison: a merge of unordered rows would report false differences.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.baseline.differences import DifferenceSink
from harness.baseline.sources import CompareError, Row

__all__ = ["merge"]


class _Side:
    """One stream with its last key, checking that keys strictly increase."""

    def __init__(self, rows: Iterator[Row], width: int, side: str) -> None:
        self.rows = rows
        self.width = width
        self.side = side
        self.count = 0
        self.row: Row | None = None
        self.key: tuple[object, ...] | None = None

    def advance(self) -> None:
        previous = self.key
        self.row = next(self.rows, None)
        if self.row is None:
            self.key = None
            return
        self.count += 1
        key = self.row[: self.width]
        if any(k is None for k in key):
            raise CompareError(f"{self.side}: a row has an empty key: {_shown(key)}")
        try:
            ordered = previous is None or previous < key
        except TypeError:
            raise CompareError(f"{self.side}: key {_shown(key)} mixes numbers and text "
                               "across rows") from None
        if not ordered:
            what = "is repeated" if previous == key else "comes after a greater key"
            raise CompareError(f"{self.side}: key {_shown(key)} {what}: the key is not "
                               "unique, or the rows are not in key order")
        self.key = key


def merge(production: Iterator[Row], staging: Iterator[Row], width: int, name: str,
          sink: DifferenceSink) -> tuple[int, int]:
    """Compare two key-ordered streams (``width`` key columns); every difference goes to
    ``sink``. Returns (production rows, staging rows)."""
    left, right = _Side(production, width, "baseline"), _Side(staging, width, "staging")
    left.advance()
    right.advance()
    while left.row is not None or right.row is not None:
        if right.row is None or (left.row is not None and _before(left, right)):
            sink.rows(name, left.row, None)
            left.advance()
        elif left.row is None or _before(right, left):
            sink.rows(name, None, right.row)
            right.advance()
        else:
            sink.rows(name, left.row, right.row)
            left.advance()
            right.advance()
    return left.count, right.count


def _before(a: _Side, b: _Side) -> bool:
    try:
        return a.key < b.key  # type: ignore[operator]
    except TypeError:
        raise CompareError(f"key {_shown(a.key)} of the {a.side} and key {_shown(b.key)} "
                           f"of the {b.side} are of different types (number and text)") from None


def _shown(key: object) -> str:
    if isinstance(key, tuple):
        return "/".join(str(k) for k in key)
    return str(key)
