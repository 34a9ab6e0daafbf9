"""The population comparison in the gate, the verdict line, run.json, the HTML page and
differences.csv: one finding per field and group, the first accounts named, all rows in
the CSV, target text escaped."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from harness.coverage import compute_coverage
from harness.gate import decide
from harness.record import (
    BaselineInfo,
    DatasetCounts,
    Outcome,
    PopulationDifference,
    PopulationFinding,
    PopulationSection,
    RunRecord,
    StageResult,
    Verdict,
)
from harness.reports import load_and_render, write_reports
from harness.reports.verdict import verdict_line
from tests.harness.gate_records import ITEMS, Rules, good_record

TODAY = dt.date(2026, 11, 3)
YEARLY = [f"A{i:06d}" for i in range(1, 11)]


def baseline() -> BaselineInfo:
    return BaselineInfo(source="postgresql://golive:***@prod/billing", bill_run_date="2026-11-01",
                        release="1.0", captured_at="2026-11-02T06:00:00+00:00",
                        rows={"accounts": 1000, "packages": 2500}, digest="d" * 64,
                        population_digest="p" * 64, backup_sha256="b" * 64,
                        store="/state/baseline.sqlite")


def section(csv_path: Path | None = None, beyond: int = 10, threshold: int = 0
            ) -> PopulationSection:
    """Ten accounts whose yearly package moved one year ahead: one finding."""
    differences = [PopulationDifference("packages", "changed", a, f"{a}/7", "<b>YEARLY</b>",
                                        "next_bill_date", "next bill date", "2027-11-01",
                                        "2028-11-01", "+1 year") for a in YEARLY]
    if csv_path is not None:
        with csv_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["dataset", "account"])
            for a in YEARLY:
                writer.writerow(["packages", a])
    return PopulationSection(
        baseline=baseline(), threshold=threshold, beyond=beyond, seconds=1.25,
        datasets=[DatasetCounts("accounts", 1000, 1000, method="two-phase: 64 buckets, none "
                                                              "differ"),
                  DatasetCounts("packages", 2500, 2500, changed=10, beyond=10, within=3,
                                method="streaming merge in key order")],
        findings=[PopulationFinding("packages", "next_bill_date", "next bill date", "changed",
                                    "<b>YEARLY</b>", "beyond tolerance", 10, "+1 year",
                                    YEARLY[:10]),
                  PopulationFinding("accounts", "balance", "balance", "changed", "",
                                    "within tolerance", 3, "+0.01", ["A000500"])],
        differences=differences[:5], shown=5, csv=str(csv_path) if csv_path else None,
        csv_rows=10)


def gated(population: PopulationSection | None, compare: Outcome = Outcome.PASSED,
          evidence: dict[str, object] | None = None) -> RunRecord:
    record = good_record()
    record.stages.append(StageResult("compare", compare, evidence=evidence or {}))
    record.population = population
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), TODAY)
    return record


def population_rule(record: RunRecord) -> tuple[bool, str]:
    rule = next(g for g in record.gate if g.name == "population matches production")
    return rule.passed, rule.detail


def test_differences_beyond_the_threshold_are_no_go_naming_field_and_accounts() -> None:
    record = gated(section())
    assert record.verdict is Verdict.NO_GO
    passed, detail = population_rule(record)
    assert not passed
    assert detail == ("10 difference(s) beyond tolerance against production's bill run of "
                      "2026-11-01 (release 1.0) (threshold 0): packages next bill date "
                      "[<b>YEARLY</b>] +1 year on 10 account(s): A000001, A000002, A000003 "
                      "and 7 more")
    line = verdict_line(record, None)
    assert "population matches production: 10 difference(s)" in line
    assert "next bill date [<b>YEARLY</b>] +1 year on 10 account(s): A000001" in line


def test_within_the_threshold_and_matching_populations_pass() -> None:
    assert gated(section(beyond=10, threshold=10)).verdict is Verdict.GO
    record = gated(section(beyond=0))
    passed, detail = population_rule(record)
    assert passed and record.verdict is Verdict.GO
    assert detail.startswith("3500 row(s) match production's bill run of 2026-11-01 "
                             "(release 1.0) (3 within tolerance, 0 accepted")


def test_a_profile_without_population_is_not_applicable_and_not_an_unfinished_stage() -> None:
    skipped = {"configured": False, "reason": "no population section"}
    record = good_record()
    record.stages += [StageResult("baseline", Outcome.SKIPPED, evidence=skipped),
                      StageResult("compare", Outcome.SKIPPED, evidence=skipped)]
    compute_coverage(record, ITEMS, {})
    assert decide(record, Rules(), TODAY) is Verdict.GO
    passed, detail = population_rule(record)
    assert passed and detail.startswith("not applicable: the profile has no population")


def test_a_comparison_that_did_not_happen_never_passes() -> None:
    record = gated(None, Outcome.FAILED)
    assert record.verdict is Verdict.NO_GO
    assert population_rule(record) == (False, "not compared: the compare stage is failed")
    # a skipped compare that is not "not configured" is unfinished work too
    record = gated(None, Outcome.SKIPPED, {"reason": "something else"})
    assert record.verdict is Verdict.NO_GO
    stages = next(g for g in record.gate if g.name == "stages finished")
    assert not stages.passed and "compare (skipped)" in stages.detail


def test_reports_carry_the_section_and_the_complete_csv(tmp_path: Path) -> None:
    spool = tmp_path / "spool.csv"
    record = gated(section(spool))
    out = tmp_path / "run"
    paths = write_reports(record, out)
    copied = paths["differences.csv"]
    assert copied == out / "differences.csv"
    assert copied.read_text() == spool.read_text()  # all ten, not the five kept
    html = paths["signoff.html"].read_text()
    assert 'id="population-findings"' in html and 'id="baseline-provenance"' in html
    assert "production's bill run of 2026-11-01 on release 1.0" in html
    assert "postgresql://golive:***@prod/billing" in html
    assert "<b>YEARLY</b>" not in html and "&lt;b&gt;YEARLY&lt;/b&gt;" in html
    findings = html.split('id="population-findings"')[1].split("</table>")[0]
    shown = html.split('id="population-differences"')[1].split("</table>")[0]
    assert findings.count("+1 year") == 1  # ten accounts, one field: one finding
    assert "A000001, A000002" in findings and "A000010" in findings
    assert shown.count("+1 year") == 5  # the first differences, one row each
    assert "the first 5 of 10" in html
    assert '<a href="differences.csv">differences.csv</a> (10 row(s))' in html
    # run.json round trip: the typed section comes back as it was
    again = RunRecord.load(out / "run.json")
    assert again.population == record.population


def test_a_rerender_keeps_the_copy_and_rebuilds_without_the_spool(tmp_path: Path) -> None:
    spool = tmp_path / "spool.csv"
    record = gated(section(spool))
    out = tmp_path / "run"
    write_reports(record, out)
    spool.unlink()
    load_and_render(out / "run.json")
    assert len((out / "differences.csv").read_text().splitlines()) == 11  # the copy stays
    (out / "differences.csv").unlink()
    load_and_render(out / "run.json")
    rows = list(csv.reader((out / "differences.csv").open()))
    assert len(rows) == 1 + 5 + 1  # header, the five kept, and what is missing
    assert rows[-1][0].startswith("# 5 more difference(s)")


def test_a_run_without_population_writes_no_differences_file(tmp_path: Path) -> None:
    record = good_record()
    paths = write_reports(record, tmp_path)
    assert "differences.csv" not in paths and not (tmp_path / "differences.csv").exists()
    html = paths["signoff.html"].read_text()
    assert 'id="population-none"' in html


def test_the_first_differences_read_grouped_by_field_then_group() -> None:
    from harness.reports import render_html

    record = gated(section())
    assert record.population is not None
    record.population.differences = [
        PopulationDifference("accounts", "changed", "A1", "A1", "", "status", "status",
                             "active", "closed", "changed"),
        PopulationDifference("accounts", "changed", "A1", "A1", "", "balance", "balance",
                             "1.00", "2.00", "+1.00"),
        PopulationDifference("charges", "changed", "A2", "A2/TV", "TV", "charged", "charges",
                             "5.00", "6.00", "+1.00"),
        PopulationDifference("charges", "changed", "A1", "A1/NET", "NET", "charged", "charges",
                             "5.00", "7.00", "+2.00"),
        PopulationDifference("accounts", "changed", "A2", "A2", "", "balance", "balance",
                             "1.00", "3.00", "+2.00"),
    ]
    shown = render_html(record).split('id="population-differences"')[1].split("</table>")[0]
    order = [(row.split("<td>")[1].split("<")[0], row.split("<td>")[5].split("<")[0])
             for row in shown.split('<tr class="bad">')[1:]]
    assert order == [("A1", "balance"), ("A2", "balance"), ("A1", "status"),
                     ("A1", "charges"), ("A2", "charges")]
