"""Terminal tables that stay readable at any width, a CI log's 80 columns included.

A table is drawn only when every column can be as wide as its longest word,
so wrapping never cuts a word, a table name or an id in two; otherwise the
same rows are printed as a list — one block per row, ``column  value`` per
line — which fits any width. Cells are `rich.text.Text` (or plain strings,
made inert): never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from harness.terminal import styled

__all__ = ["fit_table"]

Cell = Text | str | int | float | None


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else styled("" if cell is None else cell)


def _longest_word(text: Text) -> int:
    return max((len(word) for word in text.plain.split()), default=0)


def _words(columns: Sequence[str], rows: Sequence[Sequence[Text]]) -> list[int]:
    """Each column's longest word (header included): the narrowest it may be."""
    return [max([_longest_word(Text(c)), *(_longest_word(r[i]) for r in rows)])
            for i, c in enumerate(columns)]


def fits(columns: Sequence[str], rows: Sequence[Sequence[Text]], width: int) -> bool:
    """Whether a table can give every column its longest word."""
    return sum(_words(columns, rows)) + _overhead(len(columns)) <= width


def _overhead(count: int) -> int:
    """What box.SIMPLE_HEAD adds to the columns' widths: an edge on each side and three
    characters between two columns (padding, rule, padding)."""
    return 3 * count - 1


def _widths(columns: Sequence[str], rows: Sequence[Sequence[Text]], width: int) -> list[int]:
    """Each column's natural width, the widest ones narrowed until the table fits (never
    below a column's longest word)."""
    narrowest = _words(columns, rows)
    widths = [max([len(c), *(max((len(x) for x in r[i].plain.splitlines()), default=0)
                             for r in rows)]) for i, c in enumerate(columns)]
    budget = width - _overhead(len(columns))
    while sum(widths) > budget:
        slack = [w - n for w, n in zip(widths, narrowest, strict=True)]
        widest = max(range(len(widths)), key=slack.__getitem__)
        if slack[widest] <= 0:
            break
        widths[widest] -= max(1, min(slack[widest], sum(widths) - budget) // 2)
    return widths


def fit_table(title: str | Text, columns: Sequence[str], rows: Sequence[Sequence[Cell]],
              width: int, *, right: Sequence[str] = ()) -> RenderableType:
    """``rows`` under ``columns`` as a table when it fits ``width``, else as a list."""
    cells = [[_text(c) for c in row] for row in rows]
    heading = title if isinstance(title, Text) else styled(title, "bold")
    if fits(columns, cells, width):
        table = Table(title=heading, box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
        for column, size in zip(columns, _widths(columns, cells, width), strict=True):
            table.add_column(column, overflow="fold", width=size,
                             justify="right" if column in right else "left")
        for row in cells:
            table.add_row(*row)
        return table
    label = max(len(c) for c in columns)
    blocks: list[RenderableType] = [heading]
    for row in cells:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=label, no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        for column, cell in zip(columns, row, strict=True):
            grid.add_row(column, cell)
        blocks += [Text(""), grid]
    return Group(*blocks)
