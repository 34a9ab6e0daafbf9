"""The sign-off page's two views: the manager's summary first, then the engineer's detail,
with evidence on the step that left it and caps that keep a big run's page small."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from harness.record import AccountCheck, Outcome, RunRecord, ScenarioResult, StepResult
from harness.reports import html as html_module
from harness.reports import render_html, views, write_reports
from harness.reports.charts import area_of
from harness.reports.labels import item_label, scenario_label
from harness.signoff.model import SignoffRules, Waiver
from tests.harness.gate_records import good_record, scenario
from tests.harness.report_records import evidence_record, gated


def section(html: str, anchor: str) -> str:
    """The text of one section: from its heading to the next section's heading."""
    start = html.index(f'id="{anchor}"')
    following = [html.find(f'<h2 id="{s.anchor}"', start + 1) for s in html_module.SECTIONS]
    end = min([i for i in following if i > start] or [len(html)])
    return html[start:end]


def test_the_summary_comes_before_every_detail_section(tmp_path: Path) -> None:
    html = render_html(evidence_record(tmp_path), run_dir=tmp_path)
    summary = html.index('id="summary"')
    for anchor in ("gate", "failures", "checklist", "scenarios", "accounts", "stages",
                   "provenance"):
        assert summary < html.index(f'id="{anchor}"'), anchor
    head = html[summary:html.index('id="contents"')]
    for part in ('id="blockers"', 'id="summary-waivers"', 'id="signatures"',
                 'id="chart-areas"', 'id="chart-stages"'):
        assert part in head, part


