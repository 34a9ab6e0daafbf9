"""The report benchmark's machinery at a tiny size: the synthetic record is a real, gated
run, every output is written, and the figures and targets are printed. No timing asserts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import bench_report
from bench.report_data import Size, synthesise
from harness.record import Outcome, Verdict


def test_the_synthetic_record_is_a_gated_run_of_the_asked_size(tmp_path: Path) -> None:
    record = synthesise(Size(scenarios=300, differences=900, screenshots=3, failed=0.1),
                        tmp_path)
    assert len(record.scenarios) == 300 and len(record.accounts) == 900
    assert record.verdict is Verdict.NO_GO and record.gate  # differences beyond tolerance
    assert any(s.outcome is Outcome.FAILED for s in record.scenarios)
    shots = [a for s in record.scenarios for st in s.steps for a in st.attachments]
    assert len(shots) == 3 and all((tmp_path / str(a.path)).is_file() for a in shots)


def test_the_benchmark_prints_its_figures_and_targets(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setattr(bench_report, "VAR", tmp_path)
    monkeypatch.setattr(sys, "argv", ["bench report", "--scenarios", "100",
                                      "--differences", "300", "--no-browser"])
    code = bench_report.main()
    out = capsys.readouterr().out
    assert code in (0, 1)
    for text in ("load average", "signoff.html", "every output written", "(target <= 5.0 s",
                 "MB (target <= 3.0 MB)"):
        assert text in out, out
    assert (tmp_path / "run" / "traceability.xlsx").is_file()
