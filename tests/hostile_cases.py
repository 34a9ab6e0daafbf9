"""The hostile-input corpus: one YAML file per thing a user did wrong, run as that user would.

A case (``tests/data/hostile/<area>/<case>.yaml``, format in the module docstring
of ``tests/test_hostile.py``) names a base project, how to spoil it, the command,
and what golive must answer: exit code, message, no traceback. This module loads
and validates the cases, builds the projects, runs the command in a fresh copy
and checks the named extra assertions; ``tests/test_hostile.py`` parametrises it
over every file, and specific tests elsewhere may call `run_case` themselves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "hostile"
BIN = Path(sys.executable).parent  # the venv's bin: golive, python, pytest
DEMO_ACCOUNTS = 20
DEMO_SALT = "hostile-cases-salt"  # only for setup lines that sanitize outside golive


class Case(BaseModel):
    """One case file; unknown keys are an error, so a typo cannot silently test nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str
    project: Literal["demo", "fake"]
    setup: list[str] = Field(default_factory=list)
    teardown: list[str] = Field(default_factory=list)
    skip_unless: str | None = None
    edit: dict[str, Any] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    argv: list[str] = Field(min_length=1)
    exit: int
    message: str | list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=lambda: ["Traceback"])
    check: str | list[str] = Field(default_factory=list)
    timeout: int = 600

    @property
    def messages(self) -> list[str]:
        return [self.message] if isinstance(self.message, str) else list(self.message)

    @property
    def checks(self) -> list[str]:
        return [self.check] if isinstance(self.check, str) else list(self.check)


def case_files() -> list[Path]:
    return sorted(CASES.rglob("*.yaml"))


def load_case(path: Path) -> Case:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Case.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise AssertionError(f"{path.relative_to(ROOT)}: not a valid hostile case:\n{exc}") \
            from None


# -- base projects ---------------------------------------------------------------------
def build_demo(base: Path) -> Path:
    """The demo profile on a 20-account production made here once: profile, checklists,
    features, sanitize rules and var/ (production and its pre-bill-run backup)."""
    from demo.backup import backup
    from demo.generate import generate

    project = base / "demo"
    if (project / "golive.yaml").is_file():
        return project
    work = base / "demo.partial"
    shutil.rmtree(work, ignore_errors=True)
    for name in ("checklists", "features"):
        shutil.copytree(ROOT / name, work / name)
    (work / "sanitize" / "rules").mkdir(parents=True)
    shutil.copy(ROOT / "sanitize" / "rules" / "demo.yaml", work / "sanitize" / "rules")
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text(encoding="utf-8"))
    profile["environments"]["production"]["dsn"] = "sqlite:///var/production.db"
    profile["environments"]["staging"]["dsn"] = "sqlite:///var/staging.db"
    profile["backup"] = {"path": "var/backups/pre-bill-run.manifest.json",
                         "generate": {"accounts": DEMO_ACCOUNTS, "seed": 42}}
    (work / "golive.yaml").write_text(yaml.safe_dump(profile, sort_keys=False), "utf-8")
    production = f"sqlite:///{work / 'var' / 'production.db'}"
    (work / "var").mkdir()
    as_of = dt.date.fromisoformat(str(profile["bill_run"]["date"])) - dt.timedelta(days=1)
    generate(production, DEMO_ACCOUNTS, 42, as_of=as_of)
    manifest = backup(production, work / "var" / "backups")
    assert manifest.path is not None
    manifest.path.rename(work / "var" / "backups" / "pre-bill-run.manifest.json")
    work.rename(project)
    return project


def build_fake(base: Path) -> Path:
    """tests/harness/plugin_project.py's project: a python-adapter target held in memory."""
    from tests.harness import plugin_project as fake

    project = base / "fake"
    if (project / "golive.yaml").is_file():
        return project
    work = base / "fake.partial"
    shutil.rmtree(work, ignore_errors=True)
    (work / "checklists").mkdir(parents=True)
    (work / "features").mkdir()
    (work / "golive.yaml").write_text(fake.PROFILE, "utf-8")
    (work / "checklists" / "critical.yaml").write_text(fake.CHECKLIST, "utf-8")
    (work / "features" / "billing.feature").write_text(fake.PASSING, "utf-8")
    (work / "fake_target.py").write_text(fake.FAKE_TARGET, "utf-8")
    (work / "fake_steps.py").write_text(fake.FAKE_STEPS, "utf-8")
    (work / "backup.db").touch()  # backup.path: the loader checks it exists
    work.rename(project)
    return project


