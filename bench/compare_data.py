"""The compare benchmark's data: production's accounts, staging with about 100 differences
(some within tolerance), and a database holding both tables for the one-database join.

Rows are made inside PostgreSQL (``generate_series``): ten million accounts load in tens
of seconds, not minutes of Python. Production and the join's copy of it come from the
same deterministic SQL, so they are identical row for row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

from tests.pg import PgServer

__all__ = ["JOIN_DB", "PRODUCTION_DB", "STAGING_DB", "Planted", "load", "tune"]

PRODUCTION_DB, STAGING_DB, JOIN_DB = "bench_production", "bench_staging", "bench_join"
BASELINE_DB = "bench_baseline"

_TABLE = """
CREATE TABLE {name} (
    number text PRIMARY KEY,
    balance numeric(12, 2) NOT NULL,
    status text NOT NULL,
    next_bill date,
    minutes integer NOT NULL
);
INSERT INTO {name}
SELECT 'A' || lpad(i::text, 9, '0'),
       ((i * 7919) % 100000) / 100.0,
       CASE WHEN i % 50 = 0 THEN 'suspended' ELSE 'active' END,
       DATE '2026-12-01' + (i % 28)::integer,
       ((i * 31) % 1000)::integer
FROM generate_series(1::bigint, {rows}) AS i;
ALTER TABLE {name} SET (autovacuum_enabled = off);
"""


@dataclass(frozen=True)
class Planted:
    """The differences planted in staging: what a correct diff must report."""

    beyond: int  # changed beyond tolerance
    within: int  # balance +0.01, within the 0.01 tolerance
    missing: int  # in production, not in staging
    extra: int  # in staging only

    @property
    def total(self) -> int:
        return self.beyond + self.within + self.missing + self.extra


def _ids(rows: int, count: int, offset: int) -> list[int]:
    """``count`` account numbers spread over the whole key range."""
    step = max(rows // (count + 1), 1)
    return [1 + offset + step * k for k in range(count)]


def _plant(rows: int) -> tuple[str, Planted]:
    """SQL that turns a copy of production into staging, and what it planted."""
    def numbers(ids: list[int]) -> str:
        return ", ".join(f"'A{i:09d}'" for i in ids)

    balance, dates, status = _ids(rows, 30, 1), _ids(rows, 20, 2), _ids(rows, 10, 3)
    within, missing = _ids(rows, 30, 4), _ids(rows, 5, 5)
    sql = f"""
        UPDATE accounts SET balance = balance + 5.00 WHERE number IN ({numbers(balance)});
        UPDATE accounts SET next_bill = next_bill + interval '1 year'
            WHERE number IN ({numbers(dates)});
        UPDATE accounts SET status = 'closed' WHERE number IN ({numbers(status)});
        UPDATE accounts SET balance = balance + 0.01 WHERE number IN ({numbers(within)});
        DELETE FROM accounts WHERE number IN ({numbers(missing)});
        INSERT INTO accounts VALUES
            {", ".join(f"('B{i:09d}', 1.00, 'active', DATE '2026-12-01', 0)" for i in range(5))};
        VACUUM ANALYZE accounts;
    """
    return sql, Planted(beyond=60, within=30, missing=5, extra=5)


def tune(server: PgServer) -> None:
    """Room to load ten million rows without a checkpoint storm."""
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
        conn.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'")
        conn.execute("SELECT pg_reload_conf()")


def _run(server: PgServer, db: str, sql: str) -> None:
    with psycopg.connect(server.libpq_dsn(db), autocommit=True) as conn:
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                conn.execute(statement.encode())


def load(server: PgServer, rows: int) -> tuple[Planted, float]:
    """Production, staging (production plus the planted differences) and the join's
    database (staging plus a second copy of production); returns what was planted and
    the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        for db in (PRODUCTION_DB, STAGING_DB, JOIN_DB, BASELINE_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"'.encode())
        conn.execute(f'CREATE DATABASE "{PRODUCTION_DB}"'.encode())
    _run(server, PRODUCTION_DB, _TABLE.format(name="accounts", rows=rows)
         + "; VACUUM ANALYZE accounts")
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{STAGING_DB}" TEMPLATE "{PRODUCTION_DB}"'.encode())
        conn.execute(f'CREATE DATABASE "{BASELINE_DB}"'.encode())
    plant, planted = _plant(rows)
    _run(server, STAGING_DB, plant)
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{JOIN_DB}" TEMPLATE "{STAGING_DB}"'.encode())
    _run(server, JOIN_DB, _TABLE.format(name="accounts_production", rows=rows)
         + "; VACUUM ANALYZE accounts_production")
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(b"CHECKPOINT")
    return planted, time.perf_counter() - started