def test_blockers_list_open_blocking_failures_with_severity_and_due_date(
        tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    html = render_html(record, run_dir=tmp_path)
    blockers = html[html.index('id="blocker-list"'):html.index('id="summary-waivers"')]
    failure = next(f for f in record.failures if f.nodeid and "open a ticket" in f.nodeid)
    assert failure.severity == "high" and failure.due_date
    assert "open a ticket (failed)" in blockers
    assert failure.due_date in blockers and "1–3 days" in blockers
    assert 'id="tile-blockers"><div class="num">1</div>' in html


def test_a_go_run_has_no_blockers_and_says_who_must_sign() -> None:
    record = gated(good_record())
    record.signoff.rules = SignoffRules(required_roles=["qa", "manager"])
    html = render_html(record)
    assert 'id="no-blockers"' in html
    roles = re.findall(r'data-role="(\w+)"><strong>\w+</strong>: <span class="st st-missing">',
                       html)
    assert roles == ["qa", "manager"]
    assert "qa, manager must still approve this run" in html


def test_waivers_are_listed_on_the_summary() -> None:
    record = gated(good_record())
    record.signoff.waivers = [Waiver("CF-RPT-01", "cosmetic, fixed in 1.1.1",
                                     "https://bugs.example/7", "mia", "2026-11-03T10:00",
                                     "2026-11-30")]
    html = render_html(record)
    row = re.search(r'data-summary-waiver="CF-RPT-01">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "cosmetic, fixed in 1.1.1" in row.group(1) and "2026-11-30" in row.group(1)
    assert 'id="tile-waivers"><div class="num">1</div>' in html


def test_the_charts_are_inline_svg_per_checklist_area_and_stage(tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    html = render_html(record, run_dir=tmp_path)
    areas = html[html.index('id="chart-areas"'):html.index('id="chart-stages"')]
    assert "<svg" in areas and "<script" not in html
    for item in record.checklist:
        assert f">{area_of(item.item_id)}</text>" in areas
    assert "CF-TIX: NOK 1" in areas  # the failed ticket item, as the bar's tooltip
    stages = html[html.index('id="chart-stages"'):html.index("</figure>",
                                                              html.index('id="chart-stages"'))]
    assert ">bill_run</text>" in stages and "1m 10.2s" in stages
    assert area_of("CF-BILL-02") == "CF-BILL" and area_of("REL-CREDIT-01") == "REL-CREDIT"


def test_traceability_speaks_seven_words() -> None:
    passed = scenario("a", ["CF-BILL-01"])
    failed = scenario("b", ["CF-BILL-01"], Outcome.FAILED)
    assert scenario_label(passed.outcome) == "OK"
    assert scenario_label(failed.outcome) == "NOK"
    assert scenario_label(Outcome.INTERRUPTED) == "NOT RUN"
    assert scenario_label(Outcome.SKIPPED) == "NOT RUN"
    assert scenario_label(Outcome.NOT_APPLICABLE) == "NOT APPLICABLE"
    record = good_record()
    record.scenarios = [passed, failed,
                        dataclasses.replace(scenario("c", ["CF-RPT-01"]),
                                            outcome=Outcome.NOT_APPLICABLE)]
    gated(record)
    labels = {c.item_id: item_label(c, [s.outcome for s in record.scenarios
                                        if s.nodeid in c.scenarios])
              for c in record.checklist}
    assert labels == {"CF-BILL-01": "NOK", "CF-PAY-01": "UNCOVERED",
                      "CF-RPT-01": "NOT APPLICABLE", "CF-TIX-01": "UNCOVERED"}
    html = render_html(record)
    row = re.search(r'data-item="CF-RPT-01".*?</tr>', html, re.S)
    assert row is not None and "NOT APPLICABLE" in row.group(0)


def test_evidence_is_shown_on_the_step_that_left_it(tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    html = render_html(record, run_dir=tmp_path)
    scenarios = section(html, "scenarios")
    step = scenarios[scenarios.index("the ticket shows its subject"):]
    step = step[:step.index("</li>")]
    shot = record.scenarios[-1].steps[1].attachments[0]
    assert shot.path == f"screenshots/{shot.sha256}.png"
    assert f'<img src="{shot.path}"' in step  # a sidecar file, by digest: the page stays small
    assert (tmp_path / shot.path).read_bytes().startswith(b"\x89PNG")
    assert "Invoice INV-2" in step  # the captured mails the step looked at
    assert "boom 0" in step and "boom 199" not in step  # a long log: its start inline …
    log = record.scenarios[-1].steps[1].attachments[2]
    assert log.path is not None and f'href="{log.path}"' in step  # … the whole beside it
    assert "boom 199" in (tmp_path / log.path).read_text()
    assert "Carol" in step and "mismatch" in step  # the account check this step made


def test_a_missing_evidence_file_is_said(tmp_path: Path) -> None:
    record = evidence_record(tmp_path)
    shot = record.scenarios[-1].steps[1].attachments[0]
    assert shot.path is not None
    (tmp_path / shot.path).unlink()
    html = render_html(record, run_dir=tmp_path)
    assert f"evidence file missing from the run folder: {shot.path}" in html
    assert "<img" not in html


def test_provenance_names_backup_release_digests_and_who_ran_it(tmp_path: Path) -> None:
    html = render_html(evidence_record(tmp_path), run_dir=tmp_path)
    provenance = section(html, "provenance")
    for text in ("e" * 64, "a" * 64, "b" * 64, "c" * 64, "d" * 64, "0.1.0", "quinn on ci-7",
                 "https://ci.example/job/7", "golive run -n 2", "1.1", "2026-11-01"):
        assert text in provenance, text


def test_the_section_list_is_data_and_a_missing_template_is_left_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    extra = html_module.Section("extra", "An extra section", "no-such-template.html.j2")
    monkeypatch.setattr(html_module, "SECTIONS", (*html_module.SECTIONS, extra))
    html = render_html(gated(good_record()))
    assert "An extra section" not in html  # not in the contents, and no error
    contents = html[html.index('id="contents"'):html.index("</nav>")]
    assert [a for a in re.findall(r'href="#([\w-]+)"', contents)] == [
        s.anchor for s in html_module.SECTIONS
        if s.template != "no-such-template.html.j2"]


def big_record(scenarios: int, checks: int) -> RunRecord:
    record = good_record()
    record.scenarios = []
    for i in range(scenarios):
        outcome = Outcome.FAILED if i % 10 == 0 else Outcome.PASSED
        record.scenarios.append(ScenarioResult(
            nodeid=f"features/f{i % 7}.feature::s{i}", feature=f"features/f{i % 7}.feature",
            name=f"scenario {i}", line=3, tags=["CF-BILL-01"], checklist_ids=["CF-BILL-01"],
            outcome=outcome, steps=[StepResult("Given", f"step {i}", outcome)]))
    record.accounts = [AccountCheck(f"A{i:06d}", "balance", "1.00", "2.00" if i % 3 else "1.00",
                                    i % 3 != 1, f"features/f0.feature::s{i % scenarios}")
                       for i in range(checks)]
    return gated(record)


def test_a_big_run_is_capped_on_the_page_with_the_whole_lists_beside_it(
        tmp_path: Path) -> None:
    record = big_record(2000, 5000)
    paths = write_reports(record, tmp_path)
    html = paths["signoff.html"].read_text()
    assert len(html) < 2_000_000
    assert html.count('class="scenario ') == views.SCENARIO_DETAIL
    failed = [s for s in record.scenarios if s.outcome is Outcome.FAILED]
    assert all(f"Scenario: {s.name} <span" in html for s in failed)  # every failure shown
    assert 'id="scenarios-capped"' in html and 'id="accounts-capped"' in html
    assert 'id="failures-capped"' in html
    accounts = section(html, "accounts")
    assert accounts.count("<tr") == views.ACCOUNT_ROWS + 1
    assert accounts.count("mismatch</span>") == views.ACCOUNT_ROWS  # mismatches first
    assert "… and" in section(html, "checklist")  # 2000 scenarios of one item: named in part
    assert paths["accounts.csv"].read_bytes().count(b"\r\n") == 5000 + 1
    assert paths["traceability.csv"].read_bytes().count(b"\r\n") == 2000 + 3 + 1