BUILDERS: dict[str, Callable[[Path], Path]] = {"demo": build_demo, "fake": build_fake}


def base_project(kind: str, base: Path) -> Path:
    """The base project ``kind`` under ``base``, built once (xdist workers share it)."""
    from filelock import FileLock

    with FileLock(str(base / f"{kind}.lock")):
        return BUILDERS[kind](base)


# -- one case, run -----------------------------------------------------------------------
@dataclass
class Ran:
    """What a case's command did, and the project it did it in."""

    case: Case
    project: Path
    code: int
    output: str
    before: dict[str, dict[str, str]]  # snapshots the checks compare with
    env: dict[str, str]

    def latest_run_json(self) -> Path | None:
        runs = sorted((self.project / "reports").glob("*/run.json"),
                      key=lambda p: p.stat().st_mtime)
        return runs[-1] if runs else None


def _fill(text: str, project: Path) -> str:
    return text.replace("{project}", str(project)).replace("{tmp}", str(project.parent))


def _fill_any(value: Any, project: Path) -> Any:
    if isinstance(value, str):
        return _fill(value, project)
    if isinstance(value, list):
        return [_fill_any(v, project) for v in value]
    if isinstance(value, dict):
        return {k: _fill_any(v, project) for k, v in value.items()}
    return value


def _edit_profile(project: Path, edits: dict[str, Any]) -> None:
    path = project / "golive.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in edits.items():
        *parents, leaf = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = _fill_any(value, project)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def environment(extra: dict[str, str], project: Path) -> dict[str, str]:
    """The user's environment: the venv first on PATH, no pytest variables of this run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "GOLIVE_")) and k != "PYTHONPATH"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update({k: _fill(v, project) for k, v in extra.items()})
    return env


def digests(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _processes_in(project: Path) -> list[int]:
    """Processes whose working directory or command line is inside ``project``."""
    found = []
    mine = str(project)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                "utf-8", "replace")
        except OSError:
            continue
        if cwd == mine or cwd.startswith(mine + "/") or mine in cmdline:
            found.append(int(entry.name))
    return found


def _bash(line: str, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", _fill(line, project)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def skip_reason(case: Case) -> str | None:
    """Why this machine cannot run the case (its ``skip_unless`` line failed in an empty
    temporary folder), else None."""
    import tempfile

    if case.skip_unless is None:
        return None
    with tempfile.TemporaryDirectory(prefix="golive-probe-") as probe:
        done = _bash(case.skip_unless, Path(probe), environment({}, Path(probe)))
    if done.returncode == 0:
        return None
    return f"this machine cannot: {case.skip_unless} ({(done.stderr or done.stdout).strip()})"


def teardown(ran: Ran) -> None:
    """The case's teardown lines (e.g. unmount), each run even if another fails."""
    for line in ran.case.teardown:
        _bash(line, ran.project, ran.env)


def run_case(case: Case, base: Path, tmp: Path) -> Ran:
    """Copy the base project to ``tmp/project``, spoil it as the case says, run the command.
    The caller runs `verify`, then `teardown` (the checks may need what setup mounted)."""
    project = tmp / "project"
    shutil.copytree(base_project(case.project, base), project, symlinks=True)
    for name, text in case.files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill(text, project), "utf-8")
    if case.edit:
        _edit_profile(project, case.edit)
    env = environment(case.env, project)
    ran = Ran(case, project, -1, "", {}, env)
    try:
        for line in case.setup:
            done = _bash(line, project, env)
            assert done.returncode == 0, f"setup failed: {line}\n{done.stdout}{done.stderr}"
        return _run_command(ran)
    except BaseException:
        teardown(ran)
        raise


