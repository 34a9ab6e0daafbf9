"""The ``golive`` command on a tiny project: run, report, checklist and their exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import main
from harness.record import Outcome, Verdict
from tests.harness.plugin_project import PASSING, latest_record, write_project

pytest_plugins = ["pytester"]


def golive(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    return write_project(pytester)


def test_run_shows_progress_and_verdict(project: Path) -> None:
    result = golive("run", "--", "--golive-no-prepare")
    assert result.exit_code == 1, result.output
    assert "stage    skipped     prepare" in result.output
    assert "scenario passed      features/billing.feature: A payment is taken" in result.output
    assert "golive: NO-GO — stages finished: did not finish: prepare (skipped)" in result.output
    assert "report: reports/" in result.output
    record = latest_record(project)
    assert [s.outcome for s in record.scenarios] == [Outcome.PASSED, Outcome.PASSED]
    assert (project / "reports" / record.run_id / "pytest.log").is_file()


def test_run_with_invalid_profile_exits_2(project: Path) -> None:
    text = (project / "golive.yaml").read_text().replace("on_drift", "x")
    (project / "golive.yaml").write_text(text.replace("date: 2026-11-01", "date: someday"))
    result = golive("run")
    assert result.exit_code == 2
    assert "golive.yaml:15: bill_run.date" in result.output
    assert "Traceback" not in result.output
    assert not (project / "reports").exists()


def test_run_with_undefined_step_exits_2(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"x.feature": PASSING.replace("When nothing", "When something")})
    result = golive("run", "--", "--golive-no-prepare")
    assert result.exit_code == 2
    assert "features/x.feature:5: undefined step: When something happens" in result.output


def test_report_rerenders_latest(project: Path) -> None:
    assert golive("run", "--", "--golive-no-prepare").exit_code == 1
    record = latest_record(project)
    html = project / "reports" / record.run_id / "signoff.html"
    html.unlink()
    result = golive("report")
    assert result.exit_code == 1, result.output
    assert html.is_file()
    assert "golive: NO-GO" in result.output
    assert record.verdict is Verdict.NO_GO


def test_report_of_missing_run_exits_2(project: Path) -> None:
    result = golive("report", "reports/nothing-here")
    assert result.exit_code == 2
    assert "run.json" in result.output


def test_checklist_lists_items_and_latest_coverage(project: Path) -> None:
    before = golive("checklist")
    assert before.exit_code == 0, before.output
    assert "CF-PAY-01" in before.output and "no run yet" in before.output
    golive("run", "--", "--golive-no-prepare")
    after = golive("checklist")
    assert after.exit_code == 0
    blocks = {b.split()[0]: b for b in re.split(r"\n(?=CF-)", after.output) if b.startswith("CF-")}
    assert "latest run: verified" in blocks["CF-PAY-01"]
    assert "latest run: uncovered" in blocks["CF-DOCS-01"]
    assert "this target: verifiable" in blocks["CF-PAY-01"]
