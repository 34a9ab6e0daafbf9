"""One run at a time per staging database: a lock held from the start of a run to its end.

Two runs on one staging race: the second restores staging under the first,
which then reports false failures. The lock is about the staging *database*,
not the profile (two profiles, in two folders, can name the same staging): its
file is keyed by the database's normalised identity (`common.dsn.Dsn.key`:
the resolved SQLite path, or engine, host, port and database) and lives in one
folder per machine, ``$GOLIVE_LOCK_DIR`` or ``<tmp>/golive-locks``.

For a PostgreSQL staging database the run also holds an advisory lock on the
server (`harness.pg_lock`), so runs from other machines are refused too.

It is an ``fcntl.flock`` on that file, so the kernel releases it when the
holder's process ends in any way (a kill included): a lock left by a dead run
is never in the way, and stale-lock detection needs no guessing by pid. The
holder writes who it is (run id, pid, host, start, profile) into the locked
file itself, so a refused run can name it; a note whose pid is gone is
reported as such. The file is not deleted on release (deleting a file another
process is about to lock would let two runs each lock a different inode); its
note is emptied instead. ``filelock`` is not used because it truncates the
file on every attempt, which would erase the holder's note.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common.dsn import Dsn
from common.errors import EnvironmentProblem
from harness.pg_lock import PgLock
from harness.safety import reveal, safe_dsn
from harness.started import alive

__all__ = ["LOCK_DIR_ENV", "Holder", "StagingInUse", "StagingLock", "lock_dir"]

LOCK_DIR_ENV = "GOLIVE_LOCK_DIR"


class StagingInUse(EnvironmentProblem):
    """Another run holds the staging database (exit 3), or the lock cannot be taken."""

    exit_code = 3
    headline = "staging is in use"


@dataclass(frozen=True)
class Holder:
    run_id: str
    pid: int
    host: str
    started_at: str
    profile: str

    def describe(self) -> str:
        here = self.host == socket.gethostname()
        gone = " — that process is gone" if here and not alive(self.pid) else ""
        return (f"run {self.run_id} (pid {self.pid} on {self.host}, started "
                f"{self.started_at}, profile {self.profile}{gone})")


def lock_dir() -> Path:
    """The machine's lock folder: one for every profile and project on this machine."""
    given = os.environ.get(LOCK_DIR_ENV)
    return Path(given) if given else Path(tempfile.gettempdir()) / "golive-locks"


class StagingLock:
    """The lock of one staging database (``dsn`` as the profile gives it)."""

    def __init__(self, dsn: object) -> None:
        identity = Dsn.of(dsn).key().text()
        self.shown = safe_dsn(dsn)
        key = hashlib.sha256(identity.encode()).hexdigest()[:20]
        self.path = lock_dir() / f"staging-{key}.lock"
        self._fd: int | None = None
        self._server = PgLock(reveal(dsn))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, run_id: str, started_at: str, profile: str) -> None:
        """Take the lock or raise StagingInUse naming the holder (EnvironmentProblem when
        the lock file cannot be made at all); never waits."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.holder()
            who = (holder.describe() if holder is not None
                   else "another run (it has not said which yet)")
            raise StagingInUse(f"staging {self.shown} is in use by {who}; wait for it to "
                               f"finish or stop it (lock {self.path})") from None
        note = Holder(run_id, os.getpid(), socket.gethostname(), started_at, profile)
        elsewhere = self._server.acquire(f"golive {run_id} pid {note.pid}@{note.host}")
        if elsewhere is not None:  # another machine's run holds the server's lock
            os.close(fd)
            raise StagingInUse(f"staging {self.shown} is in use by {elsewhere.describe()}; "
                               "wait for it to finish or stop it")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(note)).encode("utf-8"), 0)
        self._fd = fd

    def release(self) -> None:
        """Empty the note and unlock; idempotent (the kernel unlocks on exit anyway)."""
        self._server.release()
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor releases the flock

    def holder(self, attempts: int = 10) -> Holder | None:
        """The holder's note; it may be a moment late (written right after locking)."""
        for _ in range(attempts):
            try:
                data = json.loads(self.path.read_text(encoding="utf-8") or "null")
                if isinstance(data, dict):
                    return Holder(**data)
            except (OSError, ValueError, TypeError):
                pass
            time.sleep(0.05)
        return None

    def _open(self) -> int:
        folder = self.path.parent
        try:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    folder.chmod(0o1777)  # like /tmp: every user's runs share it
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot take the lock of staging {self.shown}: "
                                     f"{self.path}: {exc.strerror or exc} (set "
                                     f"${LOCK_DIR_ENV} to a folder golive may write)") from None
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o666)  # another user's run must be able to lock it too
        return fd
