"""PostgreSQL's staged UPDATE: new values computed in parallel, then written by row address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from sanitize import SanitizeFailed, sanitize
from sanitize.dialects import postgresql
from sanitize.dialects.base import Statement
from tests.sanitize.helpers import SALT, execute, rows, write_rules

pytestmark = pytest.mark.postgres

CALLS = """
tables:
  {table}:
    columns:
      caller: {{fake: person_name}}
      email: {{fake: email}}
      meta: {{constant: '{{"redacted": true}}'}}
"""


def _calls(url: str, table: str, partitioned: bool) -> None:
    how = " PARTITION BY LIST (region)" if partitioned else ""
    execute(url, f"CREATE TABLE {table} (id integer, region text, caller text, email text, "
                 f"meta json){how}")
    if partitioned:
        execute(url, f"CREATE TABLE {table}_eu PARTITION OF {table} FOR VALUES IN ('eu')",
                f"CREATE TABLE {table}_us PARTITION OF {table} FOR VALUES IN ('us')")
    # same row numbers in both partitions: their ctids collide
    execute(url, f"INSERT INTO {table} VALUES (:id, :region, :caller, :email, '{{}}')",
            params=[{"id": i, "region": "eu" if i % 2 else "us", "caller": f"Caller {i}",
                     "email": f"caller{i}@corp-mail.com"} for i in range(1, 201)])


def test_partitioned_rows_get_their_own_values(pg_url: str, tmp_path: Path) -> None:
    _calls(pg_url, "calls", partitioned=True)
    _calls(pg_url, "plain", partitioned=False)
    for table in ("calls", "plain"):
        result = sanitize(pg_url, write_rules(tmp_path, CALLS.format(table=table),
                                              f"{table}.yaml"), SALT)
        assert result.rows_changed == {table: 200}
    query = "SELECT id, caller, email, meta::text FROM {} ORDER BY id"
    partitioned, plain = rows(pg_url, query.format("calls")), rows(pg_url, query.format("plain"))
    # the same originals give the same fakes, so a row matched to the wrong address shows
    assert partitioned == plain
    assert not any(r[1].startswith("Caller") or "corp-mail" in r[2] for r in partitioned)
    assert {r[3] for r in partitioned} == {'{"redacted": true}'}
    assert rows(pg_url, "SELECT count(*) FROM pg_class WHERE relname LIKE "
                        f"'{postgresql.STAGE_PREFIX}%'") == [(0,)]


def test_new_values_are_computed_by_parallel_workers(pg_url: str, tmp_path: Path) -> None:
    _calls(pg_url, "plain", partitioned=False)
    staged: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("CREATE TEMP TABLE") and not statement.endswith("NO DATA"):
            staged.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", capture)
    try:
        sanitize(pg_url, write_rules(tmp_path, CALLS.format(table="plain")), SALT)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    assert len(staged) == 1
    statement, parameters = staged[0]
    other = create_engine(pg_url)
    with other.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0",
                        "min_parallel_table_scan_size = 0"):
            cursor.execute(f"SET {setting}")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    other.dispose()
    # every function in the staged SELECT is parallel safe, or the planner would refuse
    assert "Gather" in plan and "Parallel Seq Scan" in plan, plan


def test_rows_written_must_match_rows_computed(pg_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _calls(pg_url, "plain", partitioned=False)
    original = postgresql.PostgresDialect.update

    def lossy(self: postgresql.PostgresDialect, *args: Any) -> Statement:
        built = original(self, *args)
        return Statement(built.sql + " AND plain.id % 2 = 0", built.params, built.what,
                         built.stage, built.before, built.after)

    monkeypatch.setattr(postgresql.PostgresDialect, "update", lossy)
    with pytest.raises(SanitizeFailed) as raised:
        sanitize(pg_url, write_rules(tmp_path, CALLS.format(table="plain")), SALT)
    assert "200 rows were computed but 100 written" in str(raised.value)
    assert "rolled back, nothing changed" in str(raised.value)
    assert rows(pg_url, "SELECT count(*) FROM plain WHERE caller LIKE 'Caller %'") == [(200,)]


def test_a_user_table_named_like_the_scratch_table_is_sanitized(pg_url: str,
                                                                tmp_path: Path) -> None:
    _calls(pg_url, "golive_stage", partitioned=False)
    result = sanitize(pg_url, write_rules(tmp_path, CALLS.format(table="golive_stage")), SALT)
    assert result.rows_changed == {"golive_stage": 200}
    assert rows(pg_url, "SELECT count(*) FROM golive_stage WHERE caller LIKE 'Caller %' "
                        "OR email LIKE '%corp-mail%'") == [(0,)]
