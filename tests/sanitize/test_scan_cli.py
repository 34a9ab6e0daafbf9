"""``golive scan`` and ``golive sanitize``: the verdict is the exit code, settings come from
--config, --schema or the profile, and no value is ever printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from demo.generate import generate
from harness.cli import main
from tests.sanitize.helpers import SALT, execute, people


def golive(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_exit_codes_clean_residue_unreachable(sqlite_url: str) -> None:
    people(sqlite_url)
    dirty = golive("scan", sqlite_url)
    assert dirty.exit_code == 1, dirty.output
    assert "residue" in dirty.output and "people" in dirty.output
    assert "corp-mail" not in dirty.output and "415-867" not in dirty.output
    execute(sqlite_url, "DELETE FROM people", "DELETE FROM orders", "DELETE FROM audit")
    clean = golive("scan", sqlite_url)
    assert clean.exit_code == 0, clean.output
    assert "clean" in clean.output and "schemas main" in clean.output
    gone = golive("scan", "postgresql://me:hunter2@127.0.0.1:1/none")
    assert gone.exit_code == 3
    assert "hunter2" not in gone.output and "me:***@127.0.0.1:1/none" in gone.output


def test_config_file_allows_and_excludes_with_reasons(sqlite_url: str, tmp_path: Path) -> None:
    people(sqlite_url)
    config = tmp_path / "scan.yaml"
    config.write_text("""
allow_domains: [corp-mail.com]
allow_numbers: ["415-867-53"]
exclude:
  - {table: people, column: card, reason: "test cards from the vendor's fixtures"}
  - {table: people, column: host, reason: "internal names, rewritten at lock-down"}
""", encoding="utf-8")
    result = golive("scan", sqlite_url, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "test cards from the vendor's fixtures" in result.output
    assert "people.card" in result.output and "415-867-53" in result.output
    # a command-line list replaces the file's: corp-mail.com is residue again
    again = golive("scan", sqlite_url, "--config", str(config), "--allow-domain", "example.com")
    assert again.exit_code == 1 and "email" in again.output


def test_a_bad_config_exits_2_naming_file_and_line(sqlite_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    people(sqlite_url)
    monkeypatch.chdir(tmp_path)  # messages name the file relative to the working directory
    Path("scan.yaml").write_text("exclude:\n  - {table: people}\n", encoding="utf-8")
    result = golive("scan", sqlite_url, "--config", "scan.yaml")
    assert result.exit_code == 2
    assert "scan.yaml:2: exclude[0].reason: required key is missing" in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_schema_option_narrows_and_an_unknown_schema_exits_2(pg_url: str) -> None:
    execute(pg_url, "CREATE SCHEMA crm", "CREATE TABLE crm.people (id int, note text)",
            "INSERT INTO crm.people VALUES (1, 'jane@realmail.net')",
            "CREATE TABLE plain (id int, note text)")
    assert golive("scan", pg_url).exit_code == 1
    narrowed = golive("scan", pg_url, "--schema", "public")
    assert narrowed.exit_code == 0, narrowed.output
    assert "schemas public" in narrowed.output
    wrong = golive("scan", pg_url, "--schema", "crn")
    assert wrong.exit_code == 2
    assert "no schema 'crn'" in wrong.output and "did you mean 'crm'" in wrong.output


def test_golive_sanitize_scans_with_the_profiles_settings(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("GOLIVE_SANITIZE_SALT", SALT)
    staging = tmp_path / "staging.db"

    def restore() -> None:  # a fresh copy each time: sanitizing twice is not the procedure
        staging.unlink(missing_ok=True)
        generate(f"sqlite:///{staging}", accounts=30, seed=1)
        execute(f"sqlite:///{staging}", "CREATE TABLE vendor_notes (id INTEGER PRIMARY KEY, "
                                        "line TEXT)",
                "INSERT INTO vendor_notes VALUES (1, 'escalate to jane@realmail.net')")

    restore()
    rules = Path("sanitize/rules/demo.yaml").resolve()
    profile = Path("golive.yaml").read_text(encoding="utf-8").replace(
        "demo/var/", f"{tmp_path}/").replace("rules: sanitize/rules/demo.yaml", f"rules: {rules}")
    for folder in ("checklists", "features"):  # the profile's folders must exist
        profile = profile.replace(f"dir: {folder}", f"dir: {Path(folder).resolve()}")
    path = tmp_path / "golive.yaml"
    path.write_text(profile, encoding="utf-8")
    dirty = golive("sanitize", "--profile", str(path))
    assert dirty.exit_code == 1 and "vendor_notes" in dirty.output, dirty.output
    path.write_text(profile.replace(
        f"  rules: {rules}",
        f"  rules: {rules}\n  scan:\n    exclude:\n"
        "      - {table: vendor_notes, reason: \"the vendor's own table, dropped at go-live\"}"),
        encoding="utf-8")
    restore()
    result = golive("sanitize", "--profile", str(path))
    assert result.exit_code == 0, result.output
    assert "dropped at go-live" in result.output and "clean" in result.output
