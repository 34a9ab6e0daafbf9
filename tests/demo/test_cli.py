"""``python -m demo`` as a user runs it: exit codes, one-line errors, no passwords printed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo.db import make_engine
from demo.models import Account, BillRun, ImportBatch, Invoice, UsageRecord
from demo.releases import RELEASES
from tests.demo.test_backup import account_names, build_db, mutate

UNREACHABLE = "postgresql://golive:s3cr3t-pw@127.0.0.1:1/prod"


def demo(home: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DEMO_DB", "DEMO_RELEASE")}
    full.update({"DEMO_HOME": str(home), **(env or {})})
    return subprocess.run([sys.executable, "-m", "demo", *args], env=full, capture_output=True,
                          text=True, timeout=300, check=False)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a failed command: exactly one line, no traceback."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_releases_lists_every_release_and_marks_the_default(tmp_path: Path) -> None:
    result = demo(tmp_path, "releases")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name, release in RELEASES.items():
        assert any(re.match(rf"^[* ] {re.escape(name)}\s+{re.escape(release.summary)}$", line)
                   for line in lines), name
    assert re.search(r"^\* 1\.1 ", result.stdout, re.M)
    marked = demo(tmp_path, "releases", env={"DEMO_RELEASE": "1.0"})
    assert re.search(r"^\* 1\.0 ", marked.stdout, re.M)


@pytest.mark.parametrize(
    "command",
    [
        ["billrun", "--date", "2026-11-01"],
        ["backup"],
        ["import", "usage", "nothing.csv"],
        ["service", "start"],
        ["billrun", "--via-service"],
    ],
)
def test_unreachable_postgres_is_exit_3_without_the_password(
    tmp_path: Path, command: list[str]
) -> None:
    result = demo(tmp_path, *command, "--db", UNREACHABLE)
    assert result.returncode == 3
    line = one_line_error(result)
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    if "--via-service" not in command:
        assert "cannot connect to postgresql+psycopg://golive:***@127.0.0.1:1/prod" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["billrun", "--release", "2.0"], "unknown demo release '2.0'"),
        (["billrun", "--db", "nosuchdriver://x/y"], "bad database URL"),
        (["restore", "--from", "missing.manifest.json"], "no such manifest"),
    ],
)
def test_usage_errors_are_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = demo(tmp_path, *args)
    assert result.returncode == 2
    assert message in one_line_error(result)


def test_argument_errors_are_exit_2(tmp_path: Path) -> None:
    bad_date = demo(tmp_path, "billrun", "--date", "2026-13-01")
    assert bad_date.returncode == 2
    assert "not a date (YYYY-MM-DD): '2026-13-01'" in bad_date.stderr
    assert demo(tmp_path, "generate", "--accounts", "-3").returncode == 2
    assert demo(tmp_path, "frobnicate").returncode == 2


def test_missing_sqlite_database_is_exit_3_and_not_created(tmp_path: Path) -> None:
    result = demo(tmp_path, "billrun")
    assert result.returncode == 3
    assert f"no database at {tmp_path / 'demo.db'}" in one_line_error(result)
    assert not (tmp_path / "demo.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_text("this is not SQLite\n" * 100)
    result = demo(tmp_path, "backup", "--db", str(junk))
    assert result.returncode == 3
    assert "file is not a database" in one_line_error(result)


def test_backup_and_restore_commands(db_url: str, tmp_path: Path) -> None:
    build_db(db_url)
    before = account_names(db_url)
    made = demo(tmp_path, "backup", "--db", db_url, "--out", str(tmp_path / "out"))
    assert made.returncode == 0, made.stderr
    manifest = Path(re.search(r"manifest: (\S+)", made.stdout).group(1))  # type: ignore[union-attr]
    data = json.loads(manifest.read_text())
    assert data["row_counts"]["accounts"] == 3 and data["seed"] == 7
    mutate(db_url)

    restored = demo(tmp_path, "restore", "--from", str(manifest), "--db", db_url)
    assert restored.returncode == 0, restored.stderr
    assert "digest and row counts verified" in restored.stdout
    assert account_names(db_url) == before

    backup_file = manifest.parent / data["file"]
    backup_file.write_bytes(backup_file.read_bytes() + b"tampered")
    mutate(db_url)
    refused = demo(tmp_path, "restore", "--from", str(backup_file), "--db", db_url)
    assert refused.returncode == 2
    assert "does not match the manifest" in one_line_error(refused)
    assert account_names(db_url) != before


def test_backup_defaults_to_the_state_directory(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    home = tmp_path / "home"
    made = demo(home, "backup", "--db", sqlite_url)
    assert made.returncode == 0, made.stderr
    assert len(list((home / "backups").glob("*.manifest.json"))) == 1


def test_backup_without_pg_dump_is_exit_3(pg_url: str, tmp_path: Path) -> None:
    build_db(pg_url)
    result = demo(tmp_path, "backup", "--db", pg_url, env={"PATH": str(tmp_path)})
    assert result.returncode == 3
    assert "pg_dump not found on PATH" in one_line_error(result)


def test_import_commands_exit_codes(db_url: str, tmp_path: Path) -> None:
    build_db(db_url)
    good = tmp_path / "good.csv"
    good.write_text("account_number,started_at,minutes,destination\n"
                    "A000001,2026-10-01T09:00:00,5,+1555\n")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("account_number,started_at,minutes,destination\n"
                     "A000002,2026-10-02T09:00:00,6,+1555\n"
                     "A000002,2026-10-02T10:00:00,six,+1555\n")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("acct,started_at,minutes,destination\nA000001,2026-10-01,1,x\n")

    ok = demo(tmp_path, "import", "usage", str(good), "--db", db_url)
    assert ok.returncode == 0, ok.stderr
    assert "1 ok, 0 failed" in ok.stdout
    partly = demo(tmp_path, "import", "usage", str(mixed), "--db", db_url)
    assert partly.returncode == 1
    assert "1 ok, 1 failed" in partly.stdout
    assert "line 3: minutes: not a whole number: 'six'" in partly.stdout
    refused = demo(tmp_path, "import", "usage", str(wrong), "--db", db_url)
    assert refused.returncode == 2
    assert "unknown column 'acct'" in one_line_error(refused)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name,email,phone,street,city,postcode,bill_day,parent_number\n"
                        "New Customer,new@example.com,555,1 St,Town,1,10,A000001\n")
    added = demo(tmp_path, "import", "accounts", str(accounts), "--db", db_url)
    assert added.returncode == 0 and "1 ok, 0 failed" in added.stdout

    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(UsageRecord)) == 2
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 3
        assert s.scalar(select(Account.name).where(Account.number == "A000004")) \
            == "New Customer"
    engine.dispose()


def test_billrun_command_bills_once_per_date(db_url: str, tmp_path: Path) -> None:
    build_db(db_url)
    first = demo(tmp_path, "billrun", "--date", "2026-11-01", "--release", "1.0",
                 "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert "bill run for 2026-11-01 on release 1.0" in first.stdout
    assert re.search(r"^  invoices: 3$", first.stdout, re.M)
    again = demo(tmp_path, "billrun", "--date", "2026-11-01", "--release", "1.0",
                 "--db", db_url)
    assert again.returncode == 0
    assert re.search(r"^  invoices: 0$", again.stdout, re.M)
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Invoice)) == 3
        assert set(s.scalars(select(BillRun.release))) == {"1.0"}
    engine.dispose()


def test_generate_then_backup_records_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gen.db'}"
    made = demo(tmp_path, "generate", "--accounts", "20", "--seed", "5", "--db", url)
    assert made.returncode == 0, made.stderr
    assert f"generated 20 accounts (seed 5, as of 2026-10-31) into {url}" in made.stdout
    assert len(account_names(url)) == 20
    too_few = demo(tmp_path, "generate", "--accounts", "3", "--db", url)
    assert too_few.returncode == 2
    assert "accounts must be" in one_line_error(too_few)


def test_serve_runs_portals_and_gateway_until_sigterm(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    env = {k: v for k, v in os.environ.items() if k not in ("DEMO_DB", "DEMO_RELEASE")}
    env["DEMO_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "serve", "--port", "0", "--gateway-port", "0",
         "--db", sqlite_url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        urls: dict[str, str] = {}
        for line in proc.stdout:
            if ":" in line and "http://127.0.0.1:" in line:
                name, url = line.split(": ", 1)
                urls[name.strip()] = url.strip()
            if line.startswith("press Ctrl-C"):
                break
        assert set(urls) == {"admin portal", "customer portal", "payment gateway"}
        with urllib.request.urlopen(urls["customer portal"], timeout=10) as page:
            assert page.status == 200
        charge = urllib.request.Request(
            urls["payment gateway"] + "/charge", method="POST",
            data=json.dumps({"merchant_id": "m", "api_key": "k", "amount": "1.00",
                             "currency": "USD", "kind": "card",
                             "card_number": "4111111111111111", "reference": "t"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(charge, timeout=10) as answer:
                assert answer.status in (200, 402)
        except urllib.error.HTTPError as refused:  # unknown merchant: the gateway answered
            assert refused.code in (400, 401, 402, 403)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
