"""The scanner reads everything a person could read, and says what it could not.

SQLite keeps text in a column of any declared type; PostgreSQL hides text in
arrays, JSON keys, bytea, xml, domains, composite types, numbers, other schemas
and materialised views. Each test plants PII where the scanner used to look away.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from harness.cli import main
from sanitize import ScanSettings, scan
from sanitize import scanner as scanner_module
from sanitize.report import ScanResult, Unreadable
from tests.pg import PgServer
from tests.sanitize.helpers import execute

CARD = 4111111111111111  # Luhn-valid
PHONE = 4158675309  # a valid North American number


def found(result: ScanResult) -> dict[tuple[str, str, str], int]:
    return {(f.table, f.column, f.detector): f.count for f in result.findings}


# -- SQLite: every column of every table, whatever its declared type ---------------------

def test_sqlite_columns_of_any_type_are_read(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE loose (id INTEGER PRIMARY KEY, untyped, raw BLOB, "
                        "num INTEGER, amount NUMERIC, ratio REAL)")
    execute(sqlite_url, "INSERT INTO loose VALUES (1, 'mail jane@realmail.net', "
                        "CAST('call 415-867-5309' AS BLOB), :card, :phone, 1.5)",
            "INSERT INTO loose VALUES (2, NULL, NULL, 'see https://billing.vendor-isp.com/x', "
            "NULL, NULL)",
            params=[{"card": CARD, "phone": str(PHONE)}])
    result = scan(sqlite_url)
    assert found(result) == {
        ("loose", "untyped", "email"): 1, ("loose", "raw", "phone"): 1,
        ("loose", "num", "card"): 1, ("loose", "num", "host"): 1,
        ("loose", "amount", "phone"): 1,
    }
    assert result.columns == 6 and result.complete


def test_sqlite_create_table_as_is_read(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE src (id INTEGER PRIMARY KEY, mail TEXT)",
            "INSERT INTO src VALUES (1, 'jane@realmail.net')",
            "CREATE TABLE copied AS SELECT id * 1 AS n, mail || '' AS m FROM src",
            "DELETE FROM src")
    assert found(scan(sqlite_url)) == {("copied", "m", "email"): 1}


def test_sqlite_numbers_that_are_no_phone_or_card_are_not_residue(sqlite_url: str) -> None:
    """Epoch seconds and milliseconds are the commonest long integers: neither is PII."""
    execute(sqlite_url, "CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER, at_ms INTEGER)")
    execute(sqlite_url, "INSERT INTO events VALUES (:id, :at, :ms)",
            params=[{"id": i, "at": 1_700_000_000 + i, "ms": 1_700_000_000_000 + i}
                    for i in range(50)])
    assert scan(sqlite_url).clean


def test_sqlite_binary_is_counted_not_scanned_and_latin1_is_read(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE files (id INTEGER PRIMARY KEY, data BLOB)")
    execute(sqlite_url, "INSERT INTO files VALUES (:id, :data)", params=[
        {"id": 1, "data": bytes(range(256)) * 4},  # binary
        {"id": 2, "data": "café jane@realmail.net".encode("latin-1")},  # not UTF-8, text
        {"id": 3, "data": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
    ])
    result = scan(sqlite_url)
    assert found(result) == {("files", "data", "email"): 1}
    assert [(b.table, b.column, b.count) for b in result.binary] == [("files", "data", 2)]
    assert result.clean is False and result.complete


def test_sqlite_text_that_is_not_utf8_is_read_as_bytes(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE legacy (id INTEGER PRIMARY KEY, note TEXT)",
            "INSERT INTO legacy VALUES (1, CAST(X'636166e9206a616e65407265616c6d61696c2e6e6574'"
            " AS TEXT))")  # "café jane@realmail.net" in Latin-1, stored as TEXT
    result = scan(sqlite_url)
    assert found(result) == {("legacy", "note", "email"): 1} and result.complete


def test_sqlite_views_are_skipped_and_said_so(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)",
            "CREATE VIEW v AS SELECT 'jane@realmail.net' AS mail")
    result = scan(sqlite_url)
    assert result.clean and [name for name, _ in result.skipped] == ["v"]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few bytes, so a short value crosses many seams."""
    monkeypatch.setattr(scanner_module, "HEAD", 40)
    monkeypatch.setattr(scanner_module, "CHUNK", 64)


