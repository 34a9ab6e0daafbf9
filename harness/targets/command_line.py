"""A command line in the profile: ``{placeholder}`` values and ``${VAR}`` from the environment,
filled in one pass so that neither is ever read as the other.

The one escaping rule: **to write ``$``, ``{`` or ``}`` literally, double it** (``$$``,
``{{``, ``}}``). A lone ``$`` not followed by ``{`` is a ``$`` too, as everywhere in a profile.

A command is split into words like a POSIX shell splits them (quotes group, a backslash
escapes) *before* anything is filled in, and every value fills exactly its own place: a backup
path with a space stays one word, an environment value holding ``{date}`` stays that text, a
placeholder value holding ``${HOME}`` stays that text. Quotes group words; they do not stop
placeholders (unlike a shell's single quotes). No shell runs the command, so ``|``, ``>``,
``&&`` are plain words; write a script for a pipeline.

Nothing of golive but `common`: `harness.config` validates commands with it at load time.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from common.yamlsource import suggest

__all__ = ["PLACEHOLDERS", "CommandLine", "Slot", "parse"]

# every placeholder a command may use; the values come from the run (see SqlCommands)
PLACEHOLDERS: dict[str, str] = {
    "backup": "the backup file being restored (else backup.path)",
    "date": "the bill-run date, YYYY-MM-DD",
    "database": "the staging database's name (SQLite: its file path)",
    "host": "the staging database server's host (empty for SQLite or a local socket)",
    "port": "the staging database server's port (empty when none is given)",
    "user": "the staging database's user (empty when none is given)",
    "profile_dir": "the profile's folder (also the command's working directory)",
    "state_dir": "golive's state folder for this profile (report.state_dir)",
}
_TOKEN = re.compile(
    r"\$\$|\{\{|\}\}"
    r"|\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}"
    r"|\$\{(?P<badvar>[^}]*)\}?"
    r"|\{(?P<name>[^{}]*)\}"
    r"|(?P<stray>[{}])"
)


@dataclass(frozen=True)
class Slot:
    """A ``{name}`` placeholder, filled when the command runs."""

    name: str


Part = str | Slot


@dataclass(frozen=True)
class CommandLine:
    """A parsed command: its words, each a sequence of literal text and slots.

    ``text`` is the command as written (with ``${VAR}`` unexpanded: safe to show)."""

    text: str
    words: tuple[tuple[Part, ...], ...]

    @property
    def slots(self) -> set[str]:
        return {p.name for word in self.words for p in word if isinstance(p, Slot)}

    def argv(self, values: Mapping[str, str]) -> list[str]:
        """The words with every slot filled by ``values`` (KeyError: a missing value)."""
        return ["".join(p if isinstance(p, str) else values[p.name] for p in word)
                for word in self.words]


def _word(word: str, env: Mapping[str, str], problems: list[str]) -> tuple[Part, ...]:
    parts: list[Part] = []
    at = 0
    for match in _TOKEN.finditer(word):
        parts.append(word[at:match.start()])
        at = match.end()
        token = match.group(0)
        if token in ("$$", "{{", "}}"):
            parts.append(token[0])
        elif match.group("var") is not None:
            name, default = match.group("var"), match.group("default")
            found = env.get(name)
            if found is None and default is None:
                problems.append(f"environment variable {name} is not set (export it, or write "
                                f"${{{name}:-default}})")
            parts.append(found if found else (default if default is not None else found or ""))
        elif match.group("badvar") is not None:
            problems.append(f"{token!r} is not an environment variable (${{NAME}}, "
                            "${NAME:-default}); write $$ for a literal $")
        elif match.group("name") is not None:
            name = match.group("name").strip()
            if name not in PLACEHOLDERS:
                close = suggest(name, list(PLACEHOLDERS)) if name else None
                problems.append(f"unknown placeholder {{{name}}} (known: "
                                f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
                                + (f" — did you mean {{{close}}}?" if close else "")
                                + "; write {{ and }} for literal braces")
            parts.append(Slot(name))
        else:
            problems.append(f"a lone {token!r}: write {token * 2} for a literal {token}, or "
                            "{name} for a placeholder")
    parts.append(word[at:])
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return tuple(merged) or ("",)


def parse(text: str, env: Mapping[str, str]) -> tuple[CommandLine | None, list[str]]:
    """``text`` as a `CommandLine` with ``${VAR}`` taken from ``env`` now, and what is wrong
    with it (an empty list when nothing is; then the command is not None)."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError as exc:
        return None, [f"cannot split the command into words: {exc} (close every quote)"]
    if not words:
        return None, ["empty command"]
    problems: list[str] = []
    parsed = tuple(_word(w, env, problems) for w in words)
    if problems:
        return None, problems
    return CommandLine(text=text, words=parsed), []
