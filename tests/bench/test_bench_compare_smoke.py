"""The compare benchmark's machinery at a small size: data with planted differences, the
baseline, every leg, its answer checked, the report. No timing asserts: this proves each
leg is judged on finding what was planted, and that a wrong answer is a FAIL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_compare as bench
from bench import compare_legs as legs
from tests.pg import PgServer

pytestmark = pytest.mark.postgres

ROWS = 20_000


def _reladiff() -> Path | None:
    """The benchmark's own reladiff when it has been installed; else its leg is left out
    here (the benchmark itself always installs it)."""
    exe = bench.DEFAULT_VENV / "bin" / "reladiff"
    return exe if exe.exists() else None


def test_every_leg_finds_what_was_planted(pg_server: PgServer, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    exe = _reladiff()
    outcome = bench.run_size(pg_server, ROWS, exe, tmp_path)
    names = [r.name for r in outcome.results]
    assert names == ["golive", *(["reladiff"] if exe else []), "SQL join (one db)"]
    for result in outcome.results:
        assert result.error is None, result
        assert result.rows == ROWS and result.seconds > 0
    golive = outcome.leg("golive")
    assert golive is not None and golive.peak_rss is not None and golive.peak_rss > 0
    assert golive.found.startswith("70 beyond tolerance (60 changed, 5 missing, 5 extra)")
    assert "two-phase" in golive.found
    bench.report([outcome])
    said = capsys.readouterr().out
    assert "golive rows/s" in said and "not judged" in said


def test_a_leg_with_the_wrong_answer_fails() -> None:
    planted = bench.data.Planted(beyond=60, within=30, missing=5, extra=5)
    wrong = legs.LegResult("golive", ROWS, 0.1, 0.2, 1, "69 beyond tolerance (…)")
    assert bench._checked(wrong, planted).error is not None
    assert wrong.rate == 0.0
    right = legs.LegResult("SQL join (one db)", ROWS, 0.1, 0.1, None, "70 beyond tolerance")
    assert bench._checked(right, planted).error is None
    outcome = bench.SizeOutcome(bench.TARGET_SIZE, planted, [wrong, right])
    assert bench.report([outcome]) is False
