"""golive verifies django-silver with a profile only (examples/silver/golive: YAML and Gherkin,
no Python): the real `golive run` on the real releases — production on 0.10.0, staging
restored, migrated, sanitized and billed on 0.11.1 by the platform's own commands.

The faithful upgrade is GO; with the plan-price fault applied right after the restore it is
NO-GO naming exactly the diverse customers the fault touches. And the scanner's false
positives on silver, measured: none on a sanitized copy, every planted class found on an
unsanitized one. Production is generated once per test session (200 customers, seed 42, the
bill run of 2026-11-01 — what the checklist's expectations were read from).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanitize.api import run_vendor_scripts, scan
from tests.examples.silver_setup import PLATFORM, ROOT, install

pytestmark = pytest.mark.slow

GOLIVE_DIR = ROOT / "examples" / "silver" / "golive"
SILVERCTL = str(PLATFORM / "silverctl")
BILL_DATE = "2026-11-01"  # the profile's bill_run.date and the checklist's data set
GOLIVE = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]


def _run(*args: str, env: dict[str, str] | None = None, timeout: int = 900
         ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("GOLIVE_DSN", "SILVER_DSN", "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS")
             and not k.startswith("SILVER_")}
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          check=False, env={**clean, **(env or {})})


def _ok(*args: str) -> str:
    done = _run(*args)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class Production:
    """Production after its own bill run on 0.10.0, and the backup taken before it."""

    db: Path
    backup: Path  # the manifest


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Production:
    if dt.date.today() < dt.date(2026, 11, 3):
        pytest.fail(f"silver bills against the machine clock: the example's bill run of "
                    f"{BILL_DATE} needs a date on or after 2026-11-03 (today: {dt.date.today()})")
    install(tmp_path_factory.mktemp("probe"))
    tmp = tmp_path_factory.mktemp("silver-production")
    db = tmp / "production.db"
    _ok(SILVERCTL, "production", "generate", "--customers", "200", "--seed", "42",
        "--bill-date", BILL_DATE, "--db", str(db))
    _ok(SILVERCTL, "production", "backup", "--db", str(db), "--out", str(tmp / "backup"),
        "--seed", "42")
    _ok(SILVERCTL, "production", "billrun", BILL_DATE, "--db", str(db))
    return Production(db, tmp / "backup" / "pre-bill-run.manifest.json")


@dataclass
class GoliveRun:
    exit_code: int
    output: str
    record: dict[str, Any]
    run_dir: Path

    def stage(self, name: str) -> dict[str, Any]:
        return next(s for s in self.record["stages"] if s["name"] == name)

    def gate(self, name: str) -> dict[str, Any]:
        return next(g for g in self.record["gate"] if g["name"] == name)


def golive_run(production: Production, tmp: Path, **env: str) -> GoliveRun:
    reports = tmp / "reports"
    done = _run(*GOLIVE, "run", "--profile", str(GOLIVE_DIR / "golive.yaml"), env={
        "PYTHONPATH": str(ROOT),
        "SILVER_PRODUCTION_DSN": f"sqlite:///{production.db}",
        "SILVER_STAGING_DSN": f"sqlite:///{tmp / 'staging.db'}",
        "SILVER_BACKUP": str(production.backup),
        "SILVER_REPORTS": str(reports),
        **env})
    run_dir = (reports / "latest").resolve()
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return GoliveRun(done.returncode, done.stdout + done.stderr, record, run_dir)


def _diverse() -> dict[str, str]:
    """The checklist's diverse accounts: id → customer_reference."""
    data = yaml.safe_load((GOLIVE_DIR / "checklists" / "accounts.yaml").read_text())
    return {a["id"]: a["account"] for a in data["accounts"]}


