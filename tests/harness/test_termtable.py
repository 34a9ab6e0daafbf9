"""Every terminal table of golive read in a CI log: not a tty, 80 columns. Each is rendered
at 80 columns; no line is wider and no word, name or id is cut in two."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.text import Text

from harness import cli
from harness.signoff.history import RunSummary
from harness.signoff.show import history_table, verify_lines
from harness.signoff.verify import VerifyResult
from harness.terminal import out
from harness.termtable import fit_table, fits
from tests.harness.plugin_project import write_project

pytest_plugins = ["pytester"]

LONG_TABLE = "customer_contact_addresses_archive_2019"
LONG_COLUMN = "secondary_email_address_for_invoices"


def at_80(*renderables: object) -> str:
    console = Console(width=80, record=True, force_terminal=False, markup=False,
                      highlight=False, emoji=False)
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


def readable(text: str, *words: str, width: int = 80) -> None:
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), "\n".join(
        line for line in lines if len(line) > width)
    tokens = set(text.split())
    for word in words:
        assert word in tokens, f"{word!r} was cut or lost:\n{text}"


def test_a_table_when_every_column_fits_its_longest_word() -> None:
    rows = [["contacts", "email", "email", "3"], ["accounts", "phone", "phone", "12"]]
    text = at_80(fit_table("residue", ("table", "column", "detector", "values"), rows, 80))
    readable(text, "contacts", "accounts", "detector", "12")
    assert re.search(r"^\s*contacts\s+email\s+email\s+3\s*$", text, re.M)  # one row a line


def test_a_list_when_a_table_would_cut_words() -> None:
    rows = [[LONG_TABLE, LONG_COLUMN, "email", "3"]]
    assert not fits(("table", "column", "detector", "values"), [[Text(c) for c in rows[0]]], 80)
    text = at_80(fit_table("residue", ("table", "column", "detector", "values"), rows, 80))
    readable(text, LONG_TABLE, LONG_COLUMN)
    assert re.search(rf"^table\s+{LONG_TABLE}\s*$", text, re.M)
    assert re.search(rf"^column\s+{LONG_COLUMN}\s*$", text, re.M)


@pytest.mark.parametrize(("title", "columns", "row"), [
    ("residue in db", ("table", "column", "detector", "values"),
     (LONG_TABLE, LONG_COLUMN, "card_number", 12)),
    ("not read — the scan proves nothing about these", ("table", "column", "why"),
     (LONG_TABLE, "(every column)", "permission denied for table " + LONG_TABLE)),
    ("excluded by the scan settings", ("excluded", "reason", "matched"),
     ("audit.*", "the audit schema is dropped before go-live",
      f"audit.{LONG_TABLE}, audit.events")),
    ("allowed by the scan settings", ("table", "column", "rule", "values"),
     (LONG_TABLE, LONG_COLUMN, "allow_numbers +1-555-01", 40)),
    ("binary values, not scanned", ("table", "column", "values"),
     ("ir_attachment", "db_datas", 7)),
])
def test_each_scan_table_at_80_columns(title: str, columns: tuple[str, ...],
                                       row: tuple[object, ...]) -> None:
    with out.capture() as captured:
        cli._scan_rows(title, columns, [row, row])
    text = captured.get()
    readable(text, *(w for cell in row for w in str(cell).split()))


def test_golive_scan_prints_residue_readably_in_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "scan.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE {LONG_TABLE} ({LONG_COLUMN} TEXT)")
        conn.execute(f"INSERT INTO {LONG_TABLE} VALUES ('jane.doe@gmail.com')")
    result = CliRunner().invoke(cli.main, ["scan", f"sqlite:///{db}"], env={"COLUMNS": "80"})
    assert result.exit_code == 1, result.output
    table, summary = result.output.split("\nresidue: ")  # the summary line is a sentence
    readable(table, LONG_TABLE, LONG_COLUMN)
    assert summary.startswith("email 1 — sqlite:///")


def test_the_history_table_at_80_columns() -> None:
    runs = [RunSummary(f"20261202T05540{i}Z-52a{i}", f"2026-12-02T05:54:0{i}",
                       f"2026-12-02T05:5{i + 5}:00", "p", "verify shard" if i == 1 else "verify",
                       "1.1-pool-not-shared", "complete",
                       "GO WITH WAIVERS" if i else "NO-GO", 3, 1, {}) for i in range(3)]
    text = at_80(history_table(runs, 5, 80))
    readable(text, "20261202T055400Z-52a0", "20261202T055402Z-52a2", "1.1-pool-not-shared",
             "WAIVERS", "shard")


def test_verify_lines_at_80_columns() -> None:
    result = VerifyResult(run_id="20261202T055400Z-52a0", entries=4, changed=[
        "run.json changed since golive wrote it (ledger entry #3)"], signatures=[],
        missing=["customer"], required=["qa", "customer"])
    text = at_80(*verify_lines(result))
    readable(text, "run.json", "customer", "FAILED")


def test_golive_checklist_at_80_columns(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    result = CliRunner().invoke(cli.main, ["checklist"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    readable(result.output, "CF-PAY-01", "CF-BILL-01", "CF-DOCS-01", "Payments", "process")
