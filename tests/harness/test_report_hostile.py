"""An XSS and formula corpus in account names, ticket subjects, mail subjects and waiver
reasons shows as text in every output: HTML (in a real Chromium), CSV, XLSX, JUnit,
Cucumber JSON, pytest-html and the terminal."""

from __future__ import annotations

import base64
import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from harness.record import Attachment
from harness.reports import write_reports
from harness.reports.verdict import verdict_line
from harness.signoff.history import RunSummary
from harness.signoff.show import history_table
from harness.terminal import styled
from harness.termtable import fit_table
from tests.harness.report_records import XSS, hostile_record
from tests.harness.test_report_browser import ARGS, CHROMIUM

ACCOUNT, TICKET, MAIL, WAIVER = XSS[0], XSS[1], XSS[2], XSS[3]


@pytest.fixture
def outputs(tmp_path: Path) -> dict[str, Path]:
    return write_reports(hostile_record(), tmp_path)


@pytest.mark.browser
def test_the_html_report_shows_the_corpus_as_text_and_runs_nothing(
        outputs: dict[str, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(outputs["signoff.html"].as_uri())
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.wait_for_timeout(300)  # an onerror or onload would have fired by now
            text = page.inner_text("body")
            injected = page.evaluate("document.querySelectorAll('main script, main svg[onload],"
                                     " main img[onerror], main img[src=x]').length")
        finally:
            browser.close()
    assert not dialogs, dialogs
    assert injected == 0
    assert requests == [outputs["signoff.html"].as_uri()]
    for hostile in (ACCOUNT, TICKET, MAIL, WAIVER, XSS[4], XSS[5], XSS[6]):
        assert hostile in text, hostile
    assert "\x1b" not in text


def test_csv_and_xlsx_never_hold_a_formula(outputs: dict[str, Path]) -> None:
    cells = []
    for name in ("defects.csv", "traceability.csv", "accounts.csv"):
        with outputs[name].open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
        cells += [c for row in rows for c in row]
    joined = "\n".join(cells)
    assert ACCOUNT in joined and TICKET in joined
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "'" + XSS[4] in cells and "'" + XSS[5] in cells  # the account check's values
    for name in ("defects.xlsx", "traceability.xlsx"):
        workbook = openpyxl.load_workbook(outputs[name])
        sheet = workbook.worksheets[0]
        values = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        assert values and all(c.data_type == "s" for c in values), name  # text, never "f"
        texts = [str(c.value) for c in values]
        assert any(TICKET in t for t in texts), name
    trace = openpyxl.load_workbook(outputs["traceability.xlsx"]).worksheets[0]
    names = [str(c.value) for c in trace["J"] if c.value]
    assert f"ticket {TICKET}" in names  # shown as it was written, not neutralised into it


def test_junit_and_cucumber_carry_the_corpus_as_data(outputs: dict[str, Path]) -> None:
    root = ET.parse(outputs["junit.xml"]).getroot()  # parses: nothing broke the XML
    text = ET.tostring(root, encoding="unicode")
    names = [c.get("name") for c in root.iter("testcase")]
    assert f"ticket {TICKET}" in names
    outs = "".join(o.text or "" for o in root.iter("system-out"))
    assert f"a ticket with subject {TICKET}" in outs and MAIL in outs
    assert "\x1b" not in text
    features = json.loads(outputs["cucumber.json"].read_text())
    element = next(e for f in features for e in f["elements"] if e["name"] == f"ticket {TICKET}")
    then = element["steps"][1]
    assert TICKET in then["result"]["error_message"]
    assert MAIL in base64.b64decode(then["embeddings"][0]["data"]).decode()


def test_pytest_html_extras_escape_the_corpus(tmp_path: Path) -> None:
    from harness.pytest.htmlreport import _steps_html

    record = hostile_record()
    scenario = record.scenarios[-1]
    scenario.steps[1].attachments.append(Attachment("mail", MAIL, text=MAIL))
    html = _steps_html(scenario, [c for c in record.accounts if c.account == ACCOUNT])
    for hostile in (TICKET, MAIL):
        assert hostile not in html  # never as markup …
    assert "&lt;img src=x onerror=alert(&#39;ticket&#39;)&gt;" in html  # … always as text
    assert "<script" not in html and "<svg" not in html


def test_the_terminal_prints_the_corpus_inert_at_80_columns() -> None:
    record = hostile_record()
    console = Console(width=80, record=True, markup=False, highlight=False, emoji=False,
                      force_terminal=False)
    console.print(styled(verdict_line(record, Path("reports/x/signoff.html"))))  # as golive run
    console.print(fit_table("residue", ("table", "column", "detector", "values"),
                            [[ACCOUNT, TICKET, MAIL, 3], [WAIVER, XSS[7], "email", 1]], 80))
    runs = [RunSummary(XSS[7], "2026-11-03", None, "p", "verify", TICKET, "complete", "NO-GO",
                       1, 0, {})]
    console.print(history_table(runs, 5, 80))
    text = console.export_text()
    assert "\x1b" not in text and "\x07" not in text
    flat = " ".join(text.split())
    for hostile in (ACCOUNT, TICKET, MAIL):
        assert " ".join(hostile.split()) in flat, hostile
    assert "[bold red]markup[/] :smile:" in flat  # rich read no markup and no emoji
