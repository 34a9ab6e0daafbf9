"""``golive baseline capture|show`` and ``golive compare`` on a small platform: what they
print and their exit codes (0 match, 1 differences, 2 refused, 3 unreachable)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from harness.cli import main
from harness.targets.sql_catalog import CORE_QUERIES
from tests.furnish import furnish
from tests.harness.population_fixtures import Customer, build, population, scenario


def golive(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_profile(root: Path, date: str = "2026-11-01", with_population: bool = True) -> Path:
    data = {
        "name": "population on the command line",
        # the commands only read the population; the target's own queries never run here
        "target": {"kind": "sql", "queries": {q: "SELECT 1" for q in CORE_QUERIES}},
        "environments": {"production": {"dsn": "sqlite:///prod.db"},
                         "staging": {"dsn": "sqlite:///stag.db", "staging": True}},
        "backup": {"path": "backup.dump"},
        "bill_run": {"date": date},
    }
    if with_population:
        data["population"] = population().model_dump(mode="json", exclude_none=True,
                                                      exclude={"baseline"})
    furnish(root)
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    production, staging = scenario()
    build(f"sqlite:///{tmp_path / 'prod.db'}", production)
    build(f"sqlite:///{tmp_path / 'stag.db'}", staging)
    (tmp_path / "backup.dump").write_bytes(b"the pre-bill-run backup")
    return tmp_path


def test_capture_then_compare_prints_grouped_findings(root: Path) -> None:
    profile = str(write_profile(root))
    captured = golive("baseline", "capture", "--profile", profile)
    assert captured.exit_code == 0, captured.output
    assert "production's bill run of 2026-11-01 on release 1.0" in captured.output
    assert f"read from  sqlite:///{root / 'prod.db'} (read-only)" in captured.output
    assert hashlib.sha256(b"the pre-bill-run backup").hexdigest() in captured.output

    shown = golive("baseline", "show", "--profile", profile)
    assert shown.exit_code == 0 and "rows       accounts 9" in shown.output

    csv_path = root / "all.csv"
    compared = golive("compare", "--profile", profile, "--csv", str(csv_path))
    assert compared.exit_code == 1, compared.output
    out = compared.output
    assert "accounts: 9 production / 9 staging rows — 1 missing, 1 extra, 3 changed" in out
    assert "BEYOND TOLERANCE accounts · next bill date · yearly · 1 account(s) · +1 year · " \
           "A007" in out
    assert "ACCEPTED accounts · promo · standard · 1 account(s) · -5.00 · A009 — 1.1 prices " \
           "promos anew" in out
    assert "golive compare: 5 difference(s) beyond tolerance (threshold 0)" in out
    assert len(csv_path.read_text().splitlines()) == 1 + 8


def test_compare_exits_0_when_staging_matches(root: Path) -> None:
    profile = str(write_profile(root))
    build(f"sqlite:///{root / 'same.db'}", scenario()[0])
    text = Path(profile).read_text().replace("stag.db", "same.db")
    Path(profile).write_text(text)
    assert golive("baseline", "capture", "--profile", profile).exit_code == 0
    result = golive("compare", "--profile", profile)
    assert result.exit_code == 0, result.output
    assert "0 difference(s) beyond tolerance" in result.output


def test_a_baseline_of_another_bill_run_is_refused(root: Path) -> None:
    assert golive("baseline", "capture", "--profile", str(write_profile(root))).exit_code == 0
    later = write_profile(root, date="2026-12-01")
    shown = golive("baseline", "show", "--profile", str(later))
    assert shown.exit_code == 1 and "stale for this profile: it is of the bill run of " \
                                    "2026-11-01, not 2026-12-01" in shown.output
    result = golive("compare", "--profile", str(later))
    assert result.exit_code == 2
    assert "holds production's results of the bill run of 2026-11-01, and this comparison is " \
           "of the bill run of 2026-12-01" in result.output
    assert "Traceback" not in result.output


def test_no_baseline_and_no_population_are_usage_errors(root: Path) -> None:
    result = golive("compare", "--profile", str(write_profile(root)))
    assert result.exit_code == 2 and "there is no baseline at" in result.output
    result = golive("compare", "--profile", str(write_profile(root, with_population=False)))
    assert result.exit_code == 2 and "the profile has no population section" in result.output


def test_production_that_has_not_billed_or_is_gone(root: Path) -> None:
    build(f"sqlite:///{root / 'unbilled.db'}", [Customer("A001")], runs=[])
    profile = write_profile(root)
    Path(profile).write_text(Path(profile).read_text().replace("prod.db", "unbilled.db"))
    result = golive("baseline", "capture", "--profile", str(profile))
    assert result.exit_code == 2 and "production has no bill run of 2026-11-01" in result.output
    Path(profile).write_text(Path(profile).read_text().replace("unbilled.db", "gone.db"))
    result = golive("baseline", "capture", "--profile", str(profile))
    assert result.exit_code == 3 and "no such SQLite database" in result.output
