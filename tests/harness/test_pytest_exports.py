"""A run under `pytest -n 2`: step evidence kept by digest, pytest-html rows with Gherkin
steps and evidence, Cucumber JSON complete for Xray, JUnit with steps in system-out."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import xml.etree.ElementTree as ET

import pytest

from harness.record import Outcome, RunRecord
from tests.harness.plugin_project import PASSING, stub_pipeline, write_project
from tests.harness.report_records import PNG

pytest_plugins = ["pytester"]

EVIDENCE = """\
@portal
Feature: Tickets
  Staff answer tickets in the admin portal.

  @CF-PAY-01
  Scenario: A ticket shows its subject
    Given the bill run has finished
    When the page is kept as evidence
    Then the captured mails are kept
    And it fails
"""
EVIDENCE_STEPS = f'''
from pathlib import Path
from pytest_bdd import then, when

PNG = bytes.fromhex("{PNG.hex()}")


@when("the page is kept as evidence")
def _(golive):
    raw = golive.run_dir / "page-1-raw.png"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(PNG)
    golive.attach_file(raw, "screenshot", "the ticket page")


@then("the captured mails are kept")
def _(golive):
    golive.attach_text("mail", "1 email(s) the SMTP sink captured",
                       "b***@example.com: Ticket <b>#7</b> answered")
'''


def test_a_run_under_xdist_exports_steps_and_evidence_everywhere(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """One run (two workers), read the way each consumer reads it."""
    record = run_with_evidence(pytester, monkeypatch)
    step_evidence_is_typed_and_kept_by_digest(pytester, record)
    pytest_html_rows_show_gherkin_steps_and_evidence(pytester)
    cucumber_json_is_complete(pytester)
    junit_system_out_names_the_screenshot(pytester)


def run_with_evidence(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> RunRecord:
    stub_pipeline(monkeypatch, pytester.path / "calls.txt")
    root = write_project(pytester, {"billing.feature": PASSING, "tickets.feature": EVIDENCE})
    with (root / "fake_steps.py").open("a", encoding="utf-8") as steps:
        steps.write(EVIDENCE_STEPS)
    result = pytester.runpytest("--golive-profile", "golive.yaml", "features", "-n", "2",
                                "--golive-run-id=r1", "--html=report.html",
                                "--self-contained-html")
    assert result.ret == 1, result.stdout.str()
    return RunRecord.load(root / "reports" / "r1" / "run.json")


def step_evidence_is_typed_and_kept_by_digest(pytester: pytest.Pytester,
                                              record: RunRecord) -> None:
    ticket = next(s for s in record.scenarios if s.name == "A ticket shows its subject")
    assert ticket.outcome is Outcome.FAILED and ticket.worker in ("gw0", "gw1")
    assert [s.line for s in ticket.steps] == [7, 8, 9, 10]
    assert ticket.feature_name == "Tickets" and ticket.feature_tags == ["portal"]
    shot, = ticket.steps[1].attachments
    digest = hashlib.sha256(PNG).hexdigest()
    assert (shot.kind, shot.path, shot.sha256, shot.media_type) == (
        "screenshot", f"screenshots/{digest}.png", digest, "image/png")
    run_dir = pytester.path / "reports" / "r1"
    assert (run_dir / shot.path).read_bytes() == PNG
    assert not (run_dir / "page-1-raw.png").exists()  # one copy, under its digest
    mail, = ticket.steps[2].attachments
    assert mail.kind == "mail" and mail.text == "b***@example.com: Ticket <b>#7</b> answered"
    bob = [a for a in record.accounts if a.account == "BOB"]
    assert sorted(a.step for a in bob) == [1, 2]  # the step that made each check


def pytest_html_rows_show_gherkin_steps_and_evidence(pytester: pytest.Pytester) -> None:
    page = (pytester.path / "report.html").read_text(encoding="utf-8")
    blob = html.unescape(page[page.index('data-jsonblob="') + 15:])
    blob = blob[:blob.index('"></div>')] if '"></div>' in blob else blob
    data = json.loads(blob[:blob.rindex("}") + 1])
    rows = {nodeid: tests[0] for nodeid, tests in data["tests"].items()}
    ticket = next(v for k, v in rows.items() if "a_ticket_shows_its_subject" in k)
    extras = {e["name"]: e for e in ticket["extras"]}
    steps = extras["Gherkin steps"]["content"]
    assert "When the page is kept as evidence" in steps
    assert "Ticket &lt;b&gt;#7&lt;/b&gt; answered" in steps  # escaped, not markup
    assert "NOK (failed)" in steps
    image = extras["the ticket page"]
    assert image["format_type"] == "image"
    assert base64.b64decode(image["content"].split(",")[-1]) == PNG
    assert "<th>golive</th>" in "".join(data.get("tableHeader") or []) or "golive" in page
    assert any('class="col-golive">NOK (failed)' in c for c in ticket["resultsTableRow"])


def cucumber_json_is_complete(pytester: pytest.Pytester) -> None:
    features = json.loads((pytester.path / "reports" / "r1" / "cucumber.json").read_text())
    tickets = next(f for f in features if f["uri"] == "features/tickets.feature")
    assert tickets["name"] == "Tickets" and tickets["description"] == \
        "Staff answer tickets in the admin portal."
    assert [t["name"] for t in tickets["tags"]] == ["@portal"]
    element, = tickets["elements"]
    assert element["name"] == "A ticket shows its subject" and element["line"] == 6
    assert {t["name"] for t in element["tags"]} == {"@CF-PAY-01", "@portal"}
    steps = element["steps"]
    assert [(s["keyword"], s["name"], s["line"], s["result"]["status"]) for s in steps] == [
        ("Given ", "the bill run has finished", 7, "passed"),
        ("When ", "the page is kept as evidence", 8, "passed"),
        ("Then ", "the captured mails are kept", 9, "passed"),
        ("And ", "it fails", 10, "failed")]
    assert all(s["result"]["duration"] >= 0 for s in steps)
    assert "deliberate failure" in steps[3]["result"]["error_message"]
    image, = steps[1]["embeddings"]
    assert image["mime_type"] == "image/png" and base64.b64decode(image["data"]) == PNG
    billing = next(f for f in features if f["uri"] == "features/billing.feature")
    assert len(billing["elements"]) == 2  # every scenario, whichever worker ran it


def junit_system_out_names_the_screenshot(pytester: pytest.Pytester) -> None:
    root = ET.parse(pytester.path / "reports" / "r1" / "junit.xml").getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") ==
                "A ticket shows its subject")
    out = case.find("system-out")
    assert out is not None and out.text
    digest = hashlib.sha256(PNG).hexdigest()
    assert f"[[ATTACHMENT|screenshots/{digest}.png]]" in out.text
    assert "  When the page is kept as evidence  # passed" in out.text
