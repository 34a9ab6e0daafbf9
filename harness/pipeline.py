"""The staging pipeline: backup → baseline → restore → sanitize → lockdown → config_diff →
bill_run → stop_service → compare → outbound_check, each recorded in the run record with
its start, duration and evidence.

A failing stage stops the pipeline: it is recorded FAILED (or INTERRUPTED) with
its error, every later stage NOT_RUN, and `PipelineError` is raised, so a run
that did not prepare staging can never pass the gate. With ``reuse=True`` a
staging database already prepared for the same backup digest, release and date
is not prepared again: its stages are recorded REUSED and a note says so;
lock-down still runs, because the sinks belong to this run, and what the sinks
received during the preparation is replayed as this run's evidence of what the
bill run sent (marked as such in the record). The population comparison
of the reused staging is the one made when it was prepared (kept with the marker):
comparing again would count what earlier scenarios wrote as differences.

Whatever the pipeline starts (sinks, the payment sandbox, the billing service)
it stops on every exit path — success, a failed stage, an interrupt — and notes
each in the run's ledger (`harness.started`), which the report lists.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.errors import EnvironmentProblem, GoliveError
from harness.config import Profile
from harness.record import Outcome, PopulationSection, RunRecord, StageResult, now
from harness.safety import redact, reveal
from harness.sections import OutboundSection, Replayed
from harness.stages import billing, comparing, data, lockdown, marker
from harness.stages.context import StageContext, StageFn
from harness.stages.quarantine import quarantine
from harness.started import Ledger, close_target
from harness.targets.base import StageEvidence, Target, TargetError
from harness.targets.loader import open_target
from harness.targets.views import BillRunView

__all__ = ["STAGE_NAMES", "PipelineError", "Prepared", "prepare"]

STAGES: tuple[tuple[str, StageFn], ...] = (
    ("backup", data.backup),
    ("baseline", comparing.baseline),
    ("restore", data.restore),
    ("sanitize", data.sanitize),
    ("lockdown", lockdown.lockdown),
    ("config_diff", billing.config_diff),
    ("bill_run", billing.bill_run),
    ("stop_service", billing.stop_service),
    ("compare", comparing.compare),
    ("outbound_check", lockdown.outbound_check),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)
Progress = Callable[[str], None]
StageDone = Callable[[StageResult], None]
ENDED = "stopped at the end of the run"


class PipelineError(GoliveError):
    """Preparation stopped at a stage; the record says which and why. Exit 1 (NO-GO) unless
    the cause was a refusal (2) or a missing database, tool or service (3)."""

    exit_code = 1
    headline = "staging preparation failed"

    def __init__(self, stage: str, error: str, exit_code: int = 1) -> None:
        super().__init__(f"stage {stage} failed: {error}")
        self.stage = stage
        self.error = error
        self.exit_code = exit_code  # the cause's: 2 refused for safety, 3 environment


@dataclass
class Prepared:
    """Staging after preparation: its target, the bill run, and the running sinks."""

    target: Target
    record: RunRecord
    bill_run: BillRunView | None
    started_at: dt.datetime | None  # when the bill run started (for the event-log check)
    reused: bool = False
    _ctx: StageContext | None = field(default=None, repr=False)

    def outbound(self) -> OutboundSection:
        """What the sinks caught so far (also written to ``record.outbound``)."""
        if self._ctx is None:
            return self.record.outbound or OutboundSection()
        return lockdown.refresh(self._ctx)

    def close(self, how: str = ENDED) -> None:
        """Record the sinks' captures, stop the sinks (and the billing service, if it still
        runs), close the target; each stop goes to the ledger. Idempotent."""
        ctx, self._ctx = self._ctx, None
        if ctx is None:
            return
        billing.stop_billing(ctx, how)
        lockdown.stop(ctx, how)
        close_target(self.target, ctx.ledger, how)


def prepare(
    profile: Profile,
    record: RunRecord,
    reuse: bool = False,
    progress: Progress | None = None,
    on_stage: StageDone | None = None,
    on_start: StageDone | None = None,
    ledger: Ledger | None = None,
) -> Prepared:
    """Prepare staging for verification; raise PipelineError when a stage fails.

    ``progress`` hears a sentence at each stage's start and end; ``on_start``
    sees each stage as it begins and ``on_stage`` as it ends (the plugin saves
    the record at both, so a kill leaves on disk which stage was running).
    ``ledger`` notes what is started and stopped (a private one by default)."""
    say: Progress = progress or (lambda _message: None)
    done: StageDone = on_stage or (lambda _stage: None)
    begin: StageDone = on_start or (lambda _stage: None)
    target = open_target(profile, "staging")
    ctx = StageContext(profile=profile, record=record, target=target,
                       ledger=ledger or Ledger(None))
    record.release = record.release or target.release
    record.bill_run_date = record.bill_run_date or ctx.run_date.isoformat()
    try:
        if reuse:
            found = _reusable(ctx, say)
            if found is not None:
                return _reuse(ctx, found, begin, done, say)
        marker.clear(profile)
        _run(ctx, STAGES, begin, done, say)
        if not any(s.outcome is Outcome.FAILED for s in record.stages):
            # staging that let traffic escape is never reused: its escapes would be lost
            marker.write(profile, _key(ctx, ctx.backup),
                         {s.name: s.evidence for s in record.stages if s.name in STAGE_NAMES},
                         outbound=lockdown.captures(ctx) if ctx.sinks else None,
                         run_id=record.run_id,
                         sanitize=record.sanitize,
                         population=record.population.to_dict() if record.population else None)
    except BaseException as exc:
        how = ("stopped after the run was interrupted" if isinstance(exc, KeyboardInterrupt)
               else "stopped after preparation failed")
        billing.stop_billing(ctx, how)
        lockdown.stop(ctx, how)
        close_target(target, ctx.ledger, how)
        raise
    return Prepared(target=target, record=record, bill_run=ctx.bill_run,
                    started_at=ctx.started_at, _ctx=ctx)


def _run(ctx: StageContext, stages: tuple[tuple[str, StageFn], ...], begin: StageDone,
         done: StageDone, say: Progress) -> None:
    secrets = _dsns(ctx.profile)
    _target_evidence(ctx.target)  # what reads before the first stage did is no stage's
    for index, (name, fn) in enumerate(stages):
        stage = StageResult(name=name, started_at=now().isoformat())
        ctx.record.stages.append(stage)
        begin(stage)
        began = time.monotonic()
        failure: BaseException | None = None
        try:
            say(f"[{index + 1}/{len(stages)}] {name} …")
            stage.outcome, stage.evidence = fn(ctx)
        except data.StageFailed as exc:
            stage.outcome, stage.evidence, failure = Outcome.FAILED, exc.evidence, exc
            stage.error = redact(str(exc), secrets)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP under golive's plugin
            stage.outcome, failure = Outcome.INTERRUPTED, exc
            stage.error = f"interrupted ({exc})" if str(exc) else "interrupted"
        except Exception as exc:  # recorded with its type, then re-raised as PipelineError
            stage.outcome, failure = Outcome.FAILED, exc
            stage.error = redact(f"{type(exc).__name__}: {exc}", secrets)
        if failure is not None and ctx.raw_in_staging and ctx.profile.sanitize.enabled:
            # stopped between restore and a finished sanitize: no raw production data stays
            stage.error = f"{stage.error}; {quarantine(ctx, name)}"
        stage.duration = round(time.monotonic() - began, 3)
        stage.evidence = {**(stage.evidence or {}), **_target_evidence(ctx.target)}
        say(f"[{index + 1}/{len(stages)}] {name}: {stage.outcome.value} in "
            f"{stage.duration:.1f} s" + (f" — {stage.error}" if stage.error else ""))
        done(stage)
        if failure is not None:
            for later, _ in stages[index + 1:]:
                ctx.record.stages.append(StageResult(name=later, outcome=Outcome.NOT_RUN))
            if isinstance(failure, KeyboardInterrupt):
                raise failure
            code = failure.exit_code if isinstance(failure, GoliveError) else 1
            raise PipelineError(name, stage.error or "failed", code) from failure


def _target_evidence(target: Target) -> dict[str, Any]:
    """What the target's operations did during a stage (commands run, a bill-run mark)."""
    return target.take_evidence() if isinstance(target, StageEvidence) else {}


