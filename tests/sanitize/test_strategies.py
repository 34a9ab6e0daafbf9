"""Every strategy on SQLite and PostgreSQL: what a column holds after sanitizing."""

from __future__ import annotations

import re
from pathlib import Path

from sanitize import sanitize
from sanitize.pool import build_pools
from tests.sanitize.helpers import SALT, people, rows, write_rules

RULES = """
tables:
  people:
    columns:
      name: {fake: person_name}
      email: {fake: email}
      phone: {fake: phone}
      card: {mask: {keep_last: 4}}
      note: {hash: {prefix: "h_", length: 12}}
      kind: {constant: "x"}
      host: {redirect: {sink: smtp, form: host}}
  orders:
    columns:
      email: {fake: email}
  audit: {action: truncate}
"""


def test_every_strategy(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    before = dict((r[0], r) for r in rows(db_url, "SELECT * FROM people"))
    result = sanitize(db_url, write_rules(tmp_path, RULES), SALT, sinks={"smtp": "10.9.9.9"})
    assert result.rows_changed == {"people": 20, "orders": 40, "audit": 1}
    assert result.truncated == ["audit"]
    pool = build_pools(["person_name", "phone"], 2000, 20240)
    for id_, name, email, phone, card, note, kind, host in rows(db_url, "SELECT * FROM people"):
        old = before[id_]
        assert name in pool["person_name"] and name != old[1]
        assert re.fullmatch(r"[a-z.]+\.[0-9a-f]{16}@example\.(com|org|net)", email)
        assert phone in pool["phone"] and "555-01" in phone.replace(" ", "-").replace(")", "")
        assert card == "*" * (len(old[4]) - 4) + old[4][-4:]
        assert re.fullmatch(r"h_[0-9a-f]{12}", note)
        assert kind == "x"
        assert host == "10.9.9.9"
    assert rows(db_url, "SELECT count(*) FROM audit") == [(0,)]


def test_null_sql_and_where(db_url: str, tmp_path: Path) -> None:
    people(db_url)
    rules = write_rules(tmp_path, """
tables:
  people:
    columns:
      phone: {null: true}
      note: {sql: "upper(note)"}
      name:
        - {constant: "VIP", where: "kind = 'vip'"}
        - {fake: first_name, where: "id = 2"}
""")
    sanitize(db_url, rules, SALT)
    got = {r[0]: r[1:] for r in rows(db_url, "SELECT id, phone, note, name, kind FROM people")}
    assert all(phone is None for phone, *_ in got.values())
    assert got[3][1] == "CALLED P3"
    assert got[3][2] == "VIP"  # kind vip
    assert got[4][2] == "Person Number4"  # no rule matched: untouched
    assert got[2][2] not in ("Person Number2", "VIP")
