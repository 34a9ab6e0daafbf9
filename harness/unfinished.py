"""After pytest ended: finish what it could not, so a stopped run is NO-GO everywhere and
leaves nothing running.

``golive run`` calls `settle` once its pytest child is gone, whatever ended it.
Normally the child finished its record and stopped what it started, and there
is nothing to do. When it did not — killed after the grace period, killed by a
second signal, crashed — the record on disk still says ``running`` (it is
saved as NO-GO / running at the start and after every stage), so:

1. whatever the ledger says runs on its own and was never stopped (the billing
   service) is stopped through the target, under the staging lock — if another
   run already holds staging, it is not touched (it would be that run's);
2. the record is closed: the stage that was running is INTERRUPTED, the
   journal's scenarios are put back, the rest stays not run, status
   ``interrupted`` (or ``crashed``), coverage and the gate say NO-GO;
3. every output is written again from it, and ``latest`` points at it.

A record is made from nothing when the run was stopped before pytest wrote one,
so even then every output of the run says NO-GO.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import GoliveError
from harness.checklists import Checklists
from harness.config import Profile
from harness.coverage import compute_coverage
from harness.gate import decide
from harness.journal import read_journal
from harness.record import Outcome, RunRecord, RunStatus, Stopped, now
from harness.reports import write_reports
from harness.staging_lock import StagingLock
from harness.started import (
    BILLING_SERVICE,
    LEDGER_FILE,
    Entry,
    Ledger,
    leftovers,
    read_ledger,
    summary,
)
from harness.targets.base import TargetError
from harness.targets.loader import open_target

__all__ = ["Settled", "settle"]


@dataclass
class Settled:
    """What `settle` found and did."""

    record: RunRecord | None  # None: no run was started and none was stopped
    finished_here: bool = False  # golive run closed the record, not pytest
    stopped: list[Stopped] = field(default_factory=list)  # what golive run stopped itself


def settle(profile: Profile, checklists: Checklists, run_id: str, run_dir: Path,
           why: str | None, status: RunStatus = RunStatus.INTERRUPTED) -> Settled:
    """Stop leftovers; close the record if pytest left it running. ``why`` says how the
    run was stopped (None: nobody stopped it — then a missing record means pytest
    refused to start, e.g. a configuration error, and nothing is written)."""
    ledger = Ledger(run_dir / LEDGER_FILE)
    stopped = _stop_leftovers(profile, leftovers(read_ledger(ledger.path)), ledger)
    run_json = run_dir / "run.json"
    record = _load(run_json)
    if record is None and why is None:
        return Settled(None, stopped=stopped)
    finished_here = record is None or record.status is RunStatus.RUNNING
    if record is None:
        record = _new_record(profile, run_id, status)
    if finished_here:
        _close(record, run_dir, profile, checklists, why or "pytest ended without finishing "
               "the run", status)
    if finished_here or stopped:
        record.stopped = summary(read_ledger(ledger.path))
        write_reports(record, run_dir, profile.report.title, run_dir.parent / "latest")
    return Settled(record, finished_here, stopped)


def _load(run_json: Path) -> RunRecord | None:
    try:
        return RunRecord.load(run_json)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: a new NO-GO record replaces it, never a guess


def _new_record(profile: Profile, run_id: str, status: RunStatus) -> RunRecord:
    return RunRecord(run_id=run_id, started_at=now().isoformat(), profile=str(profile.path),
                     target=profile.target.kind, release=profile.target.release,
                     bill_run_date=profile.bill_run.date.isoformat(), status=status)


def _close(record: RunRecord, run_dir: Path, profile: Profile, checklists: Checklists,
           why: str, status: RunStatus) -> None:
    for stage in record.stages:
        if stage.outcome is Outcome.NOT_RUN and stage.started_at is not None:
            stage.outcome = Outcome.INTERRUPTED  # the stage that was running
            stage.error = why
    journaled, checks = read_journal(run_dir)
    done = {s.nodeid: s for s in journaled}
    record.scenarios = [done.pop(s.nodeid, s) for s in record.scenarios] + list(done.values())
    record.accounts = checks
    for scenario in record.scenarios:
        if scenario.outcome is Outcome.NOT_RUN and not scenario.error:
            scenario.error = f"not run: the run was {status.value}"
    record.status = status
    record.finished_at = now().isoformat()
    record.notes.append(f"{why}; golive run closed this record (pytest could not)")
    compute_coverage(record, list(checklists.items), dict(checklists.manual_results))
    decide(record, profile.gate, dt.date.today())


def _stop_leftovers(profile: Profile, found: list[Entry], ledger: Ledger) -> list[Stopped]:
    """Stop the billing service (the one thing that runs on its own) if the run left it."""
    if not found:
        return []
    lock = StagingLock(profile.environments.staging.dsn)
    try:
        lock.acquire("cleanup", now().isoformat(), str(profile.path))
    except GoliveError as exc:  # another run holds staging now: the service may be its own
        return [ledger.stop(e.what, f"left alone: {exc.message}", ok=False) for e in found]
    try:
        return [_stop(profile, entry, ledger) for entry in found]
    finally:
        lock.release()


def _stop(profile: Profile, entry: Entry, ledger: Ledger) -> Stopped:
    how = "stopped by golive run after pytest ended without stopping it"
    if entry.stop_with != BILLING_SERVICE:
        return ledger.stop(entry.what, f"golive does not know how to stop it "
                           f"({entry.stop_with}): check it by hand", ok=False)
    try:
        target = open_target(profile, "staging")
        try:
            state = target.billing_service("stop")
        finally:
            target.close()
    except (GoliveError, TargetError, OSError) as exc:
        return ledger.stop(entry.what, f"could not be stopped: {exc}", ok=False)
    if state != "stopped":
        return ledger.stop(entry.what, f"still {state!r} after golive asked it to stop",
                           ok=False)
    return ledger.stop(entry.what, how)
