"""Execution: check every rule against the live schema, then run them all in one transaction.

Order of work, so a failure leaves nothing half-done: reflect the schema and
collect every problem (unknown table or column with the closest names, a null
on a NOT NULL column, a fake on a non-text column, an SQL rule without this
dialect); build every statement and ask the database to EXPLAIN it (a bad
``where`` or ``sql`` is caught before the first write); then load the pools
and run one UPDATE (or DELETE) per table inside one transaction. Any failure
rolls back everything and names the rule.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import ConfigError, GoliveError, Problem
from sanitize import keyed
from sanitize.dialects import Dialect, Statement, for_name
from sanitize.dialects.postgresql import PostgresDialect, pool_param
from sanitize.pool import Pools, build_pools, pack
from sanitize.report import SanitizeResult
from sanitize.rules import Rules
from sanitize.schema import Schema, closest, reflect
from sanitize.strategies import Fake, Null, SqlExpression, TablePlan, plan

__all__ = ["SanitizeFailed", "apply_rules", "check_rules"]


class SanitizeFailed(GoliveError):
    """A rule failed while running; the transaction was rolled back."""

    exit_code = 2
    headline = "sanitize failed"


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


def check_rules(rules: Rules, schema: Schema, dialect: str) -> list[TablePlan]:
    """The plan of ``rules`` if every rule fits ``schema``; ConfigError with all problems."""
    problems: list[Problem] = []
    tables = plan(rules)
    names = sorted(schema.tables)
    for table in tables:
        info = schema.tables.get(table.table)
        if info is None:
            near = closest(table.table, names)
            problems.append(rules.problem(
                table.loc, f"unknown table '{table.table}'"
                + (f"; closest: {', '.join(near)}" if near else ""),
                suggestion=near[0] if near else None))
            continue
        for column in table.columns:
            found = info.columns.get(column.column)
            if found is None:
                near = closest(column.column, sorted(info.columns))
                problems.append(rules.problem(
                    column.loc, f"unknown column '{column.column}' of table '{table.table}'"
                    + (f"; closest: {', '.join(near)}" if near else ""),
                    suggestion=near[0] if near else None))
                continue
            strategy = column.strategy
            if isinstance(strategy, Null) and not found.nullable:
                problems.append(rules.problem(column.loc, f"null on {table.table}."
                                              f"{column.column}, which is NOT NULL; use a "
                                              "constant"))
            if isinstance(strategy, Fake) and (not found.text or found.json):
                problems.append(rules.problem(column.loc, f"fake needs a text column; "
                                              f"{table.table}.{column.column} is {found.type}"))
            if isinstance(strategy, SqlExpression) and not strategy.by_dialect.get(dialect):
                problems.append(rules.problem(column.loc, f"sql has no expression for "
                                              f"{dialect}; add 'sql: {{{dialect}: …}}'"))
    if problems:
        raise ConfigError(problems)
    return tables


def _unique(tables: list[TablePlan], schema: Schema) -> list[TablePlan]:
    """Fakes on columns the schema declares unique get a unique suffix automatically."""
    fixed: list[TablePlan] = []
    for table in tables:
        unique = schema.tables[table.table].unique if table.table in schema.tables else set()
        columns = tuple(
            type(c)(c.column, Fake(c.strategy.kind, True), c.where, c.loc)
            if isinstance(c.strategy, Fake) and c.column in unique else c
            for c in table.columns)
        fixed.append(TablePlan(table.table, table.action, table.where, columns, table.loc))
    return fixed


def _statements(tables: list[TablePlan], dialect: Dialect, sizes: Mapping[str, int],
                sinks: Mapping[str, str]) -> list[tuple[TablePlan, Statement]]:
    built = []
    for table in tables:
        if table.action == "update":
            built.append((table, dialect.update(table, sizes, sinks)))
        elif table.action == "truncate":
            built.append((table, dialect.delete(table)))
    return built


def _load_pools(conn: Connection, dialect: Dialect, rules: Rules, tables: list[TablePlan],
                params: dict[str, Any]) -> dict[str, int]:
    kinds = {c.strategy.kind for t in tables for c in t.columns if isinstance(c.strategy, Fake)}
    settings = rules.model.pool
    pools = build_pools(kinds, settings.size, settings.seed)
    if isinstance(dialect, PostgresDialect):
        _pack_pools(conn, dialect, pools, params)
        return {kind: len(values) for kind, values in pools.items()}
    conn.execute(text(dialect.create_pool()))
    rows = [{"kind": kind, "idx": i, "value": value}
            for kind, values in pools.items() for i, value in enumerate(values)]
    if rows:
        conn.execute(text(dialect.insert_pool()), rows)
    return {kind: len(values) for kind, values in pools.items()}


def _pack_pools(conn: Connection, dialect: PostgresDialect, pools: Pools,
                params: dict[str, Any]) -> None:
    """Bind each pool as one packed bytea; the database says where each value's own hash
    lands (one query, the same expression the UPDATE uses), so `pack` can keep every
    value out of its home slot."""
    kinds = [k for k, values in pools.items() for _ in values]
    idxs = [i for values in pools.values() for i in range(len(values))]
    vals = [v for values in pools.values() for v in values]
    sizes = [len(values) for values in pools.values() for _ in values]
    homes: dict[str, dict[int, int]] = {kind: {} for kind in pools}
    if vals:
        found = conn.execute(text(dialect.pool_homes()), {
            "kinds": kinds, "idxs": idxs, "vals": vals, "sizes": sizes,
            "golive_salt": params["golive_salt"]})
        for kind, idx, home in found:
            homes[kind][int(idx)] = int(home)
    widths: dict[str, int] = {}
    for kind, values in pools.items():
        blob, widths[kind] = pack(values, homes[kind])
        params[pool_param(kind)] = blob
    dialect.use_packed(widths)


def apply_rules(conn: Connection, rules: Rules, salt: str,
                sinks: Mapping[str, str] | None = None) -> SanitizeResult:
    """Sanitize the database behind ``conn`` (no transaction open) with ``rules``."""
    started = time.perf_counter()
    backend = conn.dialect.name
    schema = reflect(conn)
    conn.rollback()  # reflection may have begun a transaction
    tables = _unique(check_rules(rules, schema, backend), schema)
    if backend == "sqlite":
        keyed.register_sqlite(conn.connection.driver_connection, salt)  # type: ignore[arg-type]
    changed: dict[str, int] = {}
    with conn.begin() as transaction:
        method = keyed.hash_method(conn) if backend == "postgresql" else "hmac-sha256"
        dialect = for_name(backend, method)
        params: dict[str, Any] = {"golive_salt": salt} if backend == "postgresql" else {}
        if backend == "postgresql":
            # staging scratch data: a crash loses nothing the backup cannot restore
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            # room to join a table with its staged new values in memory (this transaction only)
            conn.execute(text("SELECT set_config('work_mem', '131072kB', true) FROM pg_settings "
                              "WHERE name = 'work_mem' AND setting::bigint < 131072"))
        sizes = _load_pools(conn, dialect, rules, tables, params)
        statements = _statements(tables, dialect, sizes, sinks or {})
        _explain(conn, rules, statements, params, transaction)
        for table, statement in statements:
            try:
                changed[table.table] = _run(conn, statement, params)
            except (DBAPIError, _Mismatch) as exc:
                transaction.rollback()
                reason = _reason(exc) if isinstance(exc, DBAPIError) else str(exc)
                raise SanitizeFailed(
                    f"{rules.where(table.loc)}: the rules for {statement.what} failed: "
                    f"{reason}; the whole sanitize was rolled back, nothing changed"
                ) from None
        if backend == "sqlite":
            conn.execute(text("DROP TABLE temp.golive_pool"))
    return SanitizeResult(
        rules_applied=sum(len(t.columns) or 1 for t in tables if t.action != "skip"),
        rows_changed=changed, seconds=round(time.perf_counter() - started, 3),
        source=rules.file, hash_method=dialect.hash_method,
        truncated=[t.table for t in tables if t.action == "truncate"],
        skipped=[t.table for t in tables if t.action == "skip"])


class _Mismatch(Exception):
    """A staged statement wrote a different number of rows than it computed."""


def _run(conn: Connection, statement: Statement, params: Mapping[str, Any]) -> int:
    """Run one table's statement (staged or not); the number of rows it changed."""
    for sql in statement.before:
        conn.execute(text(sql))
    if statement.stage is None:
        written = max(conn.execute(text(statement.sql), _bind(statement, params)).rowcount, 0)
    else:
        computed = conn.execute(text(statement.stage), _bind(statement, params)).rowcount
        written = conn.execute(text(statement.sql), _bind(statement, params)).rowcount
        if computed != written:
            raise _Mismatch(f"{computed} rows were computed but {written} written "
                            "(rows moved in between)")
    for sql in statement.after:
        conn.execute(text(sql))
    return written


def _bind(statement: Statement, params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in statement.params} if statement.params else {}


def _explain(conn: Connection, rules: Rules, statements: list[tuple[TablePlan, Statement]],
             params: Mapping[str, Any], transaction: Any) -> None:
    """Let the database compile every statement before the first write."""
    problems: list[Problem] = []
    for table, statement in statements:
        savepoint = conn.begin_nested()
        try:
            if statement.stage is not None:
                # an empty scratch table (planned, not run), so the UPDATE can be compiled too
                conn.execute(text(statement.stage + " WITH NO DATA"), _bind(statement, params))
            conn.execute(text("EXPLAIN " + statement.sql), _bind(statement, params))
        except DBAPIError as exc:
            problems.append(rules.problem(table.loc, f"the database rejects the rules for "
                                                     f"{statement.what}: {_reason(exc)}"))
        finally:
            savepoint.rollback()  # nothing of the check stays, the scratch table included
    if problems:
        transaction.rollback()
        raise ConfigError(problems)