def _run_command(ran: Ran) -> Ran:
    case, project, env = ran.case, ran.project, ran.env
    before = {"production": digests(project / "var" / "production.db"),
              "staging": digests(project / "var" / "staging.db"),
              "latest": _latest_state(project / "reports" / "latest")}
    argv = [_fill(a, project) for a in case.argv]
    if argv[0] in ("golive", "python", "pytest"):
        argv[0] = str(BIN / argv[0])
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True,
                          timeout=case.timeout, check=False, stdin=subprocess.DEVNULL)
    ran.code, ran.output, ran.before = done.returncode, done.stdout + done.stderr, before
    return ran


# -- named extra assertions ------------------------------------------------------------------
def _production_untouched(ran: Ran) -> None:
    assert ran.before["production"], "this check needs the demo project's production"
    assert digests(ran.project / "var" / "production.db") == ran.before["production"]


def _staging_untouched(ran: Ran) -> None:
    """No stage ran: staging's database is as the setup left it (absent for the demo)."""
    assert digests(ran.project / "var" / "staging.db") == ran.before["staging"], \
        "a stage wrote to staging"
    found = ran.latest_run_json()
    if found is not None:
        record = yaml.safe_load(found.read_text(encoding="utf-8"))
        ran_stages = [s["name"] for s in record.get("stages", [])
                      if s["outcome"] in ("passed", "failed", "reused")]
        assert not ran_stages, f"stages ran: {ran_stages}"


def _no_tmp_left(ran: Ran) -> None:
    left = [p for p in ran.project.rglob("*.tmp")]
    assert not left, f"temporary files left behind: {left}"


def _nothing_outside(ran: Ran) -> None:
    """Nothing was written next to the project (where ``../`` run ids would land)."""
    outside = sorted(p.name for p in ran.project.parent.iterdir() if p.name != "project")
    assert not outside, f"written outside the project: {outside}"


def _latest_state(latest: Path) -> dict[str, str]:
    """A symlink's target, or a folder's files and their digests."""
    if latest.is_symlink():
        return {"symlink →": os.readlink(latest)}
    return digests(latest)


def _latest_untouched(ran: Ran) -> None:
    """The user's own ``reports/latest`` (made by the setup) is exactly as it was."""
    assert ran.before["latest"], "the case's setup must create reports/latest"
    assert _latest_state(ran.project / "reports" / "latest") == ran.before["latest"], \
        "the user's reports/latest was replaced or changed"


def _csv_neutral(ran: Ran) -> None:
    """defects.csv has failures, and no cell a spreadsheet would run as a formula."""
    import csv

    found = ran.latest_run_json()
    assert found is not None, "no run was recorded"
    with (found.parent / "defects.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) > 1, "defects.csv lists no failure"
    risky = [c for row in rows[1:] for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not risky, f"cells a spreadsheet would run: {risky}"
    quoted = [c for row in rows[1:] for c in row if c[:1] == "'"]
    assert quoted, "no cell was neutralised: the case put no formula-like text in the report"


CHECKS: dict[str, Callable[[Ran], None]] = {
    "csv_neutral": _csv_neutral,
    "production_untouched": _production_untouched,
    "staging_untouched": _staging_untouched,
    "no_tmp_left": _no_tmp_left,
    "nothing_outside": _nothing_outside,
    "latest_untouched": _latest_untouched,
}


def no_processes_left(project: Path, grace: float = 5.0) -> None:
    """Nothing golive started outlives the command (checked for every case); leftovers
    are reported, then ended by their pid so they cannot disturb other tests."""
    deadline = time.monotonic() + grace
    left = _processes_in(project)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _processes_in(project)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after the command: {left}"


def verify(ran: Ran) -> None:
    """Exit code, expected and forbidden text, the named checks, no process left."""
    case, output = ran.case, ran.output
    shown = f"exit {ran.code}; output:\n{output[-6000:]}"
    assert ran.code == case.exit, f"expected exit {case.exit}, got {shown}"
    for text in case.messages:
        assert _fill(text, ran.project) in output, f"missing {text!r}: {shown}"
    for text in case.absent:
        assert _fill(text, ran.project) not in output, f"unexpected {text!r}: {shown}"
    unknown = [c for c in case.checks if c not in CHECKS]
    assert not unknown, f"unknown check(s) {unknown}; known: {sorted(CHECKS)}"
    for name in case.checks:
        CHECKS[name](ran)
    no_processes_left(ran.project)
