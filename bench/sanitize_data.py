"""The sanitize benchmark's data: a PostgreSQL server, N customers + N contacts, identical copies.

Values come from small Faker pools combined with the row counter, so loading a
million rows costs a few seconds of string formatting and one COPY per table,
never a Faker call per row. Every e-mail and phone is unique (the counter is
in it), so a leg that leaves originals behind is caught by `changed_fraction`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from faker import Faker

from tests.pg import PgServer

__all__ = [
    "SCHEMA",
    "SOURCE_DB",
    "STRATEGY",
    "SanitizedColumns",
    "changed_fraction",
    "clone",
    "drop",
    "load_source",
    "tune",
]

SOURCE_DB = "bench_source"
_CHUNK = 50_000
_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "btinternet.com", "comcast.net")

SCHEMA = """
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    account_no text NOT NULL,
    first_name text,
    last_name text,
    email text,
    phone text,
    street text,
    city text,
    balance numeric(12, 2) NOT NULL DEFAULT 0
);
CREATE TABLE contacts (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    name text,
    email text,
    phone text,
    note text
);
"""

# The strategy every leg applies: table -> the columns it replaces.
SanitizedColumns = dict[str, tuple[str, ...]]
STRATEGY: SanitizedColumns = {
    "customers": ("first_name", "last_name", "email", "phone", "street", "city"),
    "contacts": ("name", "email", "phone", "note"),
}


@dataclass(frozen=True)
class _Pools:
    first: list[str]
    last: list[str]
    streets: list[str]
    cities: list[str]
    sentences: list[str]


def _clean(value: str) -> str:
    """COPY text format: no tabs, newlines or backslashes in a value."""
    return value.replace("\t", " ").replace("\n", ", ").replace("\\", "/")


def _pools(seed: int) -> _Pools:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return _Pools(
        first=[_clean(fake.first_name()) for _ in range(400)],
        last=[_clean(fake.last_name()) for _ in range(600)],
        streets=[_clean(fake.street_name()) for _ in range(300)],
        cities=[_clean(fake.city()) for _ in range(250)],
        sentences=[_clean(fake.sentence(nb_words=8)) for _ in range(300)],
    )


def _local(first: str, last: str) -> str:
    return "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")


def _customer_lines(pools: _Pools, rows: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    nf, nl, ns, nc = len(pools.first), len(pools.last), len(pools.streets), len(pools.cities)
    chunk: list[str] = []
    for i in range(1, rows + 1):
        first, last = pools.first[rng.randrange(nf)], pools.last[rng.randrange(nl)]
        chunk.append(
            f"{i}\tA{i:08d}\t{first}\t{last}\t{_local(first, last)}{i}@{_DOMAINS[i % 5]}\t"
            f"+1 {201 + i % 700} {i:07d}\t{1 + i % 9998} {pools.streets[rng.randrange(ns)]}\t"
            f"{pools.cities[rng.randrange(nc)]}\t{i % 50_000 / 100:.2f}\n")
        if len(chunk) == _CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _contact_lines(pools: _Pools, rows: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed + 1)
    nf, nl, nt = len(pools.first), len(pools.last), len(pools.sentences)
    chunk: list[str] = []
    for i in range(1, rows + 1):
        first, last = pools.first[rng.randrange(nf)], pools.last[rng.randrange(nl)]
        phone = f"+44 7{i:09d}"
        chunk.append(
            f"{i}\t{(i * 7919) % rows + 1}\t{first} {last}\t"
            f"{_local(first, last)}.{i}@{_DOMAINS[(i + 2) % 5]}\t{phone}\t"
            f"{pools.sentences[rng.randrange(nt)]} Call {first} on {phone}.\n")
        if len(chunk) == _CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def tune(server: PgServer) -> None:
    """Room for a million-row UPDATE without a checkpoint storm (the same for every leg)."""
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_wal_size = '4GB'")
        conn.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'")
        conn.execute("SELECT pg_reload_conf()")


def load_source(server: PgServer, rows: int, seed: int = 42) -> float:
    """Create ``SOURCE_DB`` with ``rows`` customers and ``rows`` contacts; returns seconds."""
    started = time.perf_counter()
    pools = _pools(seed)
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SOURCE_DB}"')
        conn.execute(f'CREATE DATABASE "{SOURCE_DB}"')
    with psycopg.connect(server.libpq_dsn(SOURCE_DB)) as conn:
        conn.execute(SCHEMA)
        with conn.cursor() as cur:
            with cur.copy("COPY customers (id, account_no, first_name, last_name, email, phone,"
                          " street, city, balance) FROM STDIN") as copy:
                for block in _customer_lines(pools, rows, seed):
                    copy.write(block)
            with cur.copy("COPY contacts (id, customer_id, name, email, phone, note)"
                          " FROM STDIN") as copy:
                for block in _contact_lines(pools, rows, seed):
                    copy.write(block)
        for table in STRATEGY:
            # Autovacuum would wake up at a different moment in each copy: keep it out.
            conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        conn.commit()
    with psycopg.connect(server.libpq_dsn(SOURCE_DB), autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE, ANALYZE)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def clone(server: PgServer, name: str) -> str:
    """A fresh identical copy of the source database (CREATE DATABASE … TEMPLATE)."""
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{SOURCE_DB}"')
        conn.execute("CHECKPOINT")  # the copy's own writes are not charged to the leg
    return name


def drop(server: PgServer, name: str) -> None:
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def changed_fraction(server: PgServer, dbname: str, sample: int = 1000) -> dict[str, float]:
    """Per ``table.column``, the fraction of a fixed sample of rows whose value changed.

    Compares against the source database row by row (same ids), so a leg
    that skips a column, or a table, shows it as 0.0.
    """
    fractions: dict[str, float] = {}
    for table, columns in STRATEGY.items():
        cols = ", ".join(columns)
        query = (f"SELECT id, {cols} FROM {table} WHERE id % "
                 f"greatest(1, (SELECT max(id) FROM {table}) / {sample}) = 0 ORDER BY id")
        with psycopg.connect(server.libpq_dsn(SOURCE_DB)) as conn:
            before = {row[0]: row[1:] for row in conn.execute(query)}
        with psycopg.connect(server.libpq_dsn(dbname)) as conn:
            after = {row[0]: row[1:] for row in conn.execute(query)}
        for index, column in enumerate(columns):
            same = sum(1 for key, values in before.items()
                       if key in after and after[key][index] == values[index])
            fractions[f"{table}.{column}"] = 1.0 - same / max(len(before), 1)
    return fractions
