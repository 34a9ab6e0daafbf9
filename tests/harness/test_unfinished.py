"""What ``golive run`` finishes after its pytest child ended without finishing the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.checklists import Checklists, load_checklists
from harness.config import Profile
from harness.journal import Journal
from harness.pipeline import prepare
from harness.record import Outcome, RunRecord, RunStatus, ScenarioResult, StageResult, now
from harness.staging_lock import StagingLock
from harness.started import BILLING_SERVICE, LEDGER_FILE, Ledger, read_ledger
from harness.targets.loader import open_target
from harness.unfinished import settle
from tests.harness.test_pipeline import new_record, write_profile

ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS = f"checklists:\n  dir: {ROOT / 'checklists'}\n"
OUTPUTS = ("run.json", "signoff.html", "junit.xml", "cucumber.json", "defects.csv")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "demo-home"))
    yield tmp_path


@pytest.fixture
def profile(root: Path) -> Profile:
    return write_profile(root, extra=CHECKLISTS)


@pytest.fixture
def checklists(profile: Profile) -> Checklists:
    return load_checklists(profile.checklists.dir)


def scenario(name: str, outcome: Outcome = Outcome.NOT_RUN) -> ScenarioResult:
    return ScenarioResult(nodeid=f"features/billrun.feature::{name}",
                          feature="features/billrun.feature", name=name, line=7,
                          tags=["CF-BILL-01"], checklist_ids=["CF-BILL-01"], outcome=outcome)


def running_record(run_dir: Path) -> RunRecord:
    """What pytest leaves on disk when killed during the restore after one scenario ran."""
    record = new_record()
    record.stages = [StageResult("backup", Outcome.PASSED, now().isoformat(), 0.4),
                     StageResult("restore", Outcome.NOT_RUN, now().isoformat())]
    record.scenarios = [scenario("first"), scenario("second")]
    record.save(run_dir / "run.json")
    journal = Journal(run_dir)
    journal.append(scenario("first", Outcome.PASSED), [])
    journal.close()
    return record


def test_a_record_left_running_is_closed_no_go_in_every_output(
        root: Path, profile: Profile, checklists: Checklists) -> None:
    run_dir = root / "reports" / "R1"
    record = running_record(run_dir)
    settled = settle(profile, checklists, record.run_id, run_dir,
                     "stopped by SIGTERM; pytest (pid 99) was killed")
    assert settled.finished_here and settled.record is not None
    closed = RunRecord.load(run_dir / "run.json")
    assert (closed.status, closed.verdict.value) == (RunStatus.INTERRUPTED, "NO-GO")
    assert closed.exit_status == 1 and closed.finished_at
    stages = {s.name: s for s in closed.stages}
    assert stages["restore"].outcome is Outcome.INTERRUPTED
    assert stages["restore"].error == "stopped by SIGTERM; pytest (pid 99) was killed"
    assert [(s.name, s.outcome) for s in closed.scenarios] == [
        ("first", Outcome.PASSED), ("second", Outcome.NOT_RUN)]  # what did run is kept
    assert closed.scenarios[1].error == "not run: the run was interrupted"
    assert any("golive run closed this record" in n for n in closed.notes)
    assert {g.name for g in closed.gate if not g.passed} >= {"run complete",
                                                             "stages finished"}
    for name in OUTPUTS:
        assert (run_dir / name).is_file(), name
    assert "RUN INTERRUPTED" in (run_dir / "signoff.html").read_text()
    assert (root / "reports" / "latest").resolve() == run_dir.resolve()


def test_a_record_pytest_finished_is_left_as_it_is(root: Path, profile: Profile,
                                                   checklists: Checklists) -> None:
    run_dir = root / "reports" / "R2"
    record = new_record()
    record.status = RunStatus.COMPLETE
    record.save(run_dir / "run.json")
    before = (run_dir / "run.json").read_text()
    settled = settle(profile, checklists, record.run_id, run_dir, None)
    assert not settled.finished_here and settled.stopped == []
    assert (run_dir / "run.json").read_text() == before
    assert not (run_dir / "signoff.html").exists()


def test_no_record_and_no_stop_writes_nothing(root: Path, profile: Profile,
                                              checklists: Checklists) -> None:
    """pytest refused to start (a configuration error, staging in use): no run exists."""
    run_dir = root / "reports" / "R3"
    assert settle(profile, checklists, "R3", run_dir, None).record is None
    assert not run_dir.exists()


def test_a_run_stopped_before_pytest_wrote_anything_is_still_no_go(
        root: Path, profile: Profile, checklists: Checklists) -> None:
    run_dir = root / "reports" / "R4"
    settled = settle(profile, checklists, "R4", run_dir, "stopped by SIGINT")
    assert settled.record is not None and settled.finished_here
    record = RunRecord.load(run_dir / "run.json")
    assert (record.run_id, record.status, record.verdict.value) == (
        "R4", RunStatus.INTERRUPTED, "NO-GO")
    assert all((run_dir / name).is_file() for name in OUTPUTS)


@pytest.mark.slow
def test_a_billing_service_left_running_is_stopped(root: Path, profile: Profile,
                                                   checklists: Checklists) -> None:
    prepare(profile, new_record()).close()
    target = open_target(profile)
    try:
        assert target.billing_service("start") == "running"  # as a killed bill run leaves it
    finally:
        target.close()
    run_dir = root / "reports" / "R5"
    running_record(run_dir)
    Ledger(run_dir / LEDGER_FILE).start("billing service of staging", stop_with=BILLING_SERVICE)

    # while another run holds staging, the service is that run's business: left alone
    other = StagingLock(profile.environments.staging.dsn)
    other.acquire("OTHER", now().isoformat(), "other/golive.yaml")
    try:
        settled = settle(profile, checklists, "R5", run_dir, "stopped by SIGTERM")
    finally:
        other.release()
    [left] = settled.stopped
    assert not left.ok and "left alone" in left.how and "run OTHER" in left.how
    target = open_target(profile)
    try:
        assert target.billing_service("status") == "running"
    finally:
        target.close()

    Ledger(run_dir / LEDGER_FILE).start("billing service of staging", stop_with=BILLING_SERVICE)
    settled = settle(profile, checklists, "R5", run_dir, "stopped by SIGTERM")
    [stopped] = settled.stopped
    assert stopped.ok and stopped.how == ("stopped by golive run after pytest ended "
                                          "without stopping it")
    target = open_target(profile)
    try:
        assert target.billing_service("status") == "stopped"
    finally:
        target.close()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["stopped"][-1]["how"] == stopped.how
    assert [e.stopped is not None for e in read_ledger(run_dir / LEDGER_FILE)] == [True]
