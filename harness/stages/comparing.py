"""Baseline and compare: production's results of the bill run, and staging's against them.

``baseline`` (right after the backup is located, before anything is written) makes sure
the stored baseline is production's results of this bill run, for this backup and these
queries, capturing it read-only when it is missing or stale; production that has not run
the bill run stops the run before staging is touched. ``compare`` (right after staging's
bill run and the stop of its billing service, before any scenario writes) compares the
whole staging population with it and records the section the gate judges.

A profile without a ``population`` section skips both (SKIPPED, never passed); the gate
then has no population to judge and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.baseline.capture import capture, stale
from harness.baseline.compare import compare as compare_population
from harness.baseline.store import open_store
from harness.record import BaselineInfo, Outcome
from harness.stages.context import StageContext

__all__ = ["NOT_CONFIGURED", "baseline", "compare", "spool_path"]

NOT_CONFIGURED = ("the profile has no population section: only the accounts the checklists "
                  "name are compared with production")
KEEP_SPOOLS = 20  # differences files kept in the state folder


def provenance(info: BaselineInfo) -> dict[str, Any]:
    return {"source": info.source, "bill_run_date": info.bill_run_date,
            "release": info.release, "captured_at": info.captured_at, "rows": info.rows,
            "digest": info.digest, "backup_sha256": info.backup_sha256, "store": info.store}


def baseline(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    population = ctx.profile.population
    if population is None:
        return Outcome.SKIPPED, {"configured": False, "reason": NOT_CONFIGURED}
    store = open_store(population, ctx.profile.state_dir)
    try:
        info = store.provenance()
        why = stale(info, population, ctx.run_date, ctx.backup.get("sha256"))
        if why is None and info is not None:
            return Outcome.PASSED, {"captured": False, **provenance(info)}
        info = capture(population, ctx.profile.environments.production.dsn, store,
                       ctx.run_date, ctx.backup.get("sha256"))
    finally:
        store.close()
    return Outcome.PASSED, {"captured": True, "because": why, **provenance(info)}


def spool_path(state_dir: Path, name: str) -> Path:
    """Where a comparison writes its complete list of differences (the reports copy it)."""
    folder = state_dir / "differences"
    folder.mkdir(parents=True, exist_ok=True)
    old = sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime)
    for path in old[:-KEEP_SPOOLS] if len(old) > KEEP_SPOOLS else []:
        path.unlink(missing_ok=True)
    return folder / f"{name}.csv"


def compare(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    population = ctx.profile.population
    if population is None:
        return Outcome.SKIPPED, {"configured": False, "reason": NOT_CONFIGURED}
    store = open_store(population, ctx.profile.state_dir)
    section = compare_population(population, store, ctx.profile.target_dsn(), ctx.run_date,
                                 spool_path(ctx.profile.state_dir, ctx.record.run_id))
    ctx.record.population = section
    return Outcome.PASSED, {
        "beyond_tolerance": section.beyond, "threshold": section.threshold,
        "datasets": {d.dataset: {"production": d.production_rows, "staging": d.staging_rows,
                                 "missing": d.missing, "extra": d.extra, "changed": d.changed,
                                 "method": d.method} for d in section.datasets},
        "baseline_captured_at": section.baseline.captured_at,
        "differences": section.csv_rows}
