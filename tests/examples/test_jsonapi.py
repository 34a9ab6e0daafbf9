"""The Python adapter example: Tallybill, a billing platform reached only through its HTTP
JSON API, served for real on 127.0.0.1 (production and staging, each its own server).

`golive run` with the adapter reaches a verdict: GO on release 1.5 — with the payments
scenario NOT APPLICABLE, since the adapter has no payments — and NO-GO on a release that
moves yearly subscriptions by a month. `golive checklist` says which item this target
cannot verify and why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.config import load_profile
from harness.targets.base import AmbiguousAccount, capabilities
from harness.targets.loader import open_target
from tests.relay import Relay

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "jsonapi"
GOLIVE = Path(sys.executable).parent / "golive"


def _platform() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tallybill", EXAMPLE / "platform" /
                                                  "tallybill.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tallybill"] = module
    spec.loader.exec_module(module)
    return module


tallybill = _platform()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example folder, copied: its reports go to the test's folder."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "jsonapi",
                                ignore=shutil.ignore_patterns("reports", "__pycache__")))


@pytest.fixture
def servers() -> Iterator[Callable[[str], dict[str, str]]]:
    """Start production (1.4, loaded with its pre-bill-run export) and an empty staging on
    ``release``; the environment golive needs to find them."""
    started: list[Any] = []

    def start(release: str) -> dict[str, str]:
        export = (EXAMPLE / "data" / "pre-bill-run.json").read_bytes()
        production = tallybill.start("1.4", load=export)
        staging = tallybill.start(release)
        started.extend([production, staging])
        return {"TALLYBILL_PRODUCTION": production.url, "TALLYBILL_STAGING": staging.url}

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def golive(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GOLIVE), *args, "--profile", str(project / "golive.yaml")],
                          cwd=project, env={**os.environ, **env, "COLUMNS": "100"},
                          capture_output=True, text=True, check=False, timeout=600)


def record(project: Path) -> dict[str, Any]:
    return dict(json.loads((project / "reports" / "latest" / "run.json").read_text()))


def test_golive_run_with_the_http_adapter_is_go_and_payments_not_applicable(
        project: Path, servers: Callable[[str], dict[str, str]]) -> None:
    env = servers("1.5")
    ran = golive(project, env, "run")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.splitlines()[-1].startswith("golive: GO")
    run = record(project)
    assert run["target"] == "python" and run["release"] == "1.5"
    stages = {s["name"]: s["outcome"] for s in run["stages"]}
    assert stages == {"backup": "passed", "baseline": "skipped", "restore": "passed",
                      "sanitize": "skipped", "lockdown": "passed", "config_diff": "passed",
                      "bill_run": "passed", "stop_service": "passed", "compare": "skipped",
                      "outbound_check": "passed"}
    # staging is not production: the platform itself says which installation each side is
    restored = next(s for s in run["stages"] if s["name"] == "restore")
    assert restored["evidence"]["not_production"]["decided_by"].startswith(
        "the platform reports installation ")
    # golive cannot scan Tallybill: the profile's attestation is shown as such, not as a scan
    rules = {r["name"]: r for r in run["gate"]}
    assert rules["sanitize scan clean"]["passed"]
    assert rules["sanitize scan clean"]["detail"].startswith(
        "attested, not scanned: the export is anonymised by Tallybill's exporter")
    outcomes = {s["name"]: (s["outcome"], s["error"]) for s in run["scenarios"]}
    assert outcomes.pop("Every configured payment processor is enabled") == (
        "not_applicable", "not applicable: the target has no payments")
    assert {o for o, _ in outcomes.values()} == {"passed"}, outcomes
    coverage = {c["item_id"]: c["coverage"] for c in run["checklist"]}
    assert coverage["CF-PAY-01"] == "uncovered" and coverage["CF-LOCK-01"] == "verified"
    # three invoices, three e-mails, all caught by golive's SMTP sink
    assert len(run["outbound"]["mail"]) == 3
    assert run["outbound"]["redirected"]["mail"]["from"] == \
        "smtp://mail.tallybill.example:25"
    # accounts by key, with the name staging shows: two accounts share "Alex Kim"
    checks = {(a["account"], a["name"], a["label"]) for a in run["accounts"]}
    assert ("T-1005", "Alex Kim", "ACC-MIDMONTH") in checks
    assert ("T-1006", "Alex Kim", "ACC-CLOSED") in checks
    assert ("T-1002", "Jane Doe", None) in checks

    shown = golive(project, env, "checklist")
    assert shown.returncode == 0, shown.stderr
    text = re.sub(r"\s+", " ", shown.stdout)
    assert "has: sub_accounts, outbound, permissions" in text
    assert ("CF-PAY-01 (not critical, medium, owner billing, automated) Payment processors "
            "are configured and enabled this target: not on this target (needs payments: "
            "the target has no payments) latest run: uncovered") in text
    assert "CF-PERM-01 (critical, high, owner operations, automated) Staff roles have the " \
           "permissions they need after the upgrade this target: verifiable latest run: " \
           "verified" in text


def test_a_regressed_release_is_no_go_naming_the_account(
        project: Path, servers: Callable[[str], dict[str, str]]) -> None:
    env = servers("1.5-yearly-bug")
    ran = golive(project, env, "run")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "1 critical item failed: CF-BILL-02" in ran.stdout.splitlines()[-1]
    bad = [(a["account"], a["label"], a["check"], a["expected"], a["actual"])
           for a in record(project)["accounts"] if not a["ok"]]
    assert bad == [("T-1001", "ACC-BOB", "next bill date DOMAIN", "2027-11-01", "2026-12-01")]


def test_the_adapter_reads_by_key_refuses_a_shared_name_and_writes_only_to_staging(
        project: Path, servers: Callable[[str], dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = servers("1.5")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(project))
    profile = load_profile(project / "golive.yaml")
    production = open_target(profile, "production")
    assert production.release == "1.4"
    assert [n for n, has in capabilities(production).items() if has] == [
        "sub_accounts", "outbound", "permissions"]
    assert production.account("T-1001").name == "Bob Smith"  # type: ignore[union-attr]
    assert production.account("Bob Smith").number == "T-1001"  # type: ignore[union-attr]
    assert production.account("T-9999") is None
    with pytest.raises(AmbiguousAccount, match="'Alex Kim' matches 2 accounts: T-1005, T-1006"):
        production.account("Alex Kim")
    from common.errors import SafetyError

    with pytest.raises(SafetyError, match="not the profile's staging database"):
        production.run_bill_run(profile.bill_run.date)
    with pytest.raises(SafetyError):
        production.outbound.redirect({"mail": "smtp://127.0.0.1:1"})  # type: ignore[union-attr]
    assert production.latest_bill_run() is None  # nothing was billed on production


def test_without_an_attestation_an_unscannable_staging_is_no_go(
        project: Path, servers: Callable[[str], dict[str, str]]) -> None:
    path = project / "golive.yaml"
    path.write_text("\n".join(line for line in path.read_text().splitlines()
                               if not line.startswith("  attested:")) + "\n")
    ran = golive(project, servers("1.5"), "run")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "sanitize scan clean: sanitizing disabled by the profile and staging not scanned" \
        in ran.stdout.splitlines()[-1]


def test_one_installation_behind_two_addresses_is_refused_before_the_restore(
        project: Path, servers: Callable[[str], dict[str, str]]) -> None:
    env = servers("1.5")
    port = int(env["TALLYBILL_PRODUCTION"].rsplit(":", 1)[1].split("/")[0])
    relay = Relay(("127.0.0.1", port))  # production again, on another port: other text
    try:
        ran = golive(project, {**env, "TALLYBILL_STAGING": f"http://127.0.0.1:{relay.port}/api"},
                     "run")
    finally:
        relay.close()
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "the platform reports one installation" in ran.stdout + ran.stderr
    run = record(project)
    assert {s["name"]: s["outcome"] for s in run["stages"]}["restore"] != "passed"