def _dsns(profile: Profile) -> list[str]:
    envs = profile.environments
    return [reveal(envs.staging.dsn), reveal(envs.production.dsn)]


def _key(ctx: StageContext, backup: dict[str, Any]) -> dict[str, Any]:
    population = ctx.profile.population
    return {"backup_sha256": backup.get("sha256"), "release": ctx.target.release,
            "bill_run_date": ctx.run_date.isoformat(),
            "bill_run_id": ctx.bill_run.id if ctx.bill_run is not None else None,
            "population_digest": population.digest() if population is not None else None}


def _reusable(ctx: StageContext, say: Progress) -> dict[str, Any] | None:
    """The marker when staging is prepared for this backup, release and date, else None
    (with a note saying why reuse fell back to preparing)."""
    found = marker.read(ctx.profile)
    reason = None
    if found is None:
        reason = "staging has no record of a finished preparation"
    elif not ctx.profile.backup.path.exists():
        reason = f"the backup {ctx.profile.backup.path} is missing"
    else:
        try:
            reason = _differs(ctx, found)
        except (TargetError, EnvironmentProblem, data.StageFailed) as exc:
            reason = f"it cannot be read: {exc}"
    if reason is None:
        return found
    note = f"--golive-reuse: staging could not be reused ({reason}); prepared it from scratch"
    ctx.record.notes.append(note)
    say(note)
    return None