def test_the_faithful_upgrade_is_go(production: Production, tmp_path: Path) -> None:
    run = golive_run(production, tmp_path)
    assert run.exit_code == 0, run.output[-3000:]
    assert run.record["verdict"] == "GO"
    assert {s["name"]: s["outcome"] for s in run.record["stages"]} == dict.fromkeys(
        ["backup", "baseline", "restore", "sanitize", "lockdown", "config_diff", "bill_run",
         "stop_service", "compare", "outbound_check"], "passed")
    # production is the oracle: every customer, subscription and line billed as production did
    assert run.gate("population matches production")["passed"]
    assert run.record["population"]["beyond"] == 0
    assert {d["dataset"]: d["production_rows"] == d["staging_rows"] > 0
            for d in run.record["population"]["datasets"]} == dict.fromkeys(
        ["accounts", "packages", "charges"], True)
    # the platform's own commands, their evidence kept
    restore = run.stage("restore")["evidence"]["commands"][0]
    assert restore["exit_code"] == 0 and "migrated to django-silver 0.11.1" in " ".join(
        restore["stdout_tail"])
    bill_run = run.stage("bill_run")["evidence"]
    assert bill_run["id"] == 20261101 and bill_run["accounts_billed"] >= 150
    assert bill_run["commands"][0]["line"] == "../platform/silverctl staging billrun {date}"
    # locked down per channel; silver sends nothing, so nothing is missing from the sinks
    channels = run.stage("lockdown")["evidence"]["channels"]
    assert {n: c["method"] for n, c in channels.items()} == {
        "mail": "env", "payment": "blocked", "http": "blocked"}
    expected = run.stage("outbound_check")["evidence"]["expected"]
    assert (expected["mail"], expected["payments"], expected["blocked"]) == (
        0, 0, ["payment", "http"])
    assert run.gate("nothing escaped the sinks")["passed"]
    assert run.gate("sanitize scan clean")["detail"] == "none"
    # every diverse customer checked, and all as production billed them
    checked = {a["account"] for a in run.record["accounts"]}
    assert checked == set(_diverse().values()) and all(a["ok"] for a in run.record["accounts"])
    coverage = {c["item_id"]: c["coverage"] for c in run.record["checklist"]}
    assert coverage["CF-BILL-02"] == coverage["CF-PRICE-01"] == "verified"
    assert coverage["CF-LOCKPAYMENT-01"] == coverage["CF-LOCKHTTP-01"] == "manual_pass"
    reasons = sorted(s["error"] for s in run.record["scenarios"]
                     if s["outcome"] == "not_applicable")
    assert reasons == [f"not applicable: the target has no {what}"
                       for what in ("outbound", "payments", "sub accounts")]


def test_a_repriced_plan_on_staging_is_no_go_naming_exactly_the_customers_it_touches(
        production: Production, tmp_path: Path) -> None:
    touched_file = tmp_path / "touched.txt"
    run = golive_run(production, tmp_path,
                     SILVER_RESTORE="../platform/faults/plan-price-after-restore",
                     SILVER_FAULT_OUT=str(touched_file))
    assert run.exit_code == 1, run.output[-3000:]
    assert run.record["verdict"] == "NO-GO"
    touched = set(touched_file.read_text().split())
    diverse = _diverse()
    expected = {ref for ref in diverse.values() if ref in touched}
    assert expected, "the fault touches none of the diverse customers: nothing to name"
    failed = {a["account"] for a in run.record["accounts"] if not a["ok"]}
    assert failed == expected
    # and the population names every customer the fault touches, not only the diverse ones
    assert not run.gate("population matches production")["passed"]
    differing = {d["account"] for d in run.record["population"]["differences"]}
    assert differing == touched
    wrong = {a["check"] for a in run.record["accounts"] if not a["ok"]}
    # what the customers owe, and — from production's baseline — the repriced plan itself
    assert {"balance", "invoice total"} <= wrong, wrong
    assert any(check.startswith("unit price NW-") for check in wrong), wrong
    assert not run.gate("accounts match production")["passed"]
    failing_items = {c["item_id"] for c in run.record["checklist"]
                     if c["critical"] and c["coverage"] != "verified"
                     and c["coverage"] != "manual_pass"}
    assert failing_items == {"CF-BILL-02", "CF-PRICE-01"}
    # everything else still held: the run, the lock-down, the sanitizing
    assert all(s["outcome"] == "passed" for s in run.record["stages"])


PLANTED = {  # one value per detector class, in columns the vendor script scrubs
    "email": ("silver_customer", "extra", "invoices to anna.schmidt@t-online.de please"),
    "phone": ("silver_customer", "phone", "+49 30 9018 2277"),
    "card": ("silver_customer", "meta", '{"card": "4111 1111 1111 1111"}'),
    "iban": ("silver_customer", "sales_tax_number", "DE89 3704 0044 0532 0130 00"),
    "host": ("silver_provider", "extra", "remit via https://billing.northwind-telecom.co.uk/pay"),
}


def test_the_scanner_finds_every_planted_class_and_nothing_on_the_sanitized_copy(
        production: Production, tmp_path: Path) -> None:
    copy = tmp_path / "unsanitized.db"
    shutil.copy(production.backup.parent / "pre-bill-run.sqlite3", copy)
    with sqlite3.connect(copy) as conn:
        for table, column, value in PLANTED.values():
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = 2", (value,))
    url = f"sqlite:///{copy}"
    before = scan(url)
    found = {f.detector for f in before.findings}
    assert set(PLANTED) <= found, before.findings
    for detector, (table, column, _) in PLANTED.items():
        assert any(f.detector == detector and (f.table, f.column) == (table, column)
                   for f in before.findings), detector
    run_vendor_scripts(url, [PLATFORM / "sanitize.sql"])
    after = scan(url)
    assert after.findings == [] and after.unreadable == [] and after.clean
