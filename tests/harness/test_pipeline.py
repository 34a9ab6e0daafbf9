"""The staging pipeline on the real demo: generated production, backup, restore, lock-down,
config diff, a bill run through the demo's billing service, and stopping it."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from common.errors import ConfigError
from harness.config import Profile, load_profile
from harness.pipeline import STAGE_NAMES, PipelineError, prepare
from harness.record import Outcome, RunRecord, new_run_id, now
from harness.reports.html import render_html
from harness.sections import StagingState
from harness.stages import marker
from harness.started import Ledger, read_ledger
from harness.targets.base import require
from harness.targets.loader import open_target
from tests.harness.target_profiles import by_hand
from tests.stopping.project import port_open

PROFILE = """\
name: pipeline test
target:
  kind: demo
  release: "{release}"
environments:
  production:
    dsn: {production}
    read_only: true
  staging:
    dsn: {staging}
    staging: true
backup:
  path: var/backups/pre-bill-run.manifest.json
  generate:
    accounts: 20
    seed: 7
bill_run:
  date: 2026-11-01
  must_match_production: [tax_rate, payment_terms_days, currency]
  on_drift: {on_drift}
"""


ROOT = Path(__file__).resolve().parents[2]
# the demo's population questions, as the project's profile asks them
POPULATION = yaml.safe_dump(
    {"population": yaml.safe_load((ROOT / "golive.yaml").read_text())["population"]})


def write_profile(root: Path, release: str = "1.1", on_drift: str = "fail",
                  production: str = "sqlite:///var/production.db",
                  staging: str = "sqlite:///var/staging.db", extra: str = "") -> Profile:
    path = root / "golive.yaml"
    path.write_text(PROFILE.format(release=release, on_drift=on_drift, production=production,
                                   staging=staging) + extra)
    for folder in ("checklists", "features"):  # the loader checks they exist
        (root / folder).mkdir(exist_ok=True)
    return load_profile(path)


def interrupt_at(stage: str) -> Callable[[str], None]:
    """A progress listener that is interrupted (Ctrl-C) just as ``stage`` starts."""

    def listen(message: str) -> None:
        if message.endswith(f"] {stage} …"):
            raise KeyboardInterrupt

    return listen


def new_record() -> RunRecord:
    return RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="golive.yaml",
                     target="demo")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project directory; the demo's service pidfiles and logs stay inside it."""
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "demo-home"))
    yield tmp_path


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_stages_run_in_order_with_evidence(root: Path) -> None:
    profile = write_profile(root, extra=POPULATION)
    record = new_record()
    said: list[str] = []
    prepared = prepare(profile, record, progress=said.append)
    try:
        assert [s.name for s in record.stages] == list(STAGE_NAMES)
        outcomes = {s.name: s.outcome for s in record.stages}
        assert outcomes.pop("sanitize") is Outcome.SKIPPED  # disabled in this profile
        assert set(outcomes.values()) == {Outcome.PASSED}
        assert all(s.started_at and s.duration >= 0 for s in record.stages)
        ev = {s.name: s.evidence for s in record.stages}
        assert ev["backup"]["generated"]["accounts"] == 20
        assert ev["backup"]["generated"]["seed"] == 7 and len(ev["backup"]["sha256"]) == 64
        assert ev["restore"]["sha256"] == ev["backup"]["sha256"]
        assert ev["restore"]["deployed_release"] == "1.1"
        assert ev["sanitize"]["enabled"] is False  # disabled in this profile: scanned as it is
        assert ev["sanitize"]["reason"] == "sanitizing disabled in profile"
        assert ev["sanitize"]["scan"].startswith("residue")  # the demo holds personal data
        assert record.sanitize.residue
        redirected = ev["lockdown"]["redirected"]
        assert {"mail", "provisioning:voice", "payment:card:CardPay"} <= set(redirected)
        assert all("127.0.0.1" in r["to"] for r in redirected.values())
        assert ev["lockdown"]["escaped"] == []
        assert ev["config_diff"]["drift"] == []
        assert set(ev["config_diff"]["compared"]) == {"tax_rate", "payment_terms_days",
                                                      "currency"}
        assert ev["bill_run"]["status"] == "done" and ev["bill_run"]["invoices"] > 0
        assert {k: ev["stop_service"][k] for k in ("stop", "status")} == {
            "stop": "stopped", "status": "stopped"}
        # production's results of the same bill run, captured read-only, compared whole
        assert ev["baseline"]["captured"] is True and ev["baseline"]["release"] == "1.0"
        assert ev["baseline"]["bill_run_date"] == "2026-11-01"
        assert ev["baseline"]["backup_sha256"] == ev["backup"]["sha256"]
        assert ev["baseline"]["rows"]["accounts"] == 20
        assert ev["compare"]["beyond_tolerance"] == 0
        assert record.population is not None and record.population.passed
        assert {d.dataset for d in record.population.datasets} == {"accounts", "packages",
                                                                   "charges"}
        # every destructive stage asked the file system first, and says how it decided
        decided = {n: ev[n]["not_production"]["decided_by"]
                   for n in ("restore", "lockdown", "bill_run", "stop_service")}
        assert decided.pop("restore") == ("SQLite: staging's file does not exist yet, and its "
                                          "folder and name differ from production's")
        assert set(decided.values()) == {"SQLite: different files (device and inode)"}
        assert any("bill_run: passed" in line for line in said)

        assert prepared.bill_run is not None and prepared.bill_run.status == "done"
        assert prepared.started_at == prepared.bill_run.started_at
        assert prepared.target.events(prepared.started_at, ("ERROR",)) == []
        assert record.release == "1.1" and record.bill_run_date == "2026-11-01"
    finally:
        prepared.close()
    outbound = record.outbound.present()
    # every invoice email went to golive's SMTP sink, and nobody's address is in the record
    assert len(outbound["mail"]) == prepared.bill_run.invoices
    assert all(r.startswith(r[0] + "***@") for m in outbound["mail"] for r in m["recipients"])
    assert outbound["escaped"] == []
    # production was generated, backed up, then ran its own bill run on 1.0 (the demo's
    # schedule, never golive); staging restored the pre-bill-run backup and billed once
    assert count(root / "var/production.db", "SELECT count(*) FROM bill_runs") == 1
    assert count(root / "var/production.db",
                 "SELECT count(*) FROM bill_runs WHERE release = '1.0'") == 1
    assert count(root / "var/staging.db", "SELECT count(*) FROM bill_runs") == 1


