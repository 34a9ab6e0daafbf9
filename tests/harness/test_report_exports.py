"""Exports read the way their consumers read them: XLSX with openpyxl, CSV with csv, JUnit
with an XML parser (GitLab/Jenkins), Cucumber JSON as Xray imports it."""

from __future__ import annotations

import base64
import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl

from harness.record import Outcome
from harness.reports import write_reports
from harness.reports.tables import ACCOUNT_COLUMNS, DEFECT_COLUMNS, TRACE_COLUMNS
from tests.harness.report_records import PNG, evidence_record
from tests.harness.test_report_views import big_record


def sheet_rows(path: Path) -> list[list[str]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    sheet = workbook.worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_traceability_and_defects_as_csv_and_xlsx_hold_every_row(tmp_path: Path) -> None:
    record = big_record(1200, 10)
    paths = write_reports(record, tmp_path)
    trace_csv, trace_xlsx = csv_rows(paths["traceability.csv"]), sheet_rows(
        paths["traceability.xlsx"])
    assert trace_csv[0] == TRACE_COLUMNS and trace_xlsx[0] == TRACE_COLUMNS
    assert len(trace_xlsx) == len(trace_csv) == 1200 + 3 + 1  # every scenario, 3 bare items
    assert trace_xlsx == [[c.lstrip("'") if c.startswith("'") else c for c in r]
                          for r in trace_csv]
    scenarios = {r[TRACE_COLUMNS.index("scenario")]: r for r in trace_xlsx[1:]}
    assert {s.nodeid for s in record.scenarios} <= set(scenarios)
    failed = next(s for s in record.scenarios if s.outcome is Outcome.FAILED)
    assert scenarios[failed.nodeid][TRACE_COLUMNS.index("scenario_result")] == "NOK"
    bare = [r for r in trace_xlsx[1:] if r[0] == "CF-PAY-01"]
    assert bare and bare[0][TRACE_COLUMNS.index("item_result")] == "UNCOVERED"
    defects = sheet_rows(paths["defects.xlsx"])
    assert defects[0] == DEFECT_COLUMNS
    assert len(defects) - 1 == len(record.failures) == len(csv_rows(paths["defects.csv"])) - 1
    accounts = csv_rows(paths["accounts.csv"])
    assert accounts[0] == ACCOUNT_COLUMNS and len(accounts) == 11


def test_junit_puts_each_scenarios_gherkin_steps_and_evidence_in_system_out(
        tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    paths = write_reports(record, tmp_path)
    root = ET.parse(paths["junit.xml"]).getroot()
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}
    case = cases["features/billing.feature::open a ticket"]
    out = case.find("system-out")
    assert out is not None and out.text is not None
    assert "Scenario: open a ticket  # features/billing.feature:10" in out.text
    assert '  Given staff of role "support" are logged in  # passed' in out.text
    assert "  Then the ticket shows its subject  # failed" in out.text
    assert "AssertionError: the page shows no subject" in out.text
    shot = record.scenarios[-1].steps[1].attachments[0]
    assert f"[[ATTACHMENT|{shot.path}]]" in out.text  # GitLab and Jenkins attach it
    assert (paths["junit.xml"].parent / str(shot.path)).is_file()
    passed = cases["features/billing.feature::bob smith balance"].find("system-out")
    assert passed is not None and "# passed" in (passed.text or "")


def test_cucumber_json_is_complete_with_embeddings(tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    record.scenarios[-1].feature_name = "Tickets"
    record.scenarios[-1].feature_tags = ["portal"]
    record.scenarios[-1].steps[0].rows = [["role", "user"], ["support", "sam"]]
    features = json.loads(write_reports(record, tmp_path)["cucumber.json"].read_text())
    element = next(e for f in features for e in f["elements"] if e["name"] == "open a ticket")
    feature = next(f for f in features if element in f["elements"])
    assert feature["uri"] == "features/billing.feature" and feature["keyword"] == "Feature"
    assert element["keyword"] == "Scenario" and element["type"] == "scenario"
    assert [t["name"] for t in element["tags"]] == ["@CF-TIX-01"]
    given, then = element["steps"]
    assert (given["keyword"], given["line"], given["result"]["status"]) == ("Given ", 12,
                                                                            "passed")
    assert given["rows"] == [{"cells": ["role", "user"]}, {"cells": ["support", "sam"]}]
    assert then["result"] == {"status": "failed", "duration": 700_000_000,
                              "error_message": "AssertionError: the page shows no subject"}
    image, mail, log = then["embeddings"]
    assert image["mime_type"] == "image/png" and base64.b64decode(image["data"]) == PNG
    assert mail["mime_type"] == "text/plain"
    assert "Invoice INV-2" in base64.b64decode(mail["data"]).decode()
    assert log["name"].startswith("ERROR entries")
