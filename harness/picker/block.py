"""The picked block of the checklist file: rendered, and merged by text.

The block sits inside the ``accounts:`` list between two marker comments; the begin
marker carries a digest of what golive wrote between them. Merging never re-serialises
the file: everything outside the block stays byte for byte (the hand-written accounts
and their comments). A file golive cannot merge into without losing something is
refused, naming file and line — a block edited by hand (its digest no longer matches:
``--force`` replaces it all the same), broken markers, an ``accounts`` in flow style,
a file that is not a checklist — and every merge is checked by parsing the result: the
other keys and the hand-written accounts must come out exactly as they went in.
Same data, same bytes: nothing in the block depends on time or on row order.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from common.errors import GoliveError, Problem
from common.yamlsource import parse_yaml

__all__ = ["BEGIN", "END", "Entry", "Refused", "merge", "render", "strip_block"]

BEGIN = "# >>> golive accounts pick"
END = "# <<< golive accounts pick"
_DIGEST = re.compile(r"sha256:([0-9a-f]{16})")
WIDTH = 96
HEADER = """\
# Diverse accounts (seeds/002): ten or more accounts with setups as diverse as the
# business has. Each takes its expectations from production (expect: production, the
# default); write values under expect: to override them by hand. `golive accounts pick`
# keeps the block between its markers; edit anywhere else.

"""


class Refused(GoliveError):
    """The file cannot take the picked block without losing something (exit 2)."""

    headline = "cannot write the picked accounts"

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{Problem(file, line, None, message)}; nothing was written")


@dataclass(frozen=True)
class Entry:
    """One picked account as the checklist holds it, with why it was picked."""

    id: str
    account: str
    why: str
    comment: str

    def data(self) -> dict[str, Any]:
        return {"id": self.id, "account": self.account, "why": self.why, "picked": True}


def _digest(lines: Sequence[str]) -> str:
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]


def _comment(text: str) -> list[str]:
    return [f"# {line}\n" for line in textwrap.wrap(text, WIDTH - 2, subsequent_indent="  ",
                                                    break_on_hyphens=False)]


def render(entries: list[Entry], summary: str) -> list[str]:
    """The block's lines (without indentation), markers included."""
    body = _comment(summary)
    for entry in entries:
        body += _comment(entry.comment)
        body += yaml.safe_dump([entry.data()], sort_keys=False, allow_unicode=True,
                               width=WIDTH).splitlines(keepends=True)
    return [f"{BEGIN} (sha256:{_digest(body)}) — rerun to replace; edit outside\n",
            *body, f"{END}\n"]


@dataclass(frozen=True)
class _Place:
    """Where the block goes: lines ``[start, end)`` are replaced, at ``indent``."""

    start: int
    end: int
    indent: str
    prefix: list[str]  # lines to add before the block (an ``accounts:`` key)


def _refuse(file: str, line: int | None, message: str) -> Refused:
    return Refused(file, line, message)


def _markers(lines: list[str], file: str, force: bool) -> _Place | None:
    begins = [i for i, t in enumerate(lines) if t.lstrip().startswith(BEGIN)]
    ends = [i for i, t in enumerate(lines) if t.lstrip().startswith(END)]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = (begins or ends)[0] + 1
        raise _refuse(file, where, "the picked block's markers are broken (one "
                                   f"'{BEGIN}' line, then one '{END}' line): restore them, "
                                   "or delete both and the accounts between them")
    begin, end = begins[0], ends[0]
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    written = _DIGEST.search(lines[begin])
    body = [t[len(indent):] if t.startswith(indent) else t for t in lines[begin + 1:end]]
    if not force and (written is None or written.group(1) != _digest(body)):
        raise _refuse(file, begin + 1, "the picked block was edited by hand since golive "
                                       "wrote it; move what you want to keep out of the "
                                       "block (above its begin marker), or run again with "
                                       "--force to replace the block as it is")
    return _Place(begin, end + 1, indent, [])


def _node_of_accounts(text: str, file: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The ``accounts`` key and value nodes of the file (None, None when absent)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _refuse(file, mark.line + 1 if mark else None,
                      f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        return None, None
    if not isinstance(root, yaml.MappingNode):
        raise _refuse(file, root.start_mark.line + 1, "a checklist file is a mapping "
                                                      "(accounts:, items:, …)")
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "accounts":
            return key, value
    return None, None


def _place(text: str, lines: list[str], file: str) -> _Place:
    key, value = _node_of_accounts(text, file)
    if key is None or value is None:  # no accounts yet: a new key at the end
        tail = [] if not lines or lines[-1].endswith("\n") else ["\n"]
        return _Place(len(lines), len(lines), "", [*tail, "accounts:\n"])
    if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and \
            value.start_mark.line == key.start_mark.line and not value.value:
        after = key.start_mark.line + 1  # ``accounts:`` and nothing yet
        return _Place(after, after, "", [])
    if not isinstance(value, yaml.SequenceNode) or value.flow_style:
        raise _refuse(file, key.start_mark.line + 1, "accounts is not a block list "
                                                     "('- id: …' lines): write it as one so "
                                                     "the picked accounts can be added")
    if not value.value:
        raise _refuse(file, key.start_mark.line + 1, "accounts is an empty list in flow "
                                                     "style: write accounts: on its own line")
    last = value.value[-1].end_mark
    after = last.line + (1 if last.column > 0 else 0)
    indent = " " * value.start_mark.column
    return _Place(after, after, indent, [])


def strip_block(text: str | None, file: str) -> str | None:
    """``text`` without the picked block (the hand-written rest of the file)."""
    return None if text is None else "".join(_outside(text.splitlines(keepends=True), file))


def _outside(lines: list[str], file: str) -> list[str]:
    place = _markers(lines, file, force=True)
    return lines if place is None else [*lines[:place.start], *lines[place.end:]]


def _load(text: str, file: str) -> Any:
    return parse_yaml(text, file).data  # ConfigError, file and line, when it is not YAML


def merge(text: str | None, block: list[str], file: str, force: bool = False) -> str:
    """``text`` (None: no file yet) with ``block`` in place of the old picked block, or
    added at the end of ``accounts``; Refused when that would lose anything."""
    if text is None or not text.strip():
        return (text or HEADER) + "accounts:\n" + "".join(block)
    lines = text.splitlines(keepends=True)
    place = _markers(lines, file, force) or _place(text, lines, file)
    before = lines[:place.start]
    if before and not before[-1].endswith("\n"):
        before[-1] += "\n"
    indented = [place.indent + line if line.strip() else line for line in block]
    merged = "".join([*before, *place.prefix, *indented, *lines[place.end:]])
    _check(text, merged, block, file)
    return merged


def _check(old_text: str, new_text: str, block: list[str], file: str) -> None:
    """Everything outside the block comes out of the merge as it went in."""
    old = _load("".join(_outside(old_text.splitlines(keepends=True), file)), file)
    new = _load(new_text, file)
    picked = yaml.safe_load("".join(block)) or []
    kept_new = [a for a in (new or {}).get("accounts") or [] if a not in picked]
    others = {k: v for k, v in (old or {}).items() if k != "accounts"}
    if (not isinstance(new, dict) or {k: v for k, v in new.items() if k != "accounts"} != others
            or kept_new != list((old or {}).get("accounts") or [])
            or [a for a in new.get("accounts") or [] if a in picked] != picked):
        raise _refuse(file, None, "the picked accounts cannot be added without changing what "
                                  "is outside their block (is accounts: the last list of its "
                                  "mapping, written in block style?); nothing was written")
