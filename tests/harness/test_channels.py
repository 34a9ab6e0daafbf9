"""Lock-down described per channel in the profile, on a platform golive cannot redirect by
itself: SQL, a config file from a template, environment variables for the platform's own
commands, and a channel blocked by a rule (a manual checklist item). What the run should send
comes from the profile, so a platform that sends nothing is GO on the escape rule. Real
SQLite, real sinks, the platform's real bill-run command."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from common.errors import ConfigError
from harness.channels import lockdown_items
from harness.checklists import load_checklists
from harness.config import Profile, load_profile
from harness.gate import decide
from harness.outbound import Expected, shortfalls
from harness.pipeline import prepare
from harness.record import Outcome, RunRecord, ScenarioResult, new_run_id, now
from harness.reports import render_html
from harness.sections import OutboundSection
from tests.furnish import furnish
from tests.harness.test_watermark import DATA, SCHEMA

CHANNELS: dict[str, Any] = {
    "mail": {"redirect": {"env": {"PLATFORM_SMTP_URL": "{url}"}},
             "sends": {"per_invoice": False}},
    "provisioning": {"redirect": {"sql": "UPDATE config SET v = :url WHERE k = 'hook_url'"},
                     "sends": {"query": "SELECT COUNT(*) FROM invoices WHERE id > :watermark "
                                        "AND total < 0"}},
    "http": {"redirect": {"file": {"path": "conf/platform.ini",
                                   "template": "lockdown/platform.ini"}}},
    "payment": {"redirect": {"blocked": "no gateway is configured on staging"}},
}


def _profile(root: Path, channels: dict[str, Any]) -> Profile:
    production = root / "production.db"
    engine = sa.create_engine(f"sqlite:///{production}")
    with engine.begin() as conn:
        for statement in [*SCHEMA.split(";"),
                          "INSERT INTO config VALUES ('hook_url', 'https://hooks.isp.example/x')"]:
            if statement.strip():
                conn.execute(sa.text(statement))
    engine.dispose()
    (root / "backup").mkdir()
    shutil.copy(production, root / "backup" / "pre-bill-run.db")
    (root / "lockdown").mkdir()
    (root / "lockdown" / "platform.ini").write_text(
        "[hooks]\nurl = {url}\nhost = {host}\nport = {port}\nliteral = {{kept}}\n")
    data = yaml.safe_load((DATA / "no_runs_profile.yaml").read_text())
    data["lockdown"] = {"channels": channels}
    furnish(root)
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_profile(path, env={"PYTHON": sys.executable, "HERE": str(DATA),
                                   "PRODUCTION_DSN": f"sqlite:///{production}",
                                   "STAGING_DSN": f"sqlite:///{root / 'staging.db'}"})


def _record() -> RunRecord:
    return RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="t",
                     target="sql")


def test_a_silent_platform_redirected_per_channel_is_go_on_the_escape_rule(
        tmp_path: Path) -> None:
    profile = _profile(tmp_path, CHANNELS)
    record = _record()
    prepared = prepare(profile, record)
    try:
        assert record.outbound is not None
        sinks = record.outbound.sinks
        stages = {s.name: s for s in record.stages}
        assert {n: s.outcome for n, s in stages.items()}["lockdown"] is Outcome.PASSED
        channels = stages["lockdown"].evidence["channels"]
        assert {n: c["method"] for n, c in channels.items()} == {
            "mail": "env", "provisioning": "sql", "http": "file", "payment": "blocked"}
        # env: the platform's bill-run command got the SMTP sink's address
        assert f"mail server: {sinks['smtp']}" in stages["bill_run"].evidence["commands"][0][
            "stdout_tail"]
        # sql: staging's own configuration now names the HTTP sink
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'staging.db'}")
        with engine.connect() as conn:
            hook = conn.execute(sa.text("SELECT v FROM config WHERE k = 'hook_url'")).scalar()
        engine.dispose()
        assert hook == f"{sinks['http']}/provisioning" and channels["provisioning"]["rows"] == 1
        # file: rewritten from the template, braces doubled in it kept
        port = sinks["http"].rsplit(":", 1)[1]
        assert (tmp_path / "conf" / "platform.ini").read_text() == (
            f"[hooks]\nurl = {sinks['http']}/http\nhost = 127.0.0.1\nport = {port}\n"
            "literal = {kept}\n")
        assert channels["payment"]["blocked_by"] == "no gateway is configured on staging"
        check = stages["outbound_check"]
        assert check.outcome is Outcome.PASSED, check.evidence
        assert check.evidence["expected"]["mail"] == 0  # sends nothing per invoice: nothing due
        assert check.evidence["expected"]["provisioning"] == 0  # the profile's query
        assert check.evidence["expected"]["payments"] is None  # nobody can say: not compared
        assert check.evidence["expected"]["blocked"] == ["payment"]
    finally:
        prepared.close()
    record.scenarios.append(ScenarioResult(nodeid="x", feature="x.feature", name="x", line=1,
                                           outcome=Outcome.PASSED))
    decide(record, profile.gate, dt.date.today())
    rule = next(r for r in record.gate if r.name == "nothing escaped the sinks")
    assert rule.passed and rule.detail == "none"
    html = render_html(record)
    table = html[html.index('id="channels"'):html.index("</table>", html.index('id="channels"'))]
    assert "<td>mail</td><td>env</td>" in table and "nothing per invoice" in table
    assert "no gateway is configured on staging" in table
    assert "mail 0, provisioning request(s) 0, payment attempt(s) not compared" in html
    assert "golive could redirect pointed at a golive sink" in html
    assert "blocked by rules a person confirms, not redirected: payment" in html


def test_a_blocked_channel_is_a_critical_manual_item_a_person_confirms(tmp_path: Path) -> None:
    profile = _profile(tmp_path, CHANNELS)
    checklists = tmp_path / "checklists"
    checklists.mkdir(exist_ok=True)
    (checklists / "critical.yaml").write_text(yaml.safe_dump({"items": [{
        "id": "CF-BILL-01", "title": "t", "why": "w", "critical": True, "severity": "high",
        "owner": "o", "mode": "automated"}], "results": [{
            "id": "CF-LOCKPAYMENT-01", "result": "pass", "by": "ops", "at": "2026-11-02",
            "note": "no gateway in settings"}]}))
    implied = lockdown_items(profile.lockdown.channels, profile.path)
    loaded = load_checklists(checklists, implied)
    item = loaded.item("CF-LOCKPAYMENT-01")
    assert item.mode == "manual" and item.critical and item.severity == "severe"
    assert "no gateway is configured on staging" in item.title
    assert loaded.manual_results["CF-LOCKPAYMENT-01"].by == "ops"
    assert loaded.where["CF-LOCKPAYMENT-01"].endswith("golive.yaml (lockdown.channels.payment)")
    with pytest.raises(ConfigError, match="unknown checklist item CF-LOCKPAYMENT-01"):
        load_checklists(checklists)  # without the profile's channels, no such item


def test_anything_sent_on_a_blocked_channel_is_an_escape() -> None:
    silent = Expected(7, invoices=3, provisioning=None, payments=0, mail=0,
                      blocked=("payment",))
    assert shortfalls(silent, OutboundSection(mail=[], http=[])) == []
    charged = Expected(7, invoices=3, provisioning=None, payments=2, mail=0,
                       blocked=("payment",))
    found = shortfalls(charged, OutboundSection(mail=[], http=[]))
    assert [e.text for e in found] == [
        "payment payment channel: the platform reports 2 payment attempt(s) in bill run #7, "
        "but payment is not redirected to a golive sink (blocked by a rule): golive cannot "
        "confirm they were stopped"]
    one_per_invoice = Expected(7, invoices=3, provisioning=None, payments=None, mail=3,
                               per_invoice=True)
    assert "3 invoice email(s) of bill run #7 never reached the SMTP sink" in shortfalls(
        one_per_invoice, OutboundSection(mail=[]))[0].text


def test_a_redirect_statement_that_changes_nothing_fails_lockdown(tmp_path: Path) -> None:
    channels = {**CHANNELS, "provisioning": {"redirect": {
        "sql": "UPDATE config SET v = :url WHERE k = 'no_such_key'"}}}
    record = _record()
    with pytest.raises(Exception, match="changed no row: provisioning was not redirected"):
        prepare(_profile(tmp_path, channels), record)
    assert {s.name: s.outcome for s in record.stages}["bill_run"] is Outcome.NOT_RUN


def test_bad_channel_settings_are_load_time_errors(tmp_path: Path) -> None:
    channels = {
        "mail": {"redirect": {"env": {"X": "{uri}"}, "blocked": "both"}},
        "fax": {"redirect": "target"},
        "http": {"redirect": "somewhere", "sends": {"per_invoice": True, "query": "SELECT 1"}},
        "provisioning": {"redirect": {"file": {"path": "a.ini", "template": "missing.tmpl"}}},
    }
    with pytest.raises(ConfigError) as info:
        _profile(tmp_path, channels)
    text = str(info.value)
    assert "lockdown.channels.mail.redirect: give exactly one of sql, file, env or blocked" in text
    assert "lockdown.channels.fax.[key]: 'fax' is not one of mail, payment, provisioning" in text
    assert "lockdown.channels.http.redirect: 'somewhere': write redirect: target" in text
    assert "lockdown.channels.http.sends: give exactly one of per_invoice" in text
    assert "cannot read the template" in text and "missing.tmpl" in text
