"""The runs' summaries kept beside them, so history reads each ``run.json`` once.

Every report a run writes compares it with the previous run of its profile
(`harness.signoff.history`), which needs a summary of every run in the reports
folder. Parsing every earlier ``run.json`` each time — twice per run, each
holding a large bill run's captures — made a project's runs cost more the more
runs it had. The summaries are kept in ``.history-cache.json`` in the reports
folder, each under its run folder's name with the file's identity (inode,
modification time in ns, size): a ``run.json`` written again since (a later
stage, a sign-off act, an edit) no longer matches and is read again. The cache
is only ever a shortcut: unreadable, damaged or unwritable, it is ignored and
every run is read as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["CACHE_FILE", "SummaryCache", "stamp_of"]

CACHE_FILE = ".history-cache.json"
_VERSION = 1


def stamp_of(path: Path) -> list[int] | None:
    """What identifies this version of the file; None when it cannot be read."""
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_ino, found.st_mtime_ns, found.st_size]


class SummaryCache:
    """Summaries (plain JSON data) of the run folders of one reports folder."""

    def __init__(self, reports: Path) -> None:
        self.path = reports / CACHE_FILE
        self._old = self._read()
        self._new: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return {}
        runs = data.get("runs")
        return runs if isinstance(runs, dict) else {}

    def get(self, name: str, stamp: list[int]) -> tuple[bool, Any]:
        """(True, summary) when the run folder ``name`` was summarised at this ``stamp``
        (the summary None: it was no run); (False, None) when it must be read."""
        entry = self._old.get(name)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and "summary" in entry:
            self._new[name] = entry
            return True, entry["summary"]
        return False, None

    def put(self, name: str, stamp: list[int], summary: Any) -> None:
        self._new[name] = {"stamp": stamp, "summary": summary}

    def save(self) -> None:
        """Keep what this pass saw (folders gone since are dropped); never fails."""
        if self._new == self._old:
            return
        tmp = self.path.with_name(f"{CACHE_FILE}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"version": _VERSION, "runs": self._new}),
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
