"""One golive run inside one pytest session, from start to verdict, in the order it happens.

1. **start** — the controller (the sole process, or the xdist controller)
   checks the run folder can be written (else exit 3, nothing written), takes
   the staging lock (`harness.staging_lock`: a second run on the same staging
   is refused, exit 3, naming the holder), creates the run record and writes
   every output at once as NO-GO / running, with ``latest`` pointing at this
   run, so a run killed at any moment leaves NO-GO everywhere.
2. **collected** — every scenario is known before anything runs, and what
   the selected ones need from the machine (workers write their collection
   for the controller, see `exchange`).
3. **prepare** — exactly once, after collection validated every feature
   (unknown tags and undefined steps stop the run before anything is restored
   or billed) and `preflight` found what the run needs (a browser, disk room,
   the sanitize salt; else a failed ``preflight`` stage and exit 3, or 2 for
   a configuration problem, before the first stage):
   without xdist when collection finishes, under xdist when the
   first worker's collection arrives (scheduling waits for that hook, so no
   scenario starts before preparation ended). Workers learn the outcome from
   ``prepared.json``.
4. **scenarios** — each finished scenario arrives here (controller) and is
   appended to the journal, not rewritten into ``run.json``: linear cost.
5. **finish** — stop what the run started (sinks, billing service, portal
   servers: `harness.started`, listed in ``record.stopped``), merge (anything
   never reported is NOT_RUN or INTERRUPTED), coverage, gate, reports, exit
   status: 0 GO, 1 NO-GO, 2 for collection errors and interrupts (SIGINT, and
   SIGTERM/SIGHUP through `signals`), 3 when preparation met an environment
   problem. Every record that is not GO says NO-GO. The staging lock is
   released when pytest unconfigures (after xdist stopped its workers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import EnvironmentProblem, GoliveError
from harness import pipeline, preflight, provenance, smoke
from harness.baseline.oracle import AccountOracle, open_oracle
from harness.checklists import Checklists
from harness.config import Profile
from harness.coverage import compute_coverage
from harness.gate import decide, exit_code
from harness.journal import Journal
from harness.pytest import signals
from harness.pytest.context import BillRunInfo, GoliveContext
from harness.pytest.events import Events
from harness.pytest.exchange import (
    PreparedState,
    clear_collections,
    read_collection,
    read_needs,
    read_prepared,
    write_collection,
    write_prepared,
)
from harness.pytest.options import GoliveOptions
from harness.record import (
    AccountCheck,
    Attachment,
    Outcome,
    RunRecord,
    RunStatus,
    ScenarioResult,
    StageResult,
    now,
)
from harness.reports import write_reports
from harness.reports.latest import foreign_latest
from harness.reports.verdict import verdict_line
from harness.sections import PreflightSection
from harness.signoff.acts import rules_of
from harness.staging_lock import StagingLock
from harness.started import LEDGER_FILE, Ledger, close_target, read_ledger, summary
from harness.targets.base import Target, TargetError
from harness.targets.loader import open_target
from harness.terminal import inert

__all__ = ["Run"]

_COMPLETE = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)


class Run:
    """The run as this process sees it; only the controller owns the record."""

    def __init__(self, options: GoliveOptions, profile: Profile, checklists: Checklists,
                 run_id: str, run_dir: Path, worker: str | None) -> None:
        self.options = options
        self.profile = profile
        self.checklists = checklists
        self.run_id = run_id
        self.run_dir = run_dir
        self.worker = worker
        self.controller = worker is None
        self.record: RunRecord | None = None
        self.events = Events(options.events if self.controller else None)
        self.journal = Journal(run_dir)
        self.ledger = Ledger(run_dir / LEDGER_FILE)  # every process notes what it started
        self.lock: StagingLock | None = None
        self.skeletons: list[ScenarioResult] = []
        self.needs: set[str] | None = None  # what the selected scenarios need (a browser)
        self.results: dict[str, ScenarioResult] = {}
        self.accounts: list[AccountCheck] = []
        self.collection_errors: list[str] = []
        self.line: str | None = None  # the verdict line, once finished
        self.notices: list[str] = []  # shown above the verdict line
        self.write_error: str | None = None  # the run folder could not be written (exit 3)
        self.exit_status: int | None = None
        self._state: PreparedState | None = None
        self._prepare_attempted = False
        self._prepare_exit: int | None = None  # preparation hit an environment/usage error
        self._prepared: pipeline.Prepared | None = None
        self._target: Target | None = None
        self._oracle: AccountOracle | None = None

    @property
    def run_json(self) -> Path:
        return self.run_dir / "run.json"

    # -- 1. start ------------------------------------------------------------------
    def start(self, collect_only: bool) -> None:
        if not self.controller or collect_only:
            return
        started_at = now().isoformat()
        if not (self.options.no_prepare or self.options.smoke):  # nothing touches staging
            self._lock(started_at)  # a refused run writes nothing, not even its folder
        try:  # nothing is written before we know it can be
            checked = preflight.reports(self.run_dir)
        except EnvironmentProblem as exc:
            pytest.exit(inert(f"golive: {exc.headline}: {exc.message}"), returncode=exc.exit_code)
        target = self.profile.target
        self.record = RunRecord(
            run_id=self.run_id,
            started_at=started_at,
            profile=str(self.options.profile),
            target=target.kind,
            release=target.release,
            bill_run_date=self.profile.bill_run.date.isoformat(),
            reused=self.options.reuse,
            mode="smoke" if self.options.smoke else "verify",
            provenance=provenance.collect(self.profile),
            shard=self.options.shard,
        )
        # the gate's and sign-off's rules travel with the record: the report names the
        # roles that must sign and the severities that block before anyone acts on the run
        self.record.signoff.rules = rules_of(self.profile)
        self.record.preflight = PreflightSection.from_dict(checked)
        # every output says NO-GO / running from now on, and latest shows this run
        write_reports(self.record, self.run_dir, self.profile.report.title,
                      self.run_dir.parent / "latest")
        if self.options.parent is not None:
            signals.watch_parent(self.options.parent)
        self.events.emit("start", run_id=self.run_id, run_dir=str(self.run_dir))

    def _lock(self, started_at: str) -> None:
        lock = StagingLock(self.profile.environments.staging.dsn)
        try:
            lock.acquire(self.run_id, started_at, str(self.options.profile))
        except GoliveError as exc:  # in use, or no lock folder: before any output exists
            text = f"golive: {exc.headline}: {exc.message}"
            self.events.emit("error", text=text, exit=exc.exit_code)
            pytest.exit(inert(text), returncode=exc.exit_code)
        self.lock = lock

    def release(self) -> None:
        """Release the staging lock (pytest_unconfigure: after xdist's workers ended)."""
        lock, self.lock = self.lock, None
        if lock is not None:
            lock.release()

    # -- 2. collected --------------------------------------------------------------
    def collected(self, scenarios: list[ScenarioResult], needs: set[str]) -> None:
        if self.controller:
            self.skeletons, self.needs = scenarios, needs
        elif self.worker is not None:
            write_collection(self.run_dir, self.worker, scenarios, needs)

    def collection_error(self, text: str) -> None:
        if self.controller:
            self.collection_errors.append(text)

    # -- 3. prepare ----------------------------------------------------------------
    def prepare_once(self, session: pytest.Session) -> None:
        if self._prepare_attempted or self.record is None:
            return
        self._prepare_attempted = True
        if session.testsfailed or self.collection_errors or session.config.option.collectonly:
            return  # nothing is restored or billed for a run that cannot verify
        self.record.scenarios = self.merged({})  # a run killed while preparing lists them too
        self.record.save(self.run_json)
        self._state = self._prepare(self.record)
        record = self.record
        state = self._state
        self._persist("prepared.json", lambda: write_prepared(self.run_dir, state))
        record.scenarios = self.merged({})  # a killed run still lists what was to run
        self._persist("run.json", lambda: record.save(self.run_json))

    def _prepare(self, record: RunRecord) -> PreparedState:
        if self.options.no_prepare:
            record.stages.append(StageResult(
                name="prepare", outcome=Outcome.SKIPPED, started_at=now().isoformat(),
                error="--golive-no-prepare: staging was not prepared; this run cannot be GO"))
            self.events.emit("stage", name="prepare", outcome="skipped")
            return PreparedState(ok=True, bill_run=BillRunInfo(None, self.profile.bill_run.date,
                                                                None))
        started = time.perf_counter()
        try:
            needs = self.needs if self.needs is not None else read_needs(self.run_dir)
            record.preflight = (record.preflight or PreflightSection()).updated(
                preflight.machine(self.profile, needs, staging=not self.options.smoke))
        except GoliveError as exc:  # before the first stage: staging is untouched
            self._prepare_exit = exc.exit_code
            record.stages.append(StageResult(
                name="preflight", outcome=Outcome.ERROR, started_at=now().isoformat(),
                duration=round(time.perf_counter() - started, 3), error=exc.message))
            self.events.emit("stage", name="preflight", outcome="error", error=exc.message)
            return PreparedState.failed(f"{exc.headline}: {exc.message}")
        try:
            if self.options.smoke:
                prepared = smoke.prepare_smoke(self.profile, record, on_stage=self._stage_done)
            else:
                prepared = pipeline.prepare(self.profile, record, reuse=self.options.reuse,
                                            progress=self._say, on_stage=self._stage_done,
                                            on_start=self._stage_started, ledger=self.ledger)
        except (GoliveError, TargetError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            code = getattr(exc, "exit_code", 1)
            if isinstance(exc, OSError) or code in (2, 3):  # environment, usage or safety
                self._prepare_exit = 3 if isinstance(exc, OSError) else code
            if all(s.outcome.ok for s in record.stages):
                record.stages.append(StageResult(
                    name="prepare", outcome=Outcome.ERROR, started_at=now().isoformat(),
                    duration=round(time.perf_counter() - started, 3), error=reason))
            self.events.emit("stage", name="prepare", outcome="error", error=reason)
            return PreparedState.failed(f"staging preparation failed: {reason}")
        # staging is ready; a stage skipped on purpose (sanitizing disabled) is for the gate
        self._prepared = prepared
        bill_run = prepared.bill_run
        info = BillRunInfo(
            id=bill_run.id if bill_run is not None else None,
            date=bill_run.run_date if bill_run is not None else self.profile.bill_run.date,
            started_at=prepared.started_at or (bill_run.started_at if bill_run else None),
        )
        return PreparedState(ok=True, bill_run=info,
                             outbound=record.outbound.present()
                             if record.outbound is not None else {})

    def _say(self, message: str) -> None:
        self.events.emit("message", text=message)

    def _stage_started(self, stage: StageResult) -> None:
        """Save the record with the stage begun (NOT_RUN, a start time): a kill now leaves
        on disk which stage was running, for ``golive run`` to mark it interrupted."""
        self.events.emit("stage_started", name=stage.name)
        if self.record is not None:
            self.record.save(self.run_json)

    def _stage_done(self, stage: StageResult) -> None:
        """After each stage: tell `golive run`, and save the record (a kill leaves it)."""
        self.events.emit("stage", name=stage.name, outcome=stage.outcome.value,
                         error=stage.error, duration=stage.duration)
        record = self.record
        if record is not None:
            self._persist("run.json", lambda: record.save(self.run_json))

    def _persist(self, what: str, write: Callable[[], None]) -> None:
        """Write ``what`` into the run folder. A disk that filled up or turned read-only
        after the preflight is remembered and ends the run with exit 3 and a sentence,
        never a traceback half-way (results are kept in memory meanwhile)."""
        try:
            write()
        except OSError as exc:
            if self.write_error is None:
                self.write_error = (f"cannot write {what} in {self.run_dir}: "
                                    f"{exc.strerror or exc}; free some space or make the "
                                    "folder writable")
                self.events.emit("message", text=self.write_error)

    def state(self) -> PreparedState:
        """What preparation left; a worker reads it from the run directory once."""
        if self._state is None and not self.controller:
            self._state = read_prepared(self.run_dir)
        return self._state or PreparedState.failed("staging was not prepared in this run")

    def target(self) -> Target:
        """The staging target: the pipeline's own in this process, else opened once."""
        if self._prepared is not None:
            return self._prepared.target
        if self._target is None:
            self._target = open_target(self.profile,
                                       "production" if self.options.smoke else "staging")
        return self._target

    def production(self) -> AccountOracle:
        """Production's values of single accounts beside staging's, opened once."""
        population = self.profile.population
        assert population is not None, "only offered when the profile has a population"
        if self._oracle is None:
            self._oracle = open_oracle(population, self.profile.state_dir,
                                       self.profile.target_dsn(), self.profile.bill_run.date)
        return self._oracle

    def context(self, nodeid: str, record_check: Callable[[AccountCheck], None],
                record_attachment: Callable[[Attachment], None] | None = None
                ) -> GoliveContext:
        state = self.state()
        return GoliveContext(profile=self.profile, checklists=self.checklists,
                             bill_run=state.bill_run, outbound=state.outbound,
                             open_target=self.target, record_check=record_check,
                             run_dir=self.run_dir, scenario=nodeid,
                             record_attachment=record_attachment,
                             open_production=(self.production if self.profile.population
                                              is not None else None))

    # -- 4. scenarios ----------------------------------------------------------------
    def scenario_finished(self, scenario: ScenarioResult, checks: list[AccountCheck]) -> None:
        if not self.controller or self.record is None:
            return
        self.results[scenario.nodeid] = scenario
        self.accounts.extend(checks)
        self._persist("the scenario journal", lambda: self.journal.append(scenario, checks))
        self.events.emit("scenario", nodeid=scenario.nodeid, name=scenario.name,
                         feature=scenario.feature, outcome=scenario.outcome.value,
                         error=scenario.error)

    # -- 5. finish ---------------------------------------------------------------------
    def merged(self, interrupted: dict[str, ScenarioResult]) -> list[ScenarioResult]:
        """Every collected scenario, with its result where one arrived."""
        if not self.skeletons:  # xdist: the workers' collection, read once
            self.skeletons = read_collection(self.run_dir)
        out: list[ScenarioResult] = []
        seen: set[str] = set()
        for skeleton in self.skeletons:
            seen.add(skeleton.nodeid)
            out.append(self.results.get(skeleton.nodeid)
                       or interrupted.get(skeleton.nodeid) or skeleton)
        out += [r for nodeid, r in self.results.items() if nodeid not in seen]
        return out

    def _status(self, session: pytest.Session, exitstatus: int) -> RunStatus:
        if self.collection_errors or signals.received():
            return RunStatus.INTERRUPTED  # a signal: whatever pytest made of it (xdist
            # may report workers that died of it as an internal error)
        if exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
            return RunStatus.INTERRUPTED
        if exitstatus in _COMPLETE:
            return RunStatus.COMPLETE
        return RunStatus.CRASHED

    def finish(self, session: pytest.Session, exitstatus: int,
               interrupted: dict[str, ScenarioResult]) -> None:
        """Close the record: merge, coverage, gate, reports, exit status."""
        record = self.record
        if record is None:
            return
        record.status = self._status(session, exitstatus)
        how = ("stopped at the end of the run" if record.status is RunStatus.COMPLETE
               else f"stopped after the run was {record.status.value}")
        self.stop_prepared(how)  # stops the sinks: what escaped is known only now
        self._close_target(how)
        record.stopped = summary(read_ledger(self.ledger.path))
        stopped_by = signals.received()
        if stopped_by:
            record.notes.append(f"stopped by {', '.join(dict.fromkeys(stopped_by))}: the run "
                                "did not finish; what it started was stopped")
        if self.collection_errors:
            record.notes.append(
                f"{len(self.collection_errors)} collection error(s): nothing was verified")
        record.scenarios = self.merged(interrupted)
        record.accounts = list(self.accounts)
        if record.status is not RunStatus.COMPLETE:
            for scenario in record.scenarios:
                if scenario.outcome is Outcome.NOT_RUN and not scenario.error:
                    scenario.error = f"not run: the run was {record.status.value}"
        record.finished_at = now().isoformat()
        compute_coverage(record, list(self.checklists.items),
                         dict(self.checklists.manual_results))
        gate = self.profile.gate
        if self.options.smoke:
            smoke.scope(record)
            smoke.decide_smoke(record, gate, dt.date.today())
        else:
            decide(record, gate, dt.date.today())
        code = exit_code(record, gate.go_with_waivers_passes_ci)
        clear_collections(self.run_dir)
        latest = self.run_dir.parent / "latest"
        paths: dict[str, Path] = {}

        def write() -> None:
            paths.update(write_reports(record, self.run_dir, self.profile.report.title, latest))

        self._persist("the reports", write)
        if paths and "latest" not in paths:  # a folder of the user's is named latest: left
            self.notices.append(foreign_latest(latest) or f"{latest}: not updated")
            self.events.emit("message", text=self.notices[-1])
        self._persist("the scenario journal",  # merged into run.json now
                      lambda: self.journal.close(remove=paths != {}))
        report = paths.get("signoff.html") or self.run_json
        self.line = verdict_line(record, _shown(report), len(self.collection_errors))
        if self.write_error is not None:  # the outputs are incomplete: never a pass
            gated = verdict_line(record, None, len(self.collection_errors))
            self.line = (f"golive: NO-GO — {self.write_error}; the gate said: "
                         f"{gated.removeprefix('golive: ')}")
            self.exit_status = EnvironmentProblem.exit_code
        elif self.collection_errors or stopped_by:  # xdist runs on after workers' collection
            self.exit_status = int(pytest.ExitCode.INTERRUPTED)  # errors; we do not
        elif exitstatus in _COMPLETE:
            self.exit_status = self._prepare_exit or code
        else:
            self.exit_status = exitstatus
        self.events.emit("verdict", verdict=record.verdict.value, exit=self.exit_status,
                         line=self.line, report=str(report), run_json=str(self.run_json),
                         collection_errors=len(self.collection_errors))

    def stop_prepared(self, how: str = pipeline.ENDED) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            prepared.close(how)

    def _close_target(self, how: str) -> None:
        oracle, self._oracle = self._oracle, None
        if oracle is not None:
            oracle.close()
        target, self._target = self._target, None
        if target is not None:
            close_target(target, self.ledger, how)

    def close(self) -> None:
        """Release what this process opened; idempotent."""
        how = ("stopped after the run was interrupted" if signals.received()
               else "stopped at the end of the run")
        self._close_target(how)
        self.stop_prepared(how)
        with contextlib.suppress(OSError):  # already reported by finish
            self.journal.close()
        self.events.close()


def _shown(path: Path) -> Path:
    """A report path as the user should type it: relative to the current directory."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
