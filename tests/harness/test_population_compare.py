"""The population comparison on real SQLite and PostgreSQL: baseline capture (read-only,
with provenance), every category and status, the two-phase method and its fallback,
mixed engines, type mismatches, and baselines that must be refused."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from common.dsn import Dsn
from common.errors import EnvironmentProblem
from harness.baseline.buckets import bucket_count
from harness.baseline.capture import BaselineRefused, capture, stale
from harness.baseline.compare import compare
from harness.baseline.readonly import read_only_engine
from harness.baseline.sources import CompareError
from harness.baseline.store import BaselineStore, PostgresStore, SqliteStore
from harness.record import PopulationSection
from tests.harness.population_fixtures import RUN_DATE, Customer, build, population, scenario
from tests.pg import PgServer

Side = str  # "sqlite" | "postgres"


def database(kind: Side, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(name)


def run(production: str, staging: str, store: BaselineStore, tmp_path: Path,
        backup: str | None = "b" * 64, **changes: Any) -> PopulationSection:
    pop = population(**changes)
    capture(pop, Dsn(production), store, RUN_DATE, backup)
    return compare(pop, store, Dsn(staging), RUN_DATE, tmp_path / "differences.csv")


def found(section: PopulationSection) -> set[tuple[str, str, str, str]]:
    """(account, column, category, status) of every difference, from the complete CSV."""
    assert section.csv is not None
    with open(section.csv, encoding="utf-8") as fh:
        return {(r["account"], r["field"], r["category"], r["status"])
                for r in csv.DictReader(fh)}


EXPECTED = {
    ("A003", "balance", "changed", "beyond tolerance"),
    ("A004", "", "missing", "beyond tolerance"),
    ("A005", "", "extra", "beyond tolerance"),
    ("A007", "next_bill", "changed", "beyond tolerance"),
    ("A009", "promo", "changed", "accepted"),
    ("A010", "status", "changed", "beyond tolerance"),
}
WITHIN = {
    ("A002", "balance", "changed", "within tolerance"),
    ("A006", "next_bill", "changed", "within tolerance"),
}


@pytest.mark.parametrize(("production_kind", "staging_kind", "store_kind"), [
    ("sqlite", "sqlite", "sqlite"),
    pytest.param("postgres", "postgres", "postgres", marks=pytest.mark.postgres),
    pytest.param("postgres", "sqlite", "sqlite", marks=pytest.mark.postgres),
    pytest.param("sqlite", "postgres", "postgres", marks=pytest.mark.postgres),
])
def test_every_category_and_status_on_every_engine_pair(
        production_kind: Side, staging_kind: Side, store_kind: Side, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    production, staging = (database(production_kind, tmp_path, "prod", request),
                           database(staging_kind, tmp_path, "stag", request))
    prod_rows, stag_rows = scenario()
    build(production, prod_rows)
    build(staging, stag_rows)
    store: BaselineStore = (SqliteStore(tmp_path / "baseline.sqlite") if store_kind == "sqlite"
                            else PostgresStore(Dsn(database("postgres", tmp_path, "base",
                                                            request))))
    section = run(production, staging, store, tmp_path)

    counts = section.datasets[0]
    two_phase = staging_kind == store_kind == "postgres"  # the sides compared
    assert counts.method.startswith("two-phase") is two_phase
    if two_phase:  # within-tolerance noise is seen only where it shares a flagged bucket
        assert EXPECTED <= found(section) <= EXPECTED | WITHIN
    else:
        assert found(section) == EXPECTED | WITHIN
        assert counts.within == 2
    assert (counts.production_rows, counts.staging_rows) == (9, 9)
    assert (counts.missing, counts.extra, counts.changed) == (1, 1, 3)
    assert (counts.beyond, counts.accepted) == (5, 1)
    assert counts.ignored == ["note: free text, sanitized"]
    assert section.beyond == 5 and not section.passed
    # findings read as one line per field and group
    yearly = next(f for f in section.findings if f.column == "next_bill"
                  and f.status == "beyond tolerance")
    assert (yearly.group, yearly.accounts, yearly.delta, yearly.first_accounts) == (
        "yearly", 1, "+1 year", ["A007"])
    assert section.findings[0].status == "beyond tolerance"
    accepted = next(f for f in section.findings if f.status == "accepted")
    assert accepted.reason == "1.1 prices promos anew" and accepted.delta == "-5.00"
    # provenance: read-only production, the bill run's date and release, rows, digest
    base = section.baseline
    assert base.bill_run_date == "2026-11-01" and base.release == "1.0"
    assert base.rows == {"accounts": 9} and len(base.digest) == 64
    assert base.backup_sha256 == "b" * 64


def test_a_threshold_lets_a_few_differences_through(tmp_path: Path) -> None:
    production, staging = (f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 's.db'}")
    prod_rows, stag_rows = scenario()
    build(production, prod_rows)
    build(staging, stag_rows)
    section = run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path,
                  threshold=5)
    assert section.beyond == 5 and section.passed
    section = run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path,
                  threshold=4)
    assert not section.passed


@pytest.mark.postgres
def test_the_same_digest_for_the_same_results_on_both_engines(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    pg = database("postgres", tmp_path, "prod", request)
    rows, _ = scenario()
    sqlite = f"sqlite:///{tmp_path / 'p.db'}"
    build(sqlite, rows)
    build(pg, rows)
    pop = population()
    one = capture(pop, Dsn(sqlite), SqliteStore(tmp_path / "1.sqlite"), RUN_DATE, None)
    two = capture(pop, Dsn(pg), SqliteStore(tmp_path / "2.sqlite"), RUN_DATE, None)
    assert one.digest == two.digest  # canonical values: 10.0 (float) and 10.00 (numeric)


@pytest.mark.postgres
def test_two_phase_fetches_only_flagged_buckets_and_noise_within_tolerance_passes(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    production, staging = (database("postgres", tmp_path, "prod", request),
                           database("postgres", tmp_path, "stag", request))
    cents = [Decimal("0.20"), Decimal("0.49"), Decimal("0.70")]
    many = [Customer(f"C{i:05d}", balance=Decimal(i % 997) + cents[i % 3])
            for i in range(20_000)]
    # a cent of noise on a third of the rows, within the 1.00 tolerance; x.49 → x.50 crosses
    # a cell of the tolerance grid (its bucket is flagged), x.20 → x.21 does not
    noisy = [c.but(balance=c.balance + Decimal("0.01")) if i % 3 == 0 or i % 1000 == 1 else c
             for i, c in enumerate(many)]
    noisy[10] = noisy[10].but(balance=noisy[10].balance + Decimal("5.00"))
    noisy[15_000] = noisy[15_000].but(status="closed")
    build(production, many)
    build(staging, noisy)
    fields = {**population().accounts.model_dump(exclude_none=True)["fields"],  # type: ignore[union-attr]
              "balance": {"kind": "money", "tolerance": "1.00"}}
    changes = {"accounts": {**population().accounts.model_dump(exclude_none=True),  # type: ignore[union-attr]
                            "fields": fields}}
    store = PostgresStore(Dsn(database("postgres", tmp_path, "base", request)))
    section = run(production, staging, store, tmp_path, **changes)
    counts = section.datasets[0]
    assert section.beyond == 2
    assert {(d.account, d.column) for d in section.differences} == {("C00010", "balance"),
                                                                   ("C15000", "status")}
    # the grid kept 6,667 rows of x.20 → x.21 noise out of phase 2; the 7 rows that crossed
    # x.50 flagged their buckets and were re-checked exactly: within tolerance, never beyond
    flagged, total = (int(x) for x in counts.method.split(":")[1].split("buckets")[0]
                      .split(" of "))
    assert total == bucket_count(20_000) == 128
    assert flagged <= 9, counts.method
    assert 7 <= counts.within < 20_000 // 3


@pytest.mark.postgres
def test_two_phase_falls_back_to_a_merge_when_most_buckets_differ(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    production, staging = (database("postgres", tmp_path, "prod", request),
                           database("postgres", tmp_path, "stag", request))
    many = [Customer(f"C{i:05d}") for i in range(2_000)]
    build(production, many)
    build(staging, [c.but(minutes=c.minutes + 1) for c in many])
    store = PostgresStore(Dsn(database("postgres", tmp_path, "base", request)))
    section = run(production, staging, store, tmp_path, shown=50)
    counts = section.datasets[0]
    assert "fell back to a streaming merge" in counts.method
    assert section.beyond == counts.changed == 2_000
    assert len(section.differences) == 50  # the record keeps the first ones …
    assert section.csv_rows == 2_000  # … the CSV all
    assert section.findings[0].accounts == 2_000 and section.findings[0].delta == "+1"


@pytest.mark.postgres
def test_text_keys_merge_in_byte_order_whatever_the_collation(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """An ICU collation sorts 'a' before 'B'; SQLite and Python sort by bytes. The merge
    orders both sides by bytes, or it would see rows missing that are not."""
    production = f"sqlite:///{tmp_path / 'p.db'}"
    staging = database("postgres", tmp_path, "stag", request)
    refs = ["a011", "B012", "Äpfel", "z014", "Zebra", "_x", "0-1"]
    build(production, [Customer(r) for r in refs])
    build(staging, [Customer(r) for r in refs], key_collation='COLLATE "und-x-icu"')
    section = run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path)
    assert section.beyond == 0 and section.datasets[0].staging_rows == len(refs)


@pytest.mark.postgres
@pytest.mark.parametrize(("money", "next_bill", "problem"), [
    ("NUMERIC(12,3)", "DATE", "accounts.balance: scale differs: production numeric(12,2), "
                              "staging numeric(12,3)"),
    ("NUMERIC(12,2)", "TIMESTAMP", "accounts.next_bill: type differs: production date, "
                                   "staging timestamp"),
])
def test_a_type_or_scale_that_differs_stops_the_comparison(
        money: str, next_bill: str, problem: str, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    production, staging = (database("postgres", tmp_path, "prod", request),
                           database("postgres", tmp_path, "stag", request))
    rows, _ = scenario()
    build(production, rows)
    build(staging, rows, money=money, next_bill=next_bill)
    with pytest.raises(CompareError, match="do not hold the same types") as caught:
        run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path)
    assert problem in str(caught.value)
    assert caught.value.exit_code == 2


def test_sqlite_values_that_do_not_suit_the_kind_are_refused(tmp_path: Path) -> None:
    production, staging = (f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 's.db'}")
    rows, _ = scenario()
    build(production, rows)
    build(staging, rows)
    from sqlalchemy import create_engine

    engine = create_engine(staging)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET balance = 'ten dollars'"))
    engine.dispose()
    with pytest.raises(CompareError, match="staging gives text values for a money field"):
        run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path)


def test_a_repeated_key_is_a_clear_error(tmp_path: Path) -> None:
    production, staging = (f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 's.db'}")
    rows, _ = scenario()
    build(production, rows)
    build(staging, rows)
    query = "SELECT ref AS account, balance, status, next_bill, minutes, note, promo, plan " \
            "FROM customers UNION ALL SELECT 'A001', 1, 'x', '2026-01-01', 1, '', 0, 'p'"
    changes = {"accounts": {**population().accounts.model_dump(exclude_none=True),  # type: ignore[union-attr]
                            "query": query}}
    with pytest.raises(CompareError, match="more than once"):
        run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path, **changes)


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    production, staging = (f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 's.db'}")
    build(production, [Customer("=HYPERLINK(1)", status="active")])
    build(staging, [Customer("=HYPERLINK(1)", status="@SUM(A1)")])
    section = run(production, staging, SqliteStore(tmp_path / "b.sqlite"), tmp_path)
    assert section.csv is not None
    raw = Path(section.csv).read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in raw and "'@SUM(A1)" in raw
    assert ",=" not in raw and ",@" not in raw


# -- read-only and refusals ---------------------------------------------------------------


def test_the_baseline_and_production_are_opened_read_only(tmp_path: Path) -> None:
    production = f"sqlite:///{tmp_path / 'p.db'}"
    build(production, scenario()[0])
    store = SqliteStore(tmp_path / "b.sqlite")
    capture(population(), Dsn(production), store, RUN_DATE, None)
    for dsn in (production, str(tmp_path / "b.sqlite")):
        engine = read_only_engine(dsn)
        with engine.connect() as conn, pytest.raises(DBAPIError, match=r"readonly|read-only"):
            conn.execute(text("CREATE TABLE golive_was_here (x INTEGER)"))
        engine.dispose()
    assert "golive_was_here" not in Path(tmp_path / "p.db").read_bytes().decode("latin-1")


@pytest.mark.postgres
def test_a_population_query_that_writes_is_refused_by_production(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    production = database("postgres", tmp_path, "prod", request)
    build(production, scenario()[0])
    from sqlalchemy import create_engine

    owner = create_engine(production)
    with owner.begin() as conn:
        conn.execute(text("CREATE SEQUENCE invoice_numbers"))
    owner.dispose()
    # a query that writes as it reads: it draws an invoice number per row
    writing = ("SELECT ref AS account, balance, status, next_bill, minutes, note, promo, plan "
               "FROM customers WHERE nextval('invoice_numbers') > 0")
    changes = {"accounts": {**population().accounts.model_dump(exclude_none=True),  # type: ignore[union-attr]
                            "query": writing}}
    with pytest.raises(EnvironmentProblem, match="read-only transaction"):
        capture(population(**changes), Dsn(production), SqliteStore(tmp_path / "b.sqlite"),
                RUN_DATE, None)
    assert not (tmp_path / "b.sqlite").exists()  # no half baseline either
    engine = read_only_engine(production)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT last_value FROM invoice_numbers")) == 1  # never drawn
        assert conn.scalar(text("SELECT is_called FROM invoice_numbers")) is False
        with pytest.raises(DBAPIError, match="read-only transaction"):
            conn.execute(text("UPDATE customers SET balance = 0"))
    engine.dispose()


def test_a_baseline_of_another_bill_run_is_refused(tmp_path: Path) -> None:
    production, staging = (f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 's.db'}")
    build(production, scenario()[0])
    build(staging, scenario()[0])
    store = SqliteStore(tmp_path / "b.sqlite")
    pop = population()
    capture(pop, Dsn(production), store, RUN_DATE, None)
    with pytest.raises(BaselineRefused, match="bill run of 2026-11-01, and this comparison is "
                                              "of the bill run of 2026-12-01") as caught:
        compare(pop, store, Dsn(staging), dt.date(2026, 12, 1), tmp_path / "d.csv")
    assert caught.value.exit_code == 2
    assert "golive baseline capture" in str(caught.value)


def test_capture_is_refused_when_production_has_not_run_the_bill_run(tmp_path: Path) -> None:
    production = f"sqlite:///{tmp_path / 'p.db'}"
    build(production, scenario()[0], runs=[(dt.date(2026, 10, 1), "1.0", "done"),
                                           (dt.date(2026, 12, 1), "1.0", "running")])
    store = SqliteStore(tmp_path / "b.sqlite")
    with pytest.raises(BaselineRefused, match="production has no bill run of 2026-11-01"):
        capture(population(), Dsn(production), store, RUN_DATE, None)
    with pytest.raises(BaselineRefused, match="'running', not finished"):
        capture(population(), Dsn(production), store, dt.date(2026, 12, 1), None)
    assert not (tmp_path / "b.sqlite").exists() and store.provenance() is None


def test_stale_says_why(tmp_path: Path) -> None:
    production = f"sqlite:///{tmp_path / 'p.db'}"
    build(production, scenario()[0])
    pop = population()
    info = capture(pop, Dsn(production), SqliteStore(tmp_path / "b.sqlite"), RUN_DATE, "a" * 64)
    assert stale(info, pop, RUN_DATE, "a" * 64) is None
    assert stale(None, pop, RUN_DATE, None) == "there is no baseline yet"
    assert "bill run of 2026-11-01, not 2026-12-01" in str(
        stale(info, pop, dt.date(2026, 12, 1), None))
    assert "captured for backup aaaa" in str(stale(info, pop, RUN_DATE, "c" * 64))
    other = population(bill_run="SELECT release, status FROM runs "
                                "WHERE run_date = :bill_run_date AND 1 = 1")
    assert "queries changed" in str(stale(info, other, RUN_DATE, None))
    tolerant = population()  # tolerances are not part of what the baseline holds
    assert stale(info, tolerant, RUN_DATE, None) is None


@pytest.mark.postgres
def test_a_baseline_database_is_read_through_a_read_only_session(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    production = database("postgres", tmp_path, "prod", request)
    build(production, scenario()[0])
    store = PostgresStore(Dsn(database("postgres", tmp_path, "base", request)))
    capture(population(), Dsn(production), store, RUN_DATE, None)
    source = store.source("accounts", population().accounts)  # type: ignore[arg-type]
    with source.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM golive_baseline.accounts")) == 9
        with pytest.raises(DBAPIError, match="read-only transaction"):
            conn.execute(text("DELETE FROM golive_baseline.accounts"))
    store.close()
    assert store.provenance() is not None  # the baseline is whole
