"""Before the first stage: does this machine have what the run will need?

A missing browser used to surface per scenario after staging was restored and
billed; a read-only or full reports folder as a traceback half-way. Each check
here raises `EnvironmentProblem` (exit 3) naming what is missing and how to
fix it, before anything is written to staging:

* ``reports`` — the run folder can be created and written, with room to spare
  (checked before the run record is first saved);
* ``machine`` — room for the staging copy of a SQLite database, golive's state
  folder writable, the sanitize rules and their secret salt (a configuration
  error, exit 2), and Chromium (it is started once) when the selected
  scenarios use the browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common.errors import EnvironmentProblem
from harness.browser import Browser, chromium_path
from harness.config import Profile
from sanitize.keyed import resolve_salt
from sanitize.rules import load_rules

__all__ = ["MIN_FREE_BYTES", "machine", "reports"]

MIN_FREE_BYTES = 64 * 2**20  # a run's reports (HTML, JSON, screenshots) with room to spare
_MIB = 2**20


def _mib(size: int) -> str:
    return f"{size / _MIB:.1f} MiB"


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor (what disk_usage can measure)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(folder: Path, what: str, setting: str) -> None:
    """Create ``folder`` and write a file in it, or say why not and what to change."""
    fix = f"make it writable, or set {setting} in the profile to a folder golive may write"
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                   None)
    if blocker is not None:
        raise EnvironmentProblem(f"{what} {folder} cannot be created: {blocker} is a file, "
                                 f"not a folder; move it away or set {setting} in the profile")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".golive-probe-{os.getpid()}"
        try:
            probe.write_bytes(b"golive checks it can write here\n")
        finally:
            probe.unlink(missing_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write in {what} {folder}: "
                                 f"{exc.strerror or exc}; {fix}") from None


def _free(folder: Path, needed: int, what: str, setting: str) -> int:
    free = shutil.disk_usage(_existing(folder)).free
    if free < needed:
        raise EnvironmentProblem(
            f"only {_mib(free)} free for {what} {folder}; this run needs at least "
            f"{_mib(needed)}: free some space, or set {setting} in the profile to another disk")
    return free


def reports(run_dir: Path) -> dict[str, Any]:
    """The run folder can be written and has room; its evidence for the record."""
    _writable(run_dir, "the run folder", "report.dir")
    free = _free(run_dir, MIN_FREE_BYTES, "the reports in", "report.dir")
    return {"reports": str(run_dir.parent), "reports_free_mib": round(free / _MIB)}


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None and path.is_file() else 0
    except OSError:
        return 0


def _staging_room(profile: Profile) -> dict[str, Any]:
    """A SQLite staging database is a full copy: room for the larger of production and
    the backup, plus the margin."""
    staging = profile.environments.staging.dsn.sqlite_path
    if staging is None:
        return {}
    production = profile.environments.production.dsn.sqlite_path
    needed = max(_size(production), _size(Path(profile.backup.path))) + MIN_FREE_BYTES
    free = _free(staging.parent, needed, "the staging database in", "environments.staging.dsn")
    return {"staging_free_mib": round(free / _MIB)}


def _browser(profile: Profile) -> str:
    """Chromium exists and starts; its version."""
    settings = profile.portals
    browser = Browser(chromium_path(settings.chromium), settings.timeout_seconds).start()
    try:
        return f"Chromium {browser.version} at {browser.executable}"
    finally:
        browser.close()


def _sanitize_ready(profile: Profile) -> dict[str, Any]:
    """The rule file loads and its salt is there (SaltMissing, ConfigError: exit 2), so a
    missing secret is not found after staging was restored."""
    section = profile.sanitize
    if not section.enabled or section.rules is None:
        return {}
    rules = load_rules(Path(section.rules))
    resolve_salt(section.secret(), rules.model.salt_env)
    return {"sanitize_salt": "profile" if section.salt is not None else rules.model.salt_env}


def machine(profile: Profile, needs: Iterable[str], staging: bool = True) -> dict[str, Any]:
    """Everything the stages and the selected scenarios need; evidence for the record.
    ``staging`` False (a post-go-live smoke) prepares nothing: only the scenarios' needs.
    Raises EnvironmentProblem (exit 3), or a configuration error (exit 2)."""
    _writable(profile.state_dir, "golive's state folder", "report.state_dir")
    evidence: dict[str, Any] = {}
    if staging:
        evidence.update(_staging_room(profile))
        evidence.update(_sanitize_ready(profile))
    wanted = set(needs)
    evidence["needs"] = sorted(wanted)
    if "browser" in wanted:
        evidence["browser"] = _browser(profile)
    return evidence
