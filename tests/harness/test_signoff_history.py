"""History: each run against the previous run of its profile, and `golive history`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from harness.record import Outcome, RunRecord, Verdict
from harness.signoff import history
from harness.signoff.history import runs_of
from harness.signoff.show import history_table
from harness.signoff.summary_cache import CACHE_FILE
from tests.harness.signoff_project import golive, make_run, write_profile

FIRST, SECOND, THIRD = ("20261101T100000Z-0001", "20261102T100000Z-0002",
                        "20261103T100000Z-0003")


def three_runs(root: Path) -> list[Path]:
    """Run 1: payments and usage report fail. Run 2: payments fixed, usage still failing,
    tickets newly failing. Run 3 belongs to another profile and must not count."""
    write_profile(root)
    first = make_run(root, FIRST, {"card payment": Outcome.FAILED,
                                   "usage report": Outcome.FAILED},
                     started="2026-11-01T10:00:00+00:00")
    second = make_run(root, SECOND, {"usage report": Outcome.FAILED,
                                     "open a ticket": Outcome.ERROR},
                      started="2026-11-02T10:00:00+00:00")
    return [first, second]


def test_a_run_is_compared_with_the_previous_run_of_its_profile(tmp_path: Path) -> None:
    first, second = three_runs(tmp_path)
    history = RunRecord.load(second / "run.json").history
    assert history is not None and history.previous_run == FIRST
    assert [c.item_id for c in history.new_failures] == ["CF-TIX-01"]
    assert [c.item_id for c in history.fixed] == ["CF-PAY-01"]
    assert [c.item_id for c in history.still_failing] == ["CF-RPT-01", "CF-DOCS-01"]
    first_history = RunRecord.load(first / "run.json").history
    assert first_history is not None and first_history.previous_run is None
    page = (second / "signoff.html").read_text()
    rows = re.findall(r'data-change="([^"]+)"><td>.*?<code>([^<]+)</code>', page)
    assert rows == [("new failure", "CF-TIX-01"), ("fixed", "CF-PAY-01"),
                    ("still failing", "CF-RPT-01"), ("still failing", "CF-DOCS-01")]


def test_runs_of_another_profile_or_mode_are_not_compared(tmp_path: Path) -> None:
    three_runs(tmp_path)
    other = make_run(tmp_path, THIRD, started="2026-11-03T10:00:00+00:00")
    data = RunRecord.load(other / "run.json")
    data.profile = str(tmp_path / "elsewhere" / "golive.yaml")
    data.history = None
    data.save(other / "run.json")
    assert [r.run_id for r in runs_of(tmp_path / "reports", str(tmp_path / "golive.yaml"))] == [
        FIRST, SECOND]
    smoke = make_run(tmp_path, "20261104T100000Z-0004", started="2026-11-04T10:00:00+00:00")
    record = RunRecord.load(smoke / "run.json")
    record.mode = "smoke"
    from harness.signoff.history import compare_with_previous

    assert compare_with_previous(record, tmp_path / "reports").previous_run is None


def test_golive_history_lists_the_last_runs_in_80_columns(tmp_path: Path) -> None:
    three_runs(tmp_path)
    result = golive(tmp_path, "history", "--last", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    rows = [line for line in lines if line.strip().startswith("2026")]
    assert [r.split()[0] for r in rows] == [SECOND, FIRST]  # newest first
    assert "+1 -1" in rows[0] and "first" in rows[1]
    assert "NO-GO" in rows[0]


def test_the_history_table_wraps_instead_of_cutting(tmp_path: Path) -> None:
    three_runs(tmp_path)
    runs = runs_of(tmp_path / "reports")
    console = Console(width=60, record=True)
    console.print(history_table(runs, 5, 60))
    text = console.export_text()
    assert all(len(line) <= 60 for line in text.splitlines())
    assert FIRST in text and SECOND in text


def test_each_run_json_is_read_once_per_version_of_it(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The history of a run reads the summaries kept beside the runs, not every earlier
    run.json again (a project's runs would cost more the more runs it had)."""
    three_runs(tmp_path)
    reports = tmp_path / "reports"
    first = runs_of(reports)
    assert (reports / CACHE_FILE).is_file()

    def no_parsing(_data: object) -> object:
        raise AssertionError("a run.json was read again although it did not change")

    with monkeypatch.context() as patched:
        patched.setattr(history, "_summary", no_parsing)
        assert runs_of(reports) == first


def test_a_run_json_written_again_is_read_again(tmp_path: Path) -> None:
    first, _second = three_runs(tmp_path)
    reports = tmp_path / "reports"
    assert [r.verdict for r in runs_of(reports)] == ["NO-GO", "NO-GO"]
    record = RunRecord.load(first / "run.json")
    record.verdict = Verdict.GO  # e.g. a sign-off act rewrote it
    record.save(first / "run.json")
    assert [r.verdict for r in runs_of(reports)] == ["GO", "NO-GO"]
    shutil.rmtree(first)  # a run folder removed is gone from the history (and the cache)
    assert [r.run_id for r in runs_of(reports)] == [SECOND]
    assert FIRST not in (reports / CACHE_FILE).read_text()


@pytest.mark.parametrize("damage", ["{not json", '{"version": 1, "runs": []}',
                                    '{"version": 1, "runs": {"x": {"stamp": 1}}}', "[]"])
def test_a_damaged_summary_cache_is_ignored(tmp_path: Path, damage: str) -> None:
    three_runs(tmp_path)
    reports = tmp_path / "reports"
    want = runs_of(reports)
    (reports / CACHE_FILE).write_text(damage)
    assert runs_of(reports) == want
    # a cached summary that does not fit is read from its run.json again
    cache = json.loads((reports / CACHE_FILE).read_text())
    for entry in cache["runs"].values():
        if entry["summary"] is not None:
            entry["summary"] = {"run_id": 3}
    (reports / CACHE_FILE).write_text(json.dumps(cache))
    assert runs_of(reports) == want
