"""The staging lock: one run at a time per staging database, whatever profile names it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.errors import EnvironmentProblem
from harness.staging_lock import LOCK_DIR_ENV, StagingInUse, StagingLock, lock_dir

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from common.errors import EnvironmentProblem
from harness.staging_lock import StagingLock
lock = StagingLock(sys.argv[1])
lock.acquire(sys.argv[2], "2026-12-01T10:00:00+00:00", "elsewhere/golive.yaml")
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture(autouse=True)
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "locks"
    monkeypatch.setenv(LOCK_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of staging.db, as a running golive run does."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, f"sqlite:///{tmp_path}/staging.db",
                             "20261201T100000Z-beef"], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path,
                                                   holder: subprocess.Popen[str]) -> None:
    # another spelling of the same file: the lock is about the database, not the URL
    lock = StagingLock(f"sqlite:///{tmp_path}/./staging.db")
    with pytest.raises(StagingInUse) as refused:
        lock.acquire("20261201T100500Z-cafe", "2026-12-01T10:05:00+00:00", "golive.yaml")
    assert refused.value.exit_code == 3
    message = refused.value.message
    assert "run 20261201T100000Z-beef" in message
    assert f"pid {holder.pid}" in message and "started 2026-12-01T10:00:00+00:00" in message
    assert "elsewhere/golive.yaml" in message and "staging.db" in message
    assert not lock.held


def test_a_lock_whose_holder_died_is_taken_over(tmp_path: Path,
                                                holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)  # killed: no chance to release anything
    holder.wait()
    lock = StagingLock(f"sqlite:///{tmp_path}/staging.db")
    assert lock.holder() is not None  # its note is still there, stale …
    lock.acquire("20261201T101000Z-f00d", "2026-12-01T10:10:00+00:00", "golive.yaml")
    try:  # … and the new holder's note replaced it
        note = json.loads(lock.path.read_text())
        assert note["run_id"] == "20261201T101000Z-f00d" and note["pid"] == os.getpid()
    finally:
        lock.release()
    assert lock.path.read_text() == ""  # released: no note, nobody named


def test_released_lock_can_be_taken_again_and_other_databases_are_free(tmp_path: Path) -> None:
    first = StagingLock(f"sqlite:///{tmp_path}/staging.db")
    first.acquire("a", "t", "p")
    other = StagingLock(f"sqlite:///{tmp_path}/other.db")
    other.acquire("b", "t", "p")  # another staging database: no conflict
    other.release()
    first.release()
    again = StagingLock(f"sqlite:///{tmp_path}/staging.db")
    again.acquire("c", "t", "p")
    again.release()


def test_postgres_spellings_share_one_lock() -> None:
    one = StagingLock("postgresql://golive:secret@localhost:5432/billing")
    two = StagingLock("postgresql+psycopg://other@127.0.0.1/billing")
    assert one.path == two.path
    assert "secret" not in one.shown
    assert StagingLock("postgresql://localhost/billing2").path != one.path


def test_a_dead_holder_is_named_as_gone(tmp_path: Path) -> None:
    lock = StagingLock(f"sqlite:///{tmp_path}/staging.db")
    lock.path.parent.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    lock.path.write_text(json.dumps({"run_id": "r1", "pid": int(dead.stdout), "host":
                                     os.uname().nodename, "started_at": "t", "profile": "p"}))
    holder = lock.holder()
    assert holder is not None and "that process is gone" in holder.describe()


def test_an_unusable_lock_folder_is_an_environment_error(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(LOCK_DIR_ENV, str(blocker))
    assert lock_dir() == blocker
    with pytest.raises(EnvironmentProblem) as refused:
        StagingLock(f"sqlite:///{tmp_path}/staging.db").acquire("r", "t", "p")
    assert refused.value.exit_code == 3
    assert "cannot take the lock of staging" in refused.value.message
    assert LOCK_DIR_ENV in refused.value.message


def test_the_holders_note_is_readable_while_locked(tmp_path: Path) -> None:
    lock = StagingLock(f"sqlite:///{tmp_path}/staging.db")
    lock.acquire("r", "2026-12-01T10:00:00+00:00", "p")
    try:
        started = time.monotonic()
        holder = StagingLock(f"sqlite:///{tmp_path}/staging.db").holder()
        assert holder is not None and holder.run_id == "r"
        assert time.monotonic() - started < 1
    finally:
        lock.release()


# -- PostgreSQL: the server's advisory lock, for runs on other machines ------------------


@pytest.mark.postgres
def test_a_postgres_staging_is_locked_on_the_server_too(
        pg_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database()
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path / "machine-a"))
    here = StagingLock(url)
    here.acquire("RUN-A", "2026-12-01T10:00:00+00:00", "a/golive.yaml")
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path / "machine-b"))  # its own lock folder
    there = StagingLock(url)
    try:
        with pytest.raises(StagingInUse) as refused:
            there.acquire("RUN-B", "2026-12-01T10:01:00+00:00", "b/golive.yaml")
        message = refused.value.message
        assert f"golive RUN-A pid {os.getpid()}@" in message
        assert "per the PostgreSQL server" in message
        assert not there.held
    finally:
        here.release()
    there.acquire("RUN-B", "2026-12-01T10:02:00+00:00", "b/golive.yaml")
    there.release()


@pytest.mark.postgres
def test_the_server_drops_the_lock_of_a_killed_run(
        pg_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database()
    env = {**os.environ, "PYTHONPATH": str(ROOT), LOCK_DIR_ENV: str(tmp_path / "machine-a")}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url, "RUN-A"], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path / "machine-b"))
    with pytest.raises(StagingInUse):
        StagingLock(url).acquire("RUN-B", "t", "p")
    holder.kill()
    holder.wait()
    lock = StagingLock(url)
    deadline = time.monotonic() + 20  # the server notices the closed connection
    while True:
        try:
            lock.acquire("RUN-B", "t", "p")
            break
        except StagingInUse:
            assert time.monotonic() < deadline, "the server kept a dead run's lock"
            time.sleep(0.2)
    lock.release()


@pytest.mark.postgres
@pytest.mark.slow
def test_the_lock_does_not_block_the_runs_own_restore(
        pg_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_restore --clean into staging while this run's lock connection is open."""
    from harness.pipeline import prepare
    from tests.harness.test_pipeline import new_record, write_profile

    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "demo-home"))
    staging = pg_server.create_database()
    profile = write_profile(tmp_path, production=pg_server.create_database(), staging=staging)
    lock = StagingLock(profile.environments.staging.dsn)
    lock.acquire("RUN-A", "t", "p")
    try:
        record = new_record()
        prepare(profile, record).close()
        assert {s.outcome.value for s in record.stages} == {"passed", "skipped"}
    finally:
        lock.release()