def test_a_failing_middle_stage_leaves_later_stages_not_run(root: Path) -> None:
    (root / "03_contacts.sql").write_text("UPDATE contacts SET no_such_column = 'x';\n")
    profile = write_profile(root, extra="sanitize:\n  enabled: true\n"
                                        "  scripts: [03_contacts.sql]\n")
    record = new_record()
    with pytest.raises(PipelineError) as caught:
        prepare(profile, record)
    assert caught.value.stage == "sanitize"
    by_name = {s.name: s for s in record.stages}
    assert [s.name for s in record.stages] == list(STAGE_NAMES)
    assert by_name["restore"].outcome is Outcome.PASSED
    assert by_name["sanitize"].outcome is Outcome.FAILED
    assert "03_contacts.sql" in str(by_name["sanitize"].error)
    assert "no_such_column" in str(by_name["sanitize"].error)
    for later in ("lockdown", "config_diff", "bill_run", "stop_service"):
        assert by_name[later].outcome is Outcome.NOT_RUN
    # staging held raw production data when the sanitize failed: it was emptied, and the
    # stage's error, the run's notes and the sanitize section say so
    said = f"staging was emptied: its SQLite file {root / 'var' / 'staging.db'} was deleted"
    assert not (root / "var" / "staging.db").exists()
    assert said in str(by_name["sanitize"].error)
    assert any(said in note for note in record.notes)
    assert record.sanitize.staging == StagingState("emptied", said)
    assert (root / "var" / "production.db").exists()  # production is never emptied


