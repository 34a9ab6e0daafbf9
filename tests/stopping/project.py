"""A small demo project for stopping golive with real signals, and what to look at after.

Production (20 accounts, seed 7) and its backup are made once per test session
in a shared folder; each project restores its own staging copy, keeps the
demo's service pidfile in its own ``DEMO_HOME``, and runs a few features: the
bill run's, and ``waits.feature``, whose step blocks until the run is stopped,
so "during the features" is a moment a test can wait for instead of a guess.
Every process a run starts inherits ``GOLIVE_TEST_TAG``, which is how a test
finds anything golive left running — the billing service and Chromium included,
though they run in sessions of their own.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]
PYTEST = [sys.executable, "-m", "pytest"]

PROFILE = """\
name: stopping test
target:
  kind: demo
  release: "1.1"
environments:
  production:
    dsn: sqlite:///{shared}/production.db
    read_only: true
  staging:
    dsn: sqlite:///{staging}
    staging: true
backup:
  path: {shared}/backups/pre-bill-run.manifest.json
  generate:
    accounts: 20
    seed: 7
sanitize:
  enabled: false
lockdown:
  enabled: true
bill_run:
  date: 2026-11-01
  must_match_production: [tax_rate]
checklists:
  dir: checklists
features:
  dir: features
  steps: [wait_steps]
report:
  dir: reports
portals:
  customer:
    account: A000001
    password: demo
"""

WAITS = """\
@CF-BILL-01
Feature: A scenario that runs until the run is stopped
  Scenario: golive's test waits here
    Given the staging bill run of this session
    Then golive's test waits here to be stopped
"""

IN_PORTAL = """\
@CF-PORTAL-01
Feature: A browser is open when the run is stopped
  Scenario: golive's test waits in the customer portal
    Given the profile's customer is logged in to the customer portal
    Then golive's test waits here to be stopped
"""

WAIT_STEPS = '''\
"""The step of waits.feature: says it is waiting, then waits (a test stops the run)."""

import os
import time
from pathlib import Path

from pytest_bdd import then


@then("golive's test waits here to be stopped")
def wait_here() -> None:
    """Until the run is stopped, or the test creates $GOLIVE_TEST_RELEASE (then it passes)."""
    Path(os.environ["GOLIVE_TEST_WAITING"]).write_text(str(os.getpid()))
    release = os.environ.get("GOLIVE_TEST_RELEASE")
    stubborn = os.environ.get("GOLIVE_TEST_STUBBORN") == "1"  # a step stuck in a call
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if release and Path(release).exists():
            return
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            if not stubborn:
                raise
    raise AssertionError("nobody stopped the run")
'''


def make_project(project: Path, shared: Path, staging: Path | None = None,
                 portal: bool = False) -> Path:
    """A project folder: profile, features (the bill run's and waits.feature, or with
    ``portal`` only one that waits in the customer portal), steps; production and its
    backup in ``shared``."""
    (project / "features").mkdir(parents=True)
    if portal:
        (project / "features" / "in_portal.feature").write_text(IN_PORTAL)
    else:
        (project / "features" / "billrun.feature").write_text(
            (ROOT / "features" / "billrun.feature").read_text())
        (project / "features" / "waits.feature").write_text(WAITS)
    (project / "wait_steps.py").write_text(WAIT_STEPS)
    (project / "checklists").mkdir()
    for name in ("critical.yaml", "release-1.1.yaml"):  # the diverse accounts expect
        shutil.copy(ROOT / "checklists" / name, project / "checklists")  # a population
    (project / "golive.yaml").write_text(PROFILE.format(
        shared=shared, staging=staging or project / "staging.db", root=ROOT))
    return project


def environment(project: Path, lock_dir: Path, tag: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"PYTHONPATH": str(ROOT), "DEMO_HOME": str(project / "demo-home"),
                "GOLIVE_LOCK_DIR": str(lock_dir), "GOLIVE_SANITIZE_SALT": "stop-test-salt",
                "GOLIVE_TEST_WAITING": str(project / "waiting"),
                "GOLIVE_TEST_RELEASE": str(project / "release"), "GOLIVE_TEST_TAG": tag})
    return env


def wait_until(check: Callable[[], Any], timeout: float, what: str,
               proc: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended ({proc.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@dataclass
class Run:
    """One ``golive run`` (or plain pytest) of a project, in a process group of its own so
    a test can signal the command alone or its whole group, as a shell or CI would."""

    project: Path
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.output = self.project / "output.txt"
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(self.argv, cwd=self.project, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    @property
    def tag(self) -> str:
        return self.env["GOLIVE_TEST_TAG"]

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def signal(self, signum: int, group: bool = False) -> None:
        if group:
            os.killpg(self.proc.pid, signum)
        else:
            os.kill(self.proc.pid, signum)

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"still running after {timeout:g} s:\n{self.text()}") from None

    # -- moments a test waits for ------------------------------------------------------
    def run_dir(self) -> Path | None:
        reports = self.project / "reports"
        runs = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()
                and p.name not in ("latest", ".state")] if reports.is_dir() else []
        return runs[0] if len(runs) == 1 else None

    def stage_running(self, name: str) -> bool:
        record = self.record_now()
        return any(s["name"] == name and s["outcome"] == "not_run" and s["started_at"]
                   for s in (record or {}).get("stages", []))

    def record_now(self) -> dict[str, Any] | None:
        run_dir = self.run_dir()
        try:
            return json.loads((run_dir / "run.json").read_text()) if run_dir else None
        except (OSError, ValueError):
            return None

    def billing_service_running(self) -> bool:
        return any(_alive(p) for p in service_pids(self.project))

    def waiting(self) -> bool:
        return (self.project / "waiting").exists()

    def release(self) -> None:
        """Let the waiting scenario pass."""
        (self.project / "release").touch()


def golive_run(project: Path, lock_dir: Path, *args: str, pytest_args: tuple[str, ...] = (),
               stubborn: bool = False) -> Run:
    """``golive run`` of ``project``; ``stubborn``: the waiting step ignores interrupts, as a
    step stuck in a call would, so only a kill ends the run."""
    argv = [*GOLIVE, "run", "--profile", str(project / "golive.yaml"), *args, "--",
            "-p", "no:cacheprovider", *pytest_args]
    env = environment(project, lock_dir, uuid.uuid4().hex)
    if stubborn:
        env["GOLIVE_TEST_STUBBORN"] = "1"
    return Run(project, argv, env)


def plain_pytest(project: Path, lock_dir: Path, *args: str) -> Run:
    argv = [*PYTEST, "features", f"--golive-profile={project / 'golive.yaml'}", "-q",
            "-p", "no:cacheprovider", *args]
    return Run(project, argv, environment(project, lock_dir, uuid.uuid4().hex))


# -- what is left running ----------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def tagged_processes(tag: str) -> list[str]:
    """Every live process whose environment carries the run's tag: what golive started."""
    found = []
    needle = f"GOLIVE_TEST_TAG={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") and _alive(int(entry.name)):
                found.append(f"{entry.name}: " + (entry / "cmdline").read_bytes()
                             .replace(b"\0", b" ").decode(errors="replace")[:200])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def service_pids(project: Path) -> list[int]:
    pids = []
    for pidfile in (project / "demo-home").glob("service-*.pid"):
        try:
            pids.append(int(json.loads(pidfile.read_text())["pid"]))
        except (OSError, ValueError, KeyError):
            continue
    return pids


