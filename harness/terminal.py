"""What golive prints to a terminal: text is only ever text.

Scenario names, profile values, checklist titles, table and column names of a
scanned database and error messages come from users and targets. Rich reads
``[...]`` as markup (``Price [/] check`` crashes it, ``[link=…]`` makes a link)
and ``:name:`` as emoji, and a terminal obeys escape sequences; so the consoles
here interpret nothing (no markup, no emoji, no highlighting) and `inert`
removes escape sequences and control characters from any text shown. golive's
own styling goes through `styled` / `line`, never through markup in a string.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

__all__ = ["err", "inert", "line", "out", "styled"]

out = Console(highlight=False, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: object) -> str:
    """``text`` as a string a terminal shows and does not obey: no escape sequences, no
    control characters but newline and tab."""
    return _CONTROL.sub("", _ESCAPES.sub("", "" if text is None else str(text)))


def styled(text: object, style: str = "") -> Text:
    """One piece of text in one style; the text is never parsed."""
    return Text(inert(text), style=style)


def line(*parts: object | tuple[object, str]) -> Text:
    """A line of plain and ``(text, style)`` parts, e.g. ``line(("NO-GO", "red"), ": ", x)``."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(inert(part[0]), style=part[1])
        else:
            text.append(inert(part))
    return text
