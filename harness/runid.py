"""Run ids: each run's folder name inside the reports folder, and nothing more.

A run id arrives from the command line (``--golive-run-id``) and becomes a path
(``<reports>/<run id>``) that golive creates, writes and points ``latest`` at.
So it must be one plain folder name: no separator, no ``..``, not absolute, not
hidden (``.state`` is golive's own), not ``latest``, and short enough for any
file system. Anything else is a usage error before a file is written.
"""

from __future__ import annotations

import re

from common.errors import GoliveError

__all__ = ["MAX_LENGTH", "RESERVED", "RunIdError", "check_run_id"]

MAX_LENGTH = 100
RESERVED = frozenset({"latest"})
_SAFE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LENGTH - 1}}}")
RULE = (f"a run id is one folder name inside the reports folder: letters, digits, '.', '_' "
        f"and '-', starting with a letter or digit, at most {MAX_LENGTH} characters, "
        f"not {', '.join(sorted(RESERVED))}")


class RunIdError(GoliveError):
    """The run id given on the command line is not one safe folder name."""

    exit_code = 2
    headline = "invalid run id"


def check_run_id(run_id: str) -> str:
    """``run_id`` when it is one safe folder name; RunIdError saying the rule otherwise."""
    if _SAFE.fullmatch(run_id) is None or run_id.lower() in RESERVED:
        shown = run_id if len(run_id) <= 60 else run_id[:57] + "…"
        raise RunIdError(f"{shown!r}: {RULE}")
    return run_id