def _long_text() -> bytes:
    # the e-mail straddles the head's end; the phone sits across later chunk seams
    return ("x" * 30 + " jane@realmail.net " + "y" * 200 + " call 415-867-5309 " + "z" * 90
            ).encode("utf-8")


def test_long_bytes_are_read_in_chunks_across_seams(db_url: str, small_chunks: None) -> None:
    kind = "BLOB" if db_url.startswith("sqlite") else "bytea"
    execute(db_url, f"CREATE TABLE docs (id INTEGER PRIMARY KEY, body {kind})")
    execute(db_url, "INSERT INTO docs VALUES (1, :b)", params=[{"b": _long_text()}])
    assert found(scan(db_url)) == {("docs", "body", "email"): 1, ("docs", "body", "phone"): 1}


# -- PostgreSQL: types, schemas, materialised views ---------------------------------------

PG_PLANTED = {
    "tags": ("text[]", "ARRAY['vip', 'mail.vendor-isp.com']", "host"),
    "names": ("varchar(40)[]", "ARRAY[['x', NULL], ['jane@realmail.net', 'y']]", "email"),
    "doc": ("json", "'{\"server\": \"smtp.vendor-isp.com\"}'", "host"),
    "docb": ("jsonb", "'{\"db1.vendor-isp.com\": {\"port\": 5432}}'", "host"),
    "raw": ("bytea", "convert_to('call 415-867-5309', 'UTF8')", "phone"),
    "page": ("xml", "'<cfg><relay>smtp.vendor-isp.com</relay></cfg>'", "host"),
    "page2": ("xml", "'<contact mail=\"jane@realmail.net\"/>'", "email"),
    "contact": ("contact_text", "'jane@realmail.net'", "email"),
    "address": ("postal", "ROW('1 Main St', 'jane@realmail.net')", "email"),
    "big": ("bigint", str(CARD), "card"),
    "amount": ("numeric(20, 2)", f"{PHONE}.00", "phone"),
    "wrapped": ("big_number", str(CARD), "card"),
    "peer": ("inet", "'10.20.30.40'", "host"),
    "aliases": ("contact_text[]", "ARRAY['jane@realmail.net']::contact_text[]", "email"),
    "docs": ("jsonb[]", "ARRAY['{\"h\": \"smtp.vendor-isp.com\"}'::jsonb]", "host"),
    "blobs": ("bytea[]", "ARRAY[convert_to('jane@realmail.net', 'UTF8')]", "email"),
    "cards": ("bigint[]", f"ARRAY[1, {CARD}]", "card"),
    "mood": ("mood", "'jane@realmail.net'", "email"),
    "fts": ("tsvector", "to_tsvector('simple', 'mail jane@realmail.net')", "email"),
}


def _pg_setup(url: str) -> None:
    execute(url, "CREATE DOMAIN contact_text AS text", "CREATE DOMAIN big_number AS bigint",
            "CREATE TYPE postal AS (street text, mail text)",
            "CREATE TYPE mood AS ENUM ('ok', 'jane@realmail.net')")
    columns = ", ".join(f"{name} {kind}" for name, (kind, _, _) in PG_PLANTED.items())
    execute(url, f"CREATE TABLE things (id int PRIMARY KEY, {columns}, fine text, "
                 "flag boolean, born date, uid uuid)")
    for i, (name, (_, literal, _)) in enumerate(PG_PLANTED.items()):
        execute(url, f"INSERT INTO things (id, {name}, fine, flag) VALUES ({i}, {literal}, "
                     "'nothing here', true)")


