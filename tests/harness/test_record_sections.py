"""The run record's typed sections (sanitize, outbound, preflight, report): run.json keeps
every field, an older run.json with ``extras`` still loads, and damage is no evidence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness.coverage import compute_coverage
from harness.gate import decide
from harness.record import RunRecord, Verdict
from harness.reports import load_and_render, load_record
from harness.sections import (
    OutboundSection,
    PreflightSection,
    Replayed,
    ReportSection,
    SanitizeSection,
    StagingState,
    TableRows,
)
from tests.harness.gate_records import ITEMS, Rules, good_record

TODAY = dt.date(2026, 11, 3)


def _full(record: RunRecord) -> RunRecord:
    """``record`` with every field of every section set to something other than its default."""
    record.sanitize = SanitizeSection(
        enabled=True, mode="rules", rules="sanitize/rules/demo.yaml", scripts=["v.sql"],
        rules_applied=12, tables=[TableRows("contacts", 412)], seconds=1.25,
        originals_sampled={"columns": 2, "cells": 40, "values": 38},
        scan={"clean": True, "findings": []}, residue=[], unscanned="not a database",
        staging=StagingState("emptied", "staging was emptied"),
        reused_from="2026-11-01T02:00:00+00:00")
    record.outbound = OutboundSection(
        sinks={"smtp": "smtp://127.0.0.1:2525", "http": "http://127.0.0.1:8025",
               "payment": "http://127.0.0.1:8026"},
        redirected={"mail": {"from": "smtp://smtp.isp.example:587", "to": "smtp://127.0.0.1:2525"}},
        channels={"mail": {"method": "env", "to": "smtp://127.0.0.1:2525", "sends": None}},
        escaped=[], escapes=[{"kind": "mail", "name": "m", "url": "", "reason": "r",
                              "when": "after the bill run"}],
        mail=[{"recipients": ["b***@example.com"], "subject": "Invoice", "size": 9}],
        http=[{"method": "POST", "path": "/prov", "body": {"a": 1}}],
        payment=[{"method": "POST", "path": "/charge", "amount": "9.99"}],
        expected={"bill_run": 7, "invoices": 1, "mail": 1, "provisioning": 1,
                  "payments": 1, "http": None, "per_invoice": True, "blocked": []},
        invoices=[{"invoice": "INV-1", "account": "A1", "contact": "b***@example.com",
                   "contact_digest": "ab" * 12}],
        replayed=Replayed("2026-11-01T02:00:00+00:00", "RUN-PREP", mail=1, http=1, payment=1))
    record.preflight = PreflightSection(
        reports="reports", reports_free_mib=900, staging_free_mib=800,
        sanitize_salt="profile", needs=["browser"], browser="Chromium 120 at /usr/bin/chromium")
    record.report = ReportSection("Release 1.1 sign-off")
    return record


def _sections(record: RunRecord) -> tuple[object, ...]:
    return record.sanitize, record.outbound, record.preflight, record.report


def test_run_json_keeps_every_field_of_every_section(tmp_path: Path) -> None:
    record = _full(good_record())
    record.save(tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    assert "extras" not in data
    assert data["sanitize"]["staging"] == {"state": "emptied", "said": "staging was emptied"}
    assert data["outbound"]["replayed"]["run_id"] == "RUN-PREP"
    assert data["report"] == {"title": "Release 1.1 sign-off"}
    loaded = load_record(tmp_path / "run.json")
    assert _sections(loaded) == _sections(record)
    assert _sections(loaded.redacted()) == _sections(record)


def _old_run_json(record: RunRecord) -> dict[str, Any]:
    """``record`` as a golive before the typed sections wrote it: all four under
    ``extras``, with only the keys its writers set."""
    data = record.to_dict()
    for name in ("sanitize", "outbound", "preflight", "report"):
        del data[name]
    data["extras"] = {
        "sanitize": {"enabled": True, "mode": "rules", "rules": "sanitize/rules/demo.yaml",
                     "scripts": [], "rules_applied": 12,
                     "tables": [{"table": "contacts", "rows": 412}], "seconds": 1.25,
                     "originals_sampled": None, "scan": {"clean": False, "findings": []},
                     "residue": ["contacts.email: email × 3"],
                     "staging": {"state": "emptied", "said": "staging was emptied"}},
        "outbound": {"sinks": {"smtp": "smtp://127.0.0.1:2525"}, "redirected": {},
                     "channels": {}, "escaped": [], "escapes": [],
                     "mail": [{"recipients": ["b***@example.com"], "subject": "Invoice"}],
                     "replayed": {"prepared_at": "2026-11-01T02:00:00+00:00",
                                  "run_id": "RUN-PREP", "mail": 1, "http": 0, "payment": 0}},
        "preflight": {"reports": "reports", "reports_free_mib": 900, "needs": []},
        "report": {"title": "Title of an older run"},
    }
    return data


def test_an_old_run_json_with_extras_still_loads_into_the_sections(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_old_run_json(good_record())), encoding="utf-8")
    record = load_record(path)
    assert record.sanitize == SanitizeSection(
        enabled=True, mode="rules", rules="sanitize/rules/demo.yaml", rules_applied=12,
        tables=[TableRows("contacts", 412)], seconds=1.25, scan={"clean": False, "findings": []},
        residue=["contacts.email: email × 3"],
        staging=StagingState("emptied", "staging was emptied"))
    assert record.outbound is not None and record.outbound.escaped == []
    assert record.outbound.mail == [{"recipients": ["b***@example.com"], "subject": "Invoice"}]
    assert record.outbound.http is None  # never written: the sink did not run
    assert record.outbound.replayed == Replayed("2026-11-01T02:00:00+00:00", "RUN-PREP", mail=1)
    assert record.preflight == PreflightSection(reports="reports", reports_free_mib=900)
    assert record.report == ReportSection("Title of an older run")
    # the gate reads the old residue as it always did: NO-GO
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), TODAY)
    assert record.verdict is Verdict.NO_GO
    assert [g.name for g in record.gate if not g.passed] == ["sanitize scan clean"]
    # a re-render keeps the old title and writes the sections where they now live
    load_and_render(path)
    assert "Title of an older run" in (tmp_path / "signoff.html").read_text()
    again = json.loads(path.read_text())
    assert "extras" not in again and again["report"] == {"title": "Title of an older run"}
    assert again["sanitize"]["residue"] == ["contacts.email: email × 3"]


def test_a_section_at_the_top_wins_over_one_left_in_extras() -> None:
    data = _full(good_record()).to_dict()
    data["extras"] = {"report": {"title": "stale"}, "sanitize": {"enabled": False}}
    record = RunRecord.from_dict(data)
    assert record.report == ReportSection("Release 1.1 sign-off")
    assert record.sanitize is not None and record.sanitize.enabled


def test_damaged_section_values_are_no_evidence() -> None:
    data = good_record().to_dict()
    data["sanitize"] = {"enabled": True, "residue": "accounts.email", "rules_applied": "many",
                        "tables": "contacts", "staging": "emptied", "scan": []}
    data["outbound"] = {"sinks": ["smtp"], "escaped": {"mail": 1}, "mail": "3 mails",
                        "redirected": {"mail": "x"}, "replayed": {"mail": "lots"}}
    data["report"] = {"title": 7}
    data["preflight"] = "checked"
    record = RunRecord.from_dict(data)
    assert record.sanitize == SanitizeSection(enabled=True)  # residue None: no scan evidence
    assert record.outbound == OutboundSection(replayed=Replayed(None, None))
    assert record.report is None and record.preflight is None
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), TODAY)
    failing = {g.name: g.detail for g in record.gate if not g.passed}
    assert failing["sanitize scan clean"].startswith("no evidence")
    assert failing["nothing escaped the sinks"].startswith("no evidence")


def test_credentials_in_a_section_never_reach_run_json() -> None:
    record = good_record()
    record.outbound = OutboundSection(
        escaped=[], channels={"http": {"method": "file", "to": "https://u:hunter2@sink.example/"}})
    record.preflight = PreflightSection(reports="postgresql://golive:s3cretpw@db/reports")
    text = record.to_json()
    assert "hunter2" not in text and "s3cretpw" not in text
    loaded = RunRecord.from_dict(json.loads(text))
    assert loaded.outbound is not None
    assert "hunter2" not in loaded.outbound.channels["http"]["to"]


def test_the_outbound_fixture_sees_only_what_lockdown_recorded() -> None:
    section = OutboundSection(sinks={"smtp": "smtp://127.0.0.1:1"}, escaped=[], mail=[])
    assert section.present() == {"sinks": {"smtp": "smtp://127.0.0.1:1"}, "redirected": {},
                                 "channels": {}, "escaped": [], "escapes": [], "mail": []}
    section.capture("http", [{"path": "/p"}])
    assert section.captured("http") == [{"path": "/p"}] and "http" in section.present()


def test_preflight_checks_add_to_the_section() -> None:
    first = PreflightSection.from_dict({"reports": "reports", "reports_free_mib": 900})
    both = first.updated({"staging_free_mib": 800, "needs": ["browser"], "browser": "Chromium"})
    assert both == PreflightSection(reports="reports", reports_free_mib=900,
                                    staging_free_mib=800, needs=["browser"], browser="Chromium")
