"""What SQL cannot do for the SQL target: the profile's ``target.commands``, and restore.

A command is split like a shell would split it but run without one, with
``{backup}`` / ``{date}`` placeholders; the DSN is passed in ``$GOLIVE_DSN``,
never on a command line. ``billing_status`` prints the state on its last line.
Without ``commands.restore``, restore uses the engine's own way (SQLite file
copy, ``pg_restore``). Every write asks the staging guard first.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from common.dsn import Dsn, sqlalchemy_url
from harness.safety import safe_dsn
from harness.targets.base import ServiceAction, TargetError
from harness.targets.sql_database import SqlDatabase


class SqlCommands:
    """The pipeline's operations of a SQL target."""

    def __init__(self, db: SqlDatabase, commands: Mapping[str, str]) -> None:
        self.db = db
        self.commands = dict(commands)

    def run(self, key: str, method: str, **values: str) -> subprocess.CompletedProcess[str]:
        raw = self.commands.get(key)
        if not raw:
            raise TargetError(f"Target.{method} needs target.commands.{key} in the profile "
                              "(a command; it gets the DSN in $GOLIVE_DSN)")
        argv = [a.format(**values) for a in shlex.split(raw)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, "GOLIVE_DSN": self.db.dsn})
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            last = self.db.redact(lines[-1] if lines else f"exit code {done.returncode}")
            raise TargetError(f"target.commands.{key} failed: {last}")
        return done

    def restore(self, backup: Path) -> dict[str, Any]:
        self.db.guard()
        if not backup.is_file():
            raise TargetError(f"no backup file at {backup}")
        self.db.close()
        url = make_url(sqlalchemy_url(self.db.dsn))
        file = Dsn(self.db.dsn).sqlite_path  # file: URIs resolved as the guard resolved them
        if self.commands.get("restore"):
            how = "target.commands.restore"
            self.run("restore", "restore", backup=str(backup))
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
        self.run("bill_run", "run_bill_run", date=run_date.isoformat())

    def billing_service(self, action: ServiceAction) -> str:
        if action != "status":
            self.db.guard()
            self.run(f"{action}_billing", "billing_service")
        done = self.run("billing_status", "billing_service")
        return (done.stdout.strip().splitlines() or ["unknown"])[-1].strip()


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
