"""Sign-off through the real `golive` command: check, waive, attach, signoff, verify, report.

Every test works on run folders the report writers wrote (tests/harness/signoff_project)
and reads back what the command wrote: run.json, signoff.html and the ledger.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from harness.record import Coverage, Outcome, RunRecord, Verdict
from harness.signoff import acts
from harness.signoff.ledger import ledger_path
from harness.signoff.render import rerender
from tests.harness.signoff_project import TODAY, golive, make_run, write_profile

RUN = "20261103T100000Z-aaaa"
LATER = (TODAY + dt.timedelta(days=30)).isoformat()


def record(run_dir: Path) -> RunRecord:
    return RunRecord.load(run_dir / "run.json")


def html(run_dir: Path) -> str:
    return (run_dir / "signoff.html").read_text(encoding="utf-8")


def signature_state(run_dir: Path, seq: int) -> str:
    row = re.search(rf'data-signature="{seq}">.*?<span class="st st-\w+">(\w+)</span>',
                    html(run_dir), re.S)
    assert row, f"signature #{seq} is not in the report"
    return row.group(1)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_profile(tmp_path)
    return tmp_path


@pytest.fixture
def run_dir(project: Path) -> Path:
    """A run where everything automated passed; the manual critical item has no result."""
    return make_run(project, RUN)


# -- golive check ---------------------------------------------------------------------------
def test_a_manual_critical_item_without_a_result_is_uncovered(run_dir: Path) -> None:
    docs = next(c for c in record(run_dir).checklist if c.item_id == "CF-DOCS-01")
    assert docs.coverage is Coverage.UNCOVERED
    assert record(run_dir).verdict is Verdict.NO_GO


def test_check_records_a_manual_pass_and_the_verdict_follows(project: Path,
                                                             run_dir: Path) -> None:
    result = golive(project, "check", "CF-DOCS-01", "--pass", "--note", "read in the <b>wiki</b>",
                    "--by", "alice@example.com")
    assert result.exit_code == 0, result.output
    assert "golive: GO" in result.output
    after = record(run_dir)
    docs = next(c for c in after.checklist if c.item_id == "CF-DOCS-01")
    assert docs.coverage is Coverage.MANUAL_PASS
    assert after.verdict is Verdict.GO
    mark = after.signoff.manual[0]
    assert (mark.item_id, mark.result, mark.by) == ("CF-DOCS-01", "pass", "alice@example.com")
    page = html(run_dir)
    row = re.search(r'data-manual="CF-DOCS-01">(.*?)</tr>', page, re.S)
    assert row and "alice@example.com" in row.group(1) and mark.at in row.group(1)
    assert "read in the &lt;b&gt;wiki&lt;/b&gt;" in row.group(1)  # escaped, never markup
    assert 'content="GO"' in page


def test_a_manual_fail_makes_it_no_go_and_the_latest_result_counts(project: Path,
                                                                   run_dir: Path) -> None:
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    assert golive(project, "check", "CF-DOCS-01", "--fail", "--by", "b",
                  "--note", "staff never saw them").exit_code == 0
    after = record(run_dir)
    assert after.verdict is Verdict.NO_GO
    docs = next(c for c in after.checklist if c.item_id == "CF-DOCS-01")
    assert docs.coverage is Coverage.MANUAL_FAIL
    assert [f.title for f in after.failures if f.source == "checklist"] == [
        "critical item CF-DOCS-01 failed its manual check: Staff read the release notes"]


@pytest.mark.parametrize(("args", "words"), [
    (["CF-DOC-01"], "unknown checklist item 'CF-DOC-01' in run " + RUN + " — did you mean "
                    "CF-DOCS-01?"),
    (["CF-PAY-01"], "CF-PAY-01 is automated"),
    (["--run", "20261103T100000Z-aaab", "CF-DOCS-01"], "did you mean 20261103T100000Z-aaaa?"),
])
def test_check_bad_input_exits_2_and_records_nothing(project: Path, run_dir: Path,
                                                     args: list[str], words: str) -> None:
    result = golive(project, "check", *args, "--pass", "--by", "alice")
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not ledger_path(run_dir).exists()


def test_an_unknown_run_exits_2_for_every_command(project: Path, run_dir: Path) -> None:
    for args in (["verify", "nope"], ["attach", "nope", str(project / "golive.yaml"),
                                      "--by", "c"],
                 ["signoff", "--run", "nope", "--role", "qa", "--name", "q",
                  "--decision", "approve"]):
        result = golive(project, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "no run 'nope'" in result.output


# -- golive waive -------------------------------------------------------------------------------
def failing_run(project: Path, name: str = "card payment") -> Path:
    """CF-PAY-01 (critical, high) fails; CF-RPT-01 (not critical, medium) fails."""
    return make_run(project, RUN, {name: Outcome.FAILED, "usage report": Outcome.FAILED})


def waive(project: Path, item: str, expires: str = LATER, *extra: str) -> object:
    return golive(project, "waive", item, "--reason", "known, fixed in 1.1.1",
                  "--defect", "https://jira.example.com/BILL-7", "--by", "mgr",
                  "--expires", expires, *extra)


def test_a_critical_item_is_waived_only_when_the_profile_allows(project: Path) -> None:
    run_dir = failing_run(project)
    refused = waive(project, "CF-PAY-01")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "gate.waivers.critical: false" in refused.output  # type: ignore[attr-defined]
    write_profile(project, critical=True)
    assert waive(project, "CF-PAY-01").exit_code == 0  # type: ignore[attr-defined]
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    after = record(run_dir)
    assert after.verdict is Verdict.GO_WITH_WAIVERS
    pay = next(c for c in after.checklist if c.item_id == "CF-PAY-01")
    assert pay.coverage is Coverage.WAIVED and "failed; waived by mgr" in (pay.note or "")
    assert all(f.waived_by for f in after.failures if "CF-PAY-01" in f.checklist_ids)
    page = html(run_dir)
    row = re.search(r'data-waiver="CF-PAY-01">(.*?)</tr>', page, re.S)
    assert row and "active" in row.group(1) and LATER in row.group(1)
    assert 'href="https://jira.example.com/BILL-7"' in row.group(1)


def test_severe_is_never_waived_unless_the_profile_says_so(project: Path) -> None:
    make_run(project, RUN, {"bob smith balance": Outcome.FAILED})  # CF-BILL-01 is severe
    write_profile(project, critical=True)
    refused = waive(project, "CF-BILL-01")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "severity severe" in refused.output  # type: ignore[attr-defined]
    write_profile(project, critical=True, severe=True)
    assert waive(project, "CF-BILL-01").exit_code == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("passes_ci", [False, True])
def test_go_with_waivers_exit_code_follows_the_profile(project: Path, passes_ci: bool) -> None:
    write_profile(project, critical=True, passes_ci=passes_ci)
    run_dir = failing_run(project)
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    assert waive(project, "CF-PAY-01").exit_code == 0  # type: ignore[attr-defined]
    assert record(run_dir).verdict is Verdict.GO_WITH_WAIVERS
    report = golive(project, "report", "latest")
    assert report.exit_code == (0 if passes_ci else 1), report.output
    assert "GO WITH WAIVERS" in report.output


def test_an_expired_waiver_stops_counting_and_the_report_says_so(project: Path) -> None:
    write_profile(project, critical=True)
    run_dir = failing_run(project)
    profile = acts_profile(project)
    acts.check(run_dir, profile, "CF-DOCS-01", True, None, "a", TODAY)
    acts.waive(run_dir, profile, "CF-PAY-01", "known", "https://x.example/1", "mgr",
               TODAY + dt.timedelta(days=2), TODAY)
    assert record(run_dir).verdict is Verdict.GO_WITH_WAIVERS
    rerender(run_dir, TODAY + dt.timedelta(days=2))  # the last day still counts
    assert record(run_dir).verdict is Verdict.GO_WITH_WAIVERS
    rerender(run_dir, TODAY + dt.timedelta(days=3))
    after = record(run_dir)
    assert after.verdict is Verdict.NO_GO
    assert after.signoff.waivers[0].state == "expired"
    row = re.search(r'data-waiver="CF-PAY-01">(.*?)</tr>', html(run_dir), re.S)
    assert row and "expired on" in row.group(1)


@pytest.mark.parametrize(("args", "words"), [
    (["CF-RPT-01", "2026-13-01"], "does not match the format"),
    (["CF-RPT-01", "2001-01-01"], "is in the past"),
    (["CF-RPT-1", LATER], "did you mean CF-RPT-01?"),
    (["CF-TIX-01", LATER], "nothing to waive"),
    (["CF-RPT-01", LATER, "--defect", "javascript:alert(1)"], "not an http(s) URL"),
])
def test_waive_bad_input_exits_2(project: Path, args: list[str], words: str) -> None:
    run_dir = failing_run(project)
    result = waive(project, *args)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert words in " ".join(result.output.split())  # type: ignore[attr-defined]
    assert not ledger_path(run_dir).exists()


def acts_profile(project: Path) -> object:
    from harness.config import load_profile

    return load_profile(project / "golive.yaml", references=False)  # as the sign-off CLI


# -- golive signoff -----------------------------------------------------------------------------
def sign(project: Path, role: str, decision: str = "approve") -> object:
    return golive(project, "signoff", "--role", role, "--name", f"{role} person",
                  "--decision", decision, "--comment", "looks right")


def test_a_signature_is_valid_and_a_second_one_keeps_it_valid(project: Path,
                                                                run_dir: Path) -> None:
    assert sign(project, "qa").exit_code == 0  # type: ignore[attr-defined]
    qa = next(e for e in read_entries(run_dir) if e["kind"] == "signature")
    assert set(qa["signed"]) == {"run.json", "signoff.html"}
    assert signature_state(run_dir, qa["seq"]) == "valid"
    assert sign(project, "manager").exit_code == 0  # type: ignore[attr-defined]
    assert signature_state(run_dir, qa["seq"]) == "valid"
    assert "no valid approval from customer" in html(run_dir)


def test_a_signature_goes_stale_when_the_run_changes_after_it(project: Path,
                                                              run_dir: Path) -> None:
    assert sign(project, "qa").exit_code == 0  # type: ignore[attr-defined]
    seq = next(e for e in read_entries(run_dir) if e["kind"] == "signature")["seq"]
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    assert signature_state(run_dir, seq) == "stale"
    page = html(run_dir)
    assert "run.json changed since it was signed" in page
    assert "manual #" in page and "was recorded after it" in page
    verify = golive(project, "verify")
    assert verify.exit_code == 1
    assert "STALE" in verify.output and "intact" in verify.output


def test_verify_passes_when_every_required_role_approved(project: Path) -> None:
    run_dir = make_run(project, RUN)
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    for role in ("qa", "manager", "customer"):
        assert sign(project, role).exit_code == 0  # type: ignore[attr-defined]
    result = golive(project, "verify", RUN)
    assert result.exit_code == 0, result.output
    assert "signed: qa, manager, customer approved the run as it is" in result.output
    assert 'id="signatures-complete"' in html(run_dir)
    assert record(run_dir).verdict is Verdict.GO


def test_a_rejection_keeps_the_sign_off_incomplete_but_not_the_verdict(project: Path,
                                                                        run_dir: Path) -> None:
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a").exit_code == 0
    write_profile(project, required="qa")
    assert sign(project, "qa", "reject").exit_code == 0  # type: ignore[attr-defined]
    assert record(run_dir).verdict is Verdict.GO  # signatures sit beside the verdict
    result = golive(project, "verify")
    assert result.exit_code == 1
    assert "no valid approval from qa" in result.output


def test_verify_of_a_run_never_signed_off_fails_closed(project: Path, run_dir: Path) -> None:
    result = golive(project, "verify", RUN)
    assert result.exit_code == 1
    assert "no sign-off ledger" in result.output


# -- tampering ------------------------------------------------------------------------------------
def read_entries(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in ledger_path(run_dir).read_text().splitlines()]


def signed_off_with_evidence(project: Path, run_dir: Path) -> Path:
    pdf = project / "customer-uat.pdf"
    pdf.write_bytes(b"%PDF-1.4 customer's UAT sign-off sheet\n")
    assert golive(project, "attach", RUN, str(pdf), "--by", "cust").exit_code == 0
    assert sign(project, "customer").exit_code == 0  # type: ignore[attr-defined]
    assert golive(project, "verify").output.count("VALID") == 1
    return run_dir


def flip_one_byte(path: Path, offset: int = -40) -> None:
    data = bytearray(path.read_bytes())
    data[offset] = (data[offset] + 1) % 128 or 65
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["run.json", "signoff.html", "junit.xml", "cucumber.json",
                                  "defects.csv", "evidence"])
def test_changing_one_byte_of_any_artefact_is_named_by_verify(project: Path, run_dir: Path,
                                                               name: str) -> None:
    signed_off_with_evidence(project, run_dir)
    if name == "evidence":
        target = next((run_dir / "signoff" / "evidence").iterdir())
        shown = f"signoff/evidence/{target.name}"
    else:
        target, shown = run_dir / name, name
    offset = 12 if name == "evidence" else -40
    if name == "run.json":  # compact JSON: a letter of a value (the report's title)
        offset = target.read_bytes().rindex(b"Sign-off test") + 1
    flip_one_byte(target, offset)
    result = golive(project, "verify", RUN)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"{shown} changed since" in text
    assert "golive verify: FAILED" in text
    # and golive refuses to add to, or re-render over, what changed
    again = golive(project, "check", "CF-DOCS-01", "--pass", "--by", "a")
    assert again.exit_code == 1 and "Nothing was recorded" in " ".join(again.output.split())
    assert golive(project, "report", RUN).exit_code == 1


def test_an_evidence_file_added_behind_golives_back_is_named(project: Path,
                                                             run_dir: Path) -> None:
    signed_off_with_evidence(project, run_dir)
    (run_dir / "signoff" / "evidence" / "extra.png").write_bytes(b"\x89PNG")
    result = golive(project, "verify")
    assert "signoff/evidence/extra.png is not in the ledger" in result.output


@pytest.mark.parametrize(("change", "words"), [
    ("swap", "does not follow the line before it (broken link)"),
    ("delete", "does not follow the line before it (broken link)"),
    ("edit", "does not match its digest: the line was edited"),
    ("drop-last", "changed since golive wrote it"),
])
def test_reordering_deleting_or_editing_a_ledger_line_breaks_the_chain(
        project: Path, run_dir: Path, change: str, words: str) -> None:
    signed_off_with_evidence(project, run_dir)
    path = ledger_path(run_dir)
    lines = path.read_text().splitlines(keepends=True)
    if change == "swap":
        lines[2], lines[3] = lines[3], lines[2]
    elif change == "delete":
        del lines[2]
    elif change == "edit":
        lines[1] = lines[1].replace('"by": "cust"', '"by": "someone else"')
    else:
        del lines[-1]  # the last render entry: the files no longer match the one before
    path.write_text("".join(lines))
    result = golive(project, "verify", RUN)
    assert result.exit_code == 1
    assert words in " ".join(result.output.split())


# -- golive attach ------------------------------------------------------------------------------
JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="customer UAT" tests="4">
    <testcase classname="billing" name="invoice totals match"/>
    <testcase classname="billing" name="credit note shown">
      <failure message="credit missing on invoice INV-7">trace</failure>
    </testcase>
    <testcase classname="portal" name="login"/>
    <testcase classname="portal" name="sso"><skipped/></testcase>
  </testsuite>
</testsuites>
"""

