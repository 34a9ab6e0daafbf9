"""A project folder with a profile and finished runs, for the sign-off command tests.

The runs are real run folders written by the report writers from hand-built,
gated records (the same path a pytest run takes at its end), so the commands
read and write exactly what they would after ``golive run``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from click.testing import CliRunner, Result

from harness.cli import main
from harness.coverage import compute_coverage
from harness.gate import decide
from harness.record import Outcome, RunRecord
from harness.reports import write_reports
from tests.harness.gate_records import ITEMS, Item, Rules, good_record, scenario

PROFILE = """\
name: sign-off test
target: {{kind: demo}}
environments:
  production: {{dsn: "sqlite:///production.db", read_only: true}}
  staging: {{dsn: "sqlite:///staging.db", staging: true}}
backup: {{path: backup.db}}
bill_run: {{date: 2026-11-01}}
gate:
  blocking_severities: [severe, high]
  go_with_waivers_passes_ci: {passes_ci}
  waivers: {{critical: {critical}, severe: {severe}}}
signoff:
  required: [{required}]
report: {{dir: reports, title: Sign-off test}}
"""

MANUAL = Item("CF-DOCS-01", "Staff read the release notes", True, "medium", mode="manual")
ITEMS_WITH_MANUAL = [*ITEMS, MANUAL]
TODAY = dt.date.today()


def write_profile(root: Path, *, critical: bool = False, severe: bool = False,
                  passes_ci: bool = False, required: str = "qa, manager, customer") -> Path:
    path = root / "golive.yaml"
    path.write_text(PROFILE.format(critical=str(critical).lower(), severe=str(severe).lower(),
                                   passes_ci=str(passes_ci).lower(), required=required),
                    encoding="utf-8")
    return path


def make_run(root: Path, run_id: str, failing: dict[str, Outcome] | None = None,
             started: str = "2026-11-03T10:00:00+00:00") -> Path:
    """A finished, gated run under ``root/reports``; ``failing`` maps scenario names of
    `good_record` to the outcome they get instead of passed."""
    record: RunRecord = good_record()
    record.run_id = run_id
    record.started_at = started
    record.finished_at = started.replace("T10:00", "T10:05")
    record.profile = str(root / "golive.yaml")
    for s in record.scenarios:
        if failing and s.name in failing:
            s.outcome = failing[s.name]
            s.error = "AssertionError: deliberately broken"
    compute_coverage(record, ITEMS_WITH_MANUAL, {})
    decide(record, Rules(), dt.date(2026, 11, 3))
    out = root / "reports" / run_id
    write_reports(record, out, "Sign-off test", root / "reports" / "latest")
    return out


def golive(root: Path, *args: str) -> Result:
    """The real CLI in ``root`` (the profile's folder)."""
    old = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


__all__ = ["ITEMS_WITH_MANUAL", "MANUAL", "TODAY", "golive", "make_run", "scenario",
           "write_profile"]
