"""History: the runs of a profile, and each run against the previous one per checklist id.

Runs of the same profile are the run folders under the reports folder whose
``run.json`` names the same profile and mode (a post-go-live smoke run is
compared with the previous smoke run, not with a full verification). An item
is *failing* when its coverage is not OK (failed, manual fail, not verified,
uncovered); waived counts as failing — a waiver accepts a failure, it does not
fix it. Only the summary fields of each run.json are read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.record import RunRecord
from harness.signoff.model import HistoryComparison, ItemChange
from harness.signoff.summary_cache import SummaryCache, stamp_of

__all__ = ["OK", "RunSummary", "compare", "compare_with_previous", "runs_of"]

OK = frozenset({"verified", "manual_pass"})


@dataclass(frozen=True)
class RunSummary:
    """What the history table shows of one run."""

    run_id: str
    started_at: str
    finished_at: str | None
    profile: str
    mode: str
    release: str | None
    status: str
    verdict: str
    failures: int  # open (not waived) failures
    waived: int
    checklist: dict[str, tuple[str, str]]  # item id → (title, coverage)

    @property
    def duration(self) -> float | None:
        if not self.finished_at:
            return None
        try:
            return (dt.datetime.fromisoformat(self.finished_at)
                    - dt.datetime.fromisoformat(self.started_at)).total_seconds()
        except ValueError:
            return None


def _summary(data: dict[str, Any]) -> RunSummary | None:
    try:
        failures = [f for f in data.get("failures", []) if isinstance(f, dict)]
        shard = data.get("shard")  # one shard verified a share: never compared with a run
        mode = str(data.get("mode", "verify")) + (" shard" if shard else "")
        return RunSummary(
            run_id=str(data["run_id"]), started_at=str(data["started_at"]),
            finished_at=data.get("finished_at"), profile=str(data["profile"]),
            mode=mode, release=data.get("release"),
            status=str(data["status"]), verdict=str(data["verdict"]),
            failures=sum(1 for f in failures if not f.get("waived_by")),
            waived=sum(1 for f in failures if f.get("waived_by")),
            checklist={str(c["item_id"]): (str(c.get("title", "")), str(c["coverage"]))
                       for c in data.get("checklist", []) if isinstance(c, dict)})
    except (KeyError, TypeError):
        return None


def _same_profile(a: str, b: str) -> bool:
    return a == b or Path(a).resolve() == Path(b).resolve()


def runs_of(reports: Path, profile: str | None = None, mode: str | None = None
            ) -> list[RunSummary]:
    """Every readable run under ``reports`` (of ``profile``/``mode`` when given), oldest first.
    A folder without a readable run.json is not a run and is skipped. Each run.json is
    parsed once per version of it (`summary_cache`), not at every report."""
    found: list[RunSummary] = []
    if not reports.is_dir():
        return found
    cache = SummaryCache(reports)
    for run_json in reports.glob("*/run.json"):
        if run_json.parent.is_symlink() or run_json.parent.name == "latest":
            continue
        summary = _cached_summary(cache, run_json)
        if summary is None:
            continue
        if profile is not None and not _same_profile(summary.profile, profile):
            continue
        if mode is not None and summary.mode != mode:
            continue
        found.append(summary)
    cache.save()
    return sorted(found, key=lambda s: (s.started_at, s.run_id))


def _cached_summary(cache: SummaryCache, run_json: Path) -> RunSummary | None:
    stamp = stamp_of(run_json)
    if stamp is None:
        return None
    name = run_json.parent.name
    known, kept = cache.get(name, stamp)
    if known and kept is None:
        return None  # read before: not a run
    summary = _from_kept(kept) if known else None
    if summary is not None:
        return summary
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not remembered: a file being written now is read again next time
    summary = _summary(data) if isinstance(data, dict) else None
    cache.put(name, stamp, dataclasses.asdict(summary) if summary is not None else None)
    return summary


def _from_kept(kept: Any) -> RunSummary | None:
    """A summary as the cache keeps it (JSON: the checklist's pairs as lists)."""
    if not isinstance(kept, dict):
        return None
    try:
        return RunSummary(**{**kept, "checklist": {
            str(k): (str(v[0]), str(v[1])) for k, v in kept["checklist"].items()}})
    except (KeyError, TypeError, IndexError, AttributeError):
        return None


def compare(now: dict[str, tuple[str, str]], before: dict[str, tuple[str, str]] | None,
            previous: RunSummary | None = None) -> HistoryComparison:
    """New failures, fixed and still failing items between two checklists."""
    result = HistoryComparison()
    if previous is not None:
        result.previous_run = previous.run_id
        result.previous_verdict = previous.verdict
        result.previous_started_at = previous.started_at
    if before is None:
        return result
    for item_id, (title, coverage) in now.items():
        old = before.get(item_id)
        old_coverage = old[1] if old else None
        failing_now = coverage not in OK
        failing_before = old_coverage is not None and old_coverage not in OK
        change = ItemChange(item_id, title, old_coverage, coverage)
        if failing_now and failing_before:
            result.still_failing.append(change)
        elif failing_now:
            result.new_failures.append(change)
        elif failing_before:
            result.fixed.append(change)
    return result


def compare_with_previous(record: RunRecord, reports: Path) -> HistoryComparison:
    """``record`` against the latest earlier run of its profile and mode under ``reports``."""
    earlier = [s for s in runs_of(reports, record.profile, record.mode)
               if s.run_id != record.run_id and (s.started_at, s.run_id)
               < (record.started_at, record.run_id)]
    now = {c.item_id: (c.title, c.coverage.value) for c in record.checklist}
    if not earlier or record.shard is not None:
        return compare(now, None)
    previous = earlier[-1]
    return compare(now, previous.checklist, previous)
