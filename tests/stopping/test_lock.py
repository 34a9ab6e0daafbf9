"""One run at a time per staging: a second ``golive run`` is refused (exit 3, naming the
holder) and the first ends unaffected; a lock whose holder was killed is taken over."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.stopping.project import golive_run, make_project, tagged_processes, wait_until

pytestmark = pytest.mark.slow


def test_a_second_run_on_the_same_staging_is_refused(project: Path, stop_base: Path,
                                                     lock_dir: Path, tmp_path: Path) -> None:
    first = golive_run(project, lock_dir)
    wait_until(first.waiting, 180, "the first run's features", first.proc)
    first_dir = first.run_dir()
    assert first_dir is not None
    # another project, another profile, the same staging database under another spelling
    other = make_project(tmp_path / "other", stop_base / "shared",
                         staging=project / "." / "staging.db")
    second = golive_run(other, lock_dir)
    code = second.wait(120)
    output = second.text()
    assert code == 3, output
    assert f"is in use by run {first_dir.name}" in output, output
    assert "Traceback" not in output, output
    assert not (other / "reports").exists() or not any((other / "reports").iterdir())
    assert (project / "reports" / "latest").resolve() == first_dir.resolve()

    first.release()  # the first run goes on as if nothing happened
    assert first.wait() == 1, first.text()  # NO-GO only for the items it does not cover
    record = json.loads((first_dir / "run.json").read_text())
    assert record["status"] == "complete"
    assert {s["outcome"] for s in record["scenarios"]} == {"passed"}, record["scenarios"]
    assert all(s["outcome"] in ("passed", "skipped") for s in record["stages"])
    assert (project / "reports" / "latest").resolve() == first_dir.resolve()
    assert not list(lock_dir.glob("*.lock")) or all(
        p.read_text() == "" for p in lock_dir.glob("*.lock"))  # released: no holder named


def test_the_lock_of_a_killed_run_is_taken_over(project: Path, lock_dir: Path) -> None:
    first = golive_run(project, lock_dir)
    wait_until(first.waiting, 180, "the first run's features", first.proc)
    run_dir = first.run_dir()
    assert run_dir is not None
    notes = [json.loads(p.read_text()) for p in lock_dir.glob("staging-*.lock")]
    assert len(notes) == 1 and notes[0]["run_id"] == run_dir.name
    os.killpg(notes[0]["pid"], signal.SIGKILL)  # pytest and its group, no chance to clean up
    first.wait()
    wait_until(lambda: not tagged_processes(first.tag), 30, "the killed run's processes to end")

    second = golive_run(project, lock_dir, pytest_args=("-k", "bill_run_completed"))
    assert second.wait() == 1, second.text()
    assert "in use" not in second.text()
