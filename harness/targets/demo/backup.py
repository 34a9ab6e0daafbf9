"""The demo's own pre-bill-run backup: found at ``backup.path``, or made when missing.

Making it generates production (only while production holds no demo data:
never over real rows) and backs it up with the demo's manifest. Production
that already holds demo data other than ``backup.generate`` asks for is an
error naming both values, never backed up silently.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from common.errors import ConfigError, EnvironmentProblem
from demo.backup import backup, describe_database, find_manifest
from demo.db import make_engine, sqlite_path
from demo.generate import generate as demo_generate
from harness.config import Generate, Profile
from harness.safety import reveal, safe_dsn
from harness.targets.base import TargetError
from harness.targets.demo.checks import generate_mismatch
from harness.targets.demo.database import demo_errors


class DemoBackup:
    """`BackupLocator` for the demo: production's backup, generated on demand."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    @demo_errors
    def locate(self, path: Path, generate: Generate | None, run_date: dt.date
               ) -> dict[str, Any]:
        """The backup at ``path``; when missing and ``generate`` is set, make it."""
        made: dict[str, Any] = {}
        if not path.exists():
            if generate is None:
                raise TargetError(f"backup.path {path} does not exist and backup.generate is "
                                  "not set")
            prod_dsn = reveal(self.profile.environments.production.dsn)
            if _empty(prod_dsn):
                made = _generate(prod_dsn, generate, run_date)
            else:  # production's data is backed up as it is: it must be what generate says
                self._matches_generate(prod_dsn, generate)
            manifest = backup(prod_dsn, path.parent)
            assert manifest.path is not None
            if manifest.path != path:
                shutil.move(manifest.path, path)
            made["backed_up"] = safe_dsn(prod_dsn)
        manifest = find_manifest(path)
        return {"path": str(path), "sha256": manifest.sha256, "size": manifest.size,
                "release": manifest.release, "seed": manifest.seed, "as_of": manifest.as_of,
                "accounts": manifest.row_counts.get("accounts"), "created_at": manifest.created_at,
                **made}


    def _matches_generate(self, prod_dsn: str, generate: Generate) -> None:
        """ConfigError (exit 2) naming both values when production's demo data is not what
        ``backup.generate`` asks for: golive never backs up other data silently."""
        found = describe_database(prod_dsn)
        wrong = generate_mismatch(generate, found.get("row_counts", {}).get("accounts"),
                                  found.get("seed"), f"production ({safe_dsn(prod_dsn)})")
        if wrong is not None:
            loc, message = wrong
            raise ConfigError([self.profile.problem(loc, message)])


def _generate(prod_dsn: str, generate: Generate, run_date: dt.date) -> dict[str, Any]:
    summary = demo_generate(prod_dsn, generate.accounts, generate.seed,
                            as_of=run_date - dt.timedelta(days=1))
    return {"generated": {"accounts": summary.accounts, "seed": summary.seed,
                          "as_of": summary.as_of.isoformat(), "database": summary.url}}


def _empty(dsn: str) -> bool:
    """Whether the demo's production database has no demo data yet (no file, no tables)."""
    path = sqlite_path(dsn)
    if path is not None and not path.exists():
        return True
    engine = make_engine(dsn)
    try:
        with engine.connect() as conn:
            return not inspect(conn).has_table("accounts")
    except OperationalError as exc:
        raise EnvironmentProblem(f"cannot connect to {safe_dsn(dsn)}: "
                                 f"{str(exc.orig or exc).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()
