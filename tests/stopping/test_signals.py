"""A stopped run is NO-GO everywhere and leaves nothing running (real processes, real signals).

``golive run`` is started as a subprocess in a process group of its own, on a
20-account demo project, and stopped the ways a person, ``timeout``, a CI
cancel or systemd stop it: SIGTERM to its pid, SIGTERM to its process group,
SIGINT (Ctrl-C) to its pid — during preparation (while the billing service
runs the bill run) and during the features (while a scenario runs). Then every
output of the run must say NO-GO / interrupted, ``reports/latest`` must show
this run, and nothing golive started may still run.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.stopping.project import (
    Run,
    assert_no_go_everywhere,
    assert_nothing_running,
    golive_run,
    make_project,
    plain_pytest,
    tagged_processes,
    wait_until,
)

pytestmark = pytest.mark.slow

WAY = {  # how the run is stopped: (signal, to the whole process group)
    "sigterm-pid": (signal.SIGTERM, False),
    "sigterm-group": (signal.SIGTERM, True),
    "sigint-pid": (signal.SIGINT, False),
}


def _during_bill_run(run: Run) -> None:
    wait_until(lambda: run.stage_running("bill_run") and run.billing_service_running(), 180,
               "the bill run, with the billing service running", run.proc)


def _during_features(run: Run) -> None:
    wait_until(run.waiting, 180, "a scenario to be running", run.proc)


def _twice(run: Run) -> None:
    """Two SIGTERMs; the second once golive has taken the first (two signals sent at once
    may arrive as one: POSIX does not queue them)."""
    run.signal(signal.SIGTERM)
    wait_until(lambda: "received SIGTERM" in run.text(), 60, "golive to take the signal",
               run.proc)
    run.signal(signal.SIGTERM)


def _finished(run: Run, signum: int) -> tuple[Path, dict[str, Any]]:
    code = run.wait()
    output = run.text()
    assert code == 128 + signum, output
    assert "Traceback" not in output, output
    run_dir = run.run_dir()
    assert run_dir is not None, output
    record = assert_no_go_everywhere(run_dir, run.project / "reports" / "latest")
    assert_nothing_running(run, run_dir)
    return run_dir, record


@pytest.mark.parametrize("way", sorted(WAY))
def test_a_signal_during_the_bill_run_stops_everything(project: Path, lock_dir: Path,
                                                       way: str) -> None:
    signum, group = WAY[way]
    run = golive_run(project, lock_dir)
    _during_bill_run(run)
    run.signal(signum, group)
    _, record = _finished(run, signum)
    stages = {s["name"]: s["outcome"] for s in record["stages"]}
    assert "interrupted" in stages.values(), stages
    assert stages.get("outbound_check") in (None, "not_run"), stages
    stopped = {s["what"].rsplit(" ", 1)[0]: s for s in record["stopped"]}
    assert {"SMTP sink", "HTTP sink", "payment sandbox"} <= set(stopped), stopped
    service = next(s for what, s in stopped.items() if what.startswith("billing service"))
    assert service["ok"] and service["how"].startswith("stopped"), service
    assert f"received {signal.Signals(signum).name}" in run.text()
    assert "golive stopped what it started: " in run.text()


@pytest.mark.parametrize("way", sorted(WAY))
def test_a_signal_during_the_features_stops_everything(project: Path, lock_dir: Path,
                                                       way: str) -> None:
    signum, group = WAY[way]
    run = golive_run(project, lock_dir)
    _during_features(run)
    run.signal(signum, group)
    _, record = _finished(run, signum)
    scenarios = {s["name"]: s["outcome"] for s in record["scenarios"]}
    assert scenarios["golive's test waits here"] == "interrupted", scenarios
    # every stage passed, but those this profile turns off (sanitize; no population to
    # compare with production: baseline, compare)
    assert all(s["outcome"] == "passed" for s in record["stages"]
               if s["name"] not in ("sanitize", "baseline", "compare")), record["stages"]
    # pytest itself closed the record (the orderly path), golive run did not have to
    assert not any("golive run closed this record" in n
                   for n in record["notes"]), record["notes"]
    assert any(n.startswith("stopped by SIG") for n in record["notes"]), record["notes"]


def test_xdist_workers_stop_and_the_controller_finishes_the_record(project: Path,
                                                                   lock_dir: Path) -> None:
    run = golive_run(project, lock_dir, "-n", "2")
    _during_features(run)
    run.signal(signal.SIGTERM)
    _, record = _finished(run, signal.SIGTERM)
    assert not any("golive run closed this record" in n
                   for n in record["notes"]), record["notes"]


def test_a_second_signal_stops_at_once_and_still_leaves_no_go(project: Path,
                                                              lock_dir: Path) -> None:
    run = golive_run(project, lock_dir, "--stop-grace", "300", stubborn=True)
    _during_features(run)
    _twice(run)
    _, record = _finished(run, signal.SIGTERM)
    notes = " ".join(record["notes"])
    assert "was killed" in notes and "golive run closed this record" in notes, notes
    scenarios = {s["name"]: s for s in record["scenarios"]}
    assert scenarios["The staging bill run completed for the profile's date"]["outcome"] == \
        "passed"  # what finished before the kill keeps its result (from the journal)
    assert scenarios["golive's test waits here"]["outcome"] == "not_run"


def test_a_run_that_does_not_stop_within_its_grace_is_killed(project: Path,
                                                             lock_dir: Path) -> None:
    run = golive_run(project, lock_dir, "--stop-grace", "2", stubborn=True)
    _during_features(run)
    run.signal(signal.SIGTERM)
    _, record = _finished(run, signal.SIGTERM)
    assert any("was killed" in n for n in record["notes"]), record["notes"]


def test_pytest_killed_in_the_bill_run_leaves_no_billing_service(project: Path,
                                                                 lock_dir: Path) -> None:
    """pytest dies without a word (the OOM killer): golive run stops the billing service
    the bill run had started, and closes the record as crashed."""
    run = golive_run(project, lock_dir)
    _during_bill_run(run)
    [note] = [json.loads(p.read_text()) for p in lock_dir.glob("staging-*.lock")]
    os.killpg(note["pid"], signal.SIGKILL)  # pytest's session: it and any worker
    code = run.wait()
    assert code == 3, run.text()  # pytest killed from outside: an environment error
    run_dir = run.run_dir()
    assert run_dir is not None
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["verdict"]) == ("crashed", "NO-GO")
    service = next(s for s in record["stopped"] if s["what"].startswith("billing service"))
    assert service["ok"], service
    assert service["how"] == "stopped by golive run after pytest ended without stopping it"
    assert_nothing_running(run, run_dir)
    assert "golive stopped what it started" in run.text()


def test_plain_pytest_ends_interrupted_on_sigterm(project: Path, lock_dir: Path) -> None:
    run = plain_pytest(project, lock_dir)
    _during_features(run)
    run.signal(signal.SIGTERM)
    code = run.wait()
    assert code == pytest.ExitCode.INTERRUPTED, run.text()
    run_dir = run.run_dir()
    assert run_dir is not None, run.text()
    record = assert_no_go_everywhere(run_dir, project / "reports" / "latest")
    assert_nothing_running(run, run_dir)
    assert any("stopped by SIGTERM" in n for n in record["notes"]), record["notes"]


def test_latest_shows_a_run_from_its_start(project: Path, lock_dir: Path) -> None:
    """Killed outright (no chance to clean up), the run still left NO-GO in every output."""
    run = golive_run(project, lock_dir)
    _during_features(run)
    run_dir = run.run_dir()
    assert run_dir is not None
    latest = project / "reports" / "latest"
    assert latest.resolve() == run_dir.resolve()
    for name in ("run.json", "signoff.html", "junit.xml", "cucumber.json", "defects.csv"):
        assert (latest / name).is_file(), name
    record = json.loads((latest / "run.json").read_text())
    assert (record["status"], record["verdict"]) == ("running", "NO-GO")
    assert "NO-GO" in (latest / "signoff.html").read_text()
    run.signal(signal.SIGKILL, group=True)
    run.wait()
    # the pytest child, in its own session, sees golive gone and stops itself
    wait_until(lambda: json.loads((run_dir / "run.json").read_text())["status"] != "running",
               60, "pytest to notice golive is gone and close the record")
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["verdict"]) == ("interrupted", "NO-GO")
    assert_nothing_running(run, run_dir)


@pytest.mark.browser
def test_a_second_signal_in_the_portal_leaves_no_browser(stop_base: Path, tmp_path: Path,
                                                         lock_dir: Path) -> None:
    """Killed with its whole group while Chromium (its own process group) is open."""
    project = make_project(tmp_path / "project", stop_base / "shared", portal=True)
    run = golive_run(project, lock_dir, "--stop-grace", "300", stubborn=True)
    _during_features(run)
    assert any("chrom" in p for p in tagged_processes(run.tag)), tagged_processes(run.tag)
    _twice(run)
    _, record = _finished(run, signal.SIGTERM)  # no Chromium among what is left
    assert any("golive run closed this record" in n
               for n in record["notes"]), record["notes"]