@pytest.mark.postgres
def test_postgres_every_type_that_holds_text_is_read(pg_url: str) -> None:
    _pg_setup(pg_url)
    result = scan(pg_url)
    assert found(result) == {("things", name, detector): 1
                             for name, (_, _, detector) in PG_PLANTED.items()}
    assert result.complete
    assert result.columns == len(PG_PLANTED) + 2  # + id (a number) and fine; not flag/born/uid


@pytest.mark.postgres
def test_postgres_other_schemas_materialised_views_and_partitions(pg_url: str) -> None:
    execute(pg_url, "CREATE SCHEMA crm",
            "CREATE TABLE crm.people (id int PRIMARY KEY, note text)",
            "INSERT INTO crm.people VALUES (1, 'jane@realmail.net')",
            "CREATE MATERIALIZED VIEW crm.snapshot AS SELECT 'call 415-867-5309'::text AS note",
            "CREATE MATERIALIZED VIEW crm.later AS SELECT 'x'::text AS note WITH NO DATA",
            "CREATE VIEW crm.people_view AS SELECT * FROM crm.people",
            "CREATE TABLE events (id int, note text) PARTITION BY RANGE (id)",
            "CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100)",
            "INSERT INTO events VALUES (5, 'jane@realmail.net')")
    result = scan(pg_url)
    assert found(result) == {("crm.people", "note", "email"): 1,
                             ("crm.snapshot", "note", "phone"): 1,
                             ("events", "note", "email"): 1}  # once, through its parent
    assert dict(result.skipped) == {
        "crm.later": "materialised view not populated: holds no data",
        "crm.people_view": "view: stores nothing; its tables are read"}
    assert result.schemas == ["crm", "public"]


@pytest.mark.postgres
def test_postgres_schema_option_narrows_the_scan(pg_url: str) -> None:
    execute(pg_url, "CREATE SCHEMA crm", "CREATE SCHEMA audit",
            "CREATE TABLE crm.people (id int PRIMARY KEY, note text)",
            "CREATE TABLE audit.log (id int PRIMARY KEY, note text)",
            "CREATE TABLE plain (id int PRIMARY KEY, note text)",
            "INSERT INTO crm.people VALUES (1, 'jane@realmail.net')",
            "INSERT INTO audit.log VALUES (1, 'jane@realmail.net')",
            "INSERT INTO plain VALUES (1, 'jane@realmail.net')")
    result = scan(pg_url, ScanSettings(schemas=["crm", "public"]))
    assert set(found(result)) == {("crm.people", "note", "email"), ("plain", "note", "email")}
    assert result.schemas == ["crm", "public"] and result.settings["schemas"] == ["crm", "public"]


# -- what the scan cannot read ---------------------------------------------------------

@pytest.fixture
def restricted(pg_server: PgServer, pg_url: str) -> Iterator[tuple[str, str]]:
    """A database with tables the role ``scanner_ro`` may, may partly and may not read;
    yields (owner's URL, scanner_ro's URL)."""
    execute(pg_url,
            "DO $$ BEGIN CREATE ROLE scanner_ro LOGIN; EXCEPTION WHEN duplicate_object "
            "THEN NULL; END $$",
            "CREATE TABLE open (id int PRIMARY KEY, note text)",
            "CREATE TABLE secrets (id int PRIMARY KEY, note text)",
            "CREATE TABLE partial (id int PRIMARY KEY, note text, card text)",
            "CREATE TABLE guarded (id int PRIMARY KEY, note text)",
            "CREATE SCHEMA hidden",
            "CREATE TABLE hidden.t (id int PRIMARY KEY, note text)",
            "INSERT INTO open VALUES (1, 'nothing here')",
            "INSERT INTO guarded VALUES (1, 'nothing here'), (2, 'jane@realmail.net')",
            "GRANT SELECT ON open, guarded TO scanner_ro",
            "GRANT SELECT (id, note) ON partial TO scanner_ro",
            "GRANT SELECT ON hidden.t TO scanner_ro",
            "ALTER TABLE guarded ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY only_first ON guarded FOR SELECT USING (id = 1)")
    limited = make_url(pg_url).set(username="scanner_ro").render_as_string(hide_password=False)
    yield pg_url, limited