def _drift_production(root: Path, profile: Any, record: RunRecord) -> None:
    """Prepare once so production exists, then change production's tax rate."""
    prepare(profile, record).close()
    with sqlite3.connect(root / "var/production.db") as conn:
        conn.execute("UPDATE billing_settings SET value = '0.2' WHERE key = 'tax_rate'")


def test_configuration_drift_stops_before_the_bill_run(root: Path) -> None:
    profile = write_profile(root)
    _drift_production(root, profile, new_record())
    record = new_record()
    with pytest.raises(PipelineError, match="tax_rate"):
        prepare(profile, record)
    by_name = {s.name: s for s in record.stages}
    assert by_name["config_diff"].outcome is Outcome.FAILED
    assert by_name["config_diff"].evidence["drift"] == ["tax_rate"]
    assert by_name["config_diff"].evidence["compared"]["tax_rate"]["production"] == "0.2"
    assert by_name["bill_run"].outcome is Outcome.NOT_RUN
    assert by_name["stop_service"].outcome is Outcome.NOT_RUN
    assert count(root / "var/staging.db", "SELECT count(*) FROM bill_runs") == 0


def test_drift_only_warns_when_the_profile_says_so(root: Path) -> None:
    _drift_production(root, write_profile(root), new_record())
    record = new_record()
    prepare(write_profile(root, on_drift="warn"), record).close()
    stage = next(s for s in record.stages if s.name == "config_diff")
    assert stage.outcome is Outcome.PASSED
    assert "tax_rate" in stage.evidence["warning"]


def test_reuse_skips_a_prepared_staging_and_says_so(root: Path) -> None:
    profile = write_profile(root)
    first_record = new_record()
    first = prepare(profile, first_record)
    first_run = first.bill_run
    first.close()

    record = new_record()
    prepared = prepare(profile, record, reuse=True)
    prepared.close()
    assert prepared.reused and record.reused
    assert prepared.bill_run == first_run
    outcomes = {s.name: s.outcome for s in record.stages}
    assert [s.name for s in record.stages] == list(STAGE_NAMES)
    assert outcomes.pop("lockdown") is Outcome.PASSED  # the sinks belong to this run
    assert set(outcomes.values()) == {Outcome.REUSED}
    assert any("was not restored, sanitized or billed again" in n for n in record.notes)
    # the sanitize evidence of the reused preparation comes along (the gate needs it)
    reused_scan = record.sanitize
    assert reused_scan.reused_from is not None
    assert dataclasses.replace(reused_scan, reused_from=None) == first_record.sanitize
    assert reused_scan.residue is not None  # the scan came along: evidence for the gate
    assert count(root / "var/staging.db", "SELECT count(*) FROM bill_runs") == 1

    # what the sinks received while staging was prepared is replayed as this run's evidence
    outbound = record.outbound.present()
    assert outbound["replayed"]["mail"] == first_run.invoices == len(outbound["mail"])
    assert outbound["replayed"]["http"] == len(outbound["http"]) > 0
    assert outbound["expected"]["invoices"] == first_run.invoices
    assert any("replayed as this run's evidence" in n for n in record.notes)

    # another release: staging is not what this run needs, so it is prepared again
    record = new_record()
    prepare(write_profile(root, release="1.1-discount-twice"), record, reuse=True).close()
    assert any("prepared for another release" in n for n in record.notes)
    assert {s.outcome for s in record.stages} == {Outcome.PASSED, Outcome.SKIPPED}
    assert count(root / "var/staging.db", "SELECT count(*) FROM bill_runs") == 1  # restored