def _differs(ctx: StageContext, found: dict[str, Any]) -> str | None:
    wanted = _key(ctx, data.locate(ctx, make=False))
    differs = [k for k in ("backup_sha256", "release", "bill_run_date", "population_digest")
               if found.get(k) != wanted[k]]
    if differs:
        return "it was prepared for another " + ", ".join(differs)
    if wanted["population_digest"] is not None and not found.get("population"):
        return "it was prepared without a population comparison"
    latest = ctx.target.latest_bill_run()
    if latest is None or latest.id != found.get("bill_run_id"):
        return "its latest bill run is not the one golive prepared"
    if ctx.target.billing_service("status") != "stopped":
        return "its billing service is running"
    if ctx.profile.lockdown.enabled and not isinstance(found.get("outbound"), dict):
        return ("its preparation kept no record of what the sinks received, so the bill "
                "run's emails and provisioning calls could not be shown")
    return None


def _reuse(ctx: StageContext, found: dict[str, Any], begin: StageDone, done: StageDone,
           say: Progress) -> Prepared:
    latest = ctx.target.latest_bill_run()
    if latest is None:  # _reusable checked it; the database changed under us
        raise TargetError("staging lost its bill run while golive was reusing it")
    ctx.bill_run, ctx.started_at = latest, latest.started_at
    if found.get("population"):
        ctx.record.population = PopulationSection.from_dict(found["population"])
    evidence: dict[str, Any] = found.get("stages") or {}
    for name in STAGE_NAMES:
        if name == "lockdown":
            continue
        ctx.record.stages.append(StageResult(
            name=name, outcome=Outcome.REUSED, started_at=now().isoformat(),
            evidence={"prepared_at": found.get("prepared_at"), **(evidence.get(name) or {})}))
    ctx.record.reused = True
    sanitized = marker.sanitized(found)
    if sanitized is not None:  # the scan of the preparation this run reuses
        ctx.record.sanitize = dataclasses.replace(sanitized,
                                                  reused_from=found.get("prepared_at"))
    ctx.record.notes.append(
        f"--golive-reuse: staging was prepared at {found.get('prepared_at')} for backup "
        f"sha256 {str(found.get('backup_sha256'))[:16]}…, release {found.get('release')}, "
        f"bill run #{latest.id} of {found.get('bill_run_date')}; it was not restored, "
        "sanitized or billed again in this run")
    say("reusing prepared staging: " + ctx.record.notes[-1])
    _run(ctx, (("lockdown", lockdown.lockdown),), begin, done, say)
    kept = found.get("outbound")
    if ctx.sinks and isinstance(kept, dict):
        section = lockdown.replay(ctx, kept, found.get("prepared_at"), found.get("run_id"))
        replayed = section.replayed or Replayed(None, None)
        ctx.record.notes.append(
            f"--golive-reuse: what the sinks received during the preparation at "
            f"{found.get('prepared_at')} (run {found.get('run_id')}) is replayed as this run's "
            f"evidence of what the bill run sent: {replayed.mail} email(s), "
            f"{replayed.http} provisioning call(s), {replayed.payment} payment "
            "attempt(s); this run's sinks are live for anything the scenarios send")
    ctx.record.stages.sort(key=lambda s: _order(s.name))
    return Prepared(target=ctx.target, record=ctx.record, bill_run=latest,
                    started_at=ctx.started_at, reused=True, _ctx=ctx)


def _order(name: str) -> int:
    return STAGE_NAMES.index(name) if name in STAGE_NAMES else -1
