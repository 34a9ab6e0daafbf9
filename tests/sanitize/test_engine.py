"""Determinism, uniqueness, schema checks, all-or-nothing and vendor scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from sanitize import SaltMissing, SanitizeFailed, ScriptFailed, run_vendor_scripts, sanitize, scan
from tests.sanitize.helpers import SALT, execute, people, rows, write_rules

EMAILS = """
tables:
  people:
    columns:
      email: {fake: email}
      name: {fake: person_name}
  orders:
    columns:
      email: {fake: email}
"""


def _emails(url: str) -> list[tuple[object, ...]]:
    return rows(url, "SELECT p.id, p.email, p.name FROM people p ORDER BY p.id")


def test_same_value_same_fake_across_tables_and_runs(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    rules = write_rules(tmp_path, EMAILS)
    sanitize(db_url, rules, SALT)
    joined = rows(db_url, "SELECT count(*) FROM orders o JOIN people p ON p.email = o.email")
    assert joined == [(40,)]  # every order still finds its person
    first = _emails(db_url)
    execute(db_url, "DROP TABLE people", "DROP TABLE orders", "DROP TABLE audit")
    people(db_url)
    sanitize(db_url, rules, SALT)
    assert _emails(db_url) == first
    execute(db_url, "DROP TABLE people", "DROP TABLE orders", "DROP TABLE audit")
    people(db_url)
    sanitize(db_url, rules, "another-salt-987654")
    other = _emails(db_url)
    assert all(a[1] != b[1] for a, b in zip(first, other, strict=True))


def test_unique_column_stays_unique(db_url: str, tmp_path: Path) -> None:
    execute(db_url, "CREATE TABLE u (id INTEGER PRIMARY KEY, login VARCHAR(100) UNIQUE)")
    execute(db_url, "INSERT INTO u VALUES (:id, :login)",
            params=[{"id": i, "login": f"user{i}"} for i in range(500)])
    # a tiny pool forces collisions: only the unique suffix keeps logins apart
    sanitize(db_url, write_rules(tmp_path, "pool: {size: 10}\ntables:\n  u:\n    columns:\n"
                                           "      login: {fake: first_name}\n"), SALT)
    logins = [r[0] for r in rows(db_url, "SELECT login FROM u")]
    assert len(set(logins)) == 500
    assert not any(login.startswith("user") for login in logins)


def test_unknown_names_are_reported_with_closest(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    rules = write_rules(tmp_path, """
tables:
  peeple:
    columns:
      email: {fake: email}
  orders:
    columns:
      emial: {fake: email}
      total: {fake: city}
  people:
    columns:
      kind: {null: true}
""")
    with pytest.raises(ConfigError) as raised:
        sanitize(db_url, rules, SALT)
    text = str(raised.value)
    assert "rules.yaml:3: tables.peeple: unknown table 'peeple'; closest: people" in text
    assert "rules.yaml:8: tables.orders.columns.emial: unknown column 'emial' of table " \
           "'orders'; closest: email" in text
    assert "fake needs a text column; orders.total is INTEGER" in text
    assert "null on people.kind, which is NOT NULL" in text
    assert rows(db_url, "SELECT email FROM orders WHERE id = 1") == [("p2@corp-mail.com",)]


@pytest.mark.parametrize("beside", ["", "      name: {fake: person_name}\n"],
                         ids=["alone", "beside-a-fake"])
def test_bad_sql_is_caught_before_any_write(db_url: str, tmp_path: Path, beside: str) -> None:
    """Beside a fake, PostgreSQL stages the fake in a scratch table and keeps the sql in the
    UPDATE: both are compiled before anything is written."""
    people(db_url)
    rules = write_rules(tmp_path, "tables:\n  orders:\n    columns:\n"
                                  "      email: {fake: email}\n  people:\n    columns:\n"
                                  + beside + '      note: {sql: "no_such_function(note)"}\n')
    with pytest.raises(ConfigError, match=r"rules.yaml:5: tables.people: the database rejects "
                                          r"the rules for people .*no_such_function"):
        sanitize(db_url, rules, SALT)
    assert rows(db_url, "SELECT email FROM orders WHERE id = 1") == [("p2@corp-mail.com",)]
    assert rows(db_url, "SELECT name FROM people WHERE id = 1") == [("Person Number1",)]


def test_failing_rule_rolls_back_everything(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    rules = write_rules(tmp_path, """
tables:
  orders:
    columns:
      email: {fake: email}
  people:
    columns:
      email: {constant: "same@example.com"}
""")
    with pytest.raises(SanitizeFailed, match=r"rules.yaml:6: the rules for people .*rolled back"):
        sanitize(db_url, rules, SALT)
    assert rows(db_url, "SELECT email FROM orders WHERE id = 1") == [("p2@corp-mail.com",)]


def test_salt_must_be_set(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people(db_url)
    monkeypatch.delenv("MY_SALT", raising=False)
    rules = write_rules(tmp_path, "salt_env: MY_SALT\n" + EMAILS)
    with pytest.raises(SaltMissing, match="MY_SALT"):
        sanitize(db_url, rules)
    monkeypatch.setenv("MY_SALT", SALT)
    assert sanitize(db_url, rules).rows_changed["orders"] == 40


def test_vendor_script_then_scan(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    script = Path("sanitize/rules/demo-vendor.sql")
    execute(db_url, "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email VARCHAR(200), "
                    "phone VARCHAR(50), first_name VARCHAR(100))")
    assert not scan(db_url).clean
    with pytest.raises(ScriptFailed, match=r"demo-vendor.sql:\d+: .*rolled back"):
        run_vendor_scripts(db_url, [script])  # the demo script names demo tables
    assert rows(db_url, "SELECT email FROM orders WHERE id = 1") == [("p2@corp-mail.com",)]
    local = write_rules(tmp_path, """
-- vendor's own scrub, as delivered; a ';' inside a string does not split it
UPDATE people SET email = 'user' || id || '@example.com', phone = NULL,
  card = NULL, host = '127.0.0.1', note = 'scrubbed; ok';
UPDATE orders SET email = 'user' || id || '@example.com';
DELETE FROM audit WHERE line LIKE '%@%';
""", "scrub.sql")
    result = run_vendor_scripts(db_url, [local])
    assert result.rows_changed == {"people": 20, "orders": 40, "audit": 1}
    assert rows(db_url, "SELECT note FROM people WHERE id = 1") == [("scrubbed; ok",)]
    residue = scan(db_url)
    assert residue.clean, residue.findings