def test_reuse_needs_the_captures_of_the_preparation(root: Path) -> None:
    """A marker without the sinks' captures (an older golive) cannot show what the bill run
    sent: staging is prepared again, and the note says why."""
    profile = write_profile(root)
    prepare(profile, new_record()).close()
    path = marker.marker_path(profile)
    data = json.loads(path.read_text())
    del data["outbound"]
    path.write_text(json.dumps(data))
    record = new_record()
    prepare(profile, record, reuse=True).close()
    assert not record.reused
    assert any("kept no record of what the sinks received" in n for n in record.notes)


def test_an_interrupt_after_the_bill_run_stops_the_billing_service(root: Path) -> None:
    profile = write_profile(root)
    ledger = Ledger(root / "started.jsonl")
    record = new_record()
    running: list[str] = []

    def listen(message: str) -> None:
        if message.endswith("] stop_service …"):
            target = open_target(profile)
            try:
                running.append(target.billing_service("status"))
            finally:
                target.close()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prepare(profile, record, progress=listen, ledger=ledger)
    assert running == ["running"]  # the bill run left it running, as the demo does
    target = open_target(profile)
    try:
        assert target.billing_service("status") == "stopped"
    finally:
        target.close()
    stopped = {e.what.rsplit(" ", 1)[0]: e.stopped for e in read_ledger(ledger.path)}
    assert set(stopped) == {"SMTP sink", "HTTP sink", "payment sandbox",
                            "billing service of staging"}, stopped
    assert all(s is not None and s.ok and s.how == "stopped after the run was interrupted"
               for s in stopped.values()), stopped
    urls = [e.what.rsplit(" ", 1)[1] for e in read_ledger(ledger.path)]
    assert not [u for u in urls if "://127.0.0.1" in u and port_open(u)]


def test_closing_a_prepared_staging_notes_everything_it_stops(root: Path) -> None:
    profile = write_profile(root)
    ledger = Ledger(None)
    prepared = prepare(profile, new_record(), ledger=ledger)
    # the demo starts its portals on demand
    portal = require(prepared.target.portals, "portals").urls().admin_url
    assert port_open(portal)
    prepared.close()
    prepared.close()  # idempotent
    ended = {what.rsplit(" ", 1)[0]: e.stopped for what, e in ledger.entries.items()}
    assert ended["billing service of staging"] is not None
    assert ended["billing service of staging"].how == "stopped by the stop_service stage"
    assert ended["demo portals"] is not None
    assert ended["demo portals"].how == "stopped at the end of the run"
    assert not port_open(portal)
    assert ledger.running() == []


def test_reuse_after_a_failed_preparation_prepares_again(root: Path) -> None:
    profile = write_profile(root)
    prepare(profile, new_record()).close()

    with pytest.raises(KeyboardInterrupt):
        prepare(profile, new_record(), progress=interrupt_at("lockdown"))
    record = new_record()
    prepare(profile, record, reuse=True).close()
    assert not record.reused
    assert any("no record of a finished preparation" in n for n in record.notes)


def test_interrupted_stage_is_recorded_interrupted(root: Path) -> None:
    record = new_record()
    with pytest.raises(KeyboardInterrupt):
        prepare(write_profile(root), record, progress=interrupt_at("restore"))
    outcomes = [s.outcome for s in record.stages]
    # backup, baseline (no population in this profile), then restore interrupted
    assert outcomes[:3] == [Outcome.PASSED, Outcome.SKIPPED, Outcome.INTERRUPTED]
    assert set(outcomes[3:]) == {Outcome.NOT_RUN}


@pytest.mark.postgres
def test_pipeline_on_postgresql(root: Path, pg_server: Any) -> None:
    production, staging = pg_server.create_database(), pg_server.create_database()
    profile = write_profile(root, production=production, staging=staging)
    record = new_record()
    prepared = prepare(profile, record)
    try:
        assert {s.outcome for s in record.stages} == {Outcome.PASSED, Outcome.SKIPPED}
        assert prepared.bill_run is not None and prepared.bill_run.invoices > 0
        bob = prepared.target.account("Bob Smith")
        assert bob is not None and len(prepared.target.packages(bob.number)) == 10
    finally:
        prepared.close()


