"""`golive checklist` in a terminal: each item, whether this target can verify it, and its
coverage in the latest run.

A wide terminal gets a table; a narrow one (or a CI log of 80 columns) gets one
block per item, wrapped at the width with its continuation lines indented, so
no column is ever squeezed to nothing and no word is cut. Checklist text is
printed as plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from harness.applicability import ItemPlan

__all__ = ["TABLE_WIDTH", "render"]

TABLE_WIDTH = 120  # below this the table's title column gets too thin: one block per item
_STATE_STYLE = {"verifiable": "green", "not_here": "yellow", "manual": "cyan",
                "no_scenario": "red"}
_OK_COVERAGE = ("verified", "manual_pass")


def _coverage_style(state: str) -> str:
    return "green" if state in _OK_COVERAGE else ("dim" if state == "—" else "red")


def _heading(plans: Sequence[ItemPlan], present: Mapping[str, bool], target: str,
             run: str | None) -> Group:
    has = [n for n, ok in present.items() if ok]
    lacks = [n for n, ok in present.items() if not ok]
    lines = (f"has: {', '.join(has) or 'the core only'}",
             f"lacks: {', '.join(lacks) or 'nothing'}",
             f"coverage: {'run ' + run if run else 'no run yet'}")
    return Group(Text(f"{len(plans)} checklist items — target {target}", style="bold"),
                 *(_indented(Text(line)) for line in lines))


def _indented(text: Text) -> Padding:
    return Padding(text, (0, 0, 0, 4), expand=False)


def _table(plans: Sequence[ItemPlan], coverage: Mapping[str, str]) -> Table:
    table = Table(show_lines=False, expand=False)
    columns = ("id", "title", "critical", "severity", "owner", "mode", "this target",
               "latest run")
    for name in columns:
        longest_word = max([len(name), *(len(w) for p in plans
                                         for w in _cells(p, coverage)[columns.index(name)]
                                         .split())])
        table.add_column(name, min_width=min(longest_word, 24), overflow="fold",
                         no_wrap=name == "id")
    for p in plans:
        cells = _cells(p, coverage)
        row = [Text(c) for c in cells]
        row[6].stylize(_STATE_STYLE[p.state])
        row[7].stylize(_coverage_style(cells[7]))
        table.add_row(*row)
    return table


def _cells(p: ItemPlan, coverage: Mapping[str, str]) -> tuple[str, ...]:
    item = p.item
    return (item.id, item.title, "yes" if item.critical else "no", str(item.severity),
            item.owner, item.mode, p.says, coverage.get(item.id, "—"))


def _blocks(plans: Sequence[ItemPlan], coverage: Mapping[str, str]) -> Group:
    parts: list[RenderableType] = []
    for p in plans:
        item = p.item
        head = Text(item.id, style="bold")
        head.append(f" ({'critical' if item.critical else 'not critical'}, {item.severity}, "
                    f"owner {item.owner}, {item.mode})", style="dim")
        target = Text("this target: ")
        target.append(p.says, style=_STATE_STYLE[p.state])
        state = coverage.get(item.id, "—")
        run = Text("latest run: ")
        run.append(state, style=_coverage_style(state))
        parts.append(head)
        parts += [_indented(line) for line in (Text(item.title), target, run)]
    return Group(*parts)


def render(console: Console, plans: Sequence[ItemPlan], present: Mapping[str, bool],
           target: str, coverage: Mapping[str, str], run: str | None) -> None:
    """Print the checklist for ``console``'s width; ``coverage`` maps item id → its coverage
    in ``run`` (the latest run's id, None when there is none yet)."""
    console.print(_heading(plans, present, target, run))
    if console.width >= TABLE_WIDTH:
        console.print(_table(plans, coverage))
    else:
        console.print(_blocks(plans, coverage))
