"""The scanner finds residue wherever it is, counts it without values; the demo scans clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from demo.generate import generate
from harness.cli import main
from sanitize import run_vendor_scripts, sanitize, scan, take_original_sample
from tests.sanitize.helpers import SALT, execute, people, write_rules

DEMO_RULES = Path("sanitize/rules/demo.yaml")
PLANTED = {
    "a note": "Refund to GB82WEST12345698765432 please",
    "json": json.dumps({"alt": {"mail": "jane@realmail.net"}}),
    "card": "paid with 4111-1111-1111-1111 yesterday",
    "host": "see https://billing.vendor-internal.com/api",
}


def test_finds_planted_pii_and_reports_counts_only(db_url: str) -> None:
    execute(db_url, "CREATE TABLE misc (id INTEGER PRIMARY KEY, body TEXT, extra VARCHAR(300))")
    execute(db_url, "INSERT INTO misc VALUES (:id, :body, :extra)",
            params=[{"id": i, "body": body, "extra": "call (415) 867-5309 or 10.20.30.40"}
                    for i, body in enumerate(PLANTED.values())])
    execute(db_url, "INSERT INTO misc VALUES (9, 'fine: x@example.com, (212) 555-0123, "
                    "http://127.0.0.1:8025/', 'nothing here')")
    result = scan(db_url)
    found = {(f.table, f.column, f.detector): f.count for f in result.findings}
    assert found == {
        ("misc", "body", "iban"): 1, ("misc", "body", "email"): 1, ("misc", "body", "card"): 1,
        ("misc", "body", "host"): 1, ("misc", "extra", "phone"): 4, ("misc", "extra", "host"): 4,
    }
    assert not result.clean
    dumped = json.dumps(result.to_dict())
    assert "realmail" not in dumped and "4111" not in dumped and "GB82" not in dumped
    allowed = scan(db_url, allow_domains=["realmail.net", "example.com"])
    assert "email" not in allowed.by_detector()


def test_originals_that_survive_are_found(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    rules = write_rules(tmp_path, """
tables:
  people:
    columns:
      name: {fake: person_name}
      note: {hash: true}
