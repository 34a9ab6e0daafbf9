"""Proof on the demo: staging's bill run on each release against production's bill run on
1.0, through the real pipeline with the project's own population questions.

1.1 changes nothing that is billed, so it matches production exactly. Each regressed
release differs on exactly the accounts its fault touches — a set derived here from
production's own records of its bill run (which accounts were charged a yearly package,
given a product discount, paid by eCheck, or pooled minutes with a sub-account), never
from golive's answer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from harness.config import load_profile
from harness.pipeline import prepare
from harness.record import Outcome, PopulationSection, RunRecord, new_run_id, now
from tests.furnish import furnish

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUN = "(SELECT id FROM bill_runs WHERE run_date = '2026-11-01')"
PROFILE = """\
name: population on the demo
target:
  kind: demo
  release: "{release}"
environments:
  production:
    dsn: sqlite:///{shared}/production.db
  staging:
    dsn: sqlite:///staging.db
    staging: true
backup:
  path: {shared}/backups/pre-bill-run.manifest.json
  generate:
    accounts: 60
    seed: 42
bill_run:
  date: 2026-11-01
report:
  dir: reports
"""


def accounts(db: Path, sql: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {str(row[0]) for row in conn.execute(sql)}


def pooled_with_children(db: Path) -> set[str]:
    """Sub-accounts whose minutes production rated in its bill run, and the top-level
    account whose pool they drew on."""
    with sqlite3.connect(db) as conn:
        parent = dict(conn.execute("SELECT id, parent_id FROM accounts").fetchall())
        number = dict(conn.execute("SELECT id, number FROM accounts").fetchall())
        children = {r[0] for r in conn.execute(
            f"SELECT DISTINCT u.account_id FROM usage_records u JOIN accounts a "
            f"ON a.id = u.account_id WHERE u.bill_run_id IN {RUN} AND a.parent_id IS NOT NULL")}
    touched = set()
    for child in children:
        touched.add(number[child])
        top = child
        while parent[top] is not None:
            top = parent[top]
        touched.add(number[top])
    return touched


def expected(db: Path) -> dict[str, set[str]]:
    """Release → the accounts its fault touches, from production's records alone."""
    yearly = accounts(db, f"""
        SELECT DISTINCT a.number FROM transactions t JOIN accounts a ON a.id = t.account_id
        JOIN user_packages up ON up.id = t.user_package_id JOIN products p ON p.id = up.product_id
        WHERE t.bill_run_id IN {RUN} AND t.kind = 'charge' AND p.period = 'yearly'""")
    discounted = accounts(db, f"""
        SELECT DISTINCT a.number FROM transactions t JOIN accounts a ON a.id = t.account_id
        WHERE t.bill_run_id IN {RUN} AND t.kind = 'discount' AND t.user_package_id IS NOT NULL""")
    echeck = accounts(db, f"""
        SELECT DISTINCT a.number FROM payments p JOIN payment_methods m ON m.id = p.method_id
        JOIN accounts a ON a.id = p.account_id
        WHERE p.bill_run_id IN {RUN} AND p.status = 'approved' AND m.kind = 'echeck'""")
    return {
        "1.1": set(),
        "1.1-yearly-one-month": yearly,
        "1.1-discount-twice": discounted,
        "1.1-echeck-broken": echeck,
        "1.1-pool-not-shared": pooled_with_children(db),
        # faults outside what is billed: the population matches production
        "1.1-billday31-errors": set(),
        "1.1-mail-hardcoded-host": set(),
        "1.1-support-no-ticket-edit": set(),
        "1.1-portal-stale-balance": set(),
    }


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Production and its backup, made by the first preparation and shared by all."""
    base = tmp_path_factory.mktemp("population-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEMO_HOME", str(base / "demo-home"))
        yield base


def record() -> RunRecord:
    return RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="golive.yaml",
                     target="demo")


@pytest.fixture(scope="module")
def compared(shared: Path) -> Callable[..., tuple[RunRecord, Path]]:
    population = yaml.safe_dump(
        {"population": yaml.safe_load((ROOT / "golive.yaml").read_text())["population"]})

    def run(release: str, reuse: bool = False) -> tuple[RunRecord, Path]:
        folder = shared / release
        furnish(folder)
        path = folder / "golive.yaml"
        path.write_text(PROFILE.format(release=release, shared=shared) + population)
        done = record()
        prepare(load_profile(path), done, reuse=reuse).close()
        return done, folder

    return run


def touched(section: PopulationSection) -> set[str]:
    """Every account with a difference beyond tolerance, from the complete CSV."""
    import csv

    assert section.csv is not None
    with open(section.csv, encoding="utf-8") as fh:
        return {r["account"] for r in csv.DictReader(fh) if r["status"] == "beyond tolerance"}


RELEASES = ["1.1", "1.1-yearly-one-month", "1.1-discount-twice", "1.1-echeck-broken",
            "1.1-pool-not-shared", "1.1-billday31-errors", "1.1-mail-hardcoded-host",
            "1.1-support-no-ticket-edit", "1.1-portal-stale-balance"]


@pytest.mark.parametrize("release", RELEASES)
def test_each_release_differs_on_exactly_the_accounts_its_fault_touches(
        compared: Callable[..., tuple[RunRecord, Path]], shared: Path, release: str) -> None:
    done, _ = compared(release)
    section = done.population
    assert section is not None
    stages = {s.name: s for s in done.stages}
    assert stages["compare"].outcome is Outcome.PASSED
    assert section.baseline.release == "1.0" and section.baseline.rows["accounts"] == 60
    assert section.baseline.backup_sha256 == stages["backup"].evidence["sha256"]
    want = expected(shared / "production.db")[release]
    assert touched(section) == want
    assert section.passed is (not want)
    for counts in section.datasets:
        assert counts.missing == counts.extra == 0  # same rows, other values
        assert counts.production_rows == counts.staging_rows > 0


def test_faults_that_bill_differently_touch_some_accounts(shared: Path,
                                                          compared: Callable[..., object]
                                                          ) -> None:
    """The sets above are not vacuous: the generated data has every such account."""
    compared("1.1")  # makes production if it is not there yet
    facts = expected(shared / "production.db")
    for release in ("1.1-yearly-one-month", "1.1-discount-twice", "1.1-echeck-broken",
                    "1.1-pool-not-shared"):
        assert facts[release], release
    assert "A000002" in facts["1.1-pool-not-shared"]  # Jane Doe, who pools five lines
    assert "A000001" in facts["1.1-yearly-one-month"]  # Bob Smith's yearly package


def test_a_reused_staging_keeps_the_comparison_made_after_its_bill_run(
        compared: Callable[..., tuple[RunRecord, Path]]) -> None:
    first, _ = compared("1.1-discount-twice")
    again, _ = compared("1.1-discount-twice", reuse=True)
    assert again.reused
    assert next(s for s in again.stages if s.name == "compare").outcome is Outcome.REUSED
    assert again.population is not None and first.population is not None
    assert again.population.beyond == first.population.beyond > 0
    assert again.population.baseline == first.population.baseline


def test_the_baseline_is_captured_once_and_reused_while_fresh(
        compared: Callable[..., tuple[RunRecord, Path]], shared: Path) -> None:
    one, folder = compared("1.1-support-no-ticket-edit")
    two, _ = compared("1.1-support-no-ticket-edit")
    ev_one = next(s for s in one.stages if s.name == "baseline").evidence
    ev_two = next(s for s in two.stages if s.name == "baseline").evidence
    assert two.population is not None
    assert ev_two["captured"] is False
    assert ev_two["captured_at"] == two.population.baseline.captured_at
    assert (folder / "reports" / ".state" / "baseline.sqlite").is_file()
    assert ev_one["digest"] == ev_two["digest"]
    assert os.path.exists(two.population.csv or "")
