"""One golive run per pytest session: record, prepare once, gate and report at the end.

Only the controller (the sole process, or the xdist controller) owns the run
record. It creates it at session start and saves it at once as NO-GO/running,
so a killed run leaves a NO-GO record behind. It prepares staging exactly once,
after collection validated every feature (unknown tags and undefined steps stop
the run before anything is restored or billed): without xdist when collection
finishes, under xdist when the first worker's collection arrives — scheduling
waits for that hook, so no scenario starts before preparation ended. Workers
learn the outcome from ``prepared.json`` in the run directory. At the end it
merges the recorded scenarios (anything never reported is NOT_RUN or
INTERRUPTED), computes coverage, applies the gate, writes the reports and sets
the exit status: 0 GO, 1 NO-GO, 2 for collection errors and interrupts (pytest's
own), 3 when preparation met an environment problem (staging unreachable) —
every record that is not GO says NO-GO.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest

from common.errors import GoliveError
from harness.checklists import Checklists
from harness.config import Profile
from harness.context import BillRunInfo, GoliveContext
from harness.coverage import compute_coverage
from harness.gate import decide, exit_code
from harness.plugin_collect import template_of
from harness.plugin_options import GoliveOptions
from harness.plugin_record import (
    RecordPlugin,
    add_account_check,
    mark_not_prepared,
    scenario_from_json,
    scenario_to_json,
)
from harness.record import (
    AccountCheck,
    Coverage,
    Outcome,
    RunRecord,
    RunStatus,
    ScenarioResult,
    StageResult,
    Verdict,
    now,
)
from harness.reports import write_reports
from harness.targets.base import Target, TargetError
from harness.targets.loader import open_target

PREPARED_FILE = "prepared.json"
COLLECTED_PREFIX = "collected-"
_COMPLETE = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_line(record: RunRecord, report: Path | None, collection_errors: int = 0) -> str:
    """``golive: NO-GO — 2 critical items failed: CF-BILL-02, CF-LOG-01; report: …``."""
    reasons: list[str] = []
    if collection_errors:
        reasons.append(f"{_plural(collection_errors, 'collection error')}, nothing was verified")
    elif record.status is not RunStatus.COMPLETE:
        reasons.append(f"the run was {record.status.value}")
    stages = next((g for g in record.gate if g.name == "stages finished"), None)
    if stages is not None and not stages.passed and not stages.waived:
        # the root cause first: when preparation failed, the items could not be verified
        reasons.append(f"{stages.name}: {stages.detail}")
        failed = next((s for s in record.stages if s.error), None)
        if failed is not None and failed.error:
            reasons.append(f"{failed.name}: {failed.error.splitlines()[0]}")
    critical = [c for c in record.checklist if c.critical]
    for coverage, words in ((Coverage.FAILED, "failed"), (Coverage.MANUAL_FAIL, "failed"),
                            (Coverage.NOT_VERIFIED, "not verified"),
                            (Coverage.UNCOVERED, "uncovered")):
        ids = [c.item_id for c in critical if c.coverage is coverage]
        if ids and not collection_errors:
            reasons.append(f"{_plural(len(ids), 'critical item')} {words}: {', '.join(ids)}")
    skip = {"run complete", "critical items verified", "scenarios ran", "stages finished"}
    for rule in record.gate:
        if rule.passed or rule.waived or rule.name in skip or collection_errors:
            continue
        if rule.name.startswith("no open") and len(reasons) > 0:
            continue
        reasons.append(f"{rule.name}: {rule.detail}")
    line = f"golive: {record.verdict.value}"
    if reasons:
        line += " — " + "; ".join(reasons)
    if report is not None:
        line += f"; report: {report}"
    return line


class SessionPlugin:
    """Registered in every process while golive is active; the controller does the run."""

    def __init__(
        self,
        config: pytest.Config,
        options: GoliveOptions,
        profile: Profile,
        checklists: Checklists,
        run_id: str,
        run_dir: Path,
    ) -> None:
        self.config = config
        self.options = options
        self.profile = profile
        self.checklists = checklists
        self.run_id = run_id
        self.run_dir = run_dir
        self.worker: str | None = getattr(config, "workerinput", {}).get("workerid")
        self.controller = self.worker is None
        self.record: RunRecord | None = None
        self.prepared_state: dict[str, Any] | None = None
        self.prepare_attempted = False
        self.skeletons: list[ScenarioResult] = []
        self.results: dict[str, ScenarioResult] = {}
        self.accounts: list[AccountCheck] = []
        self.collection_errors: list[str] = []
        self.line: str | None = None
        self._target: Target | None = None
        self._prepared_handle: Any = None
        self.interrupted_results: dict[str, ScenarioResult] = {}
        self.session: pytest.Session | None = None
        self.prepare_exit: int | None = None  # preparation hit an environment/usage error
        self.recorder: RecordPlugin | None = None  # set by harness.plugin

    # -- helpers -------------------------------------------------------------
    @property
    def run_json(self) -> Path:
        return self.run_dir / "run.json"

    def emit(self, event: str, **data: Any) -> None:
        """One progress event for `golive run` (JSON lines), when asked for."""
        if self.options.events is None or not self.controller:
            return
        self.options.events.parent.mkdir(parents=True, exist_ok=True)
        with self.options.events.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"event": event, **data}, default=str) + "\n")

    def save(self) -> None:
        if self.record is not None:
            self.record.scenarios = self.merged()
            self.record.accounts = list(self.accounts)
            self.record.save(self.run_json)

    def open_target(self) -> Target:
        """The staging target: the pipeline's own in this process, else opened once."""
        prepared: Target | None = getattr(self._prepared_handle, "target", None)
        if prepared is not None:
            return prepared
        if self._target is None:
            self._target = open_target(self.profile)
        return self._target

    # -- session start ---------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        if not self.controller or self.config.option.collectonly:
            return
        target = self.profile.target
        self.record = RunRecord(
            run_id=self.run_id,
            started_at=now().isoformat(),
            profile=str(self.options.profile),
            target=str(target.kind),
            release=getattr(target, "release", None),
            bill_run_date=self.profile.bill_run.date.isoformat(),
            reused=self.options.reuse,
        )
        self.record.save(self.run_json)
        self.emit("start", run_id=self.run_id, run_dir=str(self.run_dir))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["golive_run_id"] = self.run_id
        node.workerinput["golive_run_dir"] = str(self.run_dir)

    # -- collection and preparation -------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and self.controller:
            self.collection_errors.append(report.longreprtext or report.nodeid)

    def collected(self, scenarios: list[ScenarioResult]) -> None:
        """From the recorder: the scenarios this process collected (workers: to a file)."""
        if self.controller:
            self.skeletons = scenarios
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / f"{COLLECTED_PREFIX}{self.worker}.json"
        path.write_text(json.dumps([scenario_to_json(s) for s in scenarios]), encoding="utf-8")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.controller:
            self.prepare_once(session)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """xdist: a worker collected; scheduling waits until this returns."""
        if self.session is not None:
            self.prepare_once(self.session)

    def prepare_once(self, session: pytest.Session) -> None:
        if self.prepare_attempted or self.record is None:
            return
        self.prepare_attempted = True
        if session.testsfailed or self.collection_errors or self.config.option.collectonly:
            return  # nothing is restored or billed for a run that cannot verify
        self.prepared_state = self._prepare(self.record)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / PREPARED_FILE).write_text(json.dumps(self.prepared_state), encoding="utf-8")
        self.save()

    def _prepare(self, record: RunRecord) -> dict[str, Any]:
        date = self.profile.bill_run.date
        if self.options.no_prepare:
            record.stages.append(StageResult(
                name="prepare", outcome=Outcome.SKIPPED, started_at=now().isoformat(),
                error="--golive-no-prepare: staging was not prepared; this run cannot be GO"))
            self.emit("stage", name="prepare", outcome="skipped")
            return {"ok": True, "bill_run": BillRunInfo(None, date, None).to_dict()}
        from harness import pipeline  # imported late: a no-prepare run never needs it

        started = time.perf_counter()
        hooks = pipeline.PipelineHooks(after_stage=self._stage_done)
        try:
            prepared = pipeline.prepare(
                self.profile, record, reuse=self.options.reuse, progress=self._say, hooks=hooks
            )
        except (GoliveError, TargetError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            code = getattr(exc, "exit_code", 1)
            if isinstance(exc, OSError) or code in (2, 3):  # environment, usage or safety
                self.prepare_exit = 3 if isinstance(exc, OSError) else code
            if not any(not s.outcome.ok for s in record.stages):
                record.stages.append(StageResult(
                    name="prepare", outcome=Outcome.ERROR, started_at=now().isoformat(),
                    duration=round(time.perf_counter() - started, 3), error=reason))
            self.emit("stage", name="prepare", outcome="error", error=reason)
            return {"ok": False, "reason": f"staging preparation failed: {reason}"}
        # prepare() returned: staging is ready. A stage it skipped on purpose (sanitize
        # disabled) is for the gate to judge; it does not stop the scenarios.
        self._prepared_handle = prepared
        bill_run = getattr(prepared, "bill_run", None)
        info = BillRunInfo(
            id=getattr(bill_run, "id", None),
            date=getattr(bill_run, "run_date", None) or date,
            started_at=getattr(prepared, "started_at", None)
            or getattr(bill_run, "started_at", None),
        )
        # what the sinks caught in the bill run (lock-down wrote it), for steps; workers
        # read it from prepared.json
        outbound = dict(record.extras.get("outbound") or {})
        return {"ok": True, "bill_run": info.to_dict(), "outbound": outbound}

    def _say(self, message: str) -> None:
        self.emit("message", text=message)

    def _stage_done(self, stage: StageResult) -> None:
        """After each stage: tell `golive run`, and save the record (a kill leaves it)."""
        self.emit("stage", name=stage.name, outcome=stage.outcome.value, error=stage.error,
                  duration=stage.duration)
        if self.record is not None:
            self.record.save(self.run_json)

    def prepared(self) -> dict[str, Any]:
        """What preparation left; a worker reads it from the run directory."""
        if self.prepared_state is None and not self.controller:
            path = self.run_dir / PREPARED_FILE
            if path.is_file():
                self.prepared_state = json.loads(path.read_text(encoding="utf-8"))
        if self.prepared_state is None:
            return {"ok": False, "reason": "staging was not prepared in this run"}
        return self.prepared_state

    # -- running ---------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if template_of(item) is None:
            return
        state = self.prepared()
        if not state.get("ok"):
            reason = f"golive: not run: {state.get('reason')}"
            mark_not_prepared(item, reason)
            pytest.skip(reason)

    @pytest.fixture
    def golive(self, request: pytest.FixtureRequest) -> GoliveContext:
        """The run as steps see it (see harness.context)."""
        item = request.node
        bill_run = BillRunInfo.from_dict(self.prepared().get("bill_run") or {})
        return GoliveContext(
            profile=self.profile,
            checklists=self.checklists,
            bill_run=bill_run,
            outbound=self.prepared().get("outbound") or {},
            open_target=self.open_target,
            record_check=lambda check: add_account_check(item, check),
            scenario=item.nodeid,
        )

    def result(self, scenario: ScenarioResult, checks: list[AccountCheck]) -> None:
        """From the recorder: one finished scenario (controller only)."""
        if not self.controller or self.record is None:
            return
        self.results[scenario.nodeid] = scenario
        self.accounts.extend(checks)
        self.emit("scenario", nodeid=scenario.nodeid, name=scenario.name,
                  feature=scenario.feature, outcome=scenario.outcome.value, error=scenario.error)
        self.save()

    # -- the end -------------------------------------------------------------------
    def merged(self) -> list[ScenarioResult]:
        if not self.skeletons:  # xdist: the workers' collection, read once
            self.skeletons = self._worker_skeletons()
        skeletons = self.skeletons
        out: list[ScenarioResult] = []
        seen: set[str] = set()
        for skeleton in skeletons:
            seen.add(skeleton.nodeid)
            out.append(self.results.get(skeleton.nodeid)
                       or self.interrupted_results.get(skeleton.nodeid) or skeleton)
        out += [r for nodeid, r in self.results.items() if nodeid not in seen]
        return out

    def _worker_skeletons(self) -> list[ScenarioResult]:
        for path in sorted(self.run_dir.glob(f"{COLLECTED_PREFIX}*.json")):
            return [scenario_from_json(t) for t in json.loads(path.read_text("utf-8"))]
        return []

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            if self.controller and self.record is not None:
                self.finish(session, int(exitstatus))
        finally:
            self.close()

    def close(self) -> None:
        target, self._target = self._target, None
        if target is not None:
            target.close()
        handle, self._prepared_handle = self._prepared_handle, None
        if handle is not None:
            handle.close()

    def _status(self, session: pytest.Session, exitstatus: int) -> RunStatus:
        if self.collection_errors:
            return RunStatus.INTERRUPTED
        if exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
            return RunStatus.INTERRUPTED
        if exitstatus in _COMPLETE:
            return RunStatus.COMPLETE
        return RunStatus.CRASHED

    def finish(self, session: pytest.Session, exitstatus: int) -> None:
        """Close the record: merge, coverage, gate, reports, exit status."""
        record = self.record
        assert record is not None
        handle, self._prepared_handle = self._prepared_handle, None
        if handle is not None:
            handle.close()  # stops sinks: what escaped is known only now
        if self.recorder is not None:
            self.interrupted_results = self.recorder.interrupted()
        record.status = self._status(session, exitstatus)
        if self.collection_errors:
            record.notes.append(
                f"{len(self.collection_errors)} collection error(s): nothing was verified")
        record.scenarios = self.merged()
        record.accounts = list(self.accounts)
        if record.status is not RunStatus.COMPLETE:
            for scenario in record.scenarios:
                if scenario.outcome is Outcome.NOT_RUN and not scenario.error:
                    scenario.error = f"not run: the run was {record.status.value}"
        record.finished_at = now().isoformat()
        compute_coverage(record, list(self.checklists.items), dict(self.checklists.manual_results))
        gate = self.profile.gate
        decide(record, gate, dt.date.today())
        code = exit_code(record, gate.go_with_waivers_passes_ci)
        record.save(self.run_json)
        for path in self.run_dir.glob(f"{COLLECTED_PREFIX}*.json"):
            path.unlink()  # workers' collections: merged into the record now
        paths = write_reports(record, self.run_dir, self.profile.report.title,
                              self.run_dir.parent / "latest")
        report = paths.get("signoff.html") or self.run_json
        self.line = verdict_line(record, _shown(report), len(self.collection_errors))
        if self.collection_errors:  # xdist runs on after workers' collection errors; we do not
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif exitstatus in _COMPLETE:
            session.exitstatus = self.prepare_exit or code
        self.emit("verdict", verdict=record.verdict.value, exit=int(session.exitstatus),
                  line=self.line, report=str(report), run_json=str(self.run_json))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.line is not None:
            go = self.record is not None and self.record.verdict is Verdict.GO
            markup = {"green": True} if go else {"red": True}
            terminalreporter.write_sep("=", "golive", **markup)
            terminalreporter.write_line(self.line, bold=True)


def _shown(path: Path) -> Path:
    """A report path as the user should type it: relative to the current directory."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
