"""Report writers: each file parsed the way its consumer reads it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.coverage import compute_coverage
from harness.gate import decide
from harness.record import (
    AccountCheck,
    Failure,
    Outcome,
    RunRecord,
    RunStatus,
    StepResult,
    Stopped,
    Verdict,
)
from harness.reports import ReportError, load_and_render, render_html, write_reports
from harness.reports.defects import COLUMNS, render_defects
from harness.sections import OutboundSection, Replayed
from tests.harness.gate_records import ITEMS, Rules, good_record, scenario

TODAY = dt.date(2026, 11, 3)
FILES = {"run.json", "signoff.html", "junit.xml", "cucumber.json", "defects.csv",
         "traceability.csv", "accounts.csv", "traceability.xlsx", "defects.xlsx"}
REPRODUCIBLE = FILES - {"traceability.xlsx", "defects.xlsx"}  # a zip carries its write time


def gated(record: RunRecord) -> RunRecord:
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), TODAY)
    return record


def mixed_record(without: str | None = None) -> RunRecord:
    """A NO-GO run with one scenario of every outcome and a hostile account name."""
    record = good_record()
    record.scenarios = [
        scenario("bob smith balance", ["CF-BILL-01"]),
        scenario("jane doe pool", ["CF-BILL-01"], Outcome.FAILED,
                 error="\x1b[31mAssertionError\x1b[0m: 340 != 300"),
        scenario("card payment", ["CF-PAY-01"], Outcome.SKIPPED, steps=[
            StepResult("Given", "a card processor", Outcome.SKIPPED)]),
        scenario("echeck payment", ["CF-PAY-01"], Outcome.UNDEFINED, steps=[
            StepResult("Given", "the bill run finished", Outcome.PASSED),
            StepResult("When", "an echeck is frobbed", Outcome.UNDEFINED)]),
        scenario("open a ticket", ["CF-TIX-01"], Outcome.ERROR, steps=[
            StepResult("Given", "the portal", Outcome.PASSED)], error="fixture exploded"),
        scenario("usage report", ["CF-RPT-01"], Outcome.INTERRUPTED, steps=[]),
    ]
    record.scenarios = [s for s in record.scenarios if without not in s.checklist_ids]
    record.accounts.append(
        AccountCheck("<script>alert('pwn')</script>", "balance", "10.00", "12.00", False)
    )
    return gated(record)


# -- write_reports / load_and_render ------------------------------------------------


def test_write_reports_writes_every_file_and_latest(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "run-1"
    latest = tmp_path / "reports" / "latest"
    paths = write_reports(mixed_record(), out, title="November sign-off", latest_link=latest)
    assert set(paths) == FILES | {"latest"}
    assert {p.name for p in out.iterdir()} == FILES
    assert latest.is_symlink() and os.readlink(latest) == "run-1"
    assert (latest / "signoff.html").read_text() == (out / "signoff.html").read_text()

    write_reports(good_record(), tmp_path / "reports" / "run-2", latest_link=latest)
    assert os.readlink(latest) == "run-2"


def test_latest_falls_back_to_a_copy_without_symlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError("symlinks not permitted")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    latest = tmp_path / "latest"
    write_reports(mixed_record(), tmp_path / "run-1", latest_link=latest)
    assert latest.is_dir() and not latest.is_symlink()
    assert {p.name for p in latest.iterdir()} == FILES | {".golive-latest"}
    record = gated(good_record())
    write_reports(record, tmp_path / "run-2", latest_link=latest)
    assert RunRecord.load(latest / "run.json").verdict is Verdict.GO


def test_rerender_from_run_json_equals_the_original(tmp_path: Path) -> None:
    first = write_reports(mixed_record(), tmp_path / "a", title="November <sign-off>")
    again = load_and_render(first["run.json"], tmp_path / "b")
    for name in REPRODUCIBLE:
        assert again[name].read_bytes() == first[name].read_bytes(), name


def test_rerender_in_place_defaults_to_the_run_folder(tmp_path: Path) -> None:
    paths = write_reports(mixed_record(), tmp_path)
    before = paths["signoff.html"].read_text()
    paths["signoff.html"].unlink()
    assert load_and_render(paths["run.json"])["signoff.html"].read_text() == before


def test_bad_run_json_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        load_and_render(tmp_path / "missing.json")
    broken = tmp_path / "run.json"
    broken.write_text('{\n  "run_id": "x",\n  oops\n}')
    with pytest.raises(ReportError, match=r"run\.json:3: not valid JSON"):
        load_and_render(broken)
    broken.write_text('{"run_id": "x", "schema_version": 1}')
    with pytest.raises(ReportError, match="not a run record"):
        load_and_render(broken)


# -- JUnit ------------------------------------------------------------------------------


def junit(tmp_path: Path, record: RunRecord) -> ET.Element:
    return ET.parse(write_reports(record, tmp_path)["junit.xml"]).getroot()


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


def test_junit_never_lets_an_unverified_scenario_pass(tmp_path: Path) -> None:
    root = junit(tmp_path, mixed_record())
    by_name = cases(root)
    feature = "features/billing.feature"
    passed = by_name[f"{feature}::bob smith balance"]
    assert [c.tag for c in passed] == ["system-out"]  # a pass: only its Gherkin steps
    failed = by_name[f"{feature}::jane doe pool"].find("failure")
    assert failed is not None and "340 != 300" in (failed.get("message") or "")
    assert "\x1b" not in (failed.text or "")
    for name in ("card payment", "usage report"):
        node = by_name[f"{feature}::{name}"].find("failure")
        assert node is not None and "not verified" in (node.get("message") or "")
    for name in ("echeck payment", "open a ticket"):
        assert by_name[f"{feature}::{name}"].find("error") is not None
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("skipped") == "0"
    # 6 scenarios + 4 stages + the gate
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("11", "4", "2")


def test_junit_gate_case_fails_on_no_go_and_passes_on_go(tmp_path: Path) -> None:
    gate = cases(junit(tmp_path / "nogo", mixed_record()))["golive::gate"]
    failure = gate.find("failure")
    assert failure is not None and "NO-GO" in (failure.get("message") or "")
    assert "critical items verified" in (failure.text or "")

    good = cases(junit(tmp_path / "go", gated(good_record())))
    assert list(good["golive::gate"]) == []
    assert list(good["golive.stages::bill_run"]) == []


def test_junit_interrupted_run_fails_the_gate_and_unfinished_stage(tmp_path: Path) -> None:
    record = good_record()
    record.status = RunStatus.INTERRUPTED
    record.stages[-1].outcome = Outcome.INTERRUPTED
    by_name = cases(junit(tmp_path, gated(record)))
    gate_failure = by_name["golive::gate"].find("failure")
    assert gate_failure is not None and "interrupted" in (gate_failure.get("message") or "")
    assert by_name["golive.stages::bill_run"].find("failure") is not None


def test_junit_ungated_go_record_still_fails(tmp_path: Path) -> None:
    record = good_record()
    record.verdict = Verdict.GO  # written by hand, never gated
    assert cases(junit(tmp_path, record))["golive::gate"].find("failure") is not None


# -- Cucumber JSON ----------------------------------------------------------------------


def cucumber(tmp_path: Path, record: RunRecord) -> list[dict[str, object]]:
    data = json.loads(write_reports(record, tmp_path)["cucumber.json"].read_text())
    assert isinstance(data, list)
    return data


def scenario_status(element: dict[str, object]) -> str:
    """How Cucumber reporters read a scenario: the worst of its steps and hooks."""
    parts: list[dict[str, object]] = [
        *element.get("before", []), *element["steps"], *element.get("after", [])  # type: ignore[misc]
    ]
    statuses = {p["result"]["status"] for p in parts}  # type: ignore[index]
    for status in ("failed", "undefined", "skipped"):
        if status in statuses:
            return status
    return "passed"


def test_cucumber_statuses_follow_the_record(tmp_path: Path) -> None:
    features = cucumber(tmp_path, mixed_record())
    billing = next(f for f in features if f["uri"] == "features/billing.feature")
    elements = {e["name"]: e for e in billing["elements"]}  # type: ignore[attr-defined]
    assert {name: scenario_status(e) for name, e in elements.items()} == {
        "bob smith balance": "passed",
        "jane doe pool": "failed",
        "card payment": "skipped",
        "echeck payment": "undefined",
        "open a ticket": "failed",  # a fixture error after a passed step
        "usage report": "skipped",  # interrupted, no step recorded
    }
    every = {
        p["result"]["status"]
        for f in features for e in f["elements"]  # type: ignore[attr-defined]
        for p in [*e["steps"], *e.get("after", [])]
    }
    assert every <= {"passed", "failed", "skipped", "undefined"}
    assert elements["jane doe pool"]["tags"] == [{"name": "@CF-BILL-01", "line": 9}]


def test_cucumber_carries_the_gate_verdict(tmp_path: Path) -> None:
    gate_feature = cucumber(tmp_path / "nogo", mixed_record())[-1]
    assert gate_feature["uri"] == "golive/gate"
    gate = next(e for e in gate_feature["elements"] if e["name"] == "release gate")  # type: ignore[attr-defined]
    assert scenario_status(gate) == "failed"
    good = cucumber(tmp_path / "go", gated(good_record()))[-1]
    assert all(scenario_status(e) == "passed" for e in good["elements"])  # type: ignore[attr-defined]


# -- defects.csv -------------------------------------------------------------------------


def test_defects_csv_has_one_row_per_failure_worst_first(tmp_path: Path) -> None:
    record = mixed_record()
    path = write_reports(record, tmp_path)["defects.csv"]
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(record.failures) > 0
    ranks = ["severe", "high", "medium", "low", "enhancement"]
    assert [ranks.index(r["severity"]) for r in rows] == sorted(
        ranks.index(r["severity"]) for r in rows
    )
    jane = next(r for r in rows if "jane doe pool" in r["title"])
    assert (jane["severity"], jane["due_date"], jane["checklist_ids"]) == (
        "severe", "2026-11-04", "CF-BILL-01")
    assert "340 != 300" in jane["message"]
    assert jane["status"] == "open"


def test_defects_csv_defuses_formulas(tmp_path: Path) -> None:
    record = good_record()
    record.scenarios.append(scenario("=HYPERLINK(\"http://x\")", [], Outcome.FAILED))
    rows = list(csv.reader(write_reports(gated(record), tmp_path)["defects.csv"].open()))
    assert rows[1][2].startswith("'=")


@pytest.mark.parametrize("start", ["-", "=", "+", "@", "\t", "\r", "\n", "-1"])
def test_every_defects_csv_cell_that_could_be_a_formula_is_quoted(start: str) -> None:
    """Each column, each dangerous first character (negative numbers too, per OWASP)."""
    payload = f"{start}cmd|' /C calc'!A0"
    record = good_record()
    record.run_id = payload
    record.failures = [Failure(source=payload, title=payload, message=payload,
                               severity="high", checklist_ids=[payload], found_on=payload,
                               due_date=payload, nodeid=payload, waived_by=payload)]
    rows = list(csv.reader(io.StringIO(render_defects(record), newline="")))
    cells = rows[1]
    assert len(cells) == len(COLUMNS)
    text_cells = [c for name, c in zip(COLUMNS, cells, strict=True)
                  if name not in ("severity", "resolution", "status")]
    assert text_cells and all(c == "'" + payload for c in text_cells), cells
    assert cells[COLUMNS.index("status")] == f"waived by {payload}"


def test_ordinary_defects_csv_cells_are_left_alone() -> None:
    record = good_record()
    record.failures = [Failure("scenario", "Bob is billed 12.00", "AssertionError: x", "high")]
    row = list(csv.reader(io.StringIO(render_defects(record))))[1]
    assert row[COLUMNS.index("title")] == "Bob is billed 12.00"
    assert row[COLUMNS.index("message")] == "AssertionError: x"


# -- HTML ------------------------------------------------------------------------------


def test_html_shows_verdict_uncovered_and_escapes_target_text() -> None:
    html = render_html(mixed_record(without="CF-PAY-01"), "November sign-off")
    assert '<div class="verdict" id="verdict-text">NO-GO</div>' in html
    assert "UNCOVERED" in html and "CF-PAY-01" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;pwn&#39;)&lt;/script&gt;" in html
    assert 'class="bad"' in html  # the mismatched account row is highlighted
    assert "critical items verified" in html
    assert "2026-11-04" in html  # a due date
    assert "1 day" in html  # its resolution window
    assert "an echeck is frobbed" not in html  # that scenario was left out


def test_html_is_self_contained() -> None:
    html = render_html(mixed_record())
    for needle in ("<script", "<link", "src=", "@import", "url(", "http://", "https://"):
        assert needle not in html, needle


def test_html_interrupted_run_is_loud() -> None:
    record = good_record()
    record.status = RunStatus.INTERRUPTED
    record.finished_at = None
    html = render_html(gated(record))
    assert 'id="run-status-alarm"' in html
    assert "RUN INTERRUPTED" in html
    assert '<div class="verdict" id="verdict-text">NO-GO</div>' in html
    assert "not finished" in html


def test_html_go_run_with_reused_staging_says_so() -> None:
    record = good_record()
    record.reused = True
    for stage in record.stages:
        stage.outcome = Outcome.REUSED
    html = render_html(gated(record))
    assert '<div class="verdict" id="verdict-text">GO</div>' in html
    assert "run-status-alarm" not in html
    assert "staging reused, not prepared in this run" in html


def test_html_lists_steps_with_their_outcomes() -> None:
    html = render_html(mixed_record())
    assert "an echeck is frobbed" in html
    assert "fixture exploded" in html
    assert "a card processor" in html
    assert "1m 10.2s" in html  # the bill-run stage's duration
    assert "transactions" in html  # its evidence


def test_html_never_shows_go_for_an_ungated_record() -> None:
    record = good_record()
    record.verdict = Verdict.GO
    html = render_html(record)
    assert '<div class="verdict" id="verdict-text">NO-GO</div>' in html
    assert "gate was not applied" in html


def test_a_record_left_running_rerenders_as_no_go(tmp_path: Path) -> None:
    """run.json is saved before the first scenario; a killed run leaves it 'running'."""
    record = good_record()
    record.status = RunStatus.RUNNING
    record.finished_at = None
    record.save(tmp_path / "run.json")
    paths = load_and_render(tmp_path / "run.json")
    html = paths["signoff.html"].read_text()
    assert "RUN DID NOT FINISH" in html
    assert '<div class="verdict" id="verdict-text">NO-GO</div>' in html
    gate = cases(ET.parse(paths["junit.xml"]).getroot())["golive::gate"]
    assert gate.find("failure") is not None


# -- what golive started and stopped; replayed captures ----------------------------------


def test_what_golive_stopped_is_kept_and_shown(tmp_path: Path) -> None:
    record = good_record()
    record.stopped = [
        Stopped("SMTP sink smtp://127.0.0.1:4025", "stopped at the end of the run", "t1"),
        Stopped("billing service of staging <b>db</b>", "could not be stopped: boom", "t2",
                ok=False),
    ]
    write_reports(gated(record), tmp_path)
    again = RunRecord.load(tmp_path / "run.json")
    assert again.stopped == record.stopped  # typed in run.json, not a free dict
    html = (tmp_path / "signoff.html").read_text()
    section = html[html.index('id="stopped"'):html.index('id="sanitizing"')]
    assert "SMTP sink smtp://127.0.0.1:4025" in section
    assert "stopped at the end of the run" in section
    assert '<span class="alarm">could not be stopped: boom</span>' in section
    assert "&lt;b&gt;db&lt;/b&gt;" in section and "<b>db</b>" not in section


def test_a_record_without_stopped_list_still_loads() -> None:
    data = good_record().to_dict()
    del data["stopped"]  # written by a golive before this field
    assert RunRecord.from_dict(data).stopped == []


def test_replayed_captures_are_marked_in_the_report(tmp_path: Path) -> None:
    record = good_record()
    record.outbound = OutboundSection(
        sinks={"smtp": "smtp://127.0.0.1:1"}, escaped=[],
        mail=[{"recipients": ["a***@example.com"], "subject": "Invoice INV-1", "size": 9}],
        replayed=Replayed("2026-12-01T09:00:00+00:00", "RUN-PREP", mail=1))
    html = render_html(gated(record))
    replayed = html[html.index('id="replayed"'):]
    replayed = replayed[:replayed.index("</p>")]
    assert "2026-12-01T09:00:00+00:00" in replayed and "RUN-PREP" in replayed
    assert "1 email(s)" in replayed
    assert 'id="replayed"' not in render_html(gated(good_record()))