def port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return True
    except OSError:
        return False


def assert_nothing_running(run: Run, run_dir: Path) -> None:
    """No process of the run, no billing service, no sink or sandbox port still open."""
    deadline = time.monotonic() + 20  # a process may take a moment to be reaped
    while tagged_processes(run.tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tagged_processes(run.tag), tagged_processes(run.tag)
    assert not run.billing_service_running(), "the billing service still runs"
    assert not list((run.project / "demo-home").glob("service-*.pid")), "a pidfile was left"
    record = json.loads((run_dir / "run.json").read_text())
    sinks = (record.get("outbound") or {}).get("sinks") or {}
    urls = [u for u in sinks.values() if isinstance(u, str)]
    urls += [s["what"].split()[-1] for s in record.get("stopped", []) if "://" in s["what"]]
    assert not [u for u in urls if port_open(u)], urls


# -- what the outputs say -----------------------------------------------------------------
def assert_no_go_everywhere(run_dir: Path, latest: Path) -> dict[str, Any]:
    """Every output of the run says NO-GO / interrupted / not passed; latest shows it."""
    record = json.loads((run_dir / "run.json").read_text())
    assert record["verdict"] == "NO-GO", record["verdict"]
    assert record["status"] == "interrupted", record["status"]
    assert record["exit_status"] not in (0, None), record["exit_status"]
    assert record["finished_at"], "the record was never closed"
    assert not any(s["outcome"] == "passed" for s in record["scenarios"]
                   if s["name"] == "golive's test waits here"), record["scenarios"]
    html = (run_dir / "signoff.html").read_text()
    assert "NO-GO" in html and "RUN INTERRUPTED" in html
    assert 'id="stopped"' in html
    suite = ET.parse(run_dir / "junit.xml").getroot()
    gate = [c for c in suite.iter("testcase") if c.get("name") == "gate"]
    assert gate and gate[0].find("failure") is not None, "junit: the gate is not failed"
    assert int(suite.get("failures", "0")) + int(suite.get("errors", "0")) > 0 or any(
        int(s.get("failures", "0")) for s in suite.iter("testsuite"))
    cucumber = json.loads((run_dir / "cucumber.json").read_text())
    verdicts = [step for feature in cucumber for element in feature["elements"]
                for step in element["steps"] if step["name"].startswith("the verdict is")]
    assert verdicts and verdicts[0]["result"]["status"] == "failed", verdicts
    assert "NO-GO (run interrupted)" in verdicts[0]["name"], verdicts[0]["name"]
    with (run_dir / "defects.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["run_id"] for r in rows} == {record["run_id"]}, rows
    assert latest.resolve() == run_dir.resolve(), (latest.resolve(), run_dir)
    return dict(record)
