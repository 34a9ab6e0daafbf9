"""Backup, restore and sanitize: getting production's pre-bill-run data into staging."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from harness.record import Outcome
from harness.safety import assert_distinct
from harness.stages import sanitizing
from harness.stages.context import StageContext
from harness.targets.base import Installation
from harness.targets.loader import open_target


class StageFailed(Exception):
    """A stage found a problem it can explain; ``evidence`` is kept on the stage."""

    def __init__(self, message: str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence or {}


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def locate(ctx: StageContext, make: bool) -> dict[str, Any]:
    """The backup's evidence (with ``sha256``); ``make`` lets the demo generate it."""
    path = ctx.profile.backup.path
    if ctx.target.backup is not None:
        generate = ctx.profile.backup.generate if make else None
        return ctx.target.backup.locate(path, generate, ctx.run_date)
    if not path.is_file():
        raise StageFailed(f"backup.path {path}: no such file (the pre-bill-run backup of "
                          "production must exist before golive can restore it)")
    return {"path": str(path), "size": path.stat().st_size, "sha256": file_digest(path)}


def backup(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    ctx.backup = locate(ctx, make=True)
    return Outcome.PASSED, ctx.backup


def identity(ctx: StageContext) -> dict[str, Any]:
    """Refuse unless staging is provably not production (asked right before a destructive
    stage writes); what was compared, for the stage's evidence."""
    target = ctx.target
    ask = (lambda: _installations(ctx, target)) if isinstance(target, Installation) else None
    found = assert_distinct(ctx.profile, ask)
    return {"decided_by": found.how, **found.facts}


def _installations(ctx: StageContext, staging: Installation) -> tuple[str, str]:
    """What the platform reports as its installation on staging and on production."""
    production = open_target(ctx.profile, "production")
    try:
        theirs = production.installation() if isinstance(production, Installation) else ""
    finally:
        production.close()
    return staging.installation(), theirs


def restore(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    """Restore the backup into staging, once the file system or the servers said staging is
    not production. From then on staging may hold raw production data until sanitizing
    finishes (the pipeline empties it if the run stops before)."""
    checked = identity(ctx)
    ctx.raw_in_staging = True
    evidence = ctx.target.restore(Path(ctx.backup["path"]))
    digest = evidence.get("sha256")
    if digest is not None and digest != ctx.backup.get("sha256"):
        raise StageFailed(f"restored backup sha256 {digest[:16]}… is not the located "
                          f"backup's {str(ctx.backup.get('sha256'))[:16]}…", evidence)
    return Outcome.PASSED, {**evidence, "not_production": checked}


def sanitize(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    """golive's sanitizer when the profile enables it; SKIPPED (never passed) when the
    profile disables sanitizing — and then staging is scanned as it is, so a run that did
    not sanitize is judged on the same scan as one that did, never better off."""
    if not ctx.profile.sanitize.enabled:
        scanned = sanitizing.scan_only(ctx)
        return Outcome.SKIPPED, {"enabled": False, "reason": "sanitizing disabled in profile",
                                 "scan": scanned}
    checked = identity(ctx)
    outcome, evidence = sanitizing.run(ctx)
    ctx.raw_in_staging = False
    return outcome, {**evidence, "not_production": checked}