def test_a_tampered_backup_is_not_restored(root: Path) -> None:
    profile = write_profile(root)
    prepare(profile, new_record()).close()
    manifest = Path(profile.backup.path)
    data = next(p for p in manifest.parent.iterdir() if p.suffix == ".sqlite")
    with data.open("ab") as fh:
        fh.write(b"changed after the backup was taken")
    record = new_record()
    with pytest.raises(PipelineError) as caught:
        prepare(profile, record)
    assert caught.value.stage == "restore" and caught.value.exit_code == 1
    restore = next(s for s in record.stages if s.name == "restore")
    assert restore.outcome is Outcome.FAILED
    assert restore.error is not None and "does not match the manifest" in restore.error
    assert [s.outcome for s in record.stages[3:]] == [Outcome.NOT_RUN] * (len(STAGE_NAMES) - 3)


def test_a_missing_backup_without_generate_is_found_when_the_profile_loads(root: Path) -> None:
    (root / "golive.yaml").write_text(
        PROFILE.format(release="1.1", on_drift="fail", production="sqlite:///var/p.db",
                       staging="sqlite:///var/s.db").replace(
            "  generate:\n    accounts: 20\n    seed: 7\n", ""))
    with pytest.raises(ConfigError) as caught:
        load_profile(root / "golive.yaml")
    [problem] = [p for p in caught.value.problems if p.key == "backup.path"]
    assert problem.line == 13 and "no such backup" in problem.message
    assert "(or set backup.generate)" in problem.message
    assert not (root / "var/p.db").exists() and not (root / "var/s.db").exists()


SANITIZE_SCRIPT = "sanitize:\n  enabled: true\n  scripts: [scrub.sql]\n"


@pytest.mark.parametrize("stop", ["sanitize", "a failing script"])
def test_staging_never_keeps_raw_production_data_when_sanitizing_stops(root: Path,
                                                                       stop: str) -> None:
    """Restored, then interrupted as sanitizing starts (or its script fails): staging is
    emptied before the run reports it, and the record says so where a reader looks."""
    bad = stop == "a failing script"
    (root / "scrub.sql").write_text("UPDATE contacts SET nope = 1;\n" if bad else
                                    "UPDATE contacts SET email = NULL;\n")
    profile = write_profile(root, extra=SANITIZE_SCRIPT)
    record = new_record()
    with pytest.raises(PipelineError if bad else KeyboardInterrupt):
        prepare(profile, record, progress=None if bad else interrupt_at("sanitize"))
    stage = next(s for s in record.stages if s.name == "sanitize")
    assert stage.outcome is (Outcome.FAILED if bad else Outcome.INTERRUPTED)
    assert next(s for s in record.stages if s.name == "restore").outcome is Outcome.PASSED
    assert not (root / "var" / "staging.db").exists()
    said = f"staging was emptied: its SQLite file {root / 'var' / 'staging.db'} was deleted"
    assert str(stage.error).endswith(said)
    assert record.sanitize.staging.state == "emptied"
    assert said in render_html(record)  # the sign-off report says it too


def test_a_run_that_stops_after_sanitizing_leaves_staging_as_it_is(root: Path) -> None:
    (root / "scrub.sql").write_text("UPDATE contacts SET email = 'x@example.com';\n")
    profile = write_profile(root, extra=SANITIZE_SCRIPT)
    record = new_record()
    with pytest.raises(KeyboardInterrupt):
        prepare(profile, record, progress=interrupt_at("lockdown"))
    assert (root / "var" / "staging.db").exists()  # sanitized: nothing to hide
    assert record.sanitize.staging is None
    assert count(root / "var" / "staging.db", "SELECT count(*) FROM contacts "
                                              "WHERE email <> 'x@example.com'") == 0