CUCUMBER = [{"name": "Customer portal", "elements": [
    {"name": "pay online", "type": "scenario",
     "steps": [{"keyword": "When ", "name": "I pay", "result": {"status": "passed"}}]},
    {"name": "see usage", "type": "scenario",
     "steps": [{"keyword": "Then ", "name": "I see minutes",
                "result": {"status": "failed", "error_message": "0 minutes shown"}}]}]}]


def test_attach_reads_customer_uat_results_and_keeps_documents(project: Path,
                                                               run_dir: Path) -> None:
    (project / "uat.xml").write_text(JUNIT)
    (project / "uat.json").write_text(json.dumps(CUCUMBER))
    (project / "sheet.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    result = golive(project, "attach", RUN, "uat.xml", "uat.json", "sheet.xlsx",
                    "--by", "Carol (customer)", "--note", "UAT round 2")
    assert result.exit_code == 0, result.output
    assert "UAT uat.xml: 4 tests, 2 passed, 1 failed, 1 skipped" in result.output
    signoff = record(run_dir).signoff
    assert [(u.file, u.tests, u.passed, u.failed) for u in signoff.uat] == [
        ("uat.xml", 4, 2, 1), ("uat.json", 2, 1, 1)]
    assert [e.kind for e in signoff.evidence] == ["junit", "cucumber", "document"]
    for evidence in signoff.evidence:
        assert (run_dir / evidence.stored).read_bytes() == (project / evidence.file).read_bytes()
    page = html(run_dir)
    assert "credit missing on invoice INV-7" in page and "0 minutes shown" in page
    assert "billing › credit note shown" in page and "sheet.xlsx" in page
    assert sign(project, "customer").exit_code == 0  # type: ignore[attr-defined]
    signature = [e for e in read_entries(run_dir) if e["kind"] == "signature"][-1]
    assert {e.stored for e in signoff.evidence} <= set(signature["signed"])  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "text", "where"), [
    ("bad.xml", "<testsuites>\n  <testcase name='x'>\n</testsuites>\n", "bad.xml:3:3"),
    ("bad.json", '[{"name": "f", "elements": [\n  {"name": "s",]}]', "bad.json:2:16"),
    ("other.xml", "<html><body/></html>", "root element is <html>"),
    ("empty.json", "[]", "no scenario in the file"),
    ("bomb.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>',
     "entities or DTDs are not allowed"),
])
def test_an_unreadable_uat_file_exits_2_naming_file_and_position(
        project: Path, run_dir: Path, name: str, text: str, where: str) -> None:
    (project / name).write_text(text)
    (project / "fine.pdf").write_bytes(b"%PDF")
    result = golive(project, "attach", RUN, "fine.pdf", name, "--by", "cust")
    assert result.exit_code == 2, result.output
    assert where in " ".join(result.output.split())
    assert not (run_dir / "signoff" / "evidence").exists()  # one bad file keeps none


# -- golive report with a ledger -------------------------------------------------------------------
def test_report_rerenders_from_run_json_and_the_ledger(project: Path, run_dir: Path) -> None:
    assert golive(project, "check", "CF-DOCS-01", "--pass", "--by", "alice").exit_code == 0
    before = (run_dir / "run.json").read_bytes()
    (run_dir / "signoff.html").write_text(html(run_dir))  # same bytes: nothing changed
    result = golive(project, "report", RUN)
    assert result.exit_code == 0, result.output
    assert (run_dir / "run.json").read_bytes() == before  # same inputs, same record
    assert 'data-manual="CF-DOCS-01"' in html(run_dir)
    assert golive(project, "verify").output.count("intact") == 1


def test_an_old_run_json_without_signoff_fields_still_loads(run_dir: Path) -> None:
    data = json.loads((run_dir / "run.json").read_text())
    for key in ("signoff", "history", "mode"):
        data.pop(key)
    old = RunRecord.from_dict(data)
    assert old.signoff.base is None and old.history is None and old.mode == "verify"
