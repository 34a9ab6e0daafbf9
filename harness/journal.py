"""The scenarios a run finished so far, one JSON line each, appended as they arrive.

Rewriting ``run.json`` after every scenario made a run of thousands of
scenarios quadratic; appending one line is constant. The journal is merged
into ``run.json`` at the end and then removed; a run killed on the way leaves
``run.json`` as NO-GO (status running) with its journal beside it, so what
did run is still on disk — and `read_journal` is how ``golive run`` puts it back
into the record it finishes for a run that pytest could not finish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from harness.record import AccountCheck, ScenarioResult, dumps, scenario_from_dict

__all__ = ["JOURNAL_FILE", "Journal", "read_journal"]

JOURNAL_FILE = "scenarios.jsonl"


class Journal:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / JOURNAL_FILE
        self._out: IO[str] | None = None

    def append(self, scenario: ScenarioResult, checks: list[AccountCheck]) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(dumps({"scenario": scenario, "accounts": checks}) + "\n")
        self._out.flush()

    def close(self, remove: bool = False) -> None:
        out, self._out = self._out, None
        if out is not None:
            out.close()  # may raise (a full disk): the file is closed all the same
        if remove:
            self.path.unlink(missing_ok=True)


def read_journal(run_dir: Path) -> tuple[list[ScenarioResult], list[AccountCheck]]:
    """The scenarios (and account checks) journaled so far; a line cut off by a kill, or
    otherwise unreadable, is skipped."""
    scenarios: list[ScenarioResult] = []
    checks: list[AccountCheck] = []
    try:
        lines = (run_dir / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return scenarios, checks
    for text in lines:
        try:
            line = json.loads(text)
            scenario = scenario_from_dict(line["scenario"])
            found = [AccountCheck(**check) for check in line.get("accounts") or []]
        except (ValueError, KeyError, TypeError):
            continue
        scenarios.append(scenario)
        checks.extend(found)
    return scenarios, checks