def test_sanitizing_off_is_the_profiles_choice(root: Path) -> None:
    record = new_record()
    with pytest.raises(KeyboardInterrupt):
        prepare(write_profile(root), record, progress=interrupt_at("sanitize"))
    assert (root / "var" / "staging.db").exists()
    assert not any("emptied" in n for n in record.notes)


@pytest.mark.postgres
def test_emptying_postgresql_staging_leaves_no_row_and_never_touches_production(
        root: Path, pg_server: Any) -> None:
    import psycopg

    from harness.stages.quarantine import empty_staging

    production, staging = pg_server.create_database(), pg_server.create_database()
    libpq = {u: u.replace("postgresql+psycopg://", "postgresql://")
             for u in (production, staging)}
    for url in (production, staging):
        with psycopg.connect(libpq[url], autocommit=True) as conn:
            conn.execute("CREATE SCHEMA billing")
            conn.execute("CREATE TABLE billing.contacts (id int PRIMARY KEY, email text)")
            conn.execute("CREATE TABLE notes (id int, contact int REFERENCES "
                         "billing.contacts (id), body text)")
            conn.execute("CREATE TABLE events (at date, body text) PARTITION BY RANGE (at)")
            conn.execute("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM "
                         "('2026-01-01') TO ('2027-01-01')")
            conn.execute("INSERT INTO billing.contacts VALUES (1, 'jane@realmail.net')")
            conn.execute("INSERT INTO notes VALUES (1, 1, 'call +44 20 7946 0000')")
            conn.execute("INSERT INTO events VALUES ('2026-10-01', 'jane@realmail.net')")
            conn.execute("CREATE MATERIALIZED VIEW mailing AS SELECT email FROM "
                         "billing.contacts")
            conn.execute("SELECT lo_from_bytea(0, 'scan of a passport')")
    said = empty_staging(by_hand(staging, production))
    assert said == ("staging was emptied: 3 tables truncated, 1 materialised views emptied, "
                    "large objects removed")
    with psycopg.connect(libpq[staging]) as conn:
        for table in ("billing.contacts", "notes", "events", "events_2026"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        assert conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (0,)
        assert conn.execute("SELECT ispopulated FROM pg_matviews").fetchone() == (False,)
    with psycopg.connect(libpq[production]) as conn:
        assert conn.execute("SELECT count(*) FROM billing.contacts").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (1,)


@pytest.mark.postgres
def test_staging_that_cannot_be_emptied_is_said_to_hold_raw_data(root: Path,
                                                                 pg_server: Any) -> None:
    """golive's role cannot truncate a table it does not own: the record says staging
    STILL HOLDS unsanitized data instead of pretending."""
    import psycopg

    from harness.stages.context import StageContext
    from harness.stages.quarantine import quarantine

    production, staging = pg_server.create_database(), pg_server.create_database()
    name = str(make_url(staging).database)
    with psycopg.connect(pg_server.libpq_dsn(name), autocommit=True) as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE golive_qa LOGIN; "
                     "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("CREATE TABLE contacts (email text)")
        conn.execute("INSERT INTO contacts VALUES ('jane@realmail.net')")
        conn.execute("GRANT SELECT ON contacts TO golive_qa")
    as_qa = staging.replace("postgres@", "golive_qa@")
    base = by_hand(as_qa, production)
    profile = base.model_copy(
        update={"sanitize": base.sanitize.model_copy(update={"enabled": True})})
    record = new_record()
    ctx = StageContext(profile=profile, record=record,
                       target=SimpleNamespace(close=lambda: None))  # type: ignore[arg-type]
    said = quarantine(ctx, "sanitize")
    assert said.startswith("staging STILL HOLDS unsanitized production data: emptying it "
                           "failed (permission denied")
    assert record.sanitize.staging.state == "not emptied"
    assert any("STILL HOLDS" in note for note in record.notes)
