"""The scenario leg of ``bench scale``: golive's cost per scenario on a minimal target.

A generated project (under ``bench/var/scale/scenarios-N``): one feature holding a
Scenario Outline whose Examples table has N rows, one trivial step per row (it only
reads the ``golive`` fixture's bill run), a Python target adapter that answers from
memory, and a profile with sanitizing and lock-down off, so the pipeline's stages cost
next to nothing and what is left is golive's work per scenario. The same feature is
also run by plain pytest-bdd with golive's plugin off (a test module binding it, the
same step without the fixture): the difference is what golive adds per scenario.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.scale_measure import ROOT, cpu_now

PROFILE = """\
name: bench scale scenarios
target:
  kind: python
  adapter: bench_target:BenchTarget
environments:
  production:
    dsn: sqlite:///production.db
    read_only: true
  staging:
    dsn: sqlite:///staging.db
    staging: true
backup:
  path: backup.db
sanitize:
  enabled: false
lockdown:
  enabled: false
bill_run:
  date: 2026-11-01
  must_match_production: []
checklists:
  dir: checklists
features:
  dir: features
  steps: [bench_steps]
report:
  dir: reports
  title: bench scale scenarios
"""

CHECKLIST = """\
items:
  - id: CF-BENCH-01
    title: Every generated row is checked
    why: the benchmark's one item
    critical: true
    severity: high
    owner: qa
    mode: automated
"""

TARGET = '''\
"""An in-memory target: the core of golive's Target protocol, answered at once."""

import datetime as dt
from decimal import Decimal

from harness.targets.views import AccountView, BillRunView

RUN = BillRunView(1, dt.date(2026, 11, 1), "finished", dt.datetime(2026, 11, 1, 1),
                  dt.datetime(2026, 11, 1, 2), 1, 1, 0, Decimal("1.00"))


class BenchTarget:
    name = "bench"

    def __init__(self, profile, environment, options):
        self.environment = environment
        self.release = "bench"

    def account(self, ref):
        return AccountView(ref, ref, "active", Decimal("1.00"), None, 1)

    def packages(self, ref): return []
    def transactions(self, ref, bill_run_id=None): return []
    def invoices(self, ref, bill_run_id=None): return []
    def events(self, since, levels=("ERROR",)): return []
    def billing_settings(self): return {}
    def latest_bill_run(self): return RUN
    def restore(self, backup): return {"restored": str(backup)}
    def run_bill_run(self, run_date): return RUN
    def billing_service(self, action): return "stopped"
    def close(self): pass
'''

STEPS = '''\
"""The trivial step of the generated outline, with the golive fixture."""

from pytest_bdd import parsers, then


@then(parsers.parse("row {row:d} is checked"))
def _(golive, row):
    assert golive.bill_run.id == 1
'''

PLAIN_STEPS = '''\
"""The same step for plain pytest-bdd (golive's plugin off: no golive fixture)."""

from pytest_bdd import parsers, then


@then(parsers.parse("row {row:d} is checked"))
def _(row):
    assert row >= 0
'''

PLAIN_TEST = '''\
from pytest_bdd import scenarios

scenarios("features/bench.feature")
'''


def feature(rows: int) -> str:
    table = "\n".join(f"      | {n} |" for n in range(rows))
    return ("Feature: Generated rows\n"
            "  @CF-BENCH-01\n"
            "  Scenario Outline: Row <row>\n"
            "    Then row <row> is checked\n\n"
            "    Examples:\n"
            "      | row |\n"
            f"{table}\n")


def write_project(folder: Path, rows: int) -> Path:
    """The project for ``rows`` scenarios; returns its profile. Rewritten every time (cheap)."""
    (folder / "checklists").mkdir(parents=True, exist_ok=True)
    (folder / "features").mkdir(exist_ok=True)
    (folder / "plain").mkdir(exist_ok=True)
    (folder / "golive.yaml").write_text(PROFILE, encoding="utf-8")
    (folder / "checklists" / "bench.yaml").write_text(CHECKLIST, encoding="utf-8")
    (folder / "features" / "bench.feature").write_text(feature(rows), encoding="utf-8")
    (folder / "bench_target.py").write_text(TARGET, encoding="utf-8")
    (folder / "bench_steps.py").write_text(STEPS, encoding="utf-8")
    (folder / "backup.db").write_bytes(b"")
    for name in ("staging.db", "production.db"):  # empty SQLite databases: nothing to scan
        sqlite3.connect(folder / name).close()
    # plain pytest-bdd: the same feature, bound by a test module, golive's plugin off
    plain = folder / "plain"
    (plain / "features").mkdir(exist_ok=True)
    (plain / "features" / "bench.feature").write_text(feature(rows), encoding="utf-8")
    (plain / "plain_steps.py").write_text(PLAIN_STEPS, encoding="utf-8")
    (plain / "test_plain.py").write_text(PLAIN_TEST, encoding="utf-8")
    # each its own rootdir: the repository's pytest settings are not the projects'
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (plain / "pytest.ini").write_text("[pytest]\nmarkers =\n    CF-BENCH-01: the item\n",
                                      encoding="utf-8")
    return folder / "golive.yaml"


@dataclass
class ScenariosRun:
    scenarios: int
    golive_wall: float
    golive_cpu: float
    plain_wall: float
    plain_cpu: float
    passed: int  # scenarios the golive run recorded as passed
    problems: list[str]

    @property
    def overhead_ms(self) -> float:
        """What golive adds per scenario, CPU: its run minus plain pytest-bdd's, per row."""
        return (self.golive_cpu - self.plain_cpu) / self.scenarios * 1000

    @property
    def overhead_wall_ms(self) -> float:
        return (self.golive_wall - self.plain_wall) / self.scenarios * 1000


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path
           ) -> tuple[int, float, float]:
    """Exit code, wall and CPU seconds (the process and everything it waited for)."""
    before = cpu_now()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              check=False).returncode
    return code, time.perf_counter() - started, cpu_now() - before


def run(folder: Path, rows: int) -> ScenariosRun:
    profile = write_project(folder, rows)
    shutil.rmtree(folder / "reports", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_ADDOPTS", None)
    code, golive_wall, golive_cpu = _timed(
        [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
         "run", "--profile", str(profile)], folder, env, folder / "golive-run.log")
    plain_env = {**env, "PYTHONPATH": f"{folder / 'plain'}{os.pathsep}{ROOT}"}
    plain_code, plain_wall, plain_cpu = _timed(
        [sys.executable, "-m", "pytest", "-p", "no:golive", "-p", "plain_steps", "-q",
         "-p", "no:cacheprovider"], folder / "plain", plain_env, folder / "plain.log")
    problems = []
    passed = 0
    try:
        record = json.loads((folder / "reports" / "latest" / "run.json").read_text("utf-8"))
        passed = sum(1 for s in record.get("scenarios", []) if s.get("outcome") == "passed")
    except (OSError, ValueError) as exc:
        problems.append(f"no run record: {exc}")
    if passed != rows:
        problems.append(f"golive recorded {passed} of {rows} scenarios as passed "
                        f"(exit {code}; see {folder / 'golive-run.log'})")
    if plain_code != 0:
        problems.append(f"plain pytest-bdd exited {plain_code} (see {folder / 'plain.log'})")
    return ScenariosRun(rows, golive_wall, golive_cpu, plain_wall, plain_cpu, passed, problems)
