"""The billing service as an operator meets it: start, status, a bill run through it, stop.

Real detached processes through ``python -m demo``, on SQLite and real PostgreSQL;
``$DEMO_HOME`` points the pidfile and log at the test's own directory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import paths, service
from demo.db import make_engine
from demo.models import BillRun, BillRunRequest, EventLog
from demo.releases import get_release
from tests.demo.test_backup import build_db


def demo(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEMO_HOME": str(home)}
    env.pop("DEMO_DB", None)
    env.pop("DEMO_RELEASE", None)
    return subprocess.run([sys.executable, "-m", "demo", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a parent that is not us."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def running_pid(out: str) -> int:
    match = re.search(r"running: pid (\d+)", out)
    assert match, out
    return int(match.group(1))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("DEMO_HOME", str(state))
    return state


@pytest.fixture
def stop_after(home: Path):  # type: ignore[no-untyped-def]
    """Stops every service a test started, even when the test fails half-way."""
    urls: list[str] = []
    yield urls
    for url in urls:
        demo(home, "service", "stop", "--db", url)


def test_start_status_bill_run_via_service_stop(
    db_url: str, home: Path, stop_after: list[str]
) -> None:
    build_db(db_url)
    stop_after.append(db_url)
    started = demo(home, "service", "start", "--db", db_url, "--poll", "0.2")
    assert started.returncode == 0, started.stderr
    pid = running_pid(started.stdout)
    assert not gone(pid)
    pidfile = paths.pidfile(db_url)
    assert json.loads(pidfile.read_text())["pid"] == pid

    status = demo(home, "service", "status", "--db", db_url)
    assert status.returncode == 0
    assert running_pid(status.stdout) == pid
    assert "release 1.1" in status.stdout

    again = demo(home, "service", "start", "--db", db_url)
    assert again.returncode == 0
    assert "already running" in again.stdout and running_pid(again.stdout) == pid

    billed = demo(home, "billrun", "--date", "2026-11-01", "--via-service", "--db", db_url)
    assert billed.returncode == 0, billed.stdout + billed.stderr
    assert re.search(r"request #\d+ for 2026-11-01: done \(bill run #\d+\)", billed.stdout)
    assert "accounts_billed=3" in billed.stdout

    stopped = demo(home, "service", "stop", "--db", db_url)
    assert stopped.returncode == 0
    assert f"stopped (pid {pid})" in stopped.stdout
    assert gone(pid)
    assert not pidfile.exists()

    status = demo(home, "service", "status", "--db", db_url)
    assert status.returncode == 1
    assert status.stdout.startswith("stopped")
    idle = demo(home, "service", "stop", "--db", db_url)
    assert idle.returncode == 0 and "was not running" in idle.stdout

    engine = make_engine(db_url)
    with Session(engine) as s:
        request = s.scalars(select(BillRunRequest)).one()
        assert request.status == "done"
        run = s.get(BillRun, request.bill_run_id)
        assert run is not None and run.release == "1.1" and run.accounts_billed == 3
        events = list(s.scalars(select(EventLog.message).where(
            EventLog.source == "billing-service").order_by(EventLog.id)))
        assert events[0].startswith("billing service started (release 1.1")
        assert events[-1].startswith("billing service stopped")
    engine.dispose()
    log = paths.service_log(db_url).read_text()
    assert "received SIGTERM" in log and "stopped" in log


def test_bill_run_via_service_needs_a_running_service(sqlite_url: str, home: Path) -> None:
    build_db(sqlite_url)
    result = demo(home, "billrun", "--via-service", "--db", sqlite_url)
    assert result.returncode == 3
    assert "billing service is not running" in result.stderr
    engine = make_engine(sqlite_url)
    with Session(engine) as s:  # nothing was queued to surprise a later service
        assert s.scalars(select(BillRunRequest)).first() is None
    engine.dispose()


def test_stale_pidfile_is_detected_and_cleaned(sqlite_url: str, home: Path) -> None:
    build_db(sqlite_url)
    probe = subprocess.Popen(["true"])
    probe.wait()
    pidfile = paths.pidfile(sqlite_url)
    pidfile.parent.mkdir(parents=True)
    pidfile.write_text(json.dumps({"pid": probe.pid, "start_ticks": None, "since": "x",
                                   "db": "x", "release": "1.1", "state": "ready"}))
    status = demo(home, "service", "status", "--db", sqlite_url)
    assert status.returncode == 1
    assert f"removed stale pidfile of pid {probe.pid}" in status.stdout
    assert not pidfile.exists()

    pidfile.write_text("not json")
    stop = demo(home, "service", "stop", "--db", sqlite_url)
    assert stop.returncode == 0 and "was not running" in stop.stdout
    assert not pidfile.exists()


def test_reused_pid_is_not_mistaken_for_the_service(sqlite_url: str, home: Path) -> None:
    """A pidfile naming a live process that started at another time (pid reuse) is stale."""
    build_db(sqlite_url)
    pidfile = paths.pidfile(sqlite_url)
    pidfile.parent.mkdir(parents=True)
    pidfile.write_text(json.dumps({"pid": os.getpid(), "start_ticks": 1, "since": "x",
                                   "db": "x", "release": "1.1", "state": "ready"}))
    stop = demo(home, "service", "stop", "--db", sqlite_url)
    assert stop.returncode == 0 and "stale" in stop.stdout  # and we are still alive
    assert not pidfile.exists()


def test_one_service_per_database(tmp_path: Path, home: Path, stop_after: list[str]) -> None:
    first, second = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    build_db(first)
    build_db(second)
    assert paths.pidfile(first) != paths.pidfile(second)
    stop_after.extend([first, second])
    a = demo(home, "service", "start", "--db", first)
    b = demo(home, "service", "start", "--db", second)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert running_pid(a.stdout) != running_pid(b.stdout)
    twice = demo(home, "service", "run", "--db", first)
    assert twice.returncode == 3
    assert f"already runs for {first} (pid {running_pid(a.stdout)})" in twice.stderr
    for url in (first, second):
        assert demo(home, "service", "stop", "--db", url).returncode == 0
    assert gone(running_pid(a.stdout)) and gone(running_pid(b.stdout))


def test_service_start_refuses_bad_input_before_spawning(tmp_path: Path, home: Path) -> None:
    missing = demo(home, "service", "start", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 3
    assert "no database at" in missing.stderr
    unknown = demo(home, "service", "start", "--release", "9.9", "--db", str(tmp_path / "x.db"))
    assert unknown.returncode == 2
    assert "unknown demo release '9.9'" in unknown.stderr
    assert not (home / "service").exists() and not list(home.glob("*.pid"))


def _interrupt_when(found: Callable[[], bool]) -> threading.Thread:
    """Ctrl-C this process (a real SIGINT) as soon as ``found()`` holds."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not found() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _service_processes(home: Path) -> list[int]:
    """Live ``demo service run`` processes started with this test's DEMO_HOME."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and b"service\0run" in (entry / "cmdline").read_bytes()
                    and f"DEMO_HOME={home}".encode() in (entry / "environ").read_bytes()
                    and not gone(int(entry.name))):
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def test_an_interrupted_start_leaves_no_service(sqlite_url: str, home: Path) -> None:
    """Ctrl-C while the service starts: the half-started service is ended, not orphaned."""
    build_db(sqlite_url)
    watcher = _interrupt_when(lambda: bool(_service_processes(home)))
    with pytest.raises(KeyboardInterrupt):
        service.start(sqlite_url, get_release("1.1"), poll=0.2)
    watcher.join()
    deadline = time.monotonic() + 15
    while _service_processes(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _service_processes(home) == []
    assert not service.status(sqlite_url).running


def test_an_interrupted_bill_run_request_is_cancelled(sqlite_url: str, home: Path,
                                                      stop_after: list[str]) -> None:
    """Ctrl-C while waiting for a queued bill run: a later service must not run it."""
    build_db(sqlite_url)
    stop_after.append(sqlite_url)
    service.start(sqlite_url, get_release("1.1"), poll=30)  # it will not look for a while
    engine = make_engine(sqlite_url)

    def started() -> bool:  # written right before its first look for requests
        with Session(engine) as s:
            return s.scalars(select(EventLog).where(
                EventLog.message.like("billing service started%"))).first() is not None

    deadline = time.monotonic() + 60
    while not started() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2)  # its first look (found nothing) is over: the next is 30 s away

    def queued() -> bool:
        with Session(engine) as s:
            return s.scalars(select(BillRunRequest)).first() is not None

    watcher = _interrupt_when(queued)
    with pytest.raises(KeyboardInterrupt):
        service.request_bill_run(sqlite_url, dt.date(2026, 11, 1))
    watcher.join()
    with Session(engine) as s:
        [request] = s.scalars(select(BillRunRequest)).all()
        assert request.status == "failed"
        assert request.message == "cancelled: the caller was interrupted before it ran"
    engine.dispose()