""")
    sample = take_original_sample(db_url, rules, SALT)
    execute(db_url, "CREATE TABLE copy_of_people (id INTEGER PRIMARY KEY, name VARCHAR(100))",
            "INSERT INTO copy_of_people SELECT id, name FROM people")  # a table with no rules
    sanitize(db_url, rules, SALT)
    execute(db_url, "UPDATE people SET note = 'called p3' WHERE id = 3")  # a rule "missed" it
    result = scan(db_url, allow_domains=["corp-mail.com"], allow_hosts=["db1.corp.internal"],
                  originals=sample)
    survived = {(f.table, f.column): f.count for f in result.findings if f.detector == "original"}
    assert survived == {("copy_of_people", "name"): 20, ("people", "note"): 1}
    plain = scan(db_url, allow_domains=["corp-mail.com"]).by_detector()
    assert "original" not in plain and plain["phone"] == 20  # no sample: detectors only


def test_demo_database_scans_clean_after_sanitizing(db_url: str) -> None:
    generate(db_url, accounts=40, seed=1)
    before = scan(db_url)
    assert {"email", "phone", "card", "iban", "host"} <= set(before.by_detector())
    sample = take_original_sample(db_url, DEMO_RULES, SALT)
    result = sanitize(db_url, DEMO_RULES, SALT, sinks={"smtp": "127.0.0.1",
                                                       "payments": "http://127.0.0.1:9000/pay"})
    assert result.rows_changed["contacts"] >= 40 and result.skipped == ["portal_users",
                                                                       "billing_settings"]
    after = scan(db_url, originals=sample)
    assert after.clean, after.findings


def test_demo_vendor_script_then_scan(sqlite_url: str) -> None:
    generate(sqlite_url, accounts=40, seed=1)
    run_vendor_scripts(sqlite_url, [Path("sanitize/rules/demo-vendor.sql")])
    assert scan(sqlite_url).clean


def test_golive_scan_exit_codes(sqlite_url: str, tmp_path: Path) -> None:
    people(sqlite_url)
    runner = CliRunner()
    dirty = runner.invoke(main, ["scan", sqlite_url])
    assert dirty.exit_code == 1, dirty.output
    assert "corp-mail" not in dirty.output and "415-867" not in dirty.output
    execute(sqlite_url, "DELETE FROM people", "DELETE FROM orders", "DELETE FROM audit")
    assert runner.invoke(main, ["scan", sqlite_url]).exit_code == 0
    gone = runner.invoke(main, ["scan", "postgresql://me:hunter2@127.0.0.1:1/none"])
    assert gone.exit_code == 3
    assert "hunter2" not in gone.output and "***" in gone.output


def test_golive_sanitize_refuses_a_database_not_marked_staging(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setenv("GOLIVE_SANITIZE_SALT", SALT)
    profile = Path("golive.yaml").read_text(encoding="utf-8")
    for name in ("checklists", "features", "sanitize/rules/demo.yaml"):  # must exist
        profile = profile.replace(f": {name}", f": {Path(name).resolve()}")
    path = tmp_path / "golive.yaml"
    path.write_text(profile.replace("demo/var/", str(tmp_path) + "/"), encoding="utf-8")
    other = tmp_path / "elsewhere.db"
    people(f"sqlite:///{other}")
    result = CliRunner().invoke(main, ["sanitize", "--profile", str(path),
                                       "--dsn", f"sqlite:///{other}"])
    assert result.exit_code == 2, result.output
    assert "refusing to write" in result.output
    assert "p1@corp-mail.com" in str(other.read_bytes())


def test_digits_inside_an_allowed_fake_address_are_not_a_card() -> None:
    """A fake e-mail's keyed suffix can be all digits and pass Luhn by chance."""
    from sanitize.detectors import Detectors

    found = Detectors(allow_domains=("example.com",), allow_hosts=("127.0.0.1",))
    assert found.find("ann.4111111111111111@example.com") == set()
    assert found.find("read out 4111 1111 1111 1111 on the phone") == {"card"}
    assert found.find("bob@gmail.com paid with 4111111111111111") == {"card", "email"}


def _moments() -> list[str]:
    """Dates and times as databases write them, over every digit in every position."""
    import random

    rng = random.Random(7)
    found = []
    for _ in range(4000):
        date = f"{rng.randint(0, 9999):04d}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
        clock = f"{rng.randint(0, 99):02d}:{rng.randint(0, 99):02d}"
        seconds = f":{rng.randint(0, 99):02d}"
        micro = "." + str(rng.randint(0, 999999)).zfill(rng.randint(1, 6))[:6]
        zone = rng.choice(["", "Z", f"+{rng.randint(0, 9999):04d}", f"-{rng.randint(0, 99):02d}:"
                                                                   f"{rng.randint(0, 99):02d}"])
        sep = rng.choice([" ", "T"])
        found += [date, f"{date}{sep}{clock}", f"{date}{sep}{clock}{seconds}",
                  f"{date}{sep}{clock}{seconds}{micro}{zone}", f"{date}{sep}{clock}{zone}"]
    return found


def test_dates_and_times_skip_the_detectors_because_none_can_fire_on_them() -> None:
    """The scanner's shortcut for dates and times (a large share of a billing database's
    text) hides nothing: every detector itself finds nothing in any of them, while the
    same digits written another way are still found."""
    from sanitize.detectors import Detectors

    found = Detectors(allow_domains=("example.com",), allow_hosts=("127.0.0.1",))
    moments = _moments()
    assert all(found.find(m) == set() for m in moments)
    assert [m for m in moments if found._find(m)] == []  # the detectors themselves agree
    assert found.find("2026-11-01 call 555-867-5309") == {"phone"}
    assert found.find("4111-1111-1111-1111") == {"card"}
    assert found.find("2026-11-01 10.0.0.7") == {"host"}
    # an allow rule of the scan settings still sees them (and reports what it covered)
    import re

    dated = Detectors(allow_domains=(), allow_hosts=(),
                      allow_patterns=(("dates", re.compile(r"\d{4}-\d\d-\d\d")),))
    assert dated.find("2026-11-01") == {"allowed:dates"}