@pytest.mark.postgres
def test_what_the_role_cannot_read_is_listed_and_the_scan_is_incomplete(
        restricted: tuple[str, str]) -> None:
    owner, limited = restricted
    result = scan(limited)
    assert not result.findings  # guarded's second row is hidden by row-level security
    assert result.unreadable == [
        Unreadable("guarded", None, "row-level security hides rows from this role"),
        Unreadable("hidden.t", None, "no USAGE privilege on its schema"),
        Unreadable("partial", "card", "permission denied (no SELECT)"),
        Unreadable("secrets", None, "permission denied (no SELECT)"),
    ]
    assert not result.complete and not result.clean and result.verdict == "incomplete"
    assert json.loads(json.dumps(result.to_dict()))["unreadable"][3] == {
        "table": "secrets", "column": None, "reason": "permission denied (no SELECT)"}
    assert scan(owner).verdict == "residue"  # the owner sees guarded's row 2


@pytest.mark.postgres
def test_an_excluded_unreadable_table_no_longer_makes_the_scan_incomplete(
        restricted: tuple[str, str]) -> None:
    _, limited = restricted
    settings = ScanSettings.model_validate({"exclude": [
        {"table": "secrets", "reason": "vault table, dropped before go-live"},
        {"table": "partial", "column": "card", "reason": "tokenised by the vendor"},
        {"table": "hidden.*", "reason": "a schema staging never exposes"},
        {"table": "guarded", "reason": "per-tenant rows, scanned per tenant"}]})
    result = scan(limited, settings)
    assert result.clean, result.unreadable
    assert [(e.pattern, e.matched) for e in result.excluded] == [
        ("secrets", ("secrets",)), ("partial.card", ("partial.card",)),
        ("hidden.*", ("hidden.t",)), ("guarded", ("guarded",))]


@pytest.mark.postgres
def test_golive_scan_says_incomplete_and_exits_1(restricted: tuple[str, str]) -> None:
    _, limited = restricted
    result = CliRunner().invoke(main, ["scan", limited])
    assert result.exit_code == 1, result.output
    assert "incomplete" in result.output and "permission denied" in result.output
    assert "secrets" in result.output and "row-level security" in result.output
    assert "clean" not in result.output
    assert "jane@" not in result.output


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A folder the server (user postgres) can read: pytest's tmp_path is 0700."""
    folder = Path(tempfile.mkdtemp(prefix="golive-fdw-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_a_read_that_fails_is_listed_and_the_rest_is_still_read(pg_url: str,
                                                                 readable_dir: Path) -> None:
    """Foreign tables are read like tables; one whose read fails (its file is gone) is
    unreadable, named by its error code only, and the tables after it are still read."""
    folder = readable_dir
    csv = folder / "partners.csv"
    csv.write_text("1,jane@realmail.net\n", encoding="utf-8")
    csv.chmod(0o644)
    execute(pg_url, "CREATE EXTENSION file_fdw",
            "CREATE SERVER files FOREIGN DATA WRAPPER file_fdw",
            f"CREATE FOREIGN TABLE partners (id int, mail text) SERVER files "
            f"OPTIONS (filename '{csv}', format 'csv')",
            f"CREATE FOREIGN TABLE broken (id int, mail text) SERVER files "
            f"OPTIONS (filename '{folder / 'gone.csv'}', format 'csv')",
            "CREATE TABLE people (id int PRIMARY KEY, note text)",
            "INSERT INTO people VALUES (1, 'call 415-867-5309')")
    result = scan(pg_url)
    assert found(result) == {("partners", "mail", "email"): 1, ("people", "note", "phone"): 1}
    assert result.unreadable == [
        Unreadable("broken", None, "read failed: UndefinedFile (SQLSTATE 58P01)")]
    assert "gone.csv" not in json.dumps(result.to_dict())
