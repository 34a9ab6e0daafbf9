"""What SQL cannot do for the SQL target: the profile's ``target.commands``, and restore.

A command is split into words like a shell would split it but run without one, in the
profile's folder (relative paths start there), with its ``{placeholders}`` filled in
(`harness.targets.command_line`: ``{backup}``, ``{date}``, the staging DSN's ``{database}``,
``{host}``, ``{port}``, ``{user}``, ``{profile_dir}``, ``{state_dir}``). The DSN itself, with
its password, is passed only in ``$GOLIVE_DSN``, never on a command line. Every command run is
evidence of the stage that ran it: its exit code, duration and last lines of output
(`take_evidence`); a failing one raises a TargetError naming it with its stderr's last lines.
``billing_status`` prints the state on its last line. Without ``commands.restore``, restore
uses the engine's own way (SQLite file copy, ``pg_restore``). Every write asks the staging
guard first.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from common.dsn import Dsn, sqlalchemy_url
from harness.config import SqlTargetConfig
from harness.safety import safe_dsn
from harness.targets.base import ServiceAction, TargetError
from harness.targets.command_line import CommandLine
from harness.targets.sql_database import SqlDatabase

TAIL_LINES = 12  # lines of stdout and of stderr kept as evidence
_LINE_CHARS = 400
_KEPT = 50


class SqlCommands:
    """The pipeline's operations of a SQL target."""

    def __init__(self, db: SqlDatabase, config: SqlTargetConfig) -> None:
        self.db = db
        self.lines: dict[str, CommandLine] = config.command_lines
        self.env: dict[str, str] = {}  # given to every command (lock-down's redirections)
        self.ran: list[dict[str, Any]] = []  # evidence of the commands since the last take

    def has(self, key: str) -> bool:
        return key in self.lines

    def take_evidence(self) -> list[dict[str, Any]]:
        """The commands run since the last call, and forget them (each stage takes its own)."""
        ran, self.ran = self.ran, []
        return ran

    def values(self, backup: Path | None = None, date: dt.date | None = None) -> dict[str, str]:
        """Every placeholder's value for this run."""
        profile = self.db.profile
        url = make_url(sqlalchemy_url(self.db.dsn))
        sqlite = url.get_backend_name() == "sqlite"
        return {
            "backup": str(backup or profile.backup.path),
            "date": (date or profile.bill_run.date).isoformat(),
            "database": str(Path(url.database).resolve()) if sqlite and url.database
            else url.database or "",
            "host": "" if sqlite else (url.host or str(url.query.get("host") or "")),
            "port": "" if sqlite else str(url.port or url.query.get("port") or ""),
            "user": "" if sqlite else url.username or "",
            "profile_dir": str(profile.root),
            "state_dir": str(profile.state_dir),
        }

    def run(self, key: str, method: str, backup: Path | None = None,
            date: dt.date | None = None) -> subprocess.CompletedProcess[str]:
        line = self.lines.get(key)
        if line is None:
            raise TargetError(f"Target.{method} needs target.commands.{key} in the profile "
                              "(a command; it gets the DSN in $GOLIVE_DSN)")
        values = self.values(backup, date)
        argv = line.argv(values)
        cwd = self.db.profile.root
        if "/" in argv[0] and not Path(argv[0]).is_absolute():
            argv[0] = str(cwd / argv[0])
        evidence: dict[str, Any] = {
            "command": key, "line": line.text,
            "values": {k: v for k, v in values.items() if k in line.slots},
            "cwd": str(cwd)}
        began = time.monotonic()
        timeout = self.db.profile.bill_run.timeout_seconds
        try:
            done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                                  timeout=timeout, errors="replace",
                                  env={**os.environ, **self.env, "GOLIVE_DSN": self.db.dsn})
        except subprocess.TimeoutExpired as exc:
            evidence.update(exit_code=None, seconds=round(time.monotonic() - began, 3),
                            stdout_tail=self._tail(exc.stdout), stderr_tail=self._tail(exc.stderr))
            self.ran.append(evidence)
            raise TargetError(f"target.commands.{key} did not finish within {timeout} s "
                              "(bill_run.timeout_seconds) and was killed"
                              + _shown(evidence["stderr_tail"])) from None
        except OSError as exc:
            evidence.update(exit_code=None, seconds=round(time.monotonic() - began, 3),
                            error=f"{type(exc).__name__}: {exc.strerror or exc}")
            self.ran.append(evidence)
            raise TargetError(f"target.commands.{key} cannot start {argv[0]!r}: "
                              f"{exc.strerror or exc} (relative paths start in {cwd})") from None
        evidence.update(exit_code=done.returncode, seconds=round(time.monotonic() - began, 3),
                        stdout_tail=self._tail(done.stdout), stderr_tail=self._tail(done.stderr))
        self.ran.append(evidence)
        del self.ran[:-_KEPT]  # status checks from scenarios are never taken: keep the last
        if done.returncode != 0:
            raise TargetError(f"target.commands.{key} failed with exit code {done.returncode} "
                              f"after {evidence['seconds']:.1f} s"
                              + _shown(evidence["stderr_tail"] or evidence["stdout_tail"]))
        return done

    def _tail(self, output: str | bytes | None) -> list[str]:
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        lines = [ln for ln in (output or "").splitlines() if ln.strip()][-TAIL_LINES:]
        return [self.db.redact(ln if len(ln) <= _LINE_CHARS else ln[:_LINE_CHARS - 1] + "…")
                for ln in lines]

    def restore(self, backup: Path) -> dict[str, Any]:
        self.db.guard()
        if not backup.is_file():
            raise TargetError(f"no backup file at {backup}")
        self.db.close()
        url = make_url(sqlalchemy_url(self.db.dsn))
        file = Dsn(self.db.dsn).sqlite_path  # file: URIs resolved as the guard resolved them
        if self.has("restore"):
            how = "target.commands.restore"
            self.run("restore", "restore", backup=backup)
        elif url.get_backend_name() == "sqlite" and file is not None:
            how = "sqlite file copy"
            _sqlite_copy(backup, file)
        elif url.get_backend_name() == "postgresql":
            how = "pg_restore"
            self._pg_restore(backup)
        else:
            raise TargetError(f"cannot restore into {safe_dsn(self.db.dsn)}: set "
                              "target.commands.restore")
        return {"backup": str(backup), "method": how, "database": safe_dsn(self.db.dsn)}

    def _pg_restore(self, backup: Path) -> None:
        tool = shutil.which("pg_restore")
        if tool is None:
            raise TargetError("pg_restore not found on PATH (apt-get install postgresql-client)")
        libpq = make_url(sqlalchemy_url(self.db.dsn)).set(drivername="postgresql")
        dsn = libpq.render_as_string(hide_password=False)
        done = subprocess.run(
            [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--exit-on-error", "--dbname", dsn, str(backup)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            raise TargetError("pg_restore failed: "
                              + self.db.redact(lines[-1] if lines else "no message"))

    def bill_run(self, run_date: dt.date) -> None:
        self.db.guard()
        self.run("bill_run", "run_bill_run", date=run_date)

    def billing_service(self, action: ServiceAction) -> str:
        """The state on ``billing_status``'s last line. A platform without a billing service
        gives no start/stop command: then stopping does nothing and the status still decides."""
        if action != "status":
            self.db.guard()
            if self.has(f"{action}_billing") or not self.has("billing_status"):
                self.run(f"{action}_billing", "billing_service")
        done = self.run("billing_status", "billing_service")
        return (done.stdout.strip().splitlines() or ["unknown"])[-1].strip()


def _shown(tail: list[str]) -> str:
    if not tail:
        return " (it wrote nothing)"
    return "; its last lines:\n  " + "\n  ".join(tail[-6:])


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise TargetError(f"SQLite restore {source} → {target} failed: {exc}") from None
    finally:
        src.close()

